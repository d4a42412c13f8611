"""Serializers of the money registry's API: amounts in integer cents, codes as strings."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from rest_framework import serializers

from registries.access.me import ChainField
from registries.access.signing import signatures_field
from registries.common.api.serializers import StrictCharField
from registries.money.domain import ACTS, MAX_CENTS, PAYMENT_ID_FORM
from registries.money.models import ActRecord, PaymentRecord, WalletRecord


class ActSerializer(serializers.ModelSerializer[ActRecord]):
    """A central bank act as the public sees it (not who issued it: a person's code)."""

    class Meta:
        model = ActRecord
        fields = [
            "act_id",
            "act",
            "wallet",
            "amount_cents",
            "height",
            "certificate",
            "ledger_seq",
        ]


class SupplySerializer(serializers.Serializer[Any]):
    total_cents = serializers.IntegerField(help_text="Money in circulation: the sum of balances")
    acts = ActSerializer(many=True, help_text="The central bank's acts, newest first")


class WalletSerializer(serializers.ModelSerializer[WalletRecord]):
    class Meta:
        model = WalletRecord
        fields = [
            "holder",
            "holder_kind",
            "bank",
            "open",
            "balance_cents",
            "at_bank_cents",
            "version",
            "ledger_seq",
        ]


class PaymentSerializer(serializers.ModelSerializer[PaymentRecord]):
    chain = ChainField()

    class Meta:
        model = PaymentRecord
        fields = [
            "payment_id",
            "payer",
            "payee",
            "amount_cents",
            "topped_up_cents",
            "swept_cents",
            "ledger_seq",
            "payee_seq",
            "chain",
        ]


class WalletDetailSerializer(WalletSerializer):
    payments = serializers.SerializerMethodField(help_text="The latest payments, newest first")

    class Meta(WalletSerializer.Meta):
        fields = [*WalletSerializer.Meta.fields, "payments"]

    def get_payments(self, wallet: WalletRecord) -> list[dict[str, Any]]:
        """The wallet's latest 50 payments, sent and received."""
        payments = self.context["payments"]
        return list(PaymentSerializer(payments, many=True, context=self.context).data)


class OpenWalletSerializer(serializers.Serializer[Any]):
    holder = StrictCharField(help_text="Personal code of a living person, or registry code")


class LinkedBankSerializer(serializers.Serializer[Any]):
    bank = StrictCharField(help_text="Registry code of the bank the wallet is linked to now")


class EmptyCommandSerializer(serializers.Serializer[Any]):
    """This command takes no data."""

    class Meta:
        ref_name = "MoneyEmptyCommand"


class ActTermsSerializer(serializers.Serializer[Any]):
    act = serializers.ChoiceField(choices=list(ACTS))
    act_id = serializers.RegexField(
        r"^[A-Za-z0-9_.:-]{1,64}$", help_text="The central bank's reference of the act"
    )
    wallet = StrictCharField(help_text="Registry code of the bank whose wallet it credits/debits")
    amount_cents = serializers.IntegerField(min_value=1, max_value=MAX_CENTS)


class VoteSerializer(serializers.Serializer[Any]):
    signer = StrictCharField(help_text="Supernode name")
    key_id = serializers.RegexField(r"^[0-9a-f]{1,128}$", help_text="Key id, hex")
    round = serializers.IntegerField(min_value=0)
    signature = serializers.RegexField(r"^[0-9a-f]{128}$", help_text="Ed25519 signature, hex")

    class Meta:
        ref_name = "MoneyActVote"


class CertificateSerializer(serializers.Serializer[Any]):
    height = serializers.IntegerField(
        min_value=1, help_text="The block height whose supernode keys signed"
    )
    votes = VoteSerializer(many=True, max_length=100)  # type: ignore[call-arg]


class CertifiedActSerializer(serializers.Serializer[Any]):
    act_id = serializers.RegexField(r"^[A-Za-z0-9_.:-]{1,64}$")
    amount_cents = serializers.IntegerField(min_value=1, max_value=MAX_CENTS)
    certificate = CertificateSerializer(
        help_text="Supernode quorum's votes over the act (act-certificate/ collects them)"
    )


class ActCertificateSerializer(serializers.Serializer[Any]):
    message = serializers.CharField(help_text="The act's canonical bytes, hex")
    certificate = CertificateSerializer()


class PaymentInputSerializer(serializers.Serializer[Any]):
    payment_id = serializers.RegexField(
        f"^{PAYMENT_ID_FORM}$", help_text="Chosen by the payer; a repeat answers the same payment"
    )
    payee = StrictCharField(help_text="Personal code or registry code of the payee")
    amount_cents = serializers.IntegerField(min_value=1, max_value=MAX_CENTS)


class SignedPaymentSerializer(PaymentInputSerializer):
    """A payment with the payer's e-ID signature over every field above."""

    payer = StrictCharField(
        required=False,
        help_text=(
            "Registry code of a company or other organisation I represent, to pay from its "
            "wallet (my signature authorises it); omitted: my own wallet"
        ),
    )
    signatures = signatures_field()


class MyWalletSerializer(WalletDetailSerializer):
    receipts = serializers.SerializerMethodField(
        help_text="URL of each listed payment's receipt (my ledger entry, payload included)"
    )

    class Meta(WalletDetailSerializer.Meta):
        fields = [*WalletDetailSerializer.Meta.fields, "receipts"]

    def get_receipts(self, wallet: WalletRecord) -> dict[str, str]:
        """Payment id -> the URL of my receipt of it."""
        request = self.context["request"]
        receipts = {}
        for payment in self.context["payments"]:
            seq = payment.ledger_seq if payment.payer == wallet.holder else payment.payee_seq
            if seq is not None:
                receipts[payment.payment_id] = request.build_absolute_uri(
                    reverse("me-receipt", args=["money", seq])
                )
        return receipts
