"""The court registry's commands, each declared once for the API and the admin.

Judges of the court registry open cases, add parties, schedule, reschedule and
cancel hearings, record judgments, declare them final, decide appeals and
close cases; the registry itself refuses commands on a case from any judge but
its own (except deciding an appeal, which must be another judge). A party of
the case appeals a judgment through the API (identified by their personal
code, or by their company's registry code for an organisation token).

The admin's forms offer the case's own hearings, judgments and appeals to
choose from; each hands the command the API's data.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django import forms
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import status
from rest_framework.exceptions import NotAuthenticated
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from registries.access.admin import CodesField, CommandForm
from registries.access.catalog import Catalog, Command, Reply, Target
from registries.common.texts import N_
from registries.court.api.serializers import (
    AppealDecisionSerializer,
    AppealInputSerializer,
    CaseDetailSerializer,
    CaseOpeningSerializer,
    ClosureSerializer,
    CovertAccessInputSerializer,
    CovertAccessSerializer,
    FinalitySerializer,
    HearingCancellationSerializer,
    HearingInputSerializer,
    JudgmentInputSerializer,
    PartyInputSerializer,
)
from registries.court.api.views import (
    NUMBER_PARAMETER,
    TAGS,
    PublicReadJudgeWrite,
    case_body,
    case_record,
    party_code,
)
from registries.court.application import CourtRegistry
from registries.court.domain import (
    ALL_PARTY_ROLES,
    APPEAL_DECISIONS,
    CASE_KINDS,
    COVERT_REGISTRIES,
    CRIMINAL,
    JUDGMENT_KINDS,
    MAX_ROOM_LENGTH,
    MAX_TEXT_LENGTH,
    MAX_TITLE_LENGTH,
    Order,
)
from registries.court.models import CaseRecord
from registries.court.projections import PROJECTIONS
from registries.identity.services import official_code_of

HEARING_PARAMETER = OpenApiParameter(
    "hearing", OpenApiTypes.INT, OpenApiParameter.PATH, description="Hearing number in the case"
)
JUDGMENT_PARAMETER = OpenApiParameter(
    "judgment", OpenApiTypes.INT, OpenApiParameter.PATH, description="Judgment number in the case"
)
APPEAL_PARAMETER = OpenApiParameter(
    "appeal", OpenApiTypes.INT, OpenApiParameter.PATH, description="Appeal number in the case"
)


class CitizenWithCode(BasePermission):
    """An authenticated, active user whose username is their personal code, or a
    token acting for an organisation (signed in by a board member)."""

    message = (
        "an appeal is filed by a party of the case, signed in with their personal code "
        "or for their company"
    )

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            raise NotAuthenticated()
        return bool(user.is_active) and party_code(request) is not None


def who(request: Request) -> str:
    """The acting person's code (judges' usernames are their personal codes)."""
    return official_code_of(request.user) or str(request.user.get_username())


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


def _choices(field: forms.Field) -> forms.ChoiceField:
    assert isinstance(field, forms.ChoiceField)
    return field


# The admin's forms ---------------------------------------------------------------------------


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


# Judgment kinds in words (the API and the events keep the slugs).
JUDGMENT_LABELS = {
    "insolvency-declaration": "Declaration of insolvency",
    "seizure-order": "Seizure order",
    "seizure-lift": "Lifting of a seizure",
    "conviction": "Conviction",
    "acquittal": "Acquittal",
    "damages": "Award of damages",
    "annulment": "Annulment",
    "dismissal": "Dismissal",
}


class JudgmentForm(CommandForm):
    kind = forms.ChoiceField(choices=[(k, JUDGMENT_LABELS[k]) for k in JUDGMENT_KINDS])
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

    def command_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            **data,
            "company_code": data["company_code"] or "",
            "cadastral_code": data["cadastral_code"] or "",
            "lifts": data["lifts"] or 0,
        }


class FinalityForm(CommandForm):
    judgment = forms.TypedChoiceField(coerce=int)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        judgments = _past_appeal_period(self.record) if self.record else []
        _choices(self.fields["judgment"]).choices = [
            (
                j.number,
                f"{j.number}: {JUDGMENT_LABELS[j.kind]}, appeal deadline "
                f"{j.appeal_deadline:%Y-%m-%d}",
            )
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


class CovertAccessForm(CommandForm):
    persons = CodesField(help_text="Personal codes of parties of the case, one per line.")
    registries = forms.MultipleChoiceField(
        choices=[(r, r) for r in COVERT_REGISTRIES], widget=forms.CheckboxSelectMultiple
    )


# When the admin offers a command ---------------------------------------------------------------


def _open(record: CaseRecord) -> bool:
    return record.status == "open"


def _open_criminal(record: CaseRecord) -> bool:
    return _open(record) and record.kind == CRIMINAL


def _has_scheduled_hearing(record: CaseRecord) -> bool:
    return _open(record) and record.hearings.filter(status="scheduled").exists()


def _past_appeal_period(record: CaseRecord) -> Any:
    """Appealable judgments whose appeal deadline has passed: they can be declared final."""
    return record.judgments.filter(status="appealable", appeal_deadline__lt=timezone.localdate())


def _can_become_final(record: CaseRecord) -> bool:
    return _open(record) and _past_appeal_period(record).exists()


def _final_from(record: CaseRecord) -> date | None:
    """The first day a judgment still in its appeal period can be declared final."""
    if not _open(record):
        return None
    deadline = (
        record.judgments.filter(status="appealable")
        .order_by("appeal_deadline")
        .values_list("appeal_deadline", flat=True)
        .first()
    )
    return deadline + timedelta(days=1) if deadline is not None else None


def _case_judge(record: CaseRecord, who: str) -> bool:
    """Only the judge assigned to the case acts on it."""
    return record.judge_code == who


def _not_case_judge(record: CaseRecord, who: str) -> bool:
    """Nobody sits on an appeal against their own judgment."""
    return record.judge_code != who


def _has_pending_appeal(record: CaseRecord) -> bool:
    return _open(record) and record.appeals.filter(status="pending").exists()


# The catalog -----------------------------------------------------------------------------------


def _order(data: dict[str, Any]) -> Order:
    """The judgment's order from the command's data (given today unless dated)."""
    return Order(
        kind=data["kind"],
        summary=data["summary"],
        given_on=data.get("given_on") or timezone.localdate(),
        company_code=data["company_code"],
        cadastral_code=data["cadastral_code"],
        lifts=data["lifts"],
    )


CASES = Target(route="cases/", tags=TAGS)
CASE = Target(
    route="cases/<str:number>/",
    tags=TAGS,
    parameters=(NUMBER_PARAMETER,),
    check=lambda number, **ids: case_record(number),
    key=lambda record, who: {"number": record.number},
)
OPENED = Reply(
    CaseDetailSerializer,
    lambda request, data, number: case_body(request, str(number)),
    location=lambda request, data, number: request.build_absolute_uri(
        reverse("court:case-detail", args=[number])
    ),
)
COVERT_ACCESS = Reply(
    CovertAccessSerializer,
    lambda request, data, result: {
        "number": data["number"],
        "persons": sorted(set(data["persons"])),
        "registries": sorted(set(data["registries"])),
    },
)
# Every other command on a case answers with its card, as the caller may see it.
CARD = Reply(CaseDetailSerializer, lambda request, data, result: case_body(request, data["number"]))


def _on_case(**declaration: Any) -> Command:
    """A judge's command on one case, answered with its card."""
    return Command(
        **{
            "target": CASE,
            "permission": PublicReadJudgeWrite,
            "reply": CARD,
            "actor": who,
            "may": _case_judge,
            **declaration,
        }
    )


COMMANDS = Catalog(
    CourtRegistry,
    PROJECTIONS,
    [
        Command(
            name="open",
            title=N_("Open case"),
            target=CASES,
            permission=PublicReadJudgeWrite,
            reply=OPENED,
            actor=who,
            input=CaseOpeningSerializer,
            url_name="case-list",
            summary="Open a case (judges)",
            status=status.HTTP_201_CREATED,
            problems=(400, 401, 403, 409, 429),
            form=CaseOpeningForm,
            run=lambda app, data, who: app.open_case(
                data["kind"],
                data["court_code"],
                data.get("judge") or who,
                data["title"],
                data["public"],
                who,
                timezone.localdate(),
            ),
        ),
        _on_case(
            name="add-party",
            title=N_("Add party"),
            input=PartyInputSerializer,
            route="parties/",
            url_name="case-parties",
            summary="Add a party",
            status=status.HTTP_201_CREATED,
            form=PartyForm,
            done="Party added",
            available=_open,
            run=lambda app, data, who: app.add_party(
                data["number"], data["code"], data["role"], who
            ),
        ),
        _on_case(
            name="schedule-hearing",
            title=N_("Schedule hearing"),
            input=HearingInputSerializer,
            route="hearings/",
            url_name="case-hearings",
            summary="Schedule a hearing",
            status=status.HTTP_201_CREATED,
            form=HearingForm,
            done="Hearing scheduled",
            available=_open,
            run=lambda app, data, who: app.schedule_hearing(
                data["number"], data["starts_at"], data["room"], who, timezone.localdate()
            ),
        ),
        _on_case(
            name="reschedule-hearing",
            title=N_("Reschedule hearing"),
            input=HearingInputSerializer,
            route="hearings/<int:hearing>/rescheduling/",
            url_name="hearing-rescheduling",
            summary="Reschedule a hearing",
            parameters=(HEARING_PARAMETER,),
            form=RescheduleForm,
            done="Hearing rescheduled",
            available=_has_scheduled_hearing,
            run=lambda app, data, who: app.reschedule_hearing(
                data["number"],
                data["hearing"],
                data["starts_at"],
                data["room"],
                who,
                timezone.localdate(),
            ),
        ),
        _on_case(
            name="cancel-hearing",
            title=N_("Cancel hearing"),
            input=HearingCancellationSerializer,
            route="hearings/<int:hearing>/cancellation/",
            url_name="hearing-cancellation",
            summary="Cancel a hearing",
            parameters=(HEARING_PARAMETER,),
            form=CancelHearingForm,
            done="Hearing cancelled",
            available=_has_scheduled_hearing,
            run=lambda app, data, who: app.cancel_hearing(
                data["number"], data["hearing"], data["reason"], who
            ),
        ),
        _on_case(
            name="record-judgment",
            title=N_("Record judgment"),
            input=JudgmentInputSerializer,
            route="judgments/",
            url_name="case-judgments",
            summary="Record a judgment",
            status=status.HTTP_201_CREATED,
            form=JudgmentForm,
            done="Judgment recorded",
            available=_open,
            run=lambda app, data, who: app.record_judgment(
                data["number"], _order(data), who, timezone.localdate()
            ),
        ),
        _on_case(
            name="declare-final",
            title=N_("Declare judgment final"),
            input=FinalitySerializer,
            route="judgments/<int:judgment>/finality/",
            url_name="judgment-finality",
            summary="Declare a judgment final",
            parameters=(JUDGMENT_PARAMETER,),
            form=FinalityForm,
            done="Judgment declared final",
            available=_can_become_final,
            available_from=_final_from,
            later="after the appeal period",
            run=lambda app, data, who: app.declare_final(
                data["number"], data["judgment"], who, timezone.localdate()
            ),
        ),
        _on_case(
            name="appeal",
            title=N_("Appeal judgment"),
            permission=CitizenWithCode,
            input=AppealInputSerializer,
            route="judgments/<int:judgment>/appeals/",
            url_name="judgment-appeals",
            summary="Appeal a judgment (a party of the case)",
            description="A party appeals a judgment of their case within the deadline.",
            parameters=(JUDGMENT_PARAMETER,),
            status=status.HTTP_201_CREATED,
            caller=lambda request: {"appellant": party_code(request)},
            run=lambda app, data, who: app.file_appeal(
                data["number"],
                data["judgment"],
                data["appellant"],
                data["grounds"],
                timezone.localdate(),
            ),
        ),
        _on_case(
            name="decide-appeal",
            title=N_("Decide appeal"),
            input=AppealDecisionSerializer,
            route="appeals/<int:appeal>/decision/",
            url_name="appeal-decision",
            summary="Decide an appeal",
            parameters=(APPEAL_PARAMETER,),
            form=AppealDecisionForm,
            done="Appeal decided",
            available=_has_pending_appeal,
            may=_not_case_judge,
            run=lambda app, data, who: app.decide_appeal(
                data["number"],
                data["appeal"],
                data["decision"],
                data["summary"],
                who,
                timezone.localdate(),
            ),
        ),
        _on_case(
            name="authorise-covert-access",
            title="Authorise covert access",
            input=CovertAccessInputSerializer,
            route="covert-access/",
            url_name="case-covert-access",
            summary="Authorise covert reads of parties' data (the case's judge)",
            description=(
                "The judge of a criminal case names parties of the case and registries (health, "
                "court) whose data may be read under the case without telling the person until "
                "a final judgment releases the reads. Nothing else makes a read covert but such "
                "a decision or an investigator reading a party of the case."
            ),
            reply=COVERT_ACCESS,
            status=status.HTTP_201_CREATED,
            form=CovertAccessForm,
            done="Covert access authorised",
            available=_open_criminal,
            run=lambda app, data, who: app.authorise_covert_access(
                data["number"], data["persons"], data["registries"], who
            ),
        ),
        _on_case(
            name="close",
            title=N_("Close case"),
            input=ClosureSerializer,
            route="closure/",
            url_name="case-closure",
            summary="Close the case",
            form=ClosureForm,
            done="Case closed",
            available=_open,
            run=lambda app, data, who: app.close_case(
                data["number"], data["outcome"], who, timezone.localdate()
            ),
        ),
    ],
)
