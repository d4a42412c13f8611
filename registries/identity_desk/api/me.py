"""The identity registry for the signed-in caller.

``/api/v1/me/person/``: the signed-in citizen's own population register record.
:class:`MyOrganisationCardSerializer`: what ``/api/v1/me/organisation/`` shows
a token acting for an organisation that is not a company (its register card and
its current representatives).
"""

from __future__ import annotations

from typing import Any

from django.db.models import OuterRef, Prefetch, Subquery
from django.utils.translation import gettext
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from registries.access.me import (
    ChainField,
    ChainPositionsMixin,
    MyDataPermission,
    my_code,
)
from registries.common.api.problems import problem_responses
from registries.identity.models import (
    AppointmentRecord,
    OrganisationRecord,
    PersonRecord,
    PublicKeyRecord,
    RepresentativeRecord,
)
from registries.identity_desk.api.serializers import kind_field


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


class MyRepresentationSerializer(serializers.ModelSerializer[RepresentativeRecord]):
    organisation_name = serializers.CharField(
        allow_null=True, help_text="The organisation's name in the register"
    )
    chain = ChainField(help_text="The entry that appointed me")

    class Meta:
        model = RepresentativeRecord
        fields = ["organisation_code", "organisation_name", "title", "chain"]


class MyPersonSerializer(serializers.ModelSerializer[PersonRecord]):
    keys = MyKeySerializer(many=True, read_only=True)
    appointments = MyAppointmentSerializer(many=True, read_only=True)
    representations = MyRepresentationSerializer(
        source="current_representations",
        many=True,
        read_only=True,
        help_text="The organisations I may sign in for now (recorded by the identity registrar)",
    )
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
            "representations",
            "chain",
        ]


class MyRepresentativeSerializer(serializers.ModelSerializer[RepresentativeRecord]):
    first_name = serializers.CharField(source="person.first_name")
    last_name = serializers.CharField(source="person.last_name")
    chain = ChainField(help_text="The entry that appointed the representative")

    class Meta:
        model = RepresentativeRecord
        fields = ["first_name", "last_name", "title", "chain"]


class MyOrganisationCardSerializer(serializers.ModelSerializer[OrganisationRecord]):
    """An organisation that is not a company, as its own token sees it."""

    kind = kind_field(read_only=True)
    representatives = serializers.SerializerMethodField(
        help_text="Who may sign in for it now (recorded by the identity registrar)"
    )
    chain = ChainField()

    class Meta:
        model = OrganisationRecord
        fields = ["registry_code", "name", "kind", "representatives", "chain"]

    @extend_schema_field(MyRepresentativeSerializer(many=True))
    def get_representatives(self, record: OrganisationRecord) -> Any:
        current = RepresentativeRecord.objects.select_related("person").filter(
            organisation_code=record.registry_code, active=True
        )
        return MyRepresentativeSerializer(current, many=True).data


class MyPersonView(ChainPositionsMixin[PersonRecord]):
    """My record in the population register, my e-ID keys, appointments and representations."""

    permission_classes = [MyDataPermission]
    serializer_class = MyPersonSerializer
    throttle_scope = "me"

    @extend_schema(
        tags=["me"],
        summary=(
            "My person record, e-ID keys, appointments and representations, "
            "each with its chain proof"
        ),
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
        # The organisation's name rides along as a subquery: one query for all of them.
        representations = Prefetch(
            "representations",
            RepresentativeRecord.objects.filter(active=True)
            .annotate(
                organisation_name=Subquery(
                    OrganisationRecord.objects.filter(
                        registry_code=OuterRef("organisation_code")
                    ).values("name")
                )
            )
            .order_by("organisation_code"),
            to_attr="current_representations",
        )
        record: Any = (
            PersonRecord.objects.prefetch_related(keys, appointments, representations)
            .filter(personal_code=code)
            .first()
        )
        if record is None:
            raise NotFound(gettext("the population register has no record of you"))
        return Response(self.get_serializer(record).data)

    def chain_records(self, instance: Any) -> list[Any]:
        """My person record, my keys, my appointments and my current representations."""
        return [
            instance,
            *instance.keys.all(),
            *instance.appointments.all(),
            *instance.current_representations,
        ]
