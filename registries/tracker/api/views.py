"""REST endpoints of the data tracker.

* ``/api/v1/me/data-tracker/`` -- the signed-in person's own list: who read
  their health or court data, where, when, why, refused or not, emergency
  accesses flagged, covert reads once a court has disclosed them.
* ``/api/v1/tracker/covert-reads/`` -- judges: the commitments of covert
  reads (no person, no record) and their disclosure by a final judgment.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import NotAuthenticated, PermissionDenied
from rest_framework.generics import GenericAPIView
from rest_framework.mixins import ListModelMixin
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from registries.access.roles import registry_role
from registries.access.tokens import actor
from registries.common.api.problems import problem_responses
from registries.common.commands import issue
from registries.identity.services import official_code_of
from registries.tracker.api.serializers import (
    CommitmentSerializer,
    DisclosureSerializer,
    ReadSerializer,
)
from registries.tracker.application import TrackerRegistry
from registries.tracker.models import CovertCommitmentRecord, ReadRecord
from registries.tracker.projections import PROJECTIONS

TAGS = ["tracker"]


def own_code(request: Request) -> str:
    """The signed-in person's personal code (their username)."""
    user = request.user
    if not (user and user.is_authenticated):
        raise NotAuthenticated()
    code = official_code_of(user)
    if code is None:
        raise PermissionDenied("sign in as a person: your username is your personal code")
    return code


@extend_schema(tags=TAGS)
class MyDataReadsView(ListModelMixin, GenericAPIView[ReadRecord]):
    """Who looked at my data."""

    permission_classes = [IsAuthenticated]
    serializer_class = ReadSerializer

    def get_queryset(self) -> QuerySet[ReadRecord]:
        return ReadRecord.objects.filter(subject_code=own_code(self.request))

    @extend_schema(
        summary="Who read my health and court data, when and why",
        responses={200: ReadSerializer(many=True), **problem_responses(401, 403, 429)},
    )
    def get(self, request: Request) -> Response:
        return self.list(request)


@extend_schema(tags=TAGS)
class CovertReadListView(ListModelMixin, GenericAPIView[CovertCommitmentRecord]):
    """Commitments of covert reads (judges)."""

    permission_classes = [registry_role("court", "judge")]
    serializer_class = CommitmentSerializer
    queryset = CovertCommitmentRecord.objects.all()

    @extend_schema(
        summary="Commitments of covert reads (no person, no record until disclosed)",
        responses={200: CommitmentSerializer(many=True), **problem_responses(401, 403, 429)},
    )
    def get(self, request: Request) -> Response:
        return self.list(request)


@extend_schema(tags=TAGS)
class DisclosureView(GenericAPIView[Any]):
    """Disclose a covert read, released by a final judgment of its case (judges)."""

    permission_classes = [registry_role("court", "judge")]
    serializer_class = DisclosureSerializer

    @extend_schema(
        summary="Disclose a covert read to its persons",
        request=DisclosureSerializer,
        responses={200: CommitmentSerializer, **problem_responses(400, 401, 403, 404, 409, 429)},
    )
    def post(self, request: Request, commitment: str) -> Response:
        serializer = DisclosureSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        issue(
            TrackerRegistry,
            PROJECTIONS,
            lambda app: app.disclose_covert_read(
                commitment, data["case_number"], data["judgment"], actor(request)
            ),
        )
        record = CovertCommitmentRecord.objects.get(commitment=commitment)
        return Response(CommitmentSerializer(record).data)
