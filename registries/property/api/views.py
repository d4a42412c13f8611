"""REST endpoints of the land register (``/api/v1/property/``).

* Public: the land unit search and the title register of a unit (parts I-IV,
  transfers with their endorsements, ledger seq, block, level and history),
  and ``transfer-message/``, which returns the canonical bytes a notary signs.
  Searching by a person's code (``?owner=<personal code>``) is for property
  officials and for that person only; by an organisation's code it is public.
* The commands are the catalog's (``registries.property.commands``).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils.translation import gettext
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotAuthenticated, PermissionDenied
from rest_framework.generics import GenericAPIView
from rest_framework.mixins import ListModelMixin
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from registries.access.roles import registry_role, request_has_role
from registries.common.api import PUBLIC, public_read, text_contains, validated
from registries.common.api.problems import problem_responses
from registries.common.application import running
from registries.common.codes import PERSON, party_kind
from registries.common.errors import NotFound
from registries.common.statuses import PageStatusesMixin
from registries.common.texts import N_, Message
from registries.identity.services import official_code_of
from registries.property.api.serializers import (
    LandUnitDetailSerializer,
    LandUnitFilterSerializer,
    LandUnitSummarySerializer,
    TransferMessageInputSerializer,
    TransferMessageSerializer,
)
from registries.property.application import PropertyRegistry, Transfer
from registries.property.models import LandUnitRecord
from registries.property.vocabulary import validate_cadastral_code

TAGS = ["property"]

CODE_PARAMETER = OpenApiParameter(
    "code",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    pattern=r"^[0-9]{5}:[0-9]{3}:[0-9]{4}$",
    description="Cadastral code of the land unit, such as 78401:101:0010",
)

PropertyRegistrar = registry_role("property", "registrar")
# Reads for everyone; the registrars' commands join the search (registration).
PublicReadRegistrarWrite = public_read(PropertyRegistrar)


def may_search_by_person(request: Request, code: str) -> bool:
    """Property officials, and the person themselves, may search by a personal code."""
    user = request.user
    if not (user and user.is_authenticated and user.is_active):
        return False
    if official_code_of(user) == code:
        return True
    return request_has_role(request, "property", "registrar") or request_has_role(
        request, "property", "notary"
    )


# Helpers ---------------------------------------------------------------------------------


def land_unit_record(code: str) -> LandUnitRecord:
    """The unit's read model: 400 if the code is malformed, 404 if unknown."""
    validate_cadastral_code(code)
    try:
        return LandUnitRecord.objects.prefetch_related(
            "owners", "restrictions", "mortgages", "transfers"
        ).get(cadastral_code=code)
    except LandUnitRecord.DoesNotExist:
        raise NotFound(
            Message(N_("no land unit with cadastral code {code}"), {"code": code})
        ) from None


def land_unit_aggregate(code: str) -> UUID | None:
    """The land unit's aggregate id by its public cadastral code (the explorer's
    lookup): 400 if the code is malformed, None if no unit has it."""
    validate_cadastral_code(code)
    found: UUID | None = (
        LandUnitRecord.objects.filter(cadastral_code=code)
        .values_list("aggregate_id", flat=True)
        .first()
    )
    return found


def holdings(items: list[dict[str, str]]) -> list[tuple[str, str]]:
    return [(item["owner"], item["share"]) for item in items]


def unit_body(request: Request, code: str) -> Any:
    """The unit's title register, as the detail view and every command answer."""
    return LandUnitDetailSerializer(land_unit_record(code), context={"request": request}).data


def detail_response(request: Request, code: str, status_code: int = status.HTTP_200_OK) -> Response:
    """The unit's title register as a response (the detail view, the e-services)."""
    return Response(unit_body(request, code), status=status_code)


# Land units -------------------------------------------------------------------------------


@extend_schema(tags=TAGS)
class LandUnitListView(PageStatusesMixin, ListModelMixin, GenericAPIView[LandUnitRecord]):
    """Search land units (public) and register new ones (property registrars)."""

    permission_classes = [PublicReadRegistrarWrite]
    serializer_class = LandUnitSummarySerializer

    def get_queryset(self) -> QuerySet[LandUnitRecord]:
        params = validated(LandUnitFilterSerializer, self.request.query_params)
        units = LandUnitRecord.objects.prefetch_related("owners").order_by("cadastral_code")
        query = " ".join(params.get("q", "").split())
        if query:
            units = units.filter(
                text_contains("address", query) | Q(cadastral_code__startswith=query)
            )
        if params.get("purpose"):
            units = units.filter(purpose=params["purpose"])
        if params.get("under_seizure") is not None:
            units = units.filter(under_seizure=params["under_seizure"])
        owner = params.get("owner", "").strip()
        if owner:
            kind = party_kind(owner, "owner")
            if kind == PERSON and not may_search_by_person(self.request, owner):
                if not self.request.user.is_authenticated:
                    raise NotAuthenticated(
                        gettext("searching land units by a personal code needs authentication")
                    )
                raise PermissionDenied(
                    gettext(
                        "only property officials and the person themselves may search land units "
                        "by a personal code"
                    )
                )
            units = units.filter(owners__owner_code=owner)
        return units

    @extend_schema(
        summary="Search land units by address, cadastral code, purpose or owner",
        auth=PUBLIC,
        parameters=[LandUnitFilterSerializer],
        responses={
            200: LandUnitSummarySerializer(many=True),
            **problem_responses(400, 401, 403, 429),
        },
    )
    def get(self, request: Request) -> Response:
        return self.list(request)


@extend_schema(tags=TAGS, parameters=[CODE_PARAMETER])
class LandUnitDetailView(GenericAPIView[LandUnitRecord]):
    """The public title register of one land unit."""

    permission_classes = [AllowAny]
    serializer_class = LandUnitDetailSerializer

    @extend_schema(
        summary="A land unit's title register (parts I-IV), transfers and ledger history",
        auth=PUBLIC,
        responses={200: LandUnitDetailSerializer, **problem_responses(400, 404, 429)},
    )
    def get(self, request: Request, code: str) -> Response:
        return detail_response(request, code)


def transfer_of(data: dict[str, Any]) -> Transfer:
    """The application's transfer from the API's validated data."""
    return Transfer(
        sellers=list(data["sellers"]),
        buyers=holdings(data["buyers"]),
        price_cents=data["price_cents"],
        unit_version=data["unit_version"],
        notary=data.get("notary", ""),
        signature=data.get("signature", ""),
    )


@extend_schema(
    tags=TAGS,
    parameters=[CODE_PARAMETER],
    summary="The canonical message a notary signs for a transfer",
    auth=PUBLIC,
    request=TransferMessageInputSerializer,
    responses={200: TransferMessageSerializer, **problem_responses(400, 404, 429)},
)
class TransferMessageView(GenericAPIView[LandUnitRecord]):
    """Compute (without writing anything) the bytes a notary signs for these terms."""

    permission_classes = [AllowAny]
    serializer_class = TransferMessageInputSerializer

    def post(self, request: Request, code: str) -> Response:
        validate_cadastral_code(code)
        data = validated(TransferMessageInputSerializer, request.data)
        app = running(PropertyRegistry)
        if data.get("unit_version") is None:
            data["unit_version"] = app.land_unit(code).version
        else:
            app.land_unit(code)  # 404 for an unknown unit
        message = app.transfer_message(code, transfer_of(data))
        body = {
            "message": message.decode(),
            "message_hex": message.hex(),
            "unit_version": data["unit_version"],
            "chain_id": settings.RIIK_CHAIN_ID,
        }
        return Response(TransferMessageSerializer(body).data)
