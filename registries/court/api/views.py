"""REST endpoints of the court registry (``/api/v1/court/``).

* **Public** (no token needed): the case register (number, kind, court,
  title, status, dates), each case's hearings and judgments with their
  deadlines and finality, what final judgments did in other registries, the
  ledger history, and a calendar of scheduled hearings. Judgment summaries
  and appeal grounds only for public cases (not for cases heard in camera).
  Parties are listed with their role; organisations with their registry code;
  natural persons' personal codes only in public civil and administrative
  cases, never in criminal cases (the accused is presumed innocent and a
  personal code identifies a person for life) and never in cases heard in
  camera. The judge's personal code is not public.
* **Full record**: a case's own parties (a user whose username is their
  personal code) and the court registry's judges see everything on the card
  (``full_record: true``).
* **Judges' commands** (``registry_role("court", "judge")``): open a case, add
  a party, schedule, reschedule or cancel a hearing, record a judgment,
  declare it final, decide an appeal, close the case. The registry also
  checks that only the case's own judge acts on it (and that an appeal is
  decided by another judge).
* **Appeals** are filed by a party of the case, identified by their personal
  code (``official_code_of(user)``).

Every command is issued through :func:`registries.common.commands.issue`, so the
answer already shows its effect, including what a final judgment did in the
business or property registry. Errors are RFC 9457 problem documents; a
refused command writes nothing.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotAuthenticated
from rest_framework.generics import GenericAPIView
from rest_framework.mixins import ListModelMixin
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request
from rest_framework.response import Response

from registries.access.roles import registry_role, request_has_role, role_message
from registries.access.tokens import acting_organisation
from registries.common.api import text_contains
from registries.common.api.problems import problem_responses
from registries.common.commands import issue
from registries.common.errors import InvalidCommand, NotFound
from registries.court.api.serializers import (
    AppealDecisionSerializer,
    AppealInputSerializer,
    CalendarHearingSerializer,
    CaseDetailSerializer,
    CaseFilterSerializer,
    CaseOpeningSerializer,
    CaseSummarySerializer,
    ClosureSerializer,
    FinalitySerializer,
    HearingCancellationSerializer,
    HearingFilterSerializer,
    HearingInputSerializer,
    JudgmentInputSerializer,
    PartyInputSerializer,
)
from registries.court.application import CourtRegistry
from registries.court.domain import Order, check_case_number
from registries.court.models import CaseRecord, HearingRecord
from registries.court.projections import PROJECTIONS
from registries.court.reading import track_court_read
from registries.identity.services import official_code_of

TAGS = ["court"]
# Reads that are public: a token or session is accepted but not needed.
PUBLIC: Any = [{"tokenAuth": []}, {"cookieAuth": []}, {}]

NUMBER_PARAMETER = OpenApiParameter(
    "number",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    pattern=r"^[1-3]-[0-9]{2}-[1-9][0-9]*$",
    description="Case number: kind digit (1 criminal, 2 civil, 3 administrative), year, serial",
)
HEARING_PARAMETER = OpenApiParameter(
    "hearing", OpenApiTypes.INT, OpenApiParameter.PATH, description="Hearing number in the case"
)
JUDGMENT_PARAMETER = OpenApiParameter(
    "judgment", OpenApiTypes.INT, OpenApiParameter.PATH, description="Judgment number in the case"
)
APPEAL_PARAMETER = OpenApiParameter(
    "appeal", OpenApiTypes.INT, OpenApiParameter.PATH, description="Appeal number in the case"
)

CourtJudge = registry_role("court", "judge")


# Permissions ---------------------------------------------------------------------------------


class PublicReadJudgeWrite(BasePermission):
    """Reads for everyone; commands for judges of the court registry."""

    message = role_message("court", "judge")

    def has_permission(self, request: Request, view: Any) -> bool:
        if request.method in SAFE_METHODS:
            return True
        return CourtJudge().has_permission(request, view)


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


# Helpers ----------------------------------------------------------------------------------------


class InvalidCaseNumber(InvalidCommand):
    """A case number that is not of the form 2-25-1234."""

    title = "Malformed case number"
    slug = "invalid-case-number"


def case_record(number: str) -> CaseRecord:
    """The case's read model: 400 if the number is malformed, 404 if unknown."""
    try:
        check_case_number(number)
    except InvalidCommand as error:
        raise InvalidCaseNumber(str(error)) from None
    try:
        return CaseRecord.objects.prefetch_related(
            "parties", "hearings", "judgments", "appeals"
        ).get(number=number)
    except CaseRecord.DoesNotExist:
        raise NotFound(f"no case with number {number}") from None


def party_code(request: Request) -> str | None:
    """The code the caller is a party by: the company's registry code for an
    organisation token, else the person's own personal code."""
    return acting_organisation(request) or official_code_of(request.user)


def sees_full_record(request: Request, record: CaseRecord) -> bool:
    """The case's own parties and the court registry's judges see its full record."""
    user = request.user
    if not (user and user.is_authenticated and user.is_active):
        return False
    code = party_code(request)
    if code is not None and record.parties.filter(code=code).exists():
        return True
    return request_has_role(request, "court", "judge")


def tracked_page(view: Any) -> list[Any]:
    """The records a list view just showed (its page), for the data tracker."""
    page = getattr(view.paginator, "page", None)
    return list(page.object_list) if page is not None else list(view.get_queryset())


def validated(serializer_class: type[serializers.BaseSerializer[Any]], data: Any) -> dict[str, Any]:
    """The data after the serializer's checks (a 400 problem listing the fields if not)."""
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def case_response(
    request: Request,
    number: str,
    status_code: int = status.HTTP_200_OK,
    headers: dict[str, str] | None = None,
) -> Response:
    """The case's card, as every command answers."""
    record = case_record(number)
    track_court_read(request.user, [record], f"case {number}", request.query_params)
    context = {"request": request, "full": sees_full_record(request, record)}
    return Response(
        CaseDetailSerializer(record, context=context).data, status_code, headers=headers
    )


def who(request: Request) -> str:
    """The acting person's code (judges' usernames are their personal codes)."""
    return official_code_of(request.user) or str(request.user.get_username())


def run(command: Any) -> Any:
    return issue(CourtRegistry, PROJECTIONS, command)


def command_schema(
    summary: str,
    request: type[serializers.Serializer[Any]],
    parameters: list[OpenApiParameter],
    created: bool = False,
) -> Any:
    return extend_schema(
        tags=TAGS,
        summary=summary,
        parameters=[NUMBER_PARAMETER, *parameters],
        request=request,
        responses={
            (201 if created else 200): CaseDetailSerializer,
            **problem_responses(400, 401, 403, 404, 409, 429),
        },
    )


# Cases ------------------------------------------------------------------------------------------


@extend_schema(tags=TAGS)
class CaseListView(ListModelMixin, GenericAPIView[CaseRecord]):
    """Search the case register (public) and open cases (judges)."""

    permission_classes = [PublicReadJudgeWrite]
    serializer_class = CaseSummarySerializer

    def get_queryset(self) -> QuerySet[CaseRecord]:
        params = validated(CaseFilterSerializer, self.request.query_params)
        cases = CaseRecord.objects.order_by("-opened_on", "number")
        query = " ".join(params.get("q", "").split())
        if query:
            cases = cases.filter(Q(number=query) | text_contains("title", query))
        for name in ("kind", "status", "court_code"):
            if params.get(name):
                cases = cases.filter(**{name: params[name]})
        return cases

    @extend_schema(
        summary="Search the case register",
        auth=PUBLIC,
        parameters=[CaseFilterSerializer],
        responses={200: CaseSummarySerializer(many=True), **problem_responses(400, 429)},
    )
    def get(self, request: Request) -> Response:
        response = self.list(request)
        track_court_read(request.user, tracked_page(self), "case register", request.query_params)
        return response

    @extend_schema(
        summary="Open a case (judges)",
        request=CaseOpeningSerializer,
        responses={201: CaseDetailSerializer, **problem_responses(400, 401, 403, 409, 429)},
    )
    def post(self, request: Request) -> Response:
        data = validated(CaseOpeningSerializer, request.data)
        actor = who(request)
        judge = data.get("judge") or actor
        today = timezone.localdate()
        number = run(
            lambda app: app.open_case(
                data["kind"], data["court_code"], judge, data["title"], data["public"], actor, today
            )
        )
        location = request.build_absolute_uri(reverse("court:case-detail", args=[number]))
        return case_response(request, number, status.HTTP_201_CREATED, {"Location": location})


@extend_schema(tags=TAGS, parameters=[NUMBER_PARAMETER])
class CaseDetailView(GenericAPIView[CaseRecord]):
    """A case's register card."""

    permission_classes = [PublicReadJudgeWrite]
    serializer_class = CaseDetailSerializer

    @extend_schema(
        summary="A case's register card and ledger history",
        auth=PUBLIC,
        responses={200: CaseDetailSerializer, **problem_responses(400, 404, 429)},
    )
    def get(self, request: Request, number: str) -> Response:
        return case_response(request, number)


class CaseCommandView(GenericAPIView[CaseRecord]):
    """Base of the judges' commands on one case: POST the command's data."""

    permission_classes = [PublicReadJudgeWrite]
    success_status: ClassVar[int] = status.HTTP_200_OK

    def execute(
        self, app: CourtRegistry, number: str, data: dict[str, Any], actor: str, **ids: int
    ) -> object:
        raise NotImplementedError

    def post(self, request: Request, number: str, **ids: int) -> Response:
        case_record(number)
        data = validated(self.get_serializer_class(), request.data)
        actor = who(request)
        run(lambda app: self.execute(app, number, data, actor, **ids))
        return case_response(request, number, self.success_status)


@command_schema("Add a party", PartyInputSerializer, [], created=True)
class PartyView(CaseCommandView):
    serializer_class = PartyInputSerializer
    success_status = status.HTTP_201_CREATED

    def execute(
        self, app: CourtRegistry, number: str, data: dict[str, Any], actor: str, **ids: int
    ) -> object:
        app.add_party(number, data["code"], data["role"], actor)
        return None


@command_schema("Schedule a hearing", HearingInputSerializer, [], created=True)
class HearingView(CaseCommandView):
    serializer_class = HearingInputSerializer
    success_status = status.HTTP_201_CREATED

    def execute(
        self, app: CourtRegistry, number: str, data: dict[str, Any], actor: str, **ids: int
    ) -> object:
        return app.schedule_hearing(
            number, data["starts_at"], data["room"], actor, timezone.localdate()
        )


@command_schema("Reschedule a hearing", HearingInputSerializer, [HEARING_PARAMETER])
class HearingRescheduleView(CaseCommandView):
    serializer_class = HearingInputSerializer

    def execute(
        self, app: CourtRegistry, number: str, data: dict[str, Any], actor: str, **ids: int
    ) -> object:
        app.reschedule_hearing(
            number, ids["hearing"], data["starts_at"], data["room"], actor, timezone.localdate()
        )
        return None


@command_schema("Cancel a hearing", HearingCancellationSerializer, [HEARING_PARAMETER])
class HearingCancelView(CaseCommandView):
    serializer_class = HearingCancellationSerializer

    def execute(
        self, app: CourtRegistry, number: str, data: dict[str, Any], actor: str, **ids: int
    ) -> object:
        app.cancel_hearing(number, ids["hearing"], data["reason"], actor)
        return None


@command_schema("Record a judgment", JudgmentInputSerializer, [], created=True)
class JudgmentView(CaseCommandView):
    serializer_class = JudgmentInputSerializer
    success_status = status.HTTP_201_CREATED

    def execute(
        self, app: CourtRegistry, number: str, data: dict[str, Any], actor: str, **ids: int
    ) -> object:
        today = timezone.localdate()
        order = Order(
            kind=data["kind"],
            summary=data["summary"],
            given_on=data.get("given_on") or today,
            company_code=data["company_code"],
            cadastral_code=data["cadastral_code"],
            lifts=data["lifts"],
        )
        return app.record_judgment(number, order, actor, today)


@command_schema("Declare a judgment final", FinalitySerializer, [JUDGMENT_PARAMETER])
class FinalityView(CaseCommandView):
    serializer_class = FinalitySerializer

    def execute(
        self, app: CourtRegistry, number: str, data: dict[str, Any], actor: str, **ids: int
    ) -> object:
        app.declare_final(number, ids["judgment"], actor, timezone.localdate())
        return None


@command_schema("Decide an appeal", AppealDecisionSerializer, [APPEAL_PARAMETER])
class AppealDecisionView(CaseCommandView):
    serializer_class = AppealDecisionSerializer

    def execute(
        self, app: CourtRegistry, number: str, data: dict[str, Any], actor: str, **ids: int
    ) -> object:
        app.decide_appeal(
            number, ids["appeal"], data["decision"], data["summary"], actor, timezone.localdate()
        )
        return None


@command_schema("Close the case", ClosureSerializer, [])
class ClosureView(CaseCommandView):
    serializer_class = ClosureSerializer

    def execute(
        self, app: CourtRegistry, number: str, data: dict[str, Any], actor: str, **ids: int
    ) -> object:
        app.close_case(number, data["outcome"], actor, timezone.localdate())
        return None


@extend_schema(
    tags=TAGS,
    summary="Appeal a judgment (a party of the case)",
    parameters=[NUMBER_PARAMETER, JUDGMENT_PARAMETER],
    request=AppealInputSerializer,
    responses={201: CaseDetailSerializer, **problem_responses(400, 401, 403, 404, 409, 429)},
)
class AppealView(GenericAPIView[CaseRecord]):
    """A party appeals a judgment of their case within the deadline."""

    permission_classes = [CitizenWithCode]
    serializer_class = AppealInputSerializer

    def post(self, request: Request, number: str, judgment: int) -> Response:
        case_record(number)
        data = validated(AppealInputSerializer, request.data)
        appellant = party_code(request)
        assert appellant is not None  # CitizenWithCode
        today = timezone.localdate()
        run(lambda app: app.file_appeal(number, judgment, appellant, data["grounds"], today))
        return case_response(request, number, status.HTTP_201_CREATED)


# Calendar ---------------------------------------------------------------------------------------


@extend_schema(tags=TAGS)
class HearingCalendarView(ListModelMixin, GenericAPIView[HearingRecord]):
    """Scheduled hearings of one day (public)."""

    permission_classes = [PublicReadJudgeWrite]
    serializer_class = CalendarHearingSerializer

    def get_queryset(self) -> QuerySet[HearingRecord]:
        params = validated(HearingFilterSerializer, self.request.query_params)
        day = params.get("date") or timezone.localdate()
        hearings = (
            HearingRecord.objects.filter(status="scheduled", starts_at__date=day)
            .select_related("case")
            .order_by("starts_at", "case_id", "number")
        )
        if params.get("court_code"):
            hearings = hearings.filter(case__court_code=params["court_code"])
        return hearings

    @extend_schema(
        summary="Hearing calendar of a day",
        auth=PUBLIC,
        parameters=[HearingFilterSerializer],
        responses={200: CalendarHearingSerializer(many=True), **problem_responses(400, 429)},
    )
    def get(self, request: Request) -> Response:
        response = self.list(request)
        cases = [hearing.case for hearing in tracked_page(self)]
        track_court_read(request.user, cases, "hearing calendar", request.query_params)
        return response
