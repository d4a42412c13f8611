"""REST endpoints of the land register (``/api/v1/property/``).

* Public: the land unit search and the title register of a unit (parts I-IV,
  transfers with their endorsements, ledger seq, block, level and history),
  and ``transfer-message/``, which returns the canonical bytes a notary signs.
  Searching by a person's code (``?owner=<personal code>``) is for property
  officials and for that person only; by an organisation's code it is public.
* Commands on the register (register a unit, change part I, enter and remove
  part III entries, enter and release mortgages) need the property registrar
  role (``registry_role("property", "registrar")``).
* A transfer of ownership carries the notary's signature. It may be submitted
  by a property registrar (who files the notary-signed deed) or by the
  endorsing notary themselves (the caller's personal code equals ``notary``);
  either way the signature is what makes it valid, not the caller.
* Seizure notes are not an API command: only the court registry's process
  writes them (``PropertyRegistry.note_seizure``/``lift_seizure``).

Every command is issued through :func:`registries.common.commands.issue`, so
the answer already shows its effect. Errors are RFC 9457 problem documents.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db.models import Q, QuerySet
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotAuthenticated, PermissionDenied
from rest_framework.generics import GenericAPIView
from rest_framework.mixins import ListModelMixin
from rest_framework.permissions import SAFE_METHODS, AllowAny, BasePermission
from rest_framework.request import Request
from rest_framework.response import Response

from registries.access.roles import registry_role, request_has_role, role_message
from registries.access.tokens import actor
from registries.common.api import text_contains
from registries.common.api.problems import problem_responses
from registries.common.application import running
from registries.common.commands import issue
from registries.common.errors import NotFound
from registries.identity.services import official_code_of
from registries.property.api.serializers import (
    DescriptionChangeSerializer,
    EmptyCommandSerializer,
    LandUnitDetailSerializer,
    LandUnitFilterSerializer,
    LandUnitRegistrationSerializer,
    LandUnitSummarySerializer,
    MortgageInputSerializer,
    RestrictionInputSerializer,
    TransferInputSerializer,
    TransferMessageInputSerializer,
    TransferMessageSerializer,
)
from registries.property.application import PropertyRegistry, Transfer
from registries.property.domain import PERSON, party_kind, validate_cadastral_code
from registries.property.models import LandUnitRecord
from registries.property.projections import PROJECTIONS

TAGS = ["property"]
# Reads that are public: a token or session is accepted but not needed.
PUBLIC: Any = [{"tokenAuth": []}, {"cookieAuth": []}, {}]

CODE_PARAMETER = OpenApiParameter(
    "code",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    pattern=r"^[0-9]{5}:[0-9]{3}:[0-9]{4}$",
    description="Cadastral code of the land unit, such as 78401:101:0010",
)
NUMBER_PARAMETER = OpenApiParameter(
    "number", OpenApiTypes.INT, OpenApiParameter.PATH, description="Part III entry number"
)
RANK_PARAMETER = OpenApiParameter(
    "rank", OpenApiTypes.INT, OpenApiParameter.PATH, description="Rank of the mortgage"
)

PropertyRegistrar = registry_role("property", "registrar")


# Permissions ----------------------------------------------------------------------------


class PublicReadRegistrarWrite(BasePermission):
    """Reads for everyone; commands for property registrars."""

    message = role_message("property", "registrar")

    def has_permission(self, request: Request, view: Any) -> bool:
        if request.method in SAFE_METHODS:
            return True
        return PropertyRegistrar().has_permission(request, view)


class RegistrarOrEndorsingNotary(BasePermission):
    """A property registrar, or the notary who endorsed the transfer (``notary`` in the body)."""

    message = (
        "only a registrar of the property registry, or the notary who endorsed the "
        "transfer, may submit it"
    )

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            raise NotAuthenticated()
        if request_has_role(request, "property", "registrar"):
            return True
        own = official_code_of(user)
        data = request.data if isinstance(request.data, dict) else {}
        return (
            own is not None
            and own == data.get("notary")
            and request_has_role(request, "property", "notary")
        )


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
        raise NotFound(f"no land unit with cadastral code {code}") from None


def validated(serializer_class: type[serializers.BaseSerializer[Any]], data: Any) -> dict[str, Any]:
    """The data after the serializer's checks (a 400 problem listing the fields if not)."""
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def holdings(items: list[dict[str, str]]) -> list[tuple[str, str]]:
    return [(item["owner"], item["share"]) for item in items]


def detail_response(
    request: Request,
    code: str,
    status_code: int = status.HTTP_200_OK,
    headers: dict[str, str] | None = None,
) -> Response:
    """The unit's title register, as every command answers."""
    body = LandUnitDetailSerializer(land_unit_record(code), context={"request": request}).data
    return Response(body, status=status_code, headers=headers)


def unit_url(request: Request, code: str) -> str:
    return request.build_absolute_uri(reverse("property:land-unit-detail", args=[code]))


# Land units -------------------------------------------------------------------------------


@extend_schema(tags=TAGS)
class LandUnitListView(ListModelMixin, GenericAPIView[LandUnitRecord]):
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
                        "searching land units by a personal code needs authentication"
                    )
                raise PermissionDenied(
                    "only property officials and the person themselves may search land units "
                    "by a personal code"
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

    @extend_schema(
        summary="Register a land unit with its first owners",
        request=LandUnitRegistrationSerializer,
        responses={
            201: LandUnitDetailSerializer,
            **problem_responses(400, 401, 403, 409, 429),
        },
    )
    def post(self, request: Request) -> Response:
        data = validated(LandUnitRegistrationSerializer, request.data)
        who = actor(request)
        code = issue(
            PropertyRegistry,
            PROJECTIONS,
            lambda app: app.register_land_unit(
                data["cadastral_code"],
                data["area_m2"],
                data["purpose"],
                data["address"],
                holdings(data["owners"]),
                who,
            ),
        )
        return detail_response(
            request, code, status.HTTP_201_CREATED, {"Location": unit_url(request, code)}
        )


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


class UnitCommandView(GenericAPIView[LandUnitRecord]):
    """Base of the registrars' commands on one unit: POST the command's data."""

    permission_classes = [PropertyRegistrar]
    success_status: ClassVar[int] = status.HTTP_200_OK

    def execute(
        self, app: PropertyRegistry, code: str, data: dict[str, Any], who: str, **kwargs: Any
    ) -> None:
        raise NotImplementedError

    def post(self, request: Request, code: str, **kwargs: Any) -> Response:
        validate_cadastral_code(code)
        data = validated(self.get_serializer_class(), request.data)
        who = actor(request)
        issue(
            PropertyRegistry,
            PROJECTIONS,
            lambda app: self.execute(app, code, data, who, **kwargs),
        )
        return detail_response(request, code, self.success_status)


def command_schema(
    summary: str,
    request: type[serializers.Serializer[Any]],
    *,
    created: bool = False,
    extra: list[OpenApiParameter] | None = None,
    description: str = "",
) -> Any:
    """OpenAPI documentation of a command on one unit."""
    return extend_schema(
        tags=TAGS,
        summary=summary,
        description=description or None,
        parameters=[CODE_PARAMETER, *(extra or [])],
        request=request,
        responses={
            (201 if created else 200): LandUnitDetailSerializer,
            **problem_responses(400, 401, 403, 404, 409, 429),
        },
    )


@command_schema("Change part I: area, intended purpose, address", DescriptionChangeSerializer)
class DescriptionView(UnitCommandView):
    """Change the description of a land unit."""

    serializer_class = DescriptionChangeSerializer

    def execute(
        self, app: PropertyRegistry, code: str, data: dict[str, Any], who: str, **kwargs: Any
    ) -> None:
        app.change_description(code, data["area_m2"], data["purpose"], data["address"], who)


@command_schema(
    "Enter a restriction or encumbrance in part III", RestrictionInputSerializer, created=True
)
class RestrictionView(UnitCommandView):
    """Enter a servitude, usufruct, right of pre-emption, ... in part III."""

    serializer_class = RestrictionInputSerializer
    success_status = status.HTTP_201_CREATED

    def execute(
        self, app: PropertyRegistry, code: str, data: dict[str, Any], who: str, **kwargs: Any
    ) -> None:
        app.add_restriction(code, data["kind"], data["description"], data["beneficiary"], who)


@command_schema(
    "Remove a part III entry (not a seizure note)",
    EmptyCommandSerializer,
    extra=[NUMBER_PARAMETER],
)
class RestrictionRemovalView(UnitCommandView):
    """Delete a restriction from part III."""

    serializer_class = EmptyCommandSerializer

    def execute(
        self, app: PropertyRegistry, code: str, data: dict[str, Any], who: str, **kwargs: Any
    ) -> None:
        app.remove_restriction(code, int(kwargs["number"]), who)


@command_schema(
    "Enter a mortgage in part IV (ranked by order of recording)",
    MortgageInputSerializer,
    created=True,
)
class MortgageView(UnitCommandView):
    """Enter a mortgage; it ranks after every mortgage recorded on the unit before it."""

    serializer_class = MortgageInputSerializer
    success_status = status.HTTP_201_CREATED

    def execute(
        self, app: PropertyRegistry, code: str, data: dict[str, Any], who: str, **kwargs: Any
    ) -> None:
        app.add_mortgage(code, data["amount_cents"], data["creditor"], who)


@command_schema("Release a mortgage", EmptyCommandSerializer, extra=[RANK_PARAMETER])
class MortgageReleaseView(UnitCommandView):
    """Delete a mortgage from part IV; the others keep their ranks."""

    serializer_class = EmptyCommandSerializer

    def execute(
        self, app: PropertyRegistry, code: str, data: dict[str, Any], who: str, **kwargs: Any
    ) -> None:
        app.release_mortgage(code, int(kwargs["rank"]), who)


@command_schema(
    "Transfer ownership with a notary's endorsement",
    TransferInputSerializer,
    created=True,
    description=(
        "Submitted by a property registrar or by the endorsing notary. `signature` is the "
        "notary's Ed25519 signature of the canonical message that `transfer-message/` returns "
        "for the same sellers, buyers, price and `unit_version`. Nothing is written unless the "
        "signer is a property notary, the signature verifies with their current e-ID key, "
        "`unit_version` is the unit's current version, the sellers own the unit and no seizure "
        "note stands. Of two conflicting transfers the one earlier in the ledger wins; the "
        "other gets 409 naming the winner's ledger seq."
    ),
)
class TransferView(UnitCommandView):
    """Transfer ownership of a land unit, endorsed by a notary."""

    permission_classes = [RegistrarOrEndorsingNotary]
    serializer_class = TransferInputSerializer
    success_status = status.HTTP_201_CREATED

    def execute(
        self, app: PropertyRegistry, code: str, data: dict[str, Any], who: str, **kwargs: Any
    ) -> None:
        app.transfer_ownership(code, transfer_of(data), who)


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
