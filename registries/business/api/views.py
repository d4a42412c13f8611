"""REST endpoints of the business registry (``/api/v1/business/``).

Public reads: company search and the registry card with its ledger history.
Commands (register, board, address, capital, annual report, liquidation,
deletion) need a business registrar (a role in the identity registry); each one is
issued through :func:`registries.common.commands.issue`, so the answer already
shows its effect. Errors are RFC 9457 problem documents.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.mixins import ListModelMixin
from rest_framework.request import Request
from rest_framework.response import Response

from registries.access.permissions import CommandPermission, RegistryAPIView
from registries.access.tokens import acting_organisation, actor
from registries.business.api.serializers import (
    AddressChangeSerializer,
    AnnualReportFilingSerializer,
    BoardChangeSerializer,
    CapitalIncreaseSerializer,
    CompanyDetailSerializer,
    CompanyFilterSerializer,
    CompanySummarySerializer,
    DeletionSerializer,
    LiquidationSerializer,
    RegistrationSerializer,
)
from registries.business.application import BusinessRegistry, Registration
from registries.business.domain import AnnualReport
from registries.business.models import CompanyRecord
from registries.business.projections import PROJECTIONS
from registries.common.api import text_contains
from registries.common.api.problems import problem_responses
from registries.common.codes import InvalidCodeError, validate_registry_code
from registries.common.commands import issue
from registries.common.errors import InvalidCommand, NotFound

REGISTRAR = ("business", "registrar")
TAGS = ["business"]
# Reads are public: a token or session is accepted but not needed.
PUBLIC: Any = [{"tokenAuth": []}, {"cookieAuth": []}, {}]

CODE_PARAMETER = OpenApiParameter(
    "code",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    pattern=r"^[0-9]{8}$",
    description="8-digit registry code of the company (with its check digit)",
)


class InvalidRegistryCode(InvalidCommand):
    """A registry code that is not 8 digits or whose check digit is wrong."""

    title = "Malformed registry code"
    slug = "invalid-registry-code"


def checked_code(code: str) -> str:
    """``code`` if it is a well-formed registry code, else a 400 problem."""
    try:
        return validate_registry_code(code)
    except InvalidCodeError as error:
        raise InvalidRegistryCode(str(error)) from None


def company_record(code: str) -> CompanyRecord:
    """The read model of the company with this code: 400 if malformed, 404 if unknown."""
    checked_code(code)
    try:
        return CompanyRecord.objects.prefetch_related("people", "annual_reports").get(
            registry_code=code
        )
    except CompanyRecord.DoesNotExist:
        raise NotFound(f"no company with registry code {code}") from None


def validated(serializer_class: type[serializers.BaseSerializer[Any]], data: Any) -> dict[str, Any]:
    """The data after the serializer's checks (a 400 problem listing the fields if not)."""
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def detail_response(
    request: Request,
    code: str,
    status_code: int = status.HTTP_200_OK,
    headers: dict[str, str] | None = None,
) -> Response:
    """The company's registry card, as every command answers."""
    record = company_record(code)
    body = CompanyDetailSerializer(record, context={"request": request}).data
    return Response(body, status=status_code, headers=headers)


@extend_schema(tags=TAGS)
class CompanyListView(ListModelMixin, RegistryAPIView):
    """Search companies (public) and register new ones (registrars)."""

    command_role = REGISTRAR
    serializer_class = CompanySummarySerializer

    def get_queryset(self) -> QuerySet[CompanyRecord]:
        params = validated(CompanyFilterSerializer, self.request.query_params)
        companies = CompanyRecord.objects.order_by("name", "registry_code")
        query = " ".join(params.get("q", "").split())
        if query:
            companies = companies.filter(text_contains("name", query) | Q(registry_code=query))
        if params.get("status"):
            companies = companies.filter(status=params["status"])
        if params.get("legal_form"):
            companies = companies.filter(legal_form=params["legal_form"])
        return companies

    @extend_schema(
        summary="Search companies",
        auth=PUBLIC,
        parameters=[CompanyFilterSerializer],
        responses={200: CompanySummarySerializer(many=True), **problem_responses(400, 429)},
    )
    def get(self, request: Request) -> Response:
        return self.list(request)

    @extend_schema(
        summary="Register a company",
        request=RegistrationSerializer,
        responses={
            201: CompanyDetailSerializer,
            **problem_responses(400, 401, 403, 409, 429),
        },
    )
    def post(self, request: Request) -> Response:
        data = validated(RegistrationSerializer, request.data)
        registration = Registration(**data)
        who = actor(request)
        today = timezone.localdate()
        code = issue(
            BusinessRegistry,
            PROJECTIONS,
            lambda app: app.register_company(registration, who, today),
        )
        location = request.build_absolute_uri(reverse("business:company-detail", args=[code]))
        return detail_response(request, code, status.HTTP_201_CREATED, {"Location": location})


@extend_schema(tags=TAGS, parameters=[CODE_PARAMETER])
class CompanyDetailView(RegistryAPIView):
    """The public registry card of one company."""

    command_role = REGISTRAR
    serializer_class = CompanyDetailSerializer

    @extend_schema(
        summary="A company's registry card and ledger history",
        auth=PUBLIC,
        responses={200: CompanyDetailSerializer, **problem_responses(400, 404, 429)},
    )
    def get(self, request: Request, code: str) -> Response:
        return detail_response(request, code)


class CompanyCommandView(RegistryAPIView):
    """Base of the commands on one company: POST the command's data."""

    command_role = REGISTRAR
    success_status: ClassVar[int] = status.HTTP_200_OK

    def execute(self, app: BusinessRegistry, code: str, data: dict[str, Any], who: str) -> None:
        raise NotImplementedError

    def post(self, request: Request, code: str) -> Response:
        checked_code(code)
        data = validated(self.get_serializer_class(), request.data)
        who = actor(request)
        issue(BusinessRegistry, PROJECTIONS, lambda app: self.execute(app, code, data, who))
        return detail_response(request, code, self.success_status)


def command_schema(
    summary: str, request: type[serializers.Serializer[Any]], created: bool = False
) -> Any:
    """OpenAPI documentation of a company command endpoint."""
    return extend_schema(
        tags=TAGS,
        summary=summary,
        parameters=[CODE_PARAMETER],
        request=request,
        responses={
            (201 if created else 200): CompanyDetailSerializer,
            **problem_responses(400, 401, 403, 404, 409, 429),
        },
    )


@command_schema("Replace the management board", BoardChangeSerializer)
class BoardChangeView(CompanyCommandView):
    """Replace the management board of a company."""

    serializer_class = BoardChangeSerializer

    def execute(self, app: BusinessRegistry, code: str, data: dict[str, Any], who: str) -> None:
        app.change_board(code, data["members"], who)


@command_schema("Change the registered address", AddressChangeSerializer)
class AddressChangeView(CompanyCommandView):
    """Move a company's registered address."""

    serializer_class = AddressChangeSerializer

    def execute(self, app: BusinessRegistry, code: str, data: dict[str, Any], who: str) -> None:
        app.change_address(code, data["address"], who)


@command_schema("Increase the share capital", CapitalIncreaseSerializer, created=True)
class CapitalIncreaseView(CompanyCommandView):
    """Increase a company's share capital."""

    serializer_class = CapitalIncreaseSerializer
    success_status = status.HTTP_201_CREATED

    def execute(self, app: BusinessRegistry, code: str, data: dict[str, Any], who: str) -> None:
        app.increase_capital(code, data["amount_cents"], who)


class RegistrarOrTheCompany(CommandPermission):
    """A business registrar, or a token acting for the company in the URL itself
    (signed in by its board member): a company files only its own report."""

    def has_permission(self, request: Request, view: Any) -> bool:
        organisation = acting_organisation(request)
        if organisation is None:
            return super().has_permission(request, view)
        if organisation != view.kwargs.get("code"):
            self.message = (
                f"a token for organisation {organisation} acts only for that organisation, "
                "not for another company"
            )
            return False
        return True


@command_schema("File an annual report", AnnualReportFilingSerializer, created=True)
class AnnualReportView(CompanyCommandView):
    """File the annual report of a finished financial year (the registrar, or
    the company itself through a board member's organisation token)."""

    permission_classes = [RegistrarOrTheCompany]
    serializer_class = AnnualReportFilingSerializer
    success_status = status.HTTP_201_CREATED

    def execute(self, app: BusinessRegistry, code: str, data: dict[str, Any], who: str) -> None:
        app.file_annual_report(code, AnnualReport(**data), who, timezone.localdate())


@command_schema("Put the company into liquidation", LiquidationSerializer)
class LiquidationView(CompanyCommandView):
    """Put an active company into liquidation."""

    serializer_class = LiquidationSerializer

    def execute(self, app: BusinessRegistry, code: str, data: dict[str, Any], who: str) -> None:
        app.enter_liquidation(code, data["reason"], who)


@command_schema("Delete a liquidated company", DeletionSerializer)
class DeletionView(CompanyCommandView):
    """Delete a company in liquidation and release its name."""

    serializer_class = DeletionSerializer

    def execute(self, app: BusinessRegistry, code: str, data: dict[str, Any], who: str) -> None:
        app.delete_company(code, who)
