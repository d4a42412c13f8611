"""``/api/v1/me/properties/``: the land units I own, with their mortgages."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from registries.common.api.me import ChainField, MyDataPermission, MyFeedPagination, my_code
from registries.property.models import MortgageRecord, OwnershipRecord


class MyMortgageSerializer(serializers.ModelSerializer[MortgageRecord]):
    chain = ChainField()

    class Meta:
        model = MortgageRecord
        fields = ["rank", "amount_cents", "creditor", "active", "chain"]


class MyPropertySerializer(serializers.ModelSerializer[OwnershipRecord]):
    cadastral_code = serializers.CharField(source="unit.cadastral_code")
    address = serializers.CharField(source="unit.address")
    area_m2 = serializers.IntegerField(source="unit.area_m2")
    under_seizure = serializers.BooleanField(source="unit.under_seizure")
    mortgages = MyMortgageSerializer(source="unit.mortgages", many=True)
    chain = ChainField(help_text="The entry that made me an owner")

    class Meta:
        model = OwnershipRecord
        fields = [
            "cadastral_code",
            "address",
            "area_m2",
            "share",
            "under_seizure",
            "mortgages",
            "chain",
        ]


class MyPropertiesView(ListAPIView[OwnershipRecord]):
    """Land units I own (part II of their title registers) and their mortgages."""

    permission_classes = [MyDataPermission]
    serializer_class = MyPropertySerializer
    pagination_class = MyFeedPagination
    throttle_scope = "me"

    def get_queryset(self) -> QuerySet[OwnershipRecord]:
        code = my_code(self.request)
        return OwnershipRecord.objects.filter(owner_code=code).select_related("unit")

    @extend_schema(tags=["me"], summary="My properties and their mortgages, with chain proofs")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)
