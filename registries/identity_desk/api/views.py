"""REST endpoints of the identity registry (``/api/v1/identity/``).

* Public: organisation search and an organisation's register card.
* Personal data is not public: an official of any role (or a superuser) may
  look up a person by code; a citizen (username = their personal code) sees
  only themselves (``persons/me/`` or ``persons/<own code>/``). Anyone else
  gets 403 whether or not the code exists, so they learn nothing.
* An organisation's representatives (who may sign in for a court, hospital,
  ministry, ...) are seen, appointed and removed by identity registrars only.
* The commands are the catalog's (``registries.identity_desk.commands``).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import NotAuthenticated
from rest_framework.generics import GenericAPIView
from rest_framework.mixins import ListModelMixin
from rest_framework.permissions import AllowAny, BasePermission
from rest_framework.request import Request
from rest_framework.response import Response

from registries.access.roles import registry_role
from registries.common.api import PUBLIC, public_read, text_contains, validated
from registries.common.api.problems import problem_responses
from registries.common.codes import checked_personal_code, checked_registry_code
from registries.common.errors import NotFound
from registries.common.search import REGISTRY_CODE
from registries.common.statuses import PageStatusesMixin
from registries.common.texts import N_, Message
from registries.identity.models import (
    AppointmentRecord,
    OrganisationRecord,
    PersonRecord,
    RepresentativeRecord,
)
from registries.identity.services import is_official, official_code_of
from registries.identity_desk.api.serializers import (
    OfficialSerializer,
    OrganisationDetailSerializer,
    OrganisationFilterSerializer,
    OrganisationSerializer,
    PersonSerializer,
    RepresentativeSerializer,
)

TAGS = ["identity"]

PERSON_CODE_PARAMETER = OpenApiParameter(
    "code",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    pattern=r"^[0-9]{11}$",
    description="Estonian personal identification code (isikukood, 11 digits)",
)
ORGANISATION_CODE_PARAMETER = OpenApiParameter(
    "code",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    pattern=r"^[0-9]{8}$",
    description="8-digit registry code of the organisation (with its check digit)",
)
PERSON_CODE_PARAMETER_OF = OpenApiParameter(
    "personal_code",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    pattern=r"^[0-9]{11}$",
    description="Personal identification code (isikukood) of the representative",
)
IdentityRegistrar = registry_role("identity", "registrar")
# Reads for everyone; the registrars' commands join the search (registration).
PublicReadRegistrarWrite = public_read(IdentityRegistrar)


# Permissions ----------------------------------------------------------------------------


class PersonReader(BasePermission):
    """Officials of any role and superusers see any person; a citizen only themselves."""

    message = (
        "only officials may look up other persons; "
        "a citizen sees their own record at /api/v1/identity/persons/me/"
    )

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            raise NotAuthenticated()
        if user.is_active and user.is_superuser:
            return True
        own = official_code_of(user)
        if own is None:
            return False
        return own == view.kwargs.get("code") or is_official(own)


# Helpers ----------------------------------------------------------------------------------


def person_record(code: str) -> PersonRecord:
    """The person's read model: 400 if the code is malformed, 404 if unknown."""
    checked_personal_code(code)
    try:
        return PersonRecord.objects.prefetch_related(
            "keys", Prefetch("appointments", AppointmentRecord.objects.filter(active=True))
        ).get(personal_code=code)
    except PersonRecord.DoesNotExist:
        raise NotFound(Message(N_("no person with personal code {code}"), {"code": code})) from None


def organisation_record(code: str) -> OrganisationRecord:
    """The organisation's read model: 400 if the code is malformed, 404 if unknown."""
    checked_registry_code(code)
    try:
        return OrganisationRecord.objects.get(registry_code=code)
    except OrganisationRecord.DoesNotExist:
        raise NotFound(
            Message(N_("no organisation with registry code {code}"), {"code": code})
        ) from None


def person_body(request: Request, code: str) -> Any:
    """The person's record, as the person views and every person command answer."""
    return PersonSerializer(person_record(code), context={"request": request}).data


# Organisations -------------------------------------------------------------------------------


@extend_schema(tags=TAGS)
class OrganisationListView(PageStatusesMixin, ListModelMixin, GenericAPIView[OrganisationRecord]):
    """Search organisations (public) and register new ones (identity registrars)."""

    permission_classes = [PublicReadRegistrarWrite]
    serializer_class = OrganisationSerializer

    def get_queryset(self) -> QuerySet[OrganisationRecord]:
        params = validated(OrganisationFilterSerializer, self.request.query_params)
        organisations = OrganisationRecord.objects.order_by("name", "registry_code")
        query = " ".join(params.get("q", "").split())
        if REGISTRY_CODE.match(query):
            # A whole registry code is looked up in its unique index, not matched in names.
            organisations = organisations.filter(registry_code=query)
        elif query:
            organisations = organisations.filter(text_contains("name", query))
        if params.get("kind"):
            organisations = organisations.filter(kind=params["kind"])
        return organisations

    @extend_schema(
        summary="Search organisations by name or registry code",
        auth=PUBLIC,
        parameters=[OrganisationFilterSerializer],
        responses={200: OrganisationSerializer(many=True), **problem_responses(400, 429)},
    )
    def get(self, request: Request) -> Response:
        return self.list(request)


@extend_schema(tags=TAGS, parameters=[ORGANISATION_CODE_PARAMETER])
class OrganisationDetailView(GenericAPIView[OrganisationRecord]):
    """The public register card of one organisation."""

    permission_classes = [AllowAny]
    serializer_class = OrganisationDetailSerializer

    @extend_schema(
        summary="An organisation's register card and ledger history",
        auth=PUBLIC,
        responses={200: OrganisationDetailSerializer, **problem_responses(400, 404, 429)},
    )
    def get(self, request: Request, code: str) -> Response:
        return Response(OrganisationDetailSerializer(organisation_record(code)).data)


# Representatives of organisations ---------------------------------------------------------------


def representative_record(organisation_code: str, personal_code: str) -> RepresentativeRecord:
    """The person's latest representation of the organisation (404 if there was none)."""
    found = (
        RepresentativeRecord.objects.select_related("person")
        .filter(organisation_code=organisation_code, person__personal_code=personal_code)
        .order_by("-appointed_seq")
        .first()
    )
    if found is None:
        raise NotFound(
            Message(
                N_("person {personal_code} has never represented {organisation_code}"),
                {"personal_code": personal_code, "organisation_code": organisation_code},
            )
        )
    return found


@extend_schema(tags=TAGS, parameters=[ORGANISATION_CODE_PARAMETER])
class RepresentativeListView(GenericAPIView[RepresentativeRecord]):
    """An organisation's representatives, current and past; appoint one (identity registrars)."""

    permission_classes = [IdentityRegistrar]
    serializer_class = RepresentativeSerializer
    pagination_class = None

    @extend_schema(
        operation_id="identity_organisations_representatives_list",
        summary="An organisation's representatives, current first",
        responses={
            200: RepresentativeSerializer(many=True),
            **problem_responses(400, 401, 403, 404, 429),
        },
    )
    def get(self, request: Request, code: str) -> Response:
        organisation_record(code)
        records = RepresentativeRecord.objects.select_related("person").filter(
            organisation_code=code
        )
        return Response(RepresentativeSerializer(records, many=True).data)


@extend_schema(tags=TAGS, parameters=[ORGANISATION_CODE_PARAMETER, PERSON_CODE_PARAMETER_OF])
class RepresentativeDetailView(GenericAPIView[RepresentativeRecord]):
    """A person's latest representation of an organisation (identity registrars)."""

    permission_classes = [IdentityRegistrar]
    serializer_class = RepresentativeSerializer

    @extend_schema(
        summary="A person's representation of an organisation",
        responses={200: RepresentativeSerializer, **problem_responses(400, 401, 403, 404, 429)},
    )
    def get(self, request: Request, code: str, personal_code: str) -> Response:
        checked_registry_code(code)
        checked_personal_code(personal_code)
        return Response(RepresentativeSerializer(representative_record(code, personal_code)).data)


# Persons ---------------------------------------------------------------------------------------


@extend_schema(tags=TAGS)
class MyPersonView(GenericAPIView[PersonRecord]):
    """The calling citizen's own record (username = their personal code)."""

    serializer_class = PersonSerializer

    def get_permissions(self) -> list[BasePermission]:
        return []  # checked in get(): only authentication is needed

    @extend_schema(
        summary="My own record in the population register",
        responses={200: PersonSerializer, **problem_responses(401, 404, 429)},
    )
    def get(self, request: Request) -> Response:
        if not (request.user and request.user.is_authenticated):
            raise NotAuthenticated()
        code = official_code_of(request.user)
        if code is None:
            raise NotFound(N_("your username is not a personal code, so you have no record here"))
        return Response(person_body(request, code))


@extend_schema(tags=TAGS, parameters=[PERSON_CODE_PARAMETER])
class PersonDetailView(GenericAPIView[PersonRecord]):
    """A person's record, for officials and for the person themselves."""

    permission_classes = [PersonReader]
    serializer_class = PersonSerializer

    @extend_schema(
        summary="A person's record (officials, or the person themselves)",
        responses={200: PersonSerializer, **problem_responses(400, 401, 403, 404, 429)},
    )
    def get(self, request: Request, code: str) -> Response:
        return Response(person_body(request, code))


# Officials --------------------------------------------------------------------------------------


def official_body(data: dict[str, Any]) -> Any:
    """The appointment named by ``data``, latest first, as the official commands answer."""
    appointment = (
        AppointmentRecord.objects.select_related("person")
        .filter(
            person__personal_code=data["personal_code"],
            registry=data["registry"],
            role=data["role"],
            organisation_code=data.get("organisation_code") or "",
        )
        .order_by("-appointed_seq")
        .first()
    )
    return OfficialSerializer(appointment).data
