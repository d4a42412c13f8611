"""Read models of the health registry and its per-person key store.

No table here holds a patient's personal code or health content in the
clear: records are named by the key store subject (a peppered HMAC of the
code), contents are the sealed values of the events (ciphertext), opened
only when an allowed reader asks (and every opening is audited). Erasure
destroys the key and empties the sealed columns.
"""

from __future__ import annotations

from django.db import models

from registries.common.models import KeyAccessBase, LedgerLinked, PersonKeyBase


class PersonKey(PersonKeyBase):
    """A patient's data key (:mod:`registries.health.keystore`)."""

    class Meta(PersonKeyBase.Meta):
        pass


class KeyAccess(KeyAccessBase):
    """Audit trail of the health key store: every create, use, destroy and refused use,
    who and why sealed (:class:`~registries.common.models.KeyAccessBase`); only an
    auditor's tracked read opens them (:func:`registries.health.keystore.audit_trail`)."""

    class Meta(KeyAccessBase.Meta):
        pass


class PatientRecord(LedgerLinked):
    """A patient's record: consent and counts; no name, no code, no content."""

    ledger_registry = "health"

    aggregate_id = models.UUIDField(unique=True)
    subject = models.CharField(max_length=64, unique=True, help_text="HMAC of the personal code")
    key_id = models.CharField(max_length=32)
    sealed_patient = models.JSONField(null=True, help_text="The patient's code, sealed")
    closed_to_all = models.BooleanField(default=False)
    entries = models.IntegerField(default=0)
    erased = models.BooleanField(default=False)
    erased_seq = models.BigIntegerField(null=True, blank=True)
    version = models.IntegerField()

    class Meta:
        ordering = ["-ledger_seq"]

    def __str__(self) -> str:
        return f"health record {str(self.aggregate_id)[:8]}"


class ConsentRecord(LedgerLinked):
    """Consent towards one provider: ``closed``, or ``opened`` while closed to all."""

    ledger_registry = "health"

    record = models.ForeignKey(PatientRecord, on_delete=models.CASCADE, related_name="consents")
    provider = models.CharField(max_length=8)
    state = models.CharField(max_length=10, choices=[("closed", "closed"), ("opened", "opened")])

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["record", "provider"], name="health_consent_unique")
        ]


class RepresentativeRecord(LedgerLinked):
    """A representative appointed by the patient (named by key store subject, code sealed)."""

    ledger_registry = "health"

    record = models.ForeignKey(
        PatientRecord, on_delete=models.CASCADE, related_name="representatives"
    )
    subject = models.CharField(max_length=64, db_index=True)
    sealed = models.JSONField(null=True)


class EntryRecord(LedgerLinked):
    """An encounter or prescription; its content only sealed (None after erasure)."""

    ledger_registry = "health"

    record = models.ForeignKey(PatientRecord, on_delete=models.CASCADE, related_name="entry_set")
    number = models.IntegerField()
    kind = models.CharField(max_length=20)
    provider = models.CharField(max_length=8, db_index=True)
    doctor = models.CharField(max_length=11)
    on = models.DateField()
    expires_on = models.DateField(null=True, blank=True)
    dispensed_on = models.DateField(null=True, blank=True)
    pharmacy = models.CharField(max_length=8, blank=True)
    sealed = models.JSONField(null=True)

    class Meta:
        ordering = ["record", "number"]
        constraints = [
            models.UniqueConstraint(fields=["record", "number"], name="health_entry_unique")
        ]
