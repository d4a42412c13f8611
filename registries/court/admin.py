"""The courts' admin for the court registry.

Cases are listed, searched (case number, a party's code, part of the title)
and filtered (kind, status, public, court), and shown read-only with their
parties, hearings, judgments, appeals, what their final judgments did in other
registries, the case's ledger seq, block and level and its ledger history.
Every change is a command issued through a form: open a case, add a party,
schedule, reschedule or cancel a hearing, record a judgment, declare it
final, decide an appeal, close the case. A refused command shows the
registry's message as a form error and writes nothing.

Who may act: judges of the court registry (a user whose username is their
personal code and who holds the judge appointment). The registry itself
refuses commands on a case from any judge but its own (except deciding an
appeal, which must be another judge). Cases hold personal data: besides
judges, only staff granted Django's ``court.view_caserecord`` see them.
Parties file appeals through the API.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from registries.access.roles import user_has_role
from registries.common.admin import CommandAdmin, CommandForm, RecordCommand, html_table
from registries.common.api import text_contains
from registries.common.api.serializers import ledger_history
from registries.court.application import CourtRegistry
from registries.court.domain import (
    ALL_PARTY_ROLES,
    APPEAL_DECISIONS,
    CASE_KINDS,
    JUDGMENT_KINDS,
    MAX_ROOM_LENGTH,
    MAX_TEXT_LENGTH,
    MAX_TITLE_LENGTH,
    Order,
)
from registries.court.models import CaseRecord, EnforcementRecord
from registries.court.projections import PROJECTIONS
from registries.court.reading import track_court_read

_CASE_NUMBER = re.compile(r"^[1-3]-[0-9]{2}-[0-9]+$")
_DIGITS = re.compile(r"^[0-9]+$")


def can_act_in_court(request: HttpRequest) -> bool:
    """Judges of the court registry issue its commands."""
    user = request.user
    return bool(user.is_authenticated and user.is_active) and user_has_role(user, "court", "judge")


def _text_area(max_length: int = MAX_TEXT_LENGTH, **kwargs: Any) -> forms.CharField:
    return forms.CharField(
        max_length=max_length, widget=forms.Textarea(attrs={"rows": 3}), **kwargs
    )


def _datetime_field(**kwargs: Any) -> forms.DateTimeField:
    return forms.DateTimeField(
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text="Local time (Europe/Tallinn).",
        **kwargs,
    )


# Forms -------------------------------------------------------------------------------------------


class CaseOpeningForm(CommandForm):
    kind = forms.ChoiceField(choices=list(CASE_KINDS.items()))
    court_code = forms.CharField(max_length=8, help_text="Registry code of the court.")
    judge = forms.CharField(
        max_length=11,
        required=False,
        help_text="Personal code of the assigned judge (empty: yourself).",
    )
    title = forms.CharField(
        max_length=MAX_TITLE_LENGTH, help_text="Public: what the case is about, no personal data."
    )
    public = forms.BooleanField(
        required=False, initial=True, help_text="Untick for a case heard in camera."
    )


class PartyForm(CommandForm):
    code = forms.CharField(
        max_length=11, help_text="Personal code (11 digits) or registry code (8 digits)."
    )
    role = forms.ChoiceField(choices=[(r, r) for r in ALL_PARTY_ROLES])


class HearingForm(CommandForm):
    starts_at = _datetime_field(label="Starts at")
    room = forms.CharField(max_length=MAX_ROOM_LENGTH)


def _choices(field: forms.Field) -> forms.ChoiceField:
    assert isinstance(field, forms.ChoiceField)
    return field


class RescheduleForm(HearingForm):
    hearing = forms.TypedChoiceField(coerce=int)
    field_order = ["hearing", "starts_at", "room"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        hearings = self.record.hearings.filter(status="scheduled") if self.record else []
        _choices(self.fields["hearing"]).choices = [
            (h.number, f"{h.number}: {timezone.localtime(h.starts_at):%Y-%m-%d %H:%M}, {h.room}")
            for h in hearings
        ]


class CancelHearingForm(CommandForm):
    hearing = forms.TypedChoiceField(coerce=int)
    reason = _text_area()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        hearings = self.record.hearings.filter(status="scheduled") if self.record else []
        _choices(self.fields["hearing"]).choices = [
            (h.number, f"{h.number}: {timezone.localtime(h.starts_at):%Y-%m-%d %H:%M}, {h.room}")
            for h in hearings
        ]


class JudgmentForm(CommandForm):
    kind = forms.ChoiceField(choices=[(k, k) for k in JUDGMENT_KINDS])
    summary = _text_area()
    given_on = forms.DateField(
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Date of the judgment (empty: today).",
    )
    company_code = forms.CharField(
        max_length=8, required=False, help_text="Insolvency: registry code of the debtor company."
    )
    cadastral_code = forms.CharField(
        max_length=14, required=False, help_text="Seizure order or lift: e.g. 78401:101:0010."
    )
    lifts = forms.IntegerField(
        min_value=1, required=False, help_text="Seizure lift: number of the seizure-order judgment."
    )

    def order(self) -> Order:
        data = self.cleaned_data
        return Order(
            kind=data["kind"],
            summary=data["summary"],
            given_on=data["given_on"] or timezone.localdate(),
            company_code=data["company_code"] or "",
            cadastral_code=data["cadastral_code"] or "",
            lifts=data["lifts"] or 0,
        )


class FinalityForm(CommandForm):
    judgment = forms.TypedChoiceField(coerce=int)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        judgments = self.record.judgments.filter(status="appealable") if self.record else []
        _choices(self.fields["judgment"]).choices = [
            (j.number, f"{j.number}: {j.kind}, appeal deadline {j.appeal_deadline:%Y-%m-%d}")
            for j in judgments
        ]


class AppealDecisionForm(CommandForm):
    appeal = forms.TypedChoiceField(coerce=int)
    decision = forms.ChoiceField(
        choices=[(d, d) for d in APPEAL_DECISIONS],
        help_text="dismissed: the judgment stands; allowed: it is set aside.",
    )
    summary = _text_area()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        appeals = self.record.appeals.filter(status="pending") if self.record else []
        _choices(self.fields["appeal"]).choices = [
            (a.number, f"{a.number}: against judgment {a.judgment}, filed {a.filed_on:%Y-%m-%d}")
            for a in appeals
        ]


class ClosureForm(CommandForm):
    outcome = _text_area()


# Commands on a case ----------------------------------------------------------------------------


def _open(record: CaseRecord) -> bool:
    return record.status == "open"


def _has_scheduled_hearing(record: CaseRecord) -> bool:
    return _open(record) and record.hearings.filter(status="scheduled").exists()


def _has_appealable_judgment(record: CaseRecord) -> bool:
    return _open(record) and record.judgments.filter(status="appealable").exists()


def _has_pending_appeal(record: CaseRecord) -> bool:
    return _open(record) and record.appeals.filter(status="pending").exists()


def _today() -> Any:
    return timezone.localdate()


def _judgment_order(form: CommandForm) -> Order:
    assert isinstance(form, JudgmentForm)
    return form.order()


CASE_COMMANDS = {
    command.slug: command
    for command in [
        RecordCommand(
            "add-party",
            "Add party",
            PartyForm,
            lambda app, record, form, who: app.add_party(
                record.number, form.cleaned_data["code"], form.cleaned_data["role"], who
            ),
            "Party added",
            available=_open,
        ),
        RecordCommand(
            "schedule-hearing",
            "Schedule hearing",
            HearingForm,
            lambda app, record, form, who: app.schedule_hearing(
                record.number,
                form.cleaned_data["starts_at"],
                form.cleaned_data["room"],
                who,
                _today(),
            ),
            "Hearing scheduled",
            available=_open,
        ),
        RecordCommand(
            "reschedule-hearing",
            "Reschedule hearing",
            RescheduleForm,
            lambda app, record, form, who: app.reschedule_hearing(
                record.number,
                form.cleaned_data["hearing"],
                form.cleaned_data["starts_at"],
                form.cleaned_data["room"],
                who,
                _today(),
            ),
            "Hearing rescheduled",
            available=_has_scheduled_hearing,
        ),
        RecordCommand(
            "cancel-hearing",
            "Cancel hearing",
            CancelHearingForm,
            lambda app, record, form, who: app.cancel_hearing(
                record.number, form.cleaned_data["hearing"], form.cleaned_data["reason"], who
            ),
            "Hearing cancelled",
            available=_has_scheduled_hearing,
        ),
        RecordCommand(
            "record-judgment",
            "Record judgment",
            JudgmentForm,
            lambda app, record, form, who: app.record_judgment(
                record.number, _judgment_order(form), who, _today()
            ),
            "Judgment recorded",
            available=_open,
        ),
        RecordCommand(
            "declare-final",
            "Declare judgment final",
            FinalityForm,
            lambda app, record, form, who: app.declare_final(
                record.number, form.cleaned_data["judgment"], who, _today()
            ),
            "Judgment declared final",
            available=_has_appealable_judgment,
        ),
        RecordCommand(
            "decide-appeal",
            "Decide appeal",
            AppealDecisionForm,
            lambda app, record, form, who: app.decide_appeal(
                record.number,
                form.cleaned_data["appeal"],
                form.cleaned_data["decision"],
                form.cleaned_data["summary"],
                who,
                _today(),
            ),
            "Appeal decided",
            available=_has_pending_appeal,
        ),
        RecordCommand(
            "close",
            "Close case",
            ClosureForm,
            lambda app, record, form, who: app.close_case(
                record.number, form.cleaned_data["outcome"], who, _today()
            ),
            "Case closed",
            available=_open,
        ),
    ]
}


@admin.register(CaseRecord)
class CaseRecordAdmin(CommandAdmin):
    """Court cases: read-only records; changes only through command forms."""

    application = CourtRegistry
    projections = PROJECTIONS
    commands = CASE_COMMANDS
    add_form = CaseOpeningForm
    add_title = "Open case"
    list_per_page = 50

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        """The case page shows its parties: the data tracker records the read."""
        record = self.get_object(request, unquote(object_id))
        if record is not None:
            track_court_read(request.user, [record], f"case {record.number} (admin)", None)
        return super().change_view(request, object_id, form_url, extra_context)

    list_display = [
        "number",
        "title",
        "kind",
        "court_code",
        "status",
        "opened_on",
        "ledger_seq",
        "block_height",
        "ledger_level",
    ]
    list_display_links = ["number", "title"]
    list_filter = ["kind", "status", "public", "court_code"]
    search_fields = ["=number", "title", "=parties__code"]  # see get_search_results
    search_help_text = "A case number, a party's personal or registry code, or part of the title"
    ordering = ["-opened_on", "number"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "number",
                    "kind",
                    "court_code",
                    "judge_code",
                    "title",
                    "public",
                    "status",
                    "opened_on",
                    "closed_on",
                    "outcome",
                ]
            },
        ),
        ("Parties", {"fields": ["parties_table"]}),
        ("Hearings", {"fields": ["hearings_table"]}),
        ("Judgments", {"fields": ["judgments_table"]}),
        ("Appeals", {"fields": ["appeals_table"]}),
        ("Effects in other registries", {"fields": ["enforcement_table"]}),
        ("On the chain", {"fields": ["ledger_seq", "block_height", "ledger_level", "version"]}),
        ("Ledger history", {"fields": ["history_table"]}),
    ]
    readonly_fields = [
        "number",
        "kind",
        "court_code",
        "judge_code",
        "title",
        "public",
        "status",
        "opened_on",
        "closed_on",
        "outcome",
        "parties_table",
        "hearings_table",
        "judgments_table",
        "appeals_table",
        "enforcement_table",
        "ledger_seq",
        "block_height",
        "ledger_level",
        "version",
        "history_table",
    ]

    def can_act(self, request: HttpRequest) -> bool:
        return can_act_in_court(request)

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[CaseRecord], search_term: str
    ) -> tuple[QuerySet[CaseRecord], bool]:
        """An exact case number or party code, or part of the title in any case."""
        term = " ".join(search_term.split())
        if not term:
            return queryset, False
        if _CASE_NUMBER.match(term):
            return queryset.filter(number=term), False
        if _DIGITS.match(term):
            return queryset.filter(Q(parties__code=term) | Q(court_code=term)).distinct(), False
        return queryset.filter(text_contains("title", term)), False

    def add(self, app: Any, form: CommandForm, who: str) -> object:
        data = form.cleaned_data
        registry: CourtRegistry = app
        return registry.open_case(
            data["kind"],
            data["court_code"],
            data["judge"] or who,
            data["title"],
            data["public"],
            who,
            _today(),
        )

    def added_record(self, result: object) -> CaseRecord:
        return CaseRecord.objects.get(number=result)

    # Read-only tables.

    @admin.display(description="parties")
    def parties_table(self, record: CaseRecord) -> str:
        rows: list[list[Any]] = [
            [p.role, p.party_kind, p.code, p.ledger_seq] for p in record.parties.all()
        ]
        return html_table(["role", "kind", "code", "ledger seq"], rows, "no parties")

    @admin.display(description="hearings")
    def hearings_table(self, record: CaseRecord) -> str:
        rows: list[list[Any]] = [
            [
                h.number,
                f"{timezone.localtime(h.starts_at):%Y-%m-%d %H:%M}",
                h.room,
                h.status,
                h.cancel_reason or "-",
                h.ledger_seq,
            ]
            for h in record.hearings.all()
        ]
        return html_table(
            ["no", "starts at", "room", "status", "cancelled because", "ledger seq"],
            rows,
            "no hearings",
        )

    @admin.display(description="judgments")
    def judgments_table(self, record: CaseRecord) -> str:
        rows: list[list[Any]] = [
            [
                j.number,
                j.kind,
                j.summary,
                j.given_on,
                j.appeal_deadline,
                j.status.replace("_", " "),
                j.final_on or "-",
                j.company_code or j.cadastral_code or "-",
                j.final_seq or "-",
            ]
            for j in record.judgments.all()
        ]
        return html_table(
            [
                "no",
                "kind",
                "summary",
                "given on",
                "appeal deadline",
                "status",
                "final on",
                "company / land unit",
                "final (seq)",
            ],
            rows,
            "no judgments",
        )

    @admin.display(description="appeals")
    def appeals_table(self, record: CaseRecord) -> str:
        rows: list[list[Any]] = [
            [
                a.number,
                a.judgment,
                a.appellant_code,
                a.grounds,
                a.filed_on,
                a.status,
                a.decision_summary or "-",
                a.decided_by or "-",
            ]
            for a in record.appeals.all()
        ]
        return html_table(
            ["no", "judgment", "appellant", "grounds", "filed", "status", "decision", "decided by"],
            rows,
            "no appeals",
        )

    @admin.display(description="effects")
    def enforcement_table(self, record: CaseRecord) -> str:
        rows: list[list[Any]] = [
            [e.judgment, e.registry, e.action, e.target, e.outcome, e.detail or "-", e.cause]
            for e in EnforcementRecord.objects.filter(case_number=record.number)
        ]
        return html_table(
            ["judgment", "registry", "command", "target", "outcome", "detail", "cause"],
            rows,
            "none",
        )

    @admin.display(description="ledger history")
    def history_table(self, record: CaseRecord) -> str:
        rows = [
            [h["seq"], h["event"], h["recorded_at"], h["block_height"] or "-", h["level"]]
            for h in ledger_history("court", record.aggregate_id)
        ]
        return html_table(["seq", "event", "recorded at", "block", "level"], rows, "no entries")
