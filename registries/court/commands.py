"""The court registry's commands, each declared once for the API and the admin.

Judges of the court registry issue them; the registry itself refuses commands on
a case from any judge but its own (except deciding an appeal, which must be
another judge). A party of the case appeals a judgment through the API
(identified by their personal code, or by their company's registry code for an
organisation token).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.urls import reverse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import status
from rest_framework.exceptions import NotAuthenticated
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from registries.access.catalog import Catalog, Command, Reply, Target
from registries.access.forms import AdminForm, Ask
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
from registries.court.models import CaseRecord
from registries.court.projections import PROJECTIONS
from registries.court.vocabulary import CASE_KINDS, CRIMINAL, Order
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


# The admin's forms: generated from the input serializers; here, what the ministry is asked
# in other words than the API's.

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


def _hearings(record: CaseRecord) -> list[tuple[int, str]]:
    """The case's scheduled hearings to choose from."""
    return [
        (h.number, f"{h.number}: {timezone.localtime(h.starts_at):%Y-%m-%d %H:%M}, {h.room}")
        for h in record.hearings.filter(status="scheduled")
    ]


def _final_candidates(record: CaseRecord) -> list[tuple[int, str]]:
    """The judgments past their appeal period, to choose from."""
    return [
        (
            j.number,
            f"{j.number}: {JUDGMENT_LABELS[j.kind]}, appeal deadline {j.appeal_deadline:%Y-%m-%d}",
        )
        for j in _past_appeal_period(record)
    ]


def _pending_appeals(record: CaseRecord) -> list[tuple[int, str]]:
    """The case's pending appeals to choose from."""
    return [
        (a.number, f"{a.number}: against judgment {a.judgment}, filed {a.filed_on:%Y-%m-%d}")
        for a in record.appeals.filter(status="pending")
    ]


HEARING = Ask(coerce=int, choices=_hearings)


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
            form=AdminForm(
                ask={
                    "kind": Ask(choices=CASE_KINDS),
                    "judge": Ask(
                        help_text=N_("Personal code of the assigned judge (empty: yourself).")
                    ),
                    "public": Ask(help_text=N_("Untick for a case heard in camera.")),
                }
            ),
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
            form=AdminForm(),
            done=N_("Party added"),
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
            form=AdminForm(),
            done=N_("Hearing scheduled"),
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
            form=AdminForm(ask={"hearing": HEARING}),
            done=N_("Hearing rescheduled"),
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
            form=AdminForm(ask={"hearing": HEARING}),
            done=N_("Hearing cancelled"),
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
            form=AdminForm(
                ask={
                    "kind": Ask(choices=JUDGMENT_LABELS),
                    "given_on": Ask(help_text=N_("Date of the judgment (empty: today).")),
                }
            ),
            done=N_("Judgment recorded"),
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
            form=AdminForm(ask={"judgment": Ask(coerce=int, choices=_final_candidates)}),
            done=N_("Judgment declared final"),
            available=_can_become_final,
            available_from=_final_from,
            later=N_("after the appeal period"),
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
            form=AdminForm(ask={"appeal": Ask(coerce=int, choices=_pending_appeals)}),
            done=N_("Appeal decided"),
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
            title=N_("Authorise covert access"),
            input=CovertAccessInputSerializer,
            route="covert-access/",
            url_name="case-covert-access",
            summary="Authorise covert reads of parties' data (the case's judge)",
            description=(
                "The judge of a criminal case names parties of the case and registries (health, "
                "court, money) whose data may be read under the case without telling the person "
                "until a final judgment releases the reads. Nothing else makes a read covert but "
                "such a decision or an investigator reading a party of the case."
            ),
            reply=COVERT_ACCESS,
            status=status.HTTP_201_CREATED,
            form=AdminForm(),
            done=N_("Covert access authorised"),
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
            form=AdminForm(),
            done=N_("Case closed"),
            available=_open,
            run=lambda app, data, who: app.close_case(
                data["number"], data["outcome"], who, timezone.localdate()
            ),
        ),
    ],
)
