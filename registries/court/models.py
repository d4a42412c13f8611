"""Read models of the court registry, kept by :mod:`registries.court.projections`
(cases and what they hold) and :mod:`registries.court.processes` (what the
court's final judgments did in other registries).

Never edited directly: the admin and the API change cases only through
commands of :class:`~registries.court.application.CourtRegistry`.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from registries.common.models import KeyAccessBase, LedgerLinked, PersonKeyBase

ERASED = "erased:"
"""How a read model names an erased person: ``erased:`` and their key store subject (a
peppered HMAC of their code), so rows stay apart and show the erasure, not the code."""
CODE_LENGTH = len(ERASED) + 64
"""Room for a personal code, a registry code or an erased person's pseudonym."""


class CaseRecord(LedgerLinked):
    """A court case as the register shows it."""

    ledger_registry = "court"

    KIND_CHOICES = [
        ("criminal", "criminal"),
        ("civil", "civil"),
        ("administrative", "administrative"),
    ]
    STATUS_CHOICES = [("open", "open"), ("closed", "closed")]

    number = models.CharField(max_length=20, primary_key=True)
    aggregate_id = models.UUIDField(unique=True)
    kind = models.CharField(max_length=20, choices=KIND_CHOICES)
    court_code = models.CharField(max_length=8, db_index=True)
    judge_code = models.CharField(max_length=CODE_LENGTH, db_index=True)
    title = models.CharField(max_length=200)
    public = models.BooleanField(
        default=True, help_text="Judgment summaries are public (not in camera)"
    )
    status = models.CharField(max_length=10, choices=STATUS_CHOICES, default="open")
    opened_on = models.DateField()
    closed_on = models.DateField(null=True, blank=True)
    outcome = models.TextField(blank=True)
    version = models.IntegerField(help_text="Version of the case aggregate shown here")

    class Meta:
        ordering = ["-opened_on", "number"]
        verbose_name = _("court case")
        verbose_name_plural = _("court cases")

    def __str__(self) -> str:
        return f"{self.number} ({self.title})"


class PartyRecord(LedgerLinked):
    """A party of a case: a person by personal code or an organisation by registry code."""

    ledger_registry = "court"

    case = models.ForeignKey(CaseRecord, on_delete=models.CASCADE, related_name="parties")
    code = models.CharField(max_length=CODE_LENGTH, db_index=True)
    party_kind = models.CharField(
        max_length=12, choices=[("person", "person"), ("organisation", "organisation")]
    )
    role = models.CharField(max_length=20)

    class Meta:
        ordering = ["case", "id"]
        constraints = [
            models.UniqueConstraint(fields=["case", "code"], name="court_party_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.code} ({self.role})"


class HearingRecord(LedgerLinked):
    """A hearing of a case."""

    ledger_registry = "court"

    case = models.ForeignKey(CaseRecord, on_delete=models.CASCADE, related_name="hearings")
    number = models.IntegerField()
    starts_at = models.DateTimeField(db_index=True)
    room = models.CharField(max_length=50)
    status = models.CharField(
        max_length=10, choices=[("scheduled", "scheduled"), ("cancelled", "cancelled")]
    )
    cancel_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["case", "number"]
        constraints = [
            models.UniqueConstraint(fields=["case", "number"], name="court_hearing_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} hearing {self.number}"


class JudgmentRecord(LedgerLinked):
    """A judgment of a case, with its appeal deadline and finality."""

    ledger_registry = "court"

    STATUS_CHOICES = [
        ("appealable", "appealable"),
        ("appealed", "appealed"),
        ("final", "final"),
        ("set_aside", "set aside"),
    ]

    case = models.ForeignKey(CaseRecord, on_delete=models.CASCADE, related_name="judgments")
    number = models.IntegerField()
    kind = models.CharField(max_length=30, db_index=True)
    summary = models.TextField()
    given_on = models.DateField()
    appeal_deadline = models.DateField()
    judge_code = models.CharField(max_length=CODE_LENGTH)
    company_code = models.CharField(max_length=8, blank=True)
    cadastral_code = models.CharField(max_length=14, blank=True)
    lifts = models.IntegerField(null=True, blank=True, help_text="Seizure order it lifts")
    status = models.CharField(max_length=12, choices=STATUS_CHOICES, default="appealable")
    final_on = models.DateField(null=True, blank=True)
    final_ground = models.CharField(max_length=30, blank=True)
    final_seq = models.BigIntegerField(
        null=True, blank=True, help_text="Court ledger seq of the event that made it final"
    )

    class Meta:
        ordering = ["case", "number"]
        constraints = [
            models.UniqueConstraint(fields=["case", "number"], name="court_judgment_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} judgment {self.number} ({self.kind})"


class AppealRecord(LedgerLinked):
    """An appeal against a judgment."""

    ledger_registry = "court"

    STATUS_CHOICES = [
        ("pending", "pending"),
        ("dismissed", "dismissed"),
        ("allowed", "allowed"),
        ("moot", "moot"),
    ]

    case = models.ForeignKey(CaseRecord, on_delete=models.CASCADE, related_name="appeals")
    number = models.IntegerField()
    judgment = models.IntegerField()
    appellant_code = models.CharField(max_length=CODE_LENGTH, db_index=True)
    grounds = models.TextField()
    filed_on = models.DateField()
    status = models.CharField(max_length=10, choices=STATUS_CHOICES, default="pending")
    decided_on = models.DateField(null=True, blank=True)
    decision_summary = models.TextField(blank=True)
    decided_by = models.CharField(max_length=CODE_LENGTH, blank=True)

    class Meta:
        ordering = ["case", "number"]
        constraints = [
            models.UniqueConstraint(fields=["case", "number"], name="court_appeal_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} appeal {self.number}"


class CovertAccessRecord(LedgerLinked):
    """A judge's authorisation of covert reads of one party's data in one registry.

    Restricted: no admin, no API lists it; the data tracker asks
    :class:`~registries.court.reading.CourtInvestigations` whether a covert
    read is authorised.
    """

    ledger_registry = "court"

    case_number = models.CharField(max_length=20)
    person_code = models.CharField(max_length=CODE_LENGTH)
    registry = models.CharField(max_length=20)
    judge_code = models.CharField(max_length=CODE_LENGTH)
    authorised_seq = models.BigIntegerField(help_text="Ledger seq of the authorisation")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["case_number", "person_code", "registry"], name="court_covert_access_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"covert access under {self.case_number}"


class EnforcementRecord(models.Model):
    """What one final judgment caused in another registry (written by a court process).

    ``cause`` is the string the other registry's event stores, naming the
    court event; ``outcome`` says whether the other registry carried out the
    order or refused it (and why).
    """

    DONE = "done"
    REFUSED = "refused"

    process = models.CharField(max_length=100)
    cause = models.CharField(max_length=200, unique=True)
    case_number = models.CharField(max_length=20, db_index=True)
    judgment = models.IntegerField()
    court_seq = models.BigIntegerField(help_text="Court ledger seq of the final judgment event")
    registry = models.CharField(max_length=32)
    action = models.CharField(max_length=40)
    target = models.CharField(max_length=CODE_LENGTH)
    outcome = models.CharField(max_length=10, choices=[(DONE, DONE), (REFUSED, REFUSED)])
    detail = models.TextField(blank=True)
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["court_seq"]

    def __str__(self) -> str:
        return f"{self.action} {self.target} ({self.outcome})"


class PersonKey(PersonKeyBase):
    """A person's or a case's data key: seals personal data and case content in court
    events (:mod:`registries.common.sealing`)."""

    class Meta(PersonKeyBase.Meta):
        pass


class KeyAccess(KeyAccessBase):
    """Audit trail of the court key store: creates, destroys and refused uses."""

    class Meta(KeyAccessBase.Meta):
        pass
