"""``/api/v1/me/court-cases/``: the court cases I am a party to.

With a personal token: the cases the person is a party to. With a token signed
in for an organisation (a company, court, hospital, ...): the cases the
organisation is a party to, never the person's own.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from registries.access.me import (
    ChainField,
    ChainPositionsMixin,
    MyDataPermission,
    MyFeedPagination,
    my_code,
)
from registries.access.tokens import acting_organisation
from registries.court.models import PartyRecord
from registries.court.vocabulary import ORGANISATION, PERSON


class MyCaseSerializer(serializers.ModelSerializer[PartyRecord]):
    number = serializers.CharField(source="case.number")
    kind = serializers.CharField(source="case.kind")
    title = serializers.CharField(source="case.title")
    status = serializers.CharField(source="case.status")
    opened_on = serializers.DateField(source="case.opened_on")
    closed_on = serializers.DateField(source="case.closed_on", allow_null=True)
    outcome = serializers.CharField(source="case.outcome")
    my_role = serializers.CharField(source="role")
    chain = ChainField(help_text="The entry that made me a party")

    class Meta:
        model = PartyRecord
        fields = [
            "number",
            "kind",
            "title",
            "status",
            "opened_on",
            "closed_on",
            "outcome",
            "my_role",
            "chain",
        ]


class MyCasesView(ChainPositionsMixin[PartyRecord], ListAPIView[PartyRecord]):
    """Court cases I (or the organisation I act for) am a party to, also cases heard in
    camera: I am in them."""

    permission_classes = [MyDataPermission]
    serializer_class = MyCaseSerializer
    pagination_class = MyFeedPagination
    throttle_scope = "me"

    def get_queryset(self) -> QuerySet[PartyRecord]:
        organisation = acting_organisation(self.request)
        if organisation is not None:
            parties = PartyRecord.objects.filter(code=organisation, party_kind=ORGANISATION)
        else:
            parties = PartyRecord.objects.filter(code=my_code(self.request), party_kind=PERSON)
        return parties.select_related("case")

    @extend_schema(
        tags=["me"],
        summary="My court cases (or my organisation's, with an organisation token), "
        "with chain proofs",
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)
