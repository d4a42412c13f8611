"""REST endpoints of the money registry (``/api/v1/money/``).

* Public: ``supply/``, the total supply and the central bank's acts with their
  supernode certificates (amounts of acts are public; wallets are not).
* Bank officials (an organisation token acting for a bank, DESIGN §8): the
  wallets linked to their bank, each with its latest payments; a wallet is
  shown to its holder and its bank only (404 to anyone else, so its
  existence does not leak). Every such read of a person's wallet is a
  tracked read (the data tracker: the holder sees it at ``/me/data-tracker/``).
* Authorities under a court order: ``court-orders/<number>/wallets/<code>/``, a
  court investigator reading the wallet of a person the criminal case
  authorises (a party of the case, or a person its judge named); a covert
  read, recorded on the tracker's chain and shown to the person when a final
  judgment releases it. A refusal is recorded in the open. A bank's official
  answers a court order the same way: ``wallets/<code>/?covert_investigation=
  <number>`` is covert only when the case's judge authorised covert access to
  that person's ``money`` data (four eyes: the judge decides, another reads).
* The central bank: ``supply/act-certificate/`` collects the supernode
  quorum's signatures over an act's terms from the keys this node holds.
* The commands (``registries.money.commands``) join these routes through the
  catalog.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import NotAuthenticated
from rest_framework.generics import GenericAPIView
from rest_framework.mixins import ListModelMixin
from rest_framework.permissions import AllowAny, BasePermission
from rest_framework.request import Request
from rest_framework.response import Response

from registries.access.roles import registry_role
from registries.access.tokens import acting_organisation
from registries.common.api import PUBLIC, validated
from registries.common.api.problems import problem_responses
from registries.common.application import running
from registries.common.codes import PERSON, party_kind
from registries.common.errors import InvalidCommand, NotFound
from registries.common.models import AccessToken
from registries.common.texts import N_, Message
from registries.identity.services import official_code_of
from registries.money.api.serializers import (
    ActCertificateSerializer,
    ActTermsSerializer,
    SupplySerializer,
    WalletDetailSerializer,
    WalletSerializer,
)
from registries.money.application import MoneyRegistry
from registries.money.models import ActRecord, PaymentRecord, SupplyRecord, WalletRecord
from registries.money.officials import BANK, CENTRAL_BANK, acting_for
from registries.money.quorum import collect
from registries.tracker.services import INVESTIGATION_PARAMETER as INVESTIGATION
from registries.tracker.services import investigation_of, purpose_of, record_read

TAGS = ["money"]
LATEST = 50

HOLDER_PARAMETER = OpenApiParameter(
    "code",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    pattern=r"^([0-9]{11}|[0-9]{8})$",
    description="Personal code or registry code of the wallet's holder",
)

CASE_PARAMETER = OpenApiParameter(
    "number",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description="Number of the criminal case whose court order authorises the read",
)
PURPOSE_PARAMETER = OpenApiParameter(
    "purpose",
    OpenApiTypes.STR,
    OpenApiParameter.QUERY,
    required=False,
    description="Why the official reads it (recorded with the tracked read)",
)
INVESTIGATION_PARAMETER = OpenApiParameter(
    INVESTIGATION,
    OpenApiTypes.STR,
    OpenApiParameter.QUERY,
    required=False,
    description="Criminal case of a covert read: refused (403) and shown to the holder unless "
    "a decision of the case's judge names the holder for money data",
)
BANK_PURPOSE = "serving the bank's customer"
COURT_PURPOSE = "criminal investigation under a court order"


def caller_acts_for(request: Request, kind: str) -> str | None:
    """The organisation of ``kind`` the caller acts for: the one an organisation token
    acts for, or the one a person signed in as themselves represents."""
    organisation = acting_organisation(request)
    who = organisation if organisation is not None else official_code_of(request.user)
    return acting_for(who, kind) if who is not None else None


def acts_for(kind: str) -> type[BasePermission]:
    """A DRF permission class: the caller acts for an organisation of ``kind``."""
    what = "the central bank" if kind == CENTRAL_BANK else "a bank"

    class ActsFor(BasePermission):
        message = f"only an official of {what} (signed in for it) may do this"

        def has_permission(self, request: Request, view: Any) -> bool:
            user = request.user
            if not (user and user.is_authenticated):
                raise NotAuthenticated()
            return caller_acts_for(request, kind) is not None

    ActsFor.__name__ = ActsFor.__qualname__ = (
        "ActsForCentralBank" if kind == CENTRAL_BANK else "ActsForBank"
    )
    return ActsFor


BankOfficial = acts_for(BANK)
CentralBankOfficial = acts_for(CENTRAL_BANK)


def my_bank(request: Request) -> str:
    """The bank the caller acts for (the permission checked there is one)."""
    return caller_acts_for(request, BANK) or ""


def latest_payments(holder: str) -> list[PaymentRecord]:
    """The wallet's latest payments, sent and received."""
    return list(PaymentRecord.objects.filter(Q(payer=holder) | Q(payee=holder))[:LATEST])


def track_wallet_read(
    request: Request, holders: list[str], what: str, purpose: str, investigation: str = ""
) -> None:
    """Record that the caller (an official) read these wallets: their persons are the subjects.

    Organisations' wallets have no personal subject. Under a criminal case
    (``investigation``) the tracker refuses, and records in the open, a read
    the case does not authorise for every person.
    """
    auth = request.auth
    # An organisation token acts for the bank; the person who signed in for it read.
    signer = auth.signed_in_by if isinstance(auth, AccessToken) else ""
    reader = signer or official_code_of(request.user) or str(request.user.get_username())
    record_read(
        reader=reader,
        subjects=[code for code in holders if party_kind(code, "holder") == PERSON],
        registry="money",
        what=what,
        purpose=purpose_of(request.query_params, purpose),
        investigation=investigation,
    )


def wallet_body(request: Request, holder: str) -> Any:
    """A wallet with its latest payments, as the detail view and the commands answer."""
    record = WalletRecord.objects.filter(holder=holder).first()
    if record is None:
        raise NotFound(Message(N_("holder: no wallet of {holder}"), {"holder": holder}))
    context = {"request": request, "payments": latest_payments(holder)}
    return WalletDetailSerializer(record, context=context).data


def supply_body() -> dict[str, Any]:
    """The total supply and the acts (public)."""
    supply = SupplyRecord.objects.first()
    return {
        "total_cents": supply.total_cents if supply is not None else 0,
        "acts": ActRecord.objects.all(),
    }


class SupplyView(GenericAPIView[ActRecord]):
    """The total supply of central-bank money and the central bank's certified acts."""

    permission_classes = [AllowAny]
    serializer_class = SupplySerializer

    @extend_schema(
        tags=TAGS,
        summary="Total supply and the central bank's acts (public)",
        auth=PUBLIC,
        responses={200: SupplySerializer, **problem_responses(429)},
    )
    def get(self, request: Request) -> Response:
        return Response(SupplySerializer(supply_body()).data)


class ActCertificateView(GenericAPIView[ActRecord]):
    """Collect the supernode quorum's signatures over an act's terms."""

    permission_classes = [CentralBankOfficial]
    serializer_class = ActTermsSerializer

    @extend_schema(
        tags=TAGS,
        summary="Collect the supernode quorum's certificate of an issuance or redemption",
        description=(
            "Returns the act's canonical bytes and a supernode quorum's votes on them: "
            "local mode: this node's own key; devnet: every supernode key it holds; cluster: "
            "the supernode nodes, asked over the broker (409 when they refuse the act, 503 "
            "when too few answer in time, each naming who refused why and who was silent). "
            "The issuance or redemption command then carries the certificate."
        ),
        request=ActTermsSerializer,
        responses={
            200: ActCertificateSerializer,
            **problem_responses(400, 401, 403, 429, 503),
        },
    )
    def post(self, request: Request) -> Response:
        terms = validated(ActTermsSerializer, request.data)
        message = running(MoneyRegistry).act_message(**terms)
        certificate = collect(message)
        body = {
            "message": message.hex(),
            "certificate": {"height": certificate.height, "votes": certificate.votes},
        }
        return Response(ActCertificateSerializer(body).data)


class WalletListView(ListModelMixin, GenericAPIView[WalletRecord]):
    """The wallets linked to my bank (bank officials)."""

    permission_classes = [BankOfficial]
    serializer_class = WalletSerializer

    def get_queryset(self) -> QuerySet[WalletRecord]:
        return WalletRecord.objects.filter(bank=my_bank(self.request)).order_by("holder")

    @extend_schema(
        tags=TAGS,
        summary="Wallets linked to my bank (a tracked read of the persons listed)",
        parameters=[PURPOSE_PARAMETER],
        responses={200: WalletSerializer(many=True), **problem_responses(400, 401, 403, 429)},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = self.list(request, *args, **kwargs)
        page = getattr(self.paginator, "page", None)
        shown = list(page.object_list) if page is not None else list(self.get_queryset())
        track_wallet_read(
            request, [record.holder for record in shown], "wallets of the bank", BANK_PURPOSE
        )
        return response


class WalletDetailView(GenericAPIView[WalletRecord]):
    """One wallet with its latest payments: for its bank's officials."""

    permission_classes = [BankOfficial]
    serializer_class = WalletDetailSerializer

    @extend_schema(
        tags=TAGS,
        summary="A wallet linked to my bank, with its latest payments (a tracked read)",
        description=(
            "With `covert_investigation`, the read answers a court order covertly: only when "
            "the criminal case's judge authorised covert access to this person's money data; "
            "otherwise 403, and the refusal is shown to the holder."
        ),
        parameters=[HOLDER_PARAMETER, PURPOSE_PARAMETER, INVESTIGATION_PARAMETER],
        responses={200: WalletDetailSerializer, **problem_responses(400, 401, 403, 404, 429)},
    )
    def get(self, request: Request, code: str) -> Response:
        party_kind(code, "holder")
        if not WalletRecord.objects.filter(holder=code, bank=my_bank(request)).exists():
            # Not "forbidden": whether someone has a wallet elsewhere is not this bank's to know.
            raise NotFound(Message(N_("holder: no wallet of {code} at your bank"), {"code": code}))
        track_wallet_read(
            request,
            [code],
            "wallet and payments",
            BANK_PURPOSE,
            investigation=investigation_of(request.query_params),
        )
        return Response(wallet_body(request, code))


class CourtOrderWalletView(GenericAPIView[WalletRecord]):
    """A person's wallet, read by a court investigator under a criminal case that authorises it."""

    permission_classes = [registry_role("court", "investigator")]
    serializer_class = WalletDetailSerializer

    @extend_schema(
        tags=TAGS,
        summary="A person's wallet under a court order (a covert, tracked read)",
        description=(
            "The criminal case must authorise the read of this person's data: the person is "
            "a party of the case, or its judge named them. The read is recorded on the data "
            "tracker's chain and shown to the person when a final judgment releases it; a "
            "refused read is recorded in the open."
        ),
        parameters=[CASE_PARAMETER, HOLDER_PARAMETER, PURPOSE_PARAMETER],
        responses={200: WalletDetailSerializer, **problem_responses(400, 401, 403, 404, 429)},
    )
    def get(self, request: Request, number: str, code: str) -> Response:
        if party_kind(code, "holder") != PERSON:
            raise InvalidCommand(N_("holder: a court order here names a person's wallet"))
        track_wallet_read(
            request, [code], "wallet and payments", COURT_PURPOSE, investigation=number
        )
        return Response(wallet_body(request, code))
