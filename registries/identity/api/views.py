"""REST endpoints of the identity registry (``/api/v1/identity/``).

* Public: organisation search and an organisation's register card.
* Personal data is not public: an official of any role (or a superuser) may
  look up a person by code; a citizen (username = their personal code) sees
  only themselves (``persons/me/`` or ``persons/<own code>/``). Anyone else
  gets 403 whether or not the code exists, so they learn nothing.
* An organisation's representatives (who may sign in for a court, hospital,
  ministry, ...) are seen, appointed and removed by identity registrars only.
* Commands need the identity registrar role (``registry_role("identity",
  "registrar")``). To bootstrap the registry a Django superuser may act as a
  registrar too. Key commands may also be issued by the citizen on their own
  keys.

Every command is issued through :func:`registries.common.commands.issue`, so
the answer already shows its effect. Errors are RFC 9457 problem documents.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.db.models import Prefetch, Q, QuerySet
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotAuthenticated
from rest_framework.generics import GenericAPIView
from rest_framework.mixins import ListModelMixin
from rest_framework.permissions import SAFE_METHODS, AllowAny, BasePermission
from rest_framework.request import Request
from rest_framework.response import Response

from registries.access.roles import registry_role, role_message
from registries.access.tokens import actor
from registries.common.api import text_contains
from registries.common.api.problems import problem_responses
from registries.common.codes import InvalidCodeError, validate_personal_code, validate_registry_code
from registries.common.commands import issue
from registries.common.errors import InvalidCommand, NotFound
from registries.identity.api.serializers import (
    AppointmentSerializer,
    DeathSerializer,
    KeyRevocationSerializer,
    NameChangeSerializer,
    OfficialSerializer,
    OrganisationDetailSerializer,
    OrganisationFilterSerializer,
    OrganisationRegistrationSerializer,
    OrganisationSerializer,
    PersonRegistrationSerializer,
    PersonSerializer,
    PublicKeyInputSerializer,
    RepresentativeAppointmentSerializer,
    RepresentativeSerializer,
)
from registries.identity.application import IdentityRegistry
from registries.identity.models import (
    AppointmentRecord,
    OrganisationRecord,
    PersonRecord,
    RepresentativeRecord,
)
from registries.identity.projections import PROJECTIONS
from registries.identity.services import is_official, official_code_of

TAGS = ["identity"]
# Reads that are public: a token or session is accepted but not needed.
PUBLIC: Any = [{"tokenAuth": []}, {"cookieAuth": []}, {}]

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
KEY_ID_PARAMETER = OpenApiParameter(
    "key_id",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    pattern=r"^[0-9a-f]{16}$",
    description="Key id: first 8 bytes of SHA-256 of the raw public key, hex",
)

IdentityRegistrar = registry_role("identity", "registrar", allow_superuser=True)


# Permissions ----------------------------------------------------------------------------


class PublicReadRegistrarWrite(BasePermission):
    """Reads for everyone; commands for identity registrars (and superusers)."""

    message = role_message("identity", "registrar")

    def has_permission(self, request: Request, view: Any) -> bool:
        if request.method in SAFE_METHODS:
            return True
        return IdentityRegistrar().has_permission(request, view)


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


class KeyHolderOrRegistrar(BasePermission):
    """The citizen on their own keys, or an identity registrar (or superuser)."""

    message = "only the key holder or a registrar of the identity registry may do this"

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            raise NotAuthenticated()
        own = official_code_of(user)
        if own is not None and user.is_active and own == view.kwargs.get("code"):
            return True
        return IdentityRegistrar().has_permission(request, view)


# Helpers ----------------------------------------------------------------------------------


class InvalidPersonalCode(InvalidCommand):
    """A personal code that is malformed: the message says which part is wrong."""

    title = "Malformed personal code"
    slug = "invalid-personal-code"


class InvalidRegistryCode(InvalidCommand):
    """A registry code that is not 8 digits or whose check digit is wrong."""

    title = "Malformed registry code"
    slug = "invalid-registry-code"


def checked_personal_code(code: str) -> str:
    """``code`` if it is a valid personal code, else a 400 problem saying why."""
    try:
        validate_personal_code(code)
    except InvalidCodeError as error:
        raise InvalidPersonalCode(str(error)) from None
    return code


def checked_registry_code(code: str) -> str:
    """``code`` if it is a well-formed registry code, else a 400 problem."""
    try:
        return validate_registry_code(code)
    except InvalidCodeError as error:
        raise InvalidRegistryCode(str(error)) from None


def person_record(code: str) -> PersonRecord:
    """The person's read model: 400 if the code is malformed, 404 if unknown."""
    checked_personal_code(code)
    try:
        return PersonRecord.objects.prefetch_related(
            "keys", Prefetch("appointments", AppointmentRecord.objects.filter(active=True))
        ).get(personal_code=code)
    except PersonRecord.DoesNotExist:
        raise NotFound(f"no person with personal code {code}") from None


def organisation_record(code: str) -> OrganisationRecord:
    """The organisation's read model: 400 if the code is malformed, 404 if unknown."""
    checked_registry_code(code)
    try:
        return OrganisationRecord.objects.get(registry_code=code)
    except OrganisationRecord.DoesNotExist:
        raise NotFound(f"no organisation with registry code {code}") from None


def validated(serializer_class: type[serializers.BaseSerializer[Any]], data: Any) -> dict[str, Any]:
    """The data after the serializer's checks (a 400 problem listing the fields if not)."""
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def person_response(
    request: Request,
    code: str,
    status_code: int = status.HTTP_200_OK,
    headers: dict[str, str] | None = None,
) -> Response:
    """The person's record, as every person command answers."""
    body = PersonSerializer(person_record(code), context={"request": request}).data
    return Response(body, status=status_code, headers=headers)


def person_url(request: Request, code: str) -> str:
    return request.build_absolute_uri(reverse("identity:person-detail", args=[code]))


# Organisations -------------------------------------------------------------------------------


@extend_schema(tags=TAGS)
class OrganisationListView(ListModelMixin, GenericAPIView[OrganisationRecord]):
    """Search organisations (public) and register new ones (identity registrars)."""

    permission_classes = [PublicReadRegistrarWrite]
    serializer_class = OrganisationSerializer

    def get_queryset(self) -> QuerySet[OrganisationRecord]:
        params = validated(OrganisationFilterSerializer, self.request.query_params)
        organisations = OrganisationRecord.objects.order_by("name", "registry_code")
        query = " ".join(params.get("q", "").split())
        if query:
            organisations = organisations.filter(
                text_contains("name", query) | Q(registry_code=query)
            )
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

    @extend_schema(
        summary="Register an organisation",
        request=OrganisationRegistrationSerializer,
        responses={
            201: OrganisationDetailSerializer,
            **problem_responses(400, 401, 403, 409, 429),
        },
    )
    def post(self, request: Request) -> Response:
        data = validated(OrganisationRegistrationSerializer, request.data)
        who = actor(request)
        code = issue(
            IdentityRegistry,
            PROJECTIONS,
            lambda app: app.register_organisation(
                data["registry_code"], data["name"], data["kind"], who
            ),
        )
        body = OrganisationDetailSerializer(organisation_record(code)).data
        location = request.build_absolute_uri(reverse("identity:organisation-detail", args=[code]))
        return Response(body, status=status.HTTP_201_CREATED, headers={"Location": location})


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
        raise NotFound(f"person {personal_code} has never represented {organisation_code}")
    return found


def representative_url(request: Request, organisation_code: str, personal_code: str) -> str:
    return request.build_absolute_uri(
        reverse("identity:organisation-representative", args=[organisation_code, personal_code])
    )


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

    @extend_schema(
        summary="Appoint a representative of an organisation that is not a company",
        request=RepresentativeAppointmentSerializer,
        responses={
            201: RepresentativeSerializer,
            **problem_responses(400, 401, 403, 404, 409, 429),
        },
    )
    def post(self, request: Request, code: str) -> Response:
        checked_registry_code(code)
        data = validated(RepresentativeAppointmentSerializer, request.data)
        person = data["personal_code"]
        who = actor(request)
        issue(
            IdentityRegistry,
            PROJECTIONS,
            lambda app: app.appoint_representative(person, code, data["title"], who),
        )
        body = RepresentativeSerializer(representative_record(code, person)).data
        location = representative_url(request, code, person)
        return Response(body, status=status.HTTP_201_CREATED, headers={"Location": location})


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


@extend_schema(tags=TAGS, parameters=[ORGANISATION_CODE_PARAMETER, PERSON_CODE_PARAMETER_OF])
class RepresentativeRemovalView(GenericAPIView[RepresentativeRecord]):
    """End a person's representation of an organisation (identity registrars)."""

    permission_classes = [IdentityRegistrar]
    serializer_class = RepresentativeSerializer

    @extend_schema(
        summary="Remove a representative of an organisation",
        request=None,
        responses={200: RepresentativeSerializer, **problem_responses(400, 401, 403, 404, 429)},
    )
    def post(self, request: Request, code: str, personal_code: str) -> Response:
        checked_registry_code(code)
        checked_personal_code(personal_code)
        who = actor(request)
        issue(
            IdentityRegistry,
            PROJECTIONS,
            lambda app: app.remove_representative(personal_code, code, who),
        )
        return Response(RepresentativeSerializer(representative_record(code, personal_code)).data)


# Persons ---------------------------------------------------------------------------------------


@extend_schema(tags=TAGS)
class PersonListView(GenericAPIView[PersonRecord]):
    """Register persons in the population register (identity registrars)."""

    permission_classes = [IdentityRegistrar]
    serializer_class = PersonRegistrationSerializer

    @extend_schema(
        summary="Register a person",
        request=PersonRegistrationSerializer,
        responses={201: PersonSerializer, **problem_responses(400, 401, 403, 409, 429)},
    )
    def post(self, request: Request) -> Response:
        data = validated(PersonRegistrationSerializer, request.data)
        who = actor(request)
        code = issue(
            IdentityRegistry,
            PROJECTIONS,
            lambda app: app.register_person(
                data["personal_code"], data["first_name"], data["last_name"], who
            ),
        )
        return person_response(
            request, code, status.HTTP_201_CREATED, {"Location": person_url(request, code)}
        )


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
            raise NotFound("your username is not a personal code, so you have no record here")
        return person_response(request, code)


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
        return person_response(request, code)


class PersonCommandView(GenericAPIView[PersonRecord]):
    """Base of the commands on one person: POST the command's data."""

    permission_classes = [IdentityRegistrar]
    success_status: ClassVar[int] = status.HTTP_200_OK

    def execute(
        self, app: IdentityRegistry, code: str, data: dict[str, Any], who: str, **kwargs: Any
    ) -> None:
        raise NotImplementedError

    def post(self, request: Request, code: str, **kwargs: Any) -> Response:
        checked_personal_code(code)
        data = validated(self.get_serializer_class(), request.data)
        who = actor(request)
        issue(
            IdentityRegistry,
            PROJECTIONS,
            lambda app: self.execute(app, code, data, who, **kwargs),
        )
        return person_response(request, code, self.success_status)


def command_schema(
    summary: str,
    request: type[serializers.Serializer[Any]],
    created: bool = False,
    key_id: bool = False,
) -> Any:
    """OpenAPI documentation of a person command endpoint."""
    return extend_schema(
        tags=TAGS,
        summary=summary,
        parameters=[PERSON_CODE_PARAMETER, *([KEY_ID_PARAMETER] if key_id else [])],
        request=request,
        responses={
            (201 if created else 200): PersonSerializer,
            **problem_responses(400, 401, 403, 404, 409, 429),
        },
    )


@command_schema("Change a person's names", NameChangeSerializer)
class NameChangeView(PersonCommandView):
    """Record a person's new names."""

    serializer_class = NameChangeSerializer

    def execute(
        self, app: IdentityRegistry, code: str, data: dict[str, Any], who: str, **kwargs: Any
    ) -> None:
        app.change_name(code, data["first_name"], data["last_name"], who)


@command_schema("Record a person's death", DeathSerializer)
class DeathView(PersonCommandView):
    """Record a person's death: appointments end, the active key expires."""

    serializer_class = DeathSerializer

    def execute(
        self, app: IdentityRegistry, code: str, data: dict[str, Any], who: str, **kwargs: Any
    ) -> None:
        app.record_death(code, data["died_on"], who)


@command_schema("Register a person's e-ID public key", PublicKeyInputSerializer, created=True)
class KeyRegistrationView(PersonCommandView):
    """Register the first key (or a new one after revocation); the key holder may do it."""

    permission_classes = [KeyHolderOrRegistrar]
    serializer_class = PublicKeyInputSerializer
    success_status = status.HTTP_201_CREATED

    def execute(
        self, app: IdentityRegistry, code: str, data: dict[str, Any], who: str, **kwargs: Any
    ) -> None:
        app.register_key(code, data["public_key"], who)


@command_schema("Rotate a person's e-ID key", PublicKeyInputSerializer, created=True)
class KeyRotationView(PersonCommandView):
    """Replace the active key; the old key stays verifiable for old signatures."""

    permission_classes = [KeyHolderOrRegistrar]
    serializer_class = PublicKeyInputSerializer
    success_status = status.HTTP_201_CREATED

    def execute(
        self, app: IdentityRegistry, code: str, data: dict[str, Any], who: str, **kwargs: Any
    ) -> None:
        app.rotate_key(code, data["public_key"], who)


@command_schema("Revoke one of a person's keys", KeyRevocationSerializer, key_id=True)
class KeyRevocationView(PersonCommandView):
    """Revoke a key: nothing verifies against it any more."""

    permission_classes = [KeyHolderOrRegistrar]
    serializer_class = KeyRevocationSerializer

    def execute(
        self, app: IdentityRegistry, code: str, data: dict[str, Any], who: str, **kwargs: Any
    ) -> None:
        app.revoke_key(code, str(kwargs["key_id"]).lower(), data["reason"], who)


# Officials --------------------------------------------------------------------------------------


def official_response(data: dict[str, Any], status_code: int) -> Response:
    """The appointment named by ``data``, latest first."""
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
    return Response(OfficialSerializer(appointment).data, status=status_code)


@extend_schema(tags=TAGS)
class AppointmentView(GenericAPIView[AppointmentRecord]):
    """Appoint an official (identity registrars)."""

    permission_classes = [IdentityRegistrar]
    serializer_class = AppointmentSerializer

    @extend_schema(
        summary="Appoint an official",
        request=AppointmentSerializer,
        responses={201: OfficialSerializer, **problem_responses(400, 401, 403, 404, 409, 429)},
    )
    def post(self, request: Request) -> Response:
        data = validated(AppointmentSerializer, request.data)
        who = actor(request)
        issue(
            IdentityRegistry,
            PROJECTIONS,
            lambda app: app.appoint_official(
                data["personal_code"],
                data["registry"],
                data["role"],
                data.get("organisation_code"),
                who,
            ),
        )
        return official_response(data, status.HTTP_201_CREATED)


@extend_schema(tags=TAGS)
class DismissalView(GenericAPIView[AppointmentRecord]):
    """Dismiss an official (identity registrars)."""

    permission_classes = [IdentityRegistrar]
    serializer_class = AppointmentSerializer

    @extend_schema(
        summary="Dismiss an official",
        request=AppointmentSerializer,
        responses={200: OfficialSerializer, **problem_responses(400, 401, 403, 404, 409, 429)},
    )
    def post(self, request: Request) -> Response:
        data = validated(AppointmentSerializer, request.data)
        who = actor(request)
        issue(
            IdentityRegistry,
            PROJECTIONS,
            lambda app: app.dismiss_official(
                data["personal_code"],
                data["registry"],
                data["role"],
                data.get("organisation_code"),
                who,
            ),
        )
        return official_response(data, status.HTTP_200_OK)
