"""Read models of the health registry and its per-person key store.

No table here holds a patient's personal code or health content in the
clear: records are named by the key store subject (a peppered HMAC of the
code), contents are the sealed values of the events (ciphertext), opened
only when an allowed reader asks (and every opening is audited). Erasure
destroys the key and empties the sealed columns.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

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

    aggregate_id = models.UUIDField(unique=True, verbose_name=_("aggregate id"))
    subject = models.CharField(
        max_length=64, unique=True, help_text="HMAC of the personal code", verbose_name=_("subject")
    )
    key_id = models.CharField(max_length=32, verbose_name=_("key id"))
    sealed_patient = models.JSONField(
        null=True, help_text="The patient's code, sealed", verbose_name=_("sealed patient")
    )
    closed_to_all = models.BooleanField(default=False, verbose_name=_("closed to all"))
    entries = models.IntegerField(default=0, verbose_name=_("entries"))
    erased = models.BooleanField(default=False, verbose_name=_("erased"))
    erased_seq = models.BigIntegerField(null=True, blank=True, verbose_name=_("erased seq"))
    version = models.IntegerField(verbose_name=_("version"))

    class Meta:
        verbose_name = _("patient record")
        verbose_name_plural = _("patient records")
        ordering = ["-ledger_seq"]

    def __str__(self) -> str:
        return f"health record {str(self.aggregate_id)[:8]}"


class ConsentRecord(LedgerLinked):
    """Consent towards one provider: ``closed``, or ``opened`` while closed to all."""

    ledger_registry = "health"

    record = models.ForeignKey(
        PatientRecord, on_delete=models.CASCADE, related_name="consents", verbose_name=_("record")
    )
    provider = models.CharField(max_length=8, verbose_name=_("provider"))
    state = models.CharField(
        max_length=10, choices=[("closed", "closed"), ("opened", "opened")], verbose_name=_("state")
    )

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        constraints = [
            models.UniqueConstraint(fields=["record", "provider"], name="health_consent_unique")
        ]


class RepresentativeRecord(LedgerLinked):
    """A representative appointed by the patient (named by key store subject, code sealed)."""

    ledger_registry = "health"

    record = models.ForeignKey(
        PatientRecord,
        on_delete=models.CASCADE,
        related_name="representatives",
        verbose_name=_("record"),
    )
    subject = models.CharField(max_length=64, db_index=True, verbose_name=_("subject"))
    sealed = models.JSONField(null=True, verbose_name=_("sealed"))

    class Meta:
        verbose_name = _("patient's representative")
        verbose_name_plural = _("patients' representatives")


class EntryRecord(LedgerLinked):
    """An encounter or prescription; its content only sealed (None after erasure)."""

    ledger_registry = "health"

    record = models.ForeignKey(
        PatientRecord, on_delete=models.CASCADE, related_name="entry_set", verbose_name=_("record")
    )
    number = models.IntegerField(verbose_name=_("number"))
    kind = models.CharField(max_length=20, verbose_name=_("kind"))
    provider = models.CharField(max_length=8, db_index=True, verbose_name=_("provider"))
    doctor = models.CharField(max_length=11, verbose_name=_("doctor"))
    on = models.DateField(verbose_name=_("on"))
    expires_on = models.DateField(null=True, blank=True, verbose_name=_("expires on"))
    dispensed_on = models.DateField(null=True, blank=True, verbose_name=_("dispensed on"))
    pharmacy = models.CharField(max_length=8, blank=True, verbose_name=_("pharmacy"))
    sealed = models.JSONField(null=True, verbose_name=_("sealed"))

    class Meta:
        verbose_name = _("health record entry")
        verbose_name_plural = _("health record entries")
        ordering = ["record", "number"]
        constraints = [
            models.UniqueConstraint(fields=["record", "number"], name="health_entry_unique")
        ]
