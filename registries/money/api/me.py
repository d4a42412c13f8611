"""The money registry for the signed-in citizen.

``/api/v1/me/wallet/``: my wallet, its balance, what my bank holds for me,
my latest payments with their chain status and the URL of each one's
receipt (``/api/v1/me/receipts/money/<seq>/``: my ledger entry with its
payload and inclusion proof, checkable offline).

The payment e-service (``/api/v1/money/e-services/payments/``) is a signed
command (:mod:`registries.access.signing`): the payer signs the payment id,
the payee and the amount with their e-ID key, so a signature cannot be moved
to another payee, amount or command. A payment id I used before answers the
recorded payment (200) and spends nothing, whatever nonce the repetition carries.

**A company pays** through the same e-service with ``payer`` set to its
registry code: the signed-in person must represent it now (ADR 0043,
:func:`registries.access.representation.representation_of`: a representative
the identity registry records, or a member of its management board in the
business registry), and their signature covers ``payer`` too, so it cannot be
moved to another organisation's wallet. Anyone else is refused with 403
before anything about the company's wallet is read or answered.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import PermissionDenied
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from registries.access.me import MyDataPermission, my_code
from registries.access.representation import representation_of
from registries.access.signing import SignedCommandMixin
from registries.common.api import validated
from registries.common.api.problems import problem_responses
from registries.common.codes import ORGANISATION, party_kind
from registries.common.commands import issue
from registries.common.errors import NotFound
from registries.common.texts import N_
from registries.money.api.serializers import (
    MyWalletSerializer,
    PaymentSerializer,
    SignedPaymentSerializer,
)
from registries.money.api.views import latest_payments
from registries.money.application import MoneyRegistry
from registries.money.domain import Payment
from registries.money.models import PaymentRecord, WalletRecord
from registries.money.projections import PROJECTIONS

REGISTRY = "money"
PAY = "pay"


class MyWalletView(GenericAPIView[WalletRecord]):
    """My wallet: balance, payments with their chain status, receipts."""

    permission_classes = [MyDataPermission]
    serializer_class = MyWalletSerializer
    throttle_scope = "me"

    @extend_schema(
        tags=["me"],
        summary="My wallet: balance, latest payments with chain proofs, receipts",
        responses={200: MyWalletSerializer, **problem_responses(401, 403, 404, 429)},
    )
    def get(self, request: Request) -> Response:
        code = my_code(request)
        record = WalletRecord.objects.filter(holder=code).first()
        if record is None:
            raise NotFound(N_("you have no wallet: a bank opens one for you"))
        context = {"request": request, "payments": latest_payments(code)}
        return Response(MyWalletSerializer(record, context=context).data)


def payment_body(payer: str, payment_id: str) -> Any:
    """The payment as recorded."""
    record = PaymentRecord.objects.get(payer=payer, payment_id=payment_id)
    return PaymentSerializer(record).data


class Pay(SignedCommandMixin, GenericAPIView[PaymentRecord]):
    """Pay from my wallet: I sign the payment id, the payee and the amount."""

    permission_classes = [MyDataPermission]
    serializer_class = SignedPaymentSerializer
    throttle_scope = "e-services"
    signed_registry = REGISTRY
    signed_command = PAY

    @extend_schema(
        tags=["e-services"],
        summary="Pay from my wallet, signed with my e-ID key (idempotent by payment_id)",
        description=(
            "`signatures` holds my signature (docs/citizen-api.md) over `payment_id`, `payee` "
            "and `amount_cents`. 201: applied once; a short wallet is topped up from my "
            "linked bank as far as the bank holds money of mine, and the payee's excess over "
            "the holding limit moves to the payee's bank. 200: this payment_id was applied "
            "before with the same terms (nothing moves again). 409: insufficient funds, "
            "a closed wallet, or the payment_id used for other terms."
        ),
        responses={
            201: PaymentSerializer,
            200: PaymentSerializer,
            **problem_responses(400, 401, 403, 404, 409, 429),
        },
    )
    def post(self, request: Request) -> Response:
        code = my_code(request)
        data = validated(SignedPaymentSerializer, request.data)
        payer = paying_for(code, data.get("payer"))

        def paying(signatures: list[dict[str, str]]) -> Any:
            payment = Payment(
                data["payment_id"], payer, data["payee"], data["amount_cents"], tuple(signatures)
            )
            return issue(MoneyRegistry, PROJECTIONS, lambda app: app.pay(payment))

        if PaymentRecord.objects.filter(payer=payer, payment_id=data["payment_id"]).exists():
            # A repetition: the wallet answers it (or refuses other terms) and records
            # nothing, so it needs no signature and spends no nonce.
            paying([])
            return Response(payment_body(payer, data["payment_id"]))
        with self.verified(request, {code}) as signatures:
            settled = paying(signatures)
        code_status = status.HTTP_200_OK if settled.repeated else status.HTTP_201_CREATED
        return Response(payment_body(payer, data["payment_id"]), code_status)


def paying_for(person: str, payer: str | None) -> str:
    """The wallet the signed-in ``person`` pays from: their own, or (``payer``) an
    organisation's they represent now; 403 for any other wallet."""
    if payer is None or payer == person:
        return person
    if party_kind(payer, "payer") != ORGANISATION:
        raise PermissionDenied(
            gettext("payer: you pay from your own wallet or from an organisation's you represent")
        )
    if representation_of(payer, person) is None:
        raise PermissionDenied(
            gettext("payer: you do not represent the organisation %(payer)s") % {"payer": payer}
        )
    return payer
