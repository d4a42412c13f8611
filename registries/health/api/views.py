"""REST endpoints of the health registry.

* ``/api/v1/health/patients/<code>/`` -- doctors (for a provider, with consent
  or an emergency reason), representatives: the record, opened; every read
  tracked. Doctors also write encounters and prescriptions (signed),
  pharmacists list and dispense prescriptions, the ministry (health
  registrar) erases a record and lists emergency accesses.
* ``/api/v1/health/patients/<code>/key-accesses/`` -- health auditors: who
  used the patient's key and why (sealed in the key store), a tracked read.
* ``/api/v1/me/health/`` -- the patient: their record; consent changes and
  representatives are signed commands (:mod:`registries.access.signing`).

The doctors', pharmacists' and ministry's commands are the catalog's
(``registries.health.commands``).
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import PermissionDenied
from rest_framework.generics import GenericAPIView
from rest_framework.mixins import ListModelMixin
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from registries.access.me import person_code
from registries.access.roles import registry_role, request_has_role, role_message
from registries.access.signing import SignedCommandMixin
from registries.common.api import validated
from registries.common.api.problems import problem_responses
from registries.common.application import running
from registries.common.commands import issue
from registries.common.errors import InvalidCommand
from registries.common.texts import N_
from registries.health import keystore
from registries.health.api.serializers import (
    EntryMessageInSerializer,
    EntryMessageOutSerializer,
    KeyAccessSerializer,
    PrescriptionInSerializer,
    PrescriptionOutSerializer,
    RecordOutSerializer,
    SignedConsentSerializer,
    SignedRepresentativeSerializer,
)
from registries.health.application import THE_PATIENT, HealthRegistry, check_person
from registries.health.projections import PROJECTIONS
from registries.health.reading import Reader, read_prescriptions, read_record
from registries.tracker.api.serializers import ReadSerializer
from registries.tracker.domain import ALLOWED, REFUSED, check_text
from registries.tracker.models import ReadRecord
from registries.tracker.services import investigation_of, purpose_of, record_read

TAGS = ["health"]
CODE = OpenApiParameter(
    "code", OpenApiTypes.STR, OpenApiParameter.PATH, description="The patient's personal code"
)
READ_PARAMETERS = [
    OpenApiParameter("provider", OpenApiTypes.STR, description="Hospital you read for (doctors)"),
    OpenApiParameter("purpose", OpenApiTypes.STR, description="Why you read (tracked)"),
    OpenApiParameter(
        "emergency_reason", OpenApiTypes.STR, description="Break glass: why, in an emergency"
    ),
    OpenApiParameter(
        "covert_investigation",
        OpenApiTypes.STR,
        description="Criminal case of a covert read: refused (403) and shown to the patient "
        "unless a decision of the case names the patient for health data, or you are an "
        "investigator and the patient is a party of the case",
    ),
]
Doctor = registry_role("health", "doctor")
Pharmacist = registry_role("health", "pharmacist")
Ministry = registry_role("health", "registrar")


def reader_of(request: Request, default_purpose: str) -> Reader:
    params = request.query_params
    reason = params.get("emergency_reason", "")
    return Reader(
        code=person_code(request),
        purpose=purpose_of(params, default_purpose),
        provider=params.get("provider", ""),
        emergency_reason=check_text(reason, "emergency_reason") if reason else "",
        investigation=investigation_of(params),
    )


def run(command: Any) -> Any:
    return issue(HealthRegistry, PROJECTIONS, command)


@extend_schema(tags=TAGS, parameters=[CODE])
class PatientRecordView(GenericAPIView[Any]):
    """A patient's record, for doctors and representatives (tracked)."""

    permission_classes = [IsAuthenticated]
    serializer_class = RecordOutSerializer

    @extend_schema(
        summary="Read a patient's record (consent applies; every read is tracked)",
        parameters=READ_PARAMETERS,
        responses={200: RecordOutSerializer, **problem_responses(400, 401, 403, 404, 410, 429)},
    )
    def get(self, request: Request, code: str) -> Response:
        reader = reader_of(request, "treatment")
        return Response(read_record(reader, check_person(code, "code")))


@extend_schema(tags=TAGS, parameters=[CODE])
class EntryMessageView(GenericAPIView[Any]):
    """The canonical bytes a doctor signs for an entry."""

    permission_classes = [Doctor]
    serializer_class = EntryMessageInSerializer

    @extend_schema(
        summary="The bytes to sign for an encounter or prescription (doctors)",
        request=EntryMessageInSerializer,
        responses={200: EntryMessageOutSerializer, **problem_responses(400, 401, 403, 404, 429)},
    )
    def post(self, request: Request, code: str) -> Response:
        data = validated(EntryMessageInSerializer, request.data)
        doctor = person_code(request)
        app = running(HealthRegistry)
        if data["kind"] == "encounter":
            if "occurred_on" not in data:
                raise InvalidCommand(N_("occurred_on: required for an encounter"))
            message = app.encounter_message(
                code, data["provider"], doctor, data["summary"], data["diagnoses"],
                data["occurred_on"],
            )  # fmt: skip
        else:
            if "issued_on" not in data or "expires_on" not in data:
                raise InvalidCommand(N_("issued_on, expires_on: required for a prescription"))
            message = app.prescription_message(
                code, data["provider"], doctor, data["medicine"], data["dosage"],
                data["issued_on"], data["expires_on"],
            )  # fmt: skip
        return Response({"message": message.hex(), "record_version": app.record_version(code)})


@extend_schema(tags=TAGS, parameters=[CODE])
class PrescriptionView(GenericAPIView[Any]):
    """Prescriptions: pharmacists list those that can be dispensed, doctors issue them."""

    permission_classes = [IsAuthenticated]
    serializer_class = PrescriptionInSerializer

    @extend_schema(
        summary="Prescriptions that can still be dispensed (pharmacists; tracked)",
        parameters=READ_PARAMETERS[1:2],
        responses={
            200: PrescriptionOutSerializer(many=True),
            **problem_responses(400, 401, 403, 404, 410),
        },
    )
    def get(self, request: Request, code: str) -> Response:
        reader = reader_of(request, "dispensing")
        found = read_prescriptions(reader, check_person(code, "code"), timezone.localdate())
        return Response(PrescriptionOutSerializer(found, many=True).data)


@extend_schema(tags=TAGS)
class EmergencyAccessView(ListModelMixin, GenericAPIView[ReadRecord]):
    """Emergency (break glass) accesses, for the supervising ministry (tracked)."""

    permission_classes = [Ministry]
    serializer_class = ReadSerializer

    def get_queryset(self) -> QuerySet[ReadRecord]:
        return ReadRecord.objects.filter(registry="health", emergency=True)

    @extend_schema(
        summary="Emergency accesses to health records (the ministry)",
        responses={200: ReadSerializer(many=True), **problem_responses(401, 403, 429)},
    )
    def get(self, request: Request) -> Response:
        response = self.list(request)
        page = getattr(self.paginator, "page", None)
        shown = list(page.object_list) if page is not None else list(self.get_queryset())
        record_read(
            reader=person_code(request),
            subjects=[line.subject_code for line in shown],
            registry="health",
            what="emergency accesses to their health record",
            purpose=purpose_of(request.query_params, "supervision of emergency access"),
        )
        return response


@extend_schema(tags=TAGS, parameters=[CODE])
class KeyAccessView(GenericAPIView[Any]):
    """Who used a patient's key and why, opened for a health auditor: a tracked read."""

    permission_classes = [IsAuthenticated]
    serializer_class = KeyAccessSerializer

    @extend_schema(
        summary="Every access to a patient's key, with who and why (health auditors; tracked)",
        parameters=READ_PARAMETERS[1:2],
        responses={
            200: KeyAccessSerializer(many=True),
            **problem_responses(400, 401, 403, 404, 429),
        },
    )
    def get(self, request: Request, code: str) -> Response:
        reader, patient = person_code(request), check_person(code, "code")
        auditor = request_has_role(request, "health", "auditor")
        # Recorded before anything is opened, a refusal too: the patient sees who
        # audited, or tried to audit, their key.
        record_read(
            reader=reader,
            subjects=[patient],
            registry="health",
            what="the key store's record of who used their health data key",
            purpose=purpose_of(request.query_params, "audit of the key store"),
            outcome=ALLOWED if auditor else REFUSED,
        )
        if not auditor:
            raise PermissionDenied(role_message("health", "auditor"))
        return Response(KeyAccessSerializer(keystore.audit_trail(patient), many=True).data)


# The patient's own record (mounted under /api/v1/me/).


@extend_schema(tags=TAGS)
class MyHealthView(GenericAPIView[Any]):
    """My health record with my consents."""

    permission_classes = [IsAuthenticated]
    serializer_class = RecordOutSerializer

    @extend_schema(
        summary="My health record, consents and representatives",
        responses={200: RecordOutSerializer, **problem_responses(401, 403, 404, 410, 429)},
    )
    def get(self, request: Request) -> Response:
        code = person_code(request)
        return Response(read_record(Reader(code=code, purpose="own record"), code))


@extend_schema(tags=TAGS)
class MyConsentView(SignedCommandMixin, GenericAPIView[Any]):
    """Close or open my record to one provider or to all; I sign."""

    permission_classes = [IsAuthenticated]
    serializer_class = SignedConsentSerializer
    signed_registry = "health"
    signed_command = "change-consent"

    @extend_schema(
        summary="Close or open my record to a provider (empty provider: all); I sign",
        request=SignedConsentSerializer,
        responses={200: RecordOutSerializer, **problem_responses(400, 401, 403, 404, 409, 410)},
    )
    def post(self, request: Request) -> Response:
        code = person_code(request)
        data = validated(SignedConsentSerializer, request.data)
        command = (
            HealthRegistry.close_access if data["action"] == "close" else HealthRegistry.open_access
        )
        with self.verified(request, {code}) as signatures:
            run(lambda app: command(app, code, data["provider"], THE_PATIENT, signatures))
        return Response(read_record(Reader(code=code, purpose="own record"), code))


@extend_schema(tags=TAGS)
class MyRepresentativeView(SignedCommandMixin, GenericAPIView[Any]):
    """Appoint a representative who may read my record: I and they sign."""

    permission_classes = [IsAuthenticated]
    serializer_class = SignedRepresentativeSerializer
    signed_registry = "health"
    signed_command = "appoint-representative"

    @extend_schema(
        summary="Appoint a representative; I and the representative (who accepts) sign",
        request=SignedRepresentativeSerializer,
        responses={201: RecordOutSerializer, **problem_responses(400, 401, 403, 404, 409, 410)},
    )
    def post(self, request: Request) -> Response:
        code = person_code(request)
        data = validated(SignedRepresentativeSerializer, request.data)
        representative = check_person(data["representative"], "representative")
        with self.verified(request, {code, representative}) as signatures:
            run(
                lambda app: app.appoint_representative(
                    code, representative, THE_PATIENT, signatures
                )
            )
        return Response(
            read_record(Reader(code=code, purpose="own record"), code), status.HTTP_201_CREATED
        )


@extend_schema(tags=TAGS)
class MyRepresentativeRemovalView(SignedCommandMixin, GenericAPIView[Any]):
    """Remove a representative: I sign (a POST, so the signatures travel in a body)."""

    permission_classes = [IsAuthenticated]
    serializer_class = SignedRepresentativeSerializer
    signed_registry = "health"
    signed_command = "remove-representative"

    @extend_schema(
        summary="Remove a representative; I sign",
        request=SignedRepresentativeSerializer,
        responses={200: RecordOutSerializer, **problem_responses(400, 401, 403, 404, 409, 410)},
    )
    def post(self, request: Request) -> Response:
        code = person_code(request)
        data = validated(SignedRepresentativeSerializer, request.data)
        representative = check_person(data["representative"], "representative")
        with self.verified(request, {code}) as signatures:
            run(
                lambda app: app.remove_representative(code, representative, THE_PATIENT, signatures)
            )
        return Response(read_record(Reader(code=code, purpose="own record"), code))
