"""The land register for the signed-in citizen.

``/api/v1/me/properties/``: the land units I own, with their mortgages.
E-service ``/api/v1/property/e-services/land-units/<code>/transfer/``: apply
for a title transfer together with the notary: I am a seller, the notary's
endorsement is in the application as for the registrar's endpoint, and every
seller and buyer signs it (a signed command, :mod:`registries.access.signing`).

E-service ``/api/v1/property/e-services/land-units/<code>/purchase/``: buy a
land unit delivery versus payment: I am the buyer, the notary's endorsement
of the transfer (with its price) is in the body, and I sign the terms and my
payment id; my payment of the price to the seller, the state fee and the
title change are saved in one transaction (:meth:`PropertyRegistry.buy`).
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.generics import GenericAPIView, ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from registries.access.me import (
    ChainField,
    ChainPositionsMixin,
    MyDataPermission,
    MyFeedPagination,
    my_code,
)
from registries.access.signing import SignedCommandMixin, signatures_field
from registries.common.api import validated
from registries.common.api.problems import problem_responses
from registries.common.codes import PERSON, party_kind
from registries.common.commands import issue
from registries.property.api.serializers import LandUnitDetailSerializer, TransferInputSerializer
from registries.property.api.views import detail_response, transfer_of
from registries.property.application import PropertyRegistry
from registries.property.models import LandUnitRecord, MortgageRecord, OwnershipRecord
from registries.property.projections import PROJECTIONS
from registries.property.vocabulary import validate_cadastral_code


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


class MyPropertiesView(ChainPositionsMixin[OwnershipRecord], ListAPIView[OwnershipRecord]):
    """Land units I own (part II of their title registers) and their mortgages."""

    permission_classes = [MyDataPermission]
    serializer_class = MyPropertySerializer
    pagination_class = MyFeedPagination
    throttle_scope = "me"

    def get_queryset(self) -> QuerySet[OwnershipRecord]:
        code = my_code(self.request)
        return (
            OwnershipRecord.objects.filter(owner_code=code)
            .select_related("unit")
            .prefetch_related("unit__mortgages")
        )

    def chain_records(self, instance: Any) -> list[Any]:
        """My ownerships and the mortgages on their units."""
        return [record for own in instance for record in (own, *own.unit.mortgages.all())]

    @extend_schema(tags=["me"], summary="My properties and their mortgages, with chain proofs")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class SignedTransferSerializer(TransferInputSerializer):
    """A notary-endorsed transfer with the signatures of every seller and buyer."""

    signatures = signatures_field()


class ApplyForTransfer(SignedCommandMixin, GenericAPIView[LandUnitRecord]):
    """Apply for a title transfer together with the notary; all parties sign."""

    permission_classes = [MyDataPermission]
    serializer_class = SignedTransferSerializer
    signed_registry = "property"
    signed_command = "transfer-title"

    @extend_schema(
        tags=["e-services"],
        summary="Apply for a title transfer with the notary's endorsement; all parties sign",
        responses={
            201: LandUnitDetailSerializer,
            **problem_responses(400, 401, 403, 404, 409, 429),
        },
    )
    def post(self, request: Request, code: str) -> Response:
        me = my_code(request)
        code = validate_cadastral_code(code)
        data = validated(SignedTransferSerializer, request.data)
        if me not in data["sellers"]:
            raise PermissionDenied(gettext("you can apply online only to transfer a unit you sell"))
        # Persons sign with their e-ID; a company party acts through its board (not online yet).
        parties = {
            party
            for party in (*data["sellers"], *(buyer["owner"] for buyer in data["buyers"]))
            if party_kind(party, "parties") == PERSON
        }
        transfer = transfer_of(data)
        with self.verified(request, parties) as signatures:
            issue(
                PropertyRegistry,
                PROJECTIONS,
                lambda app: app.transfer_ownership(code, transfer, me, signatures),
            )
        return detail_response(request, code, status.HTTP_201_CREATED)


class PurchaseSerializer(TransferInputSerializer):
    """A notary-endorsed purchase that I, the buyer, pay from my wallet."""

    payment_id = serializers.RegexField(
        r"^[A-Za-z0-9_-]{8,64}$",
        help_text="My id of the payment of the price (8-64 of A-Z a-z 0-9 _ -)",
    )
    signatures = signatures_field()


class Purchase(SignedCommandMixin, GenericAPIView[LandUnitRecord]):
    """Buy a land unit delivery versus payment: the price moves with the title, or nothing."""

    permission_classes = [MyDataPermission]
    serializer_class = PurchaseSerializer
    signed_registry = "property"
    signed_command = "buy"

    @extend_schema(
        tags=["e-services"],
        summary="Buy a land unit delivery versus payment, signed with my e-ID key",
        description=(
            "The body is a transfer of the whole unit from one seller to me, with the notary's "
            "endorsement (`unit_version`, `notary`, `signature` over the transfer message, "
            "price included), my `payment_id`, and my signature over all of it "
            "(docs/citizen-api.md, command `buy` of registry `property`). 201: my payment of "
            "`price_cents` to the seller's wallet, the title transfer's state fee and the "
            "endorsed title change were saved in one ledger transaction (one block). 200: "
            "this purchase (its payment_id) was settled before; nothing moves again. 409: "
            "insufficient funds (the shortfall is named), a stale endorsement, a seller who no "
            "longer owns the unit: nothing was written."
        ),
        responses={
            201: LandUnitDetailSerializer,
            200: LandUnitDetailSerializer,
            **problem_responses(400, 401, 403, 404, 409, 429),
        },
    )
    def post(self, request: Request, code: str) -> Response:
        me = my_code(request)
        code = validate_cadastral_code(code)
        data = validated(PurchaseSerializer, request.data)
        if [buyer["owner"] for buyer in data["buyers"]] != [me]:
            raise PermissionDenied("you can buy online only for yourself, as the one buyer")
        if len(data["sellers"]) != 1:
            raise ValidationError({"sellers": ["a purchase online has one seller"]})
        transfer = transfer_of(data)
        with self.verified(request, {me}) as signatures:
            purchase = issue(
                PropertyRegistry,
                PROJECTIONS,
                lambda app: app.buy(code, transfer, data["payment_id"], signatures, me),
            )
        answer = status.HTTP_200_OK if purchase.repeated else status.HTTP_201_CREATED
        return detail_response(request, code, answer)
