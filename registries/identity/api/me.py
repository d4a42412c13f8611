"""``/api/v1/me/person/``: the signed-in citizen's own population register record."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from registries.common.api.me import (
    ChainField,
    ChainPositionsMixin,
    MyDataPermission,
    my_code,
)
from registries.common.api.problems import problem_responses
from registries.identity.models import AppointmentRecord, PersonRecord, PublicKeyRecord


class MyKeySerializer(serializers.ModelSerializer[PublicKeyRecord]):
    status = serializers.CharField(help_text="active, rotated, expired or revoked")
    chain = ChainField()

    class Meta:
        model = PublicKeyRecord
        fields = ["key_id", "public_key", "status", "chain"]


class MyAppointmentSerializer(serializers.ModelSerializer[AppointmentRecord]):
    registry = serializers.CharField()
    role = serializers.CharField()
    chain = ChainField()

    class Meta:
        model = AppointmentRecord
        fields = ["registry", "role", "active", "chain"]


class MyPersonSerializer(serializers.ModelSerializer[PersonRecord]):
    keys = MyKeySerializer(many=True, read_only=True)
    appointments = MyAppointmentSerializer(many=True, read_only=True)
    sex = serializers.CharField(help_text="M or F")
    chain = ChainField()

    class Meta:
        model = PersonRecord
        fields = [
            "personal_code",
            "first_name",
            "last_name",
            "born",
            "sex",
            "died_on",
            "keys",
            "appointments",
            "chain",
        ]


class MyPersonView(ChainPositionsMixin[PersonRecord]):
    """My record in the population register, my e-ID keys and my appointments."""

    permission_classes = [MyDataPermission]
    serializer_class = MyPersonSerializer
    throttle_scope = "me"

    @extend_schema(
        tags=["me"],
        summary="My person record, e-ID keys and appointments, each with its chain proof",
        responses={200: MyPersonSerializer, **problem_responses(401, 403, 404, 429)},
    )
    def get(self, request: Request) -> Response:
        code = my_code(request)
        # The models' default orderings sort by person first, a join that one
        # person's keys and appointments do not need.
        keys = Prefetch("keys", PublicKeyRecord.objects.order_by("valid_from_seq"))
        appointments = Prefetch(
            "appointments", AppointmentRecord.objects.order_by("registry", "role", "-appointed_seq")
        )
        record: Any = (
            PersonRecord.objects.prefetch_related(keys, appointments)
            .filter(personal_code=code)
            .first()
        )
        if record is None:
            raise NotFound("the population register has no record of you")
        return Response(self.get_serializer(record).data)

    def chain_records(self, instance: Any) -> list[Any]:
        """My person record, my keys and my appointments."""
        return [instance, *instance.keys.all(), *instance.appointments.all()]
