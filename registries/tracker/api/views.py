"""REST endpoints of the data tracker.

* ``/api/v1/me/data-tracker/`` -- the signed-in person's own list: who read
  their health or court data, where, when, why, refused or not, emergency
  accesses flagged, covert reads once a court has disclosed them.
* ``/api/v1/tracker/covert-reads/`` -- judges: the commitments of covert
  reads (no person, no record); their disclosure by a final judgment is the
  tracker's command (``registries.tracker.commands``).
"""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework.generics import GenericAPIView
from rest_framework.mixins import ListModelMixin
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from registries.access.me import person_code
from registries.access.roles import registry_role
from registries.common.api.problems import problem_responses
from registries.tracker.api.serializers import (
    CommitmentSerializer,
    ReadSerializer,
)
from registries.tracker.models import CovertCommitmentRecord, ReadRecord

TAGS = ["tracker"]


@extend_schema(tags=TAGS)
class MyDataReadsView(ListModelMixin, GenericAPIView[ReadRecord]):
    """Who looked at my data."""

    permission_classes = [IsAuthenticated]
    serializer_class = ReadSerializer

    def get_queryset(self) -> QuerySet[ReadRecord]:
        return ReadRecord.objects.filter(subject_code=person_code(self.request))

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
