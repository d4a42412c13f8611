"""Read models of the data tracker, and the sealed store of covert reads."""

from __future__ import annotations

from django.db import models

from registries.common.models import KeyAccessBase, LedgerLinked, PersonKeyBase

ERASED = "erased:"
"""How a read line names an erased person: ``erased:`` and a peppered HMAC of their code
(:func:`registries.tracker.erasure.pseudonym_of`)."""
CODE_LENGTH = len(ERASED) + 64
"""Room for a personal code or an erased person's pseudonym."""


class ReadRecord(LedgerLinked):
    """One person's line of a read: who read their data, where, when and why.

    A read of several persons' data (a case card with three parties) is one
    event on the chain and one line here per person.
    """

    ledger_registry = "tracker"

    aggregate_id = models.UUIDField(db_index=True)
    subject_code = models.CharField(max_length=CODE_LENGTH, db_index=True)
    reader_code = models.CharField(max_length=150, db_index=True)
    registry = models.CharField(max_length=20, db_index=True)
    what = models.CharField(max_length=500)
    purpose = models.CharField(max_length=500)
    outcome = models.CharField(max_length=10)
    emergency = models.BooleanField(default=False, db_index=True)
    read_at = models.DateTimeField(db_index=True)
    covert = models.BooleanField(default=False, help_text="Disclosed by a court decision")
    investigation = models.CharField(max_length=500, blank=True)
    disclosed_by = models.CharField(
        max_length=40, blank=True, help_text="Case number and judgment that released it"
    )
    version = models.IntegerField()

    class Meta:
        ordering = ["-read_at", "-id"]

    def __str__(self) -> str:
        return f"{self.reader_code} read {self.registry} data of {self.subject_code}"


class CovertCommitmentRecord(LedgerLinked):
    """A covert read's commitment on the chain (no record, no person) until disclosed."""

    ledger_registry = "tracker"

    aggregate_id = models.UUIDField(unique=True)
    commitment = models.CharField(max_length=64, unique=True)
    registry = models.CharField(max_length=20)
    committed_seq = models.BigIntegerField()
    disclosed = models.BooleanField(default=False)
    version = models.IntegerField()

    class Meta:
        ordering = ["-committed_seq"]

    def __str__(self) -> str:
        return f"covert read {self.commitment[:12]}"


class SealedCovertRead(models.Model):
    """The full record and salt of a covert read, kept off the chain until disclosure.

    Restricted: no admin, no API lists it; only the disclosure command reads
    it, and it is deleted once the record is disclosed on the chain.
    """

    commitment = models.CharField(max_length=64, primary_key=True)
    record = models.JSONField()
    salt = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"sealed covert read {self.commitment[:12]}"


class PersonKey(PersonKeyBase):
    """A person's or a read's data key: seals the personal codes and the free text of the
    tracker's events (:mod:`registries.common.sealing`, ADR 0081)."""

    class Meta(PersonKeyBase.Meta):
        pass


class KeyAccess(KeyAccessBase):
    """Audit trail of the tracker's key store: creates, destroys and refused uses."""

    class Meta(KeyAccessBase.Meta):
        pass
