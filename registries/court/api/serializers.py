"""Serializers of the court registry API.

Read serializers render the read models for two audiences (see
:mod:`registries.court.api.views` for who is which): the public register and
the full record (the case's parties and the court's judges). Command
serializers check types and ranges at the edge; the court's rules come back
from the registry as errors.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from registries.common.api.dates import RegistryDateField, RegistryDateTimeField
from registries.common.api.serializers import (
    StrictCharField,
    StrictIntegerField,
    enum_field,
    history_entry_serializer,
    ledger_history,
    ledger_status_serializer,
    names_field,
    shows_names,
)
from registries.common.api.text import visible_text
from registries.common.statuses import record_ledger_status
from registries.court.models import (
    AppealRecord,
    CaseRecord,
    EnforcementRecord,
    HearingRecord,
    JudgmentRecord,
    PartyRecord,
)
from registries.court.vocabulary import (
    ALL_PARTY_ROLES,
    APPEAL_DECISIONS,
    CASE_KINDS,
    COVERT_REGISTRIES,
    CRIMINAL,
    JUDGMENT_KINDS,
    MAX_ROOM_LENGTH,
    MAX_TEXT_LENGTH,
    MAX_TITLE_LENGTH,
    PERSON,
)
from registries.identity.services import names_of

REGISTRY = "court"


def shows_person_codes(case: CaseRecord) -> bool:
    """Whether the public register shows natural persons' personal codes in this case.

    Never in criminal cases (the accused is presumed innocent, and a personal
    code identifies them for life) nor in cases heard in camera; in public
    civil and administrative cases the parties are part of the public record.
    Organisations' registry codes are public in every case.
    """
    return case.public and case.kind != CRIMINAL


# Read side ------------------------------------------------------------------------------------


CourtLedgerStatusSerializer = ledger_status_serializer(
    "CourtLedgerStatus", seq_help="Court ledger seq of the event"
)


CourtHistoryEntrySerializer = history_entry_serializer(
    "CourtHistoryEntry",
    "One event of a case on the court's ledger.",
    "Opened or JudgmentRecorded",
)


class CaseSummarySerializer(serializers.ModelSerializer[CaseRecord]):
    """A case as the public register lists it."""

    kind = serializers.CharField(help_text="criminal, civil or administrative")
    status = serializers.CharField(help_text="open or closed")
    ledger = serializers.SerializerMethodField()

    class Meta:
        model = CaseRecord
        fields = [
            "number",
            "kind",
            "court_code",
            "title",
            "public",
            "status",
            "opened_on",
            "closed_on",
            "ledger",
        ]

    @extend_schema_field(CourtLedgerStatusSerializer)
    def get_ledger(self, record: CaseRecord) -> dict[str, object]:
        return record_ledger_status(record).as_dict()


class PartySerializer(serializers.Serializer[Any]):
    """A party: its role and kind; its code unless the register withholds it."""

    role = serializers.CharField()
    party_kind = serializers.CharField(help_text="person or organisation")
    code = serializers.CharField(
        allow_null=True,
        help_text="Registry code, or personal code where the register shows it (else null)",
    )


class HearingSerializer(serializers.ModelSerializer[HearingRecord]):
    """A hearing of the case."""

    status = serializers.CharField(help_text="scheduled or cancelled")

    class Meta:
        model = HearingRecord
        fields = ["number", "starts_at", "room", "status", "cancel_reason", "ledger_seq"]


class JudgmentSerializer(serializers.Serializer[Any]):
    """A judgment: summary only where the register shows it."""

    number = serializers.IntegerField()
    kind = serializers.CharField()
    summary = serializers.CharField(
        allow_null=True, help_text="Null for a case heard in camera (not public)"
    )
    given_on = serializers.DateField()
    appeal_deadline = serializers.DateField(help_text="Last day on which a party may appeal")
    status = serializers.CharField(help_text="appealable, appealed, final or set_aside")
    final_on = serializers.DateField(allow_null=True)
    final_ground = serializers.CharField(help_text="appeal-deadline-passed or appeal-dismissed")
    final_seq = serializers.IntegerField(
        allow_null=True, help_text="Court ledger seq of the event that made it final"
    )
    company_code = serializers.CharField(help_text="Debtor company of an insolvency")
    cadastral_code = serializers.CharField(help_text="Land unit of a seizure order or lift")
    lifts = serializers.IntegerField(allow_null=True, help_text="Seizure order a lift lifts")
    ledger_seq = serializers.IntegerField(allow_null=True)


class AppealSerializer(serializers.Serializer[Any]):
    """An appeal against a judgment."""

    number = serializers.IntegerField()
    judgment = serializers.IntegerField()
    appellant_code = serializers.CharField(
        allow_null=True, help_text="Personal code where the register shows it (else null)"
    )
    grounds = serializers.CharField(allow_null=True)
    filed_on = serializers.DateField()
    status = serializers.CharField(help_text="pending, dismissed, allowed or moot")
    decided_on = serializers.DateField(allow_null=True)
    decision_summary = serializers.CharField(allow_null=True)
    ledger_seq = serializers.IntegerField(allow_null=True)


class EnforcementSerializer(serializers.ModelSerializer[EnforcementRecord]):
    """What a final judgment did in another registry."""

    outcome = serializers.CharField(help_text="done or refused")

    class Meta:
        model = EnforcementRecord
        fields = [
            "judgment",
            "registry",
            "action",
            "target",
            "outcome",
            "detail",
            "cause",
            "court_seq",
        ]


class CaseDetailSerializer(CaseSummarySerializer):
    """A case's register card: public parts for everyone, everything for its parties
    and the court's judges (``full`` in the serializer context)."""

    judge_code = serializers.SerializerMethodField()
    parties = serializers.SerializerMethodField()
    hearings = HearingSerializer(many=True, read_only=True)
    judgments = serializers.SerializerMethodField()
    appeals = serializers.SerializerMethodField()
    enforcement = serializers.SerializerMethodField()
    outcome = serializers.CharField()
    full_record = serializers.SerializerMethodField()
    names = serializers.SerializerMethodField()
    history = serializers.SerializerMethodField()

    class Meta(CaseSummarySerializer.Meta):
        fields = [
            *CaseSummarySerializer.Meta.fields,
            "judge_code",
            "outcome",
            "parties",
            "hearings",
            "judgments",
            "appeals",
            "enforcement",
            "full_record",
            "names",
            "history",
        ]

    def _full(self) -> bool:
        return bool(self.context.get("full", False))

    def _shows_summaries(self, record: CaseRecord) -> bool:
        return self._full() or record.public

    def _person_code(self, record: CaseRecord, code: str, kind: str) -> str | None:
        if kind != PERSON or self._full() or shows_person_codes(record):
            return code
        return None

    @extend_schema_field(
        names_field(
            "the court, the parties whose codes this answer shows and, in the full record, "
            "the judge (a name is shown only where its code is)",
            REGISTRY,
        )
    )
    def get_names(self, record: CaseRecord) -> dict[str, str]:
        """The names beside the codes this answer shows, and no other."""
        if not shows_names(self, REGISTRY):
            return {}
        shown: list[str | None] = [record.court_code]
        shown += [self._person_code(record, p.code, p.party_kind) for p in record.parties.all()]
        if self._full():
            shown.append(record.judge_code)
        return names_of(code for code in shown if code is not None)

    @extend_schema_field(serializers.BooleanField())
    def get_full_record(self, record: CaseRecord) -> bool:
        """Whether this answer is the full record (the caller is a party or a judge)."""
        return self._full()

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_judge_code(self, record: CaseRecord) -> str | None:
        return record.judge_code if self._full() else None

    @extend_schema_field(PartySerializer(many=True))
    def get_parties(self, record: CaseRecord) -> list[dict[str, Any]]:
        parties: list[PartyRecord] = list(record.parties.all())
        return [
            {
                "role": p.role,
                "party_kind": p.party_kind,
                "code": self._person_code(record, p.code, p.party_kind),
            }
            for p in parties
        ]

    @extend_schema_field(JudgmentSerializer(many=True))
    def get_judgments(self, record: CaseRecord) -> list[dict[str, Any]]:
        judgments: list[JudgmentRecord] = list(record.judgments.all())
        summaries = self._shows_summaries(record)
        return [
            {
                "number": j.number,
                "kind": j.kind,
                "summary": j.summary if summaries else None,
                "given_on": j.given_on,
                "appeal_deadline": j.appeal_deadline,
                "status": j.status,
                "final_on": j.final_on,
                "final_ground": j.final_ground,
                "final_seq": j.final_seq,
                "company_code": j.company_code,
                "cadastral_code": j.cadastral_code,
                "lifts": j.lifts,
                "ledger_seq": j.ledger_seq,
            }
            for j in judgments
        ]

    @extend_schema_field(AppealSerializer(many=True))
    def get_appeals(self, record: CaseRecord) -> list[dict[str, Any]]:
        appeals: list[AppealRecord] = list(record.appeals.all())
        summaries = self._shows_summaries(record)
        return [
            {
                "number": a.number,
                "judgment": a.judgment,
                "appellant_code": self._person_code(record, a.appellant_code, PERSON),
                "grounds": a.grounds if summaries else None,
                "filed_on": a.filed_on,
                "status": a.status,
                "decided_on": a.decided_on,
                "decision_summary": a.decision_summary if summaries else None,
                "ledger_seq": a.ledger_seq,
            }
            for a in appeals
        ]

    @extend_schema_field(EnforcementSerializer(many=True))
    def get_enforcement(self, record: CaseRecord) -> Any:
        found = EnforcementRecord.objects.filter(case_number=record.number)
        return EnforcementSerializer(found, many=True).data

    @extend_schema_field(CourtHistoryEntrySerializer(many=True))
    def get_history(self, record: CaseRecord) -> list[dict[str, Any]]:
        return ledger_history(REGISTRY, record.aggregate_id)


class CaseFilterSerializer(serializers.Serializer[Any]):
    """Query parameters of the case search."""

    q = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=MAX_TITLE_LENGTH,
        help_text="An exact case number (2-25-1234) or part of the title",
    )
    kind = enum_field(
        "CourtCaseKind", list(CASE_KINDS), "Kind of case", required=False, allow_blank=True
    )
    status = enum_field(
        "CourtCaseStatus", ["open", "closed"], "open or closed", required=False, allow_blank=True
    )
    court_code = serializers.RegexField(
        # Empty means not given, as for every query parameter.
        r"^([0-9]{8})?$",
        required=False,
        allow_blank=True,
        help_text="Registry code of the court",
    )
    page = serializers.IntegerField(required=False, min_value=1, help_text="Page number")


@extend_schema_field(
    {"type": "string", "pattern": r"^([0-9]{4}-[0-9]{2}-[0-9]{2})?$", "example": "2026-03-02"}
)
class OptionalDateField(RegistryDateField):
    """A YYYY-MM-DD query parameter that may be sent empty (meaning: not given)."""


class HearingFilterSerializer(serializers.Serializer[Any]):
    """Query parameters of the hearing calendar."""

    date = OptionalDateField(required=False, help_text="Day of the hearings (default today)")
    court_code = serializers.RegexField(
        # Empty means not given, as for every query parameter.
        r"^([0-9]{8})?$",
        required=False,
        allow_blank=True,
        help_text="Registry code of the court",
    )
    page = serializers.IntegerField(required=False, min_value=1, help_text="Page number")


class CalendarHearingSerializer(serializers.ModelSerializer[HearingRecord]):
    """A scheduled hearing in the public calendar."""

    case_number = serializers.CharField(source="case.number")
    kind = serializers.CharField(source="case.kind")
    court_code = serializers.CharField(source="case.court_code")
    title = serializers.CharField(source="case.title")

    class Meta:
        model = HearingRecord
        fields = ["case_number", "kind", "court_code", "title", "number", "starts_at", "room"]


# Commands --------------------------------------------------------------------------------------


class CaseOpeningSerializer(serializers.Serializer[Any]):
    """A new case."""

    kind = enum_field("CourtCaseKind", list(CASE_KINDS), "Kind of case")
    court_code = StrictCharField(max_length=8, help_text="Registry code of the court")
    judge = StrictCharField(
        max_length=11,
        required=False,
        help_text="Personal code of the assigned judge (default: you)",
    )
    title = StrictCharField(
        max_length=MAX_TITLE_LENGTH,
        validators=[visible_text],
        help_text="What the case is about (public; no personal data)",
    )
    public = serializers.BooleanField(
        default=True, help_text="False for a case heard in camera (summaries not public)"
    )


class PartyInputSerializer(serializers.Serializer[Any]):
    """A party to add."""

    code = StrictCharField(
        max_length=11, help_text="Personal code (11 digits) or registry code (8 digits)"
    )
    role = enum_field("CourtPartyRole", list(ALL_PARTY_ROLES), "Role of a party in a case")


class CovertAccessInputSerializer(serializers.Serializer[Any]):
    """Whose data in which registries may be read covertly under the case."""

    persons = serializers.ListField(
        child=StrictCharField(max_length=11),
        min_length=1,
        max_length=200,
        help_text="Personal codes of parties of the case",
    )
    registries = serializers.ListField(
        child=enum_field(
            "CourtCovertRegistry", list(COVERT_REGISTRIES), "A registry whose data is read"
        ),
        min_length=1,
        max_length=len(COVERT_REGISTRIES),
    )


class CovertAccessSerializer(CovertAccessInputSerializer):
    """A covert access authorised under a case (the answer shows no case card: reading the
    card would be a tracked read of the parties, telling them of the authorisation)."""

    number = StrictCharField(max_length=20, help_text="The criminal case")


class HearingInputSerializer(serializers.Serializer[Any]):
    """When and where a hearing takes place."""

    starts_at = RegistryDateTimeField(help_text="ISO 8601 with time zone")
    room = StrictCharField(max_length=MAX_ROOM_LENGTH)


class HearingCancellationSerializer(serializers.Serializer[Any]):
    """Why a hearing is cancelled."""

    reason = StrictCharField(max_length=MAX_TEXT_LENGTH)


class JudgmentInputSerializer(serializers.Serializer[Any]):
    """A judgment as the judge gives it."""

    kind = enum_field("CourtJudgmentKind", list(JUDGMENT_KINDS), "Kind of judgment")
    summary = StrictCharField(max_length=MAX_TEXT_LENGTH)
    given_on = RegistryDateField(
        required=False, help_text="Date of the judgment (default today; not in the future)"
    )
    company_code = StrictCharField(
        max_length=8, required=False, default="", help_text="insolvency-declaration: the debtor"
    )
    cadastral_code = StrictCharField(
        max_length=14,
        required=False,
        default="",
        help_text="seizure-order, seizure-lift: the land unit (78401:101:0010)",
    )
    lifts = StrictIntegerField(
        min_value=1,
        max_value=1_000_000,
        required=False,
        default=0,
        help_text="seizure-lift: number of the seizure-order judgment",
    )


class FinalitySerializer(serializers.Serializer[Any]):
    """Declaring a judgment final takes no data."""


class AppealInputSerializer(serializers.Serializer[Any]):
    """A party's appeal."""

    grounds = StrictCharField(max_length=MAX_TEXT_LENGTH)


class AppealDecisionSerializer(serializers.Serializer[Any]):
    """The decision on an appeal."""

    decision = enum_field(
        "CourtAppealDecision",
        list(APPEAL_DECISIONS),
        "dismissed: the judgment stands (and becomes final); allowed: it is set aside",
    )
    summary = StrictCharField(max_length=MAX_TEXT_LENGTH)


class ClosureSerializer(serializers.Serializer[Any]):
    """How the case ended."""

    outcome = StrictCharField(max_length=MAX_TEXT_LENGTH)
