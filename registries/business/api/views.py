"""REST endpoints of the business registry (``/api/v1/business/``).

Public reads: company search and the registry card with its ledger history; the
commands are the catalog's (``registries.business.commands``).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.db.models import Prefetch, QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.mixins import ListModelMixin
from rest_framework.request import Request
from rest_framework.response import Response

from registries.access.roles import registry_role
from registries.business.api.serializers import (
    CompanyDetailSerializer,
    CompanyFilterSerializer,
    CompanySummarySerializer,
)
from registries.business.models import CompanyPerson, CompanyRecord
from registries.common.api import PUBLIC, public_read, text_contains, validated
from registries.common.api.problems import problem_responses
from registries.common.codes import checked_registry_code
from registries.common.errors import NotFound
from registries.common.search import REGISTRY_CODE
from registries.common.statuses import PageStatusesMixin
from registries.common.texts import N_, Message
from registries.identity.services import with_names

TAGS = ["business"]
BusinessRegistrar = registry_role("business", "registrar")
# Reads for everyone; the registrars' commands join the search (registration).
PublicReadRegistrarWrite = public_read(BusinessRegistrar)

CODE_PARAMETER = OpenApiParameter(
    "code",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    pattern=r"^[0-9]{8}$",
    description="8-digit registry code of the company (with its check digit)",
)


def company_record(code: str) -> CompanyRecord:
    """The read model of the company with this code: 400 if malformed, 404 if unknown."""
    checked_registry_code(code)
    try:
        # The people's names come with them, in the same query (the card's
        # names), unless the identity registry is in another database.
        people = with_names(CompanyPerson.objects.all(), "personal_code")
        return CompanyRecord.objects.prefetch_related(
            Prefetch("people", queryset=people), "annual_reports"
        ).get(registry_code=code)
    except CompanyRecord.DoesNotExist:
        raise NotFound(
            Message(N_("no company with registry code {code}"), {"code": code})
        ) from None


def company_aggregate(code: str) -> UUID | None:
    """The company's aggregate id by its public registry code (the explorer's lookup):
    400 if the code is malformed, None if no company has it."""
    checked_registry_code(code)
    found: UUID | None = (
        CompanyRecord.objects.filter(registry_code=code)
        .values_list("aggregate_id", flat=True)
        .first()
    )
    return found


def company_body(request: Request, code: str) -> Any:
    """The company's registry card, as the detail view and every command answer."""
    return CompanyDetailSerializer(company_record(code), context={"request": request}).data


def detail_response(
    request: Request,
    code: str,
    status_code: int = status.HTTP_200_OK,
    headers: dict[str, str] | None = None,
) -> Response:
    """The company's registry card as a response (the detail view, the e-services)."""
    return Response(company_body(request, code), status=status_code, headers=headers)


@extend_schema(tags=TAGS)
class CompanyListView(PageStatusesMixin, ListModelMixin, GenericAPIView[CompanyRecord]):
    """Search companies (public) and register new ones (registrars)."""

    permission_classes = [PublicReadRegistrarWrite]
    serializer_class = CompanySummarySerializer

    def get_queryset(self) -> QuerySet[CompanyRecord]:
        params = validated(CompanyFilterSerializer, self.request.query_params)
        companies = CompanyRecord.objects.order_by("name", "registry_code")
        query = " ".join(params.get("q", "").split())
        if REGISTRY_CODE.match(query):
            # A whole registry code is looked up in its unique index, not matched in names.
            companies = companies.filter(registry_code=query)
        elif query:
            companies = companies.filter(text_contains("name", query))
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


@extend_schema(tags=TAGS, parameters=[CODE_PARAMETER])
class CompanyDetailView(GenericAPIView[CompanyRecord]):
    """The public registry card of one company."""

    permission_classes = [PublicReadRegistrarWrite]
    serializer_class = CompanyDetailSerializer

    @extend_schema(
        summary="A company's registry card and ledger history",
        auth=PUBLIC,
        responses={200: CompanyDetailSerializer, **problem_responses(400, 404, 429)},
    )
    def get(self, request: Request, code: str) -> Response:
        return detail_response(request, code)
