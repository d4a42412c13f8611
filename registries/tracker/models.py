"""Read models of the data tracker, and the sealed store of covert reads."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

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

    aggregate_id = models.UUIDField(db_index=True, verbose_name=_("aggregate id"))
    subject_code = models.CharField(
        max_length=CODE_LENGTH, db_index=True, verbose_name=_("subject code")
    )
    reader_code = models.CharField(max_length=150, db_index=True, verbose_name=_("reader code"))
    registry = models.CharField(max_length=20, db_index=True, verbose_name=_("registry"))
    what = models.CharField(max_length=500, verbose_name=_("what"))
    purpose = models.CharField(max_length=500, verbose_name=_("purpose"))
    outcome = models.CharField(max_length=10, verbose_name=_("outcome"))
    emergency = models.BooleanField(default=False, db_index=True, verbose_name=_("emergency"))
    read_at = models.DateTimeField(db_index=True, verbose_name=_("read at"))
    covert = models.BooleanField(
        default=False, help_text="Disclosed by a court decision", verbose_name=_("covert")
    )
    investigation = models.CharField(max_length=500, blank=True, verbose_name=_("investigation"))
    disclosed_by = models.CharField(
        max_length=40,
        blank=True,
        help_text="Case number and judgment that released it",
        verbose_name=_("disclosed by"),
    )
    version = models.IntegerField(verbose_name=_("version"))

    class Meta:
        verbose_name = _("data read")
        verbose_name_plural = _("data reads")
        ordering = ["-read_at", "-id"]

    def __str__(self) -> str:
        return f"{self.reader_code} read {self.registry} data of {self.subject_code}"


class CovertCommitmentRecord(LedgerLinked):
    """A covert read's commitment on the chain (no record, no person) until disclosed."""

    ledger_registry = "tracker"

    aggregate_id = models.UUIDField(unique=True, verbose_name=_("aggregate id"))
    commitment = models.CharField(max_length=64, unique=True, verbose_name=_("commitment"))
    registry = models.CharField(max_length=20, verbose_name=_("registry"))
    committed_seq = models.BigIntegerField(verbose_name=_("committed seq"))
    disclosed = models.BooleanField(default=False, verbose_name=_("disclosed"))
    version = models.IntegerField(verbose_name=_("version"))

    class Meta:
        verbose_name = _("covert read commitment")
        verbose_name_plural = _("covert read commitments")
        ordering = ["-committed_seq"]

    def __str__(self) -> str:
        return f"covert read {self.commitment[:12]}"


class SealedCovertRead(models.Model):
    """The full record and salt of a covert read, kept off the chain until disclosure.

    Restricted: no admin, no API lists it; only the disclosure command reads
    it, and it is deleted once the record is disclosed on the chain.
    """

    commitment = models.CharField(max_length=64, primary_key=True, verbose_name=_("commitment"))
    record = models.JSONField(verbose_name=_("record"))
    salt = models.CharField(max_length=64, verbose_name=_("salt"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("sealed covert read")
        verbose_name_plural = _("sealed covert reads")

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
