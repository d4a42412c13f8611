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
* **Commands**: the catalog's (``registries.court.commands``), each answered
  with the case's card, already showing what a final judgment did elsewhere.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.db.models import Q, QuerySet
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.generics import GenericAPIView
from rest_framework.mixins import ListModelMixin
from rest_framework.request import Request
from rest_framework.response import Response

from registries.access.roles import registry_role, request_has_role
from registries.access.tokens import acting_organisation
from registries.common.api import PUBLIC, public_read, text_contains, validated
from registries.common.api.problems import problem_responses
from registries.common.errors import InvalidCommand, NotFound
from registries.common.statuses import PageStatusesMixin
from registries.common.texts import N_, Message
from registries.court.api.serializers import (
    CalendarHearingSerializer,
    CaseDetailSerializer,
    CaseFilterSerializer,
    CaseSummarySerializer,
    HearingFilterSerializer,
)
from registries.court.models import CaseRecord, HearingRecord
from registries.court.reading import track_court_read
from registries.court.vocabulary import check_case_number
from registries.identity.services import official_code_of

TAGS = ["court"]

NUMBER_PARAMETER = OpenApiParameter(
    "number",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    pattern=r"^[1-3]-[0-9]{2}-[1-9][0-9]*$",
    description="Case number: kind digit (1 criminal, 2 civil, 3 administrative), year, serial",
)
CourtJudge = registry_role("court", "judge")
# Reads for everyone; the judges' commands join the case register (opening a case).
PublicReadJudgeWrite = public_read(CourtJudge)


# Helpers ----------------------------------------------------------------------------------------


class InvalidCaseNumber(InvalidCommand):
    """A case number that is not of the form 2-25-1234."""

    title = N_("Malformed case number")
    slug = "invalid-case-number"


def case_record(number: str) -> CaseRecord:
    """The case's read model: 400 if the number is malformed, 404 if unknown."""
    try:
        check_case_number(number)
    except InvalidCommand as error:
        raise InvalidCaseNumber(error.message or str(error)) from None
    try:
        return CaseRecord.objects.prefetch_related(
            "parties", "hearings", "judgments", "appeals"
        ).get(number=number)
    except CaseRecord.DoesNotExist:
        raise NotFound(Message(N_("no case with number {number}"), {"number": number})) from None


def case_aggregate(number: str) -> UUID | None:
    """The case's aggregate id by its public case number (the explorer's lookup):
    400 if the number is malformed, None if no case has it."""
    try:
        check_case_number(number)
    except InvalidCommand as error:
        raise InvalidCaseNumber(error.message or str(error)) from None
    found: UUID | None = (
        CaseRecord.objects.filter(number=number).values_list("aggregate_id", flat=True).first()
    )
    return found


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


def case_body(request: Request, number: str) -> Any:
    """The case's card as the caller may see it (a tracked read), as the detail
    view and every command answer."""
    record = case_record(number)
    track_court_read(request.user, [record], f"case {number}", request.query_params)
    context = {"request": request, "full": sees_full_record(request, record)}
    return CaseDetailSerializer(record, context=context).data


# Cases ------------------------------------------------------------------------------------------


@extend_schema(tags=TAGS)
class CaseListView(PageStatusesMixin, ListModelMixin, GenericAPIView[CaseRecord]):
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
        return Response(case_body(request, number))


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
