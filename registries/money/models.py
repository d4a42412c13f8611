"""Read models of the money registry, kept by :mod:`registries.money.projections`.

Never edited directly: the admin and the API change money only through
commands of :class:`~registries.money.application.MoneyRegistry`.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from registries.common.codes import ORGANISATION, PERSON
from registries.common.models import KeyAccessBase, LedgerLinked, PersonKeyBase
from registries.money.domain import ACTS

HOLDER_KIND_CHOICES = [(PERSON, "person"), (ORGANISATION, "organisation")]


class SupplyRecord(LedgerLinked):
    """The total supply (one row): public."""

    ledger_registry = "money"

    aggregate_id = models.UUIDField(unique=True, verbose_name=_("aggregate id"))
    total_cents = models.BigIntegerField(default=0, verbose_name=_("total cents"))
    version = models.IntegerField(
        help_text="Version of the supply aggregate shown here", verbose_name=_("version")
    )

    class Meta:
        verbose_name = _("money supply")
        verbose_name_plural = _("money supplies")

    def __str__(self) -> str:
        return f"supply {self.total_cents} cents"


class ActRecord(LedgerLinked):
    """An issuance or redemption, with the supernode quorum's certificate."""

    ledger_registry = "money"

    act_id = models.CharField(max_length=64, unique=True, verbose_name=_("act id"))
    act = models.CharField(
        max_length=10, choices=[(act, act) for act in ACTS], verbose_name=_("act")
    )
    wallet = models.CharField(
        max_length=11, help_text="Registry code of the bank's wallet", verbose_name=_("wallet")
    )
    amount_cents = models.BigIntegerField(verbose_name=_("amount cents"))
    height = models.BigIntegerField(
        help_text="Height whose supernode keys certified it", verbose_name=_("height")
    )
    certificate = models.JSONField(verbose_name=_("certificate"))
    actor = models.CharField(max_length=11, verbose_name=_("actor"))

    class Meta:
        ordering = ["-ledger_seq"]
        verbose_name = _("central bank act")
        verbose_name_plural = _("central bank acts")

    def __str__(self) -> str:
        return f"{self.act} {self.act_id}: {self.amount_cents} cents"


class WalletRecord(LedgerLinked):
    """A holder's wallet: shown only to its holder and its bank (and the central bank)."""

    ledger_registry = "money"

    holder = models.CharField(max_length=11, primary_key=True, verbose_name=_("holder"))
    holder_kind = models.CharField(
        max_length=12, choices=HOLDER_KIND_CHOICES, verbose_name=_("holder kind")
    )
    aggregate_id = models.UUIDField(unique=True, verbose_name=_("aggregate id"))
    bank = models.CharField(
        max_length=8, db_index=True, help_text="The bank linked to it", verbose_name=_("bank")
    )
    open = models.BooleanField(default=True, verbose_name=_("open"))
    balance_cents = models.BigIntegerField(default=0, verbose_name=_("balance cents"))
    at_bank_cents = models.BigIntegerField(
        default=0,
        help_text="Moved to the linked bank by the waterfall and not taken back",
        verbose_name=_("at bank cents"),
    )
    version = models.IntegerField(
        help_text="Version of the wallet aggregate shown here", verbose_name=_("version")
    )

    class Meta:
        ordering = ["holder"]
        verbose_name = _("wallet")
        verbose_name_plural = _("wallets")

    def __str__(self) -> str:
        return f"wallet of {self.holder}"


class PaymentRecord(LedgerLinked):
    """A payment as applied (``ledger_seq``: the payer's entry, the payment's receipt)."""

    ledger_registry = "money"

    payment_id = models.CharField(max_length=64, verbose_name=_("payment id"))
    payer = models.CharField(max_length=11, db_index=True, verbose_name=_("payer"))
    payee = models.CharField(max_length=11, db_index=True, verbose_name=_("payee"))
    amount_cents = models.BigIntegerField(verbose_name=_("amount cents"))
    topped_up_cents = models.BigIntegerField(
        default=0, help_text="From the payer's bank", verbose_name=_("topped up cents")
    )
    swept_cents = models.BigIntegerField(
        default=0, help_text="Moved on to the payee's bank", verbose_name=_("swept cents")
    )
    payee_seq = models.BigIntegerField(
        null=True, help_text="Ledger seq of the payee's entry", verbose_name=_("payee seq")
    )

    class Meta:
        ordering = ["-ledger_seq"]
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        constraints = [
            models.UniqueConstraint(fields=["payer", "payment_id"], name="money_payment_unique")
        ]

    def __str__(self) -> str:
        return f"{self.payment_id}: {self.payer} -> {self.payee} {self.amount_cents} cents"


class PersonKey(PersonKeyBase):
    """A person's or a wallet's data key: seals the personal codes and the payer's
    signatures in money events (:mod:`registries.common.sealing`)."""

    class Meta(PersonKeyBase.Meta):
        pass


class KeyAccess(KeyAccessBase):
    """Audit trail of the money key store: creates, destroys and refused uses."""

    class Meta(KeyAccessBase.Meta):
        pass
