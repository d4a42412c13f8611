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

    number = models.CharField(max_length=20, primary_key=True, verbose_name=_("number"))
    aggregate_id = models.UUIDField(unique=True, verbose_name=_("aggregate id"))
    kind = models.CharField(max_length=20, choices=KIND_CHOICES, verbose_name=_("kind"))
    court_code = models.CharField(max_length=8, db_index=True, verbose_name=_("court code"))
    judge_code = models.CharField(
        max_length=CODE_LENGTH, db_index=True, verbose_name=_("judge code")
    )
    title = models.CharField(max_length=200, verbose_name=_("title"))
    public = models.BooleanField(
        default=True,
        help_text="Judgment summaries are public (not in camera)",
        verbose_name=_("public"),
    )
    status = models.CharField(
        max_length=10, choices=STATUS_CHOICES, default="open", verbose_name=_("status")
    )
    opened_on = models.DateField(verbose_name=_("opened on"))
    closed_on = models.DateField(null=True, blank=True, verbose_name=_("closed on"))
    outcome = models.TextField(blank=True, verbose_name=_("outcome"))
    version = models.IntegerField(
        help_text="Version of the case aggregate shown here", verbose_name=_("version")
    )

    class Meta:
        ordering = ["-opened_on", "number"]
        verbose_name = _("court case")
        verbose_name_plural = _("court cases")

    def __str__(self) -> str:
        return f"{self.number} ({self.title})"


class PartyRecord(LedgerLinked):
    """A party of a case: a person by personal code or an organisation by registry code."""

    ledger_registry = "court"

    case = models.ForeignKey(
        CaseRecord, on_delete=models.CASCADE, related_name="parties", verbose_name=_("case")
    )
    code = models.CharField(max_length=CODE_LENGTH, db_index=True, verbose_name=_("code"))
    party_kind = models.CharField(
        max_length=12,
        choices=[("person", "person"), ("organisation", "organisation")],
        verbose_name=_("party kind"),
    )
    role = models.CharField(max_length=20, verbose_name=_("role"))

    class Meta:
        verbose_name = _("party")
        verbose_name_plural = _("parties")
        ordering = ["case", "id"]
        constraints = [
            models.UniqueConstraint(fields=["case", "code"], name="court_party_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.code} ({self.role})"


class HearingRecord(LedgerLinked):
    """A hearing of a case."""

    ledger_registry = "court"

    case = models.ForeignKey(
        CaseRecord, on_delete=models.CASCADE, related_name="hearings", verbose_name=_("case")
    )
    number = models.IntegerField(verbose_name=_("number"))
    starts_at = models.DateTimeField(db_index=True, verbose_name=_("starts at"))
    room = models.CharField(max_length=50, verbose_name=_("room"))
    status = models.CharField(
        max_length=10,
        choices=[("scheduled", "scheduled"), ("cancelled", "cancelled")],
        verbose_name=_("status"),
    )
    cancel_reason = models.TextField(blank=True, verbose_name=_("cancel reason"))

    class Meta:
        verbose_name = _("hearing")
        verbose_name_plural = _("hearings")
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

    case = models.ForeignKey(
        CaseRecord, on_delete=models.CASCADE, related_name="judgments", verbose_name=_("case")
    )
    number = models.IntegerField(verbose_name=_("number"))
    kind = models.CharField(max_length=30, db_index=True, verbose_name=_("kind"))
    summary = models.TextField(verbose_name=_("summary"))
    given_on = models.DateField(verbose_name=_("given on"))
    appeal_deadline = models.DateField(verbose_name=_("appeal deadline"))
    judge_code = models.CharField(max_length=CODE_LENGTH, verbose_name=_("judge code"))
    company_code = models.CharField(max_length=8, blank=True, verbose_name=_("company code"))
    cadastral_code = models.CharField(max_length=14, blank=True, verbose_name=_("cadastral code"))
    lifts = models.IntegerField(
        null=True, blank=True, help_text="Seizure order it lifts", verbose_name=_("lifts")
    )
    status = models.CharField(
        max_length=12, choices=STATUS_CHOICES, default="appealable", verbose_name=_("status")
    )
    final_on = models.DateField(null=True, blank=True, verbose_name=_("final on"))
    final_ground = models.CharField(max_length=30, blank=True, verbose_name=_("final ground"))
    final_seq = models.BigIntegerField(
        null=True,
        blank=True,
        help_text="Court ledger seq of the event that made it final",
        verbose_name=_("final seq"),
    )

    class Meta:
        verbose_name = _("judgment")
        verbose_name_plural = _("judgments")
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

    case = models.ForeignKey(
        CaseRecord, on_delete=models.CASCADE, related_name="appeals", verbose_name=_("case")
    )
    number = models.IntegerField(verbose_name=_("number"))
    judgment = models.IntegerField(verbose_name=_("judgment"))
    appellant_code = models.CharField(
        max_length=CODE_LENGTH, db_index=True, verbose_name=_("appellant code")
    )
    grounds = models.TextField(verbose_name=_("grounds"))
    filed_on = models.DateField(verbose_name=_("filed on"))
    status = models.CharField(
        max_length=10, choices=STATUS_CHOICES, default="pending", verbose_name=_("status")
    )
    decided_on = models.DateField(null=True, blank=True, verbose_name=_("decided on"))
    decision_summary = models.TextField(blank=True, verbose_name=_("decision summary"))
    decided_by = models.CharField(max_length=CODE_LENGTH, blank=True, verbose_name=_("decided by"))

    class Meta:
        verbose_name = _("appeal")
        verbose_name_plural = _("appeals")
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

    case_number = models.CharField(max_length=20, verbose_name=_("case number"))
    person_code = models.CharField(max_length=CODE_LENGTH, verbose_name=_("person code"))
    registry = models.CharField(max_length=20, verbose_name=_("registry"))
    judge_code = models.CharField(max_length=CODE_LENGTH, verbose_name=_("judge code"))
    authorised_seq = models.BigIntegerField(
        help_text="Ledger seq of the authorisation", verbose_name=_("authorised seq")
    )

    class Meta:
        verbose_name = _("covert access authorisation")
        verbose_name_plural = _("covert access authorisations")
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

    process = models.CharField(max_length=100, verbose_name=_("process"))
    cause = models.CharField(max_length=200, unique=True, verbose_name=_("cause"))
    case_number = models.CharField(max_length=20, db_index=True, verbose_name=_("case number"))
    judgment = models.IntegerField(verbose_name=_("judgment"))
    court_seq = models.BigIntegerField(
        help_text="Court ledger seq of the final judgment event", verbose_name=_("court seq")
    )
    registry = models.CharField(max_length=32, verbose_name=_("registry"))
    action = models.CharField(max_length=40, verbose_name=_("action"))
    target = models.CharField(max_length=CODE_LENGTH, verbose_name=_("target"))
    outcome = models.CharField(
        max_length=10, choices=[(DONE, DONE), (REFUSED, REFUSED)], verbose_name=_("outcome")
    )
    detail = models.TextField(blank=True, verbose_name=_("detail"))
    recorded_at = models.DateTimeField(auto_now_add=True, verbose_name=_("recorded at"))

    class Meta:
        verbose_name = _("enforcement")
        verbose_name_plural = _("enforcements")
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
