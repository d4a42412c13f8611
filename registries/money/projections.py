"""Keeps the money registry's read models from its events."""

from __future__ import annotations

from typing import Any

from eventsourcing.dispatch import singledispatchmethod

from registries.common.codes import party_kind
from registries.common.projections import ReadModelProjection
from registries.money.application import MoneyRegistry
from registries.money.domain import ISSUE, REDEEM, Supply, Wallet
from registries.money.models import ActRecord, PaymentRecord, SupplyRecord, WalletRecord


class MoneyProjection(ReadModelProjection):
    """The supply with its acts, the wallets with their balances, and the payments."""

    name = "money"
    application = MoneyRegistry

    @singledispatchmethod
    def apply(self, event: Any) -> None:
        """Events not shown in these read models are only tracked."""

    def _move(self, event: Any, balance: int, at_bank: int = 0) -> WalletRecord:
        """Change a wallet's balance (and what is held at its bank) by these cents."""
        record = WalletRecord.objects.get(aggregate_id=event.originator_id)
        return self.touch(
            WalletRecord,
            event,
            balance_cents=record.balance_cents + balance,
            at_bank_cents=record.at_bank_cents + at_bank,
        )

    # The supply.

    @apply.register
    def started(self, event: Supply.Started) -> None:
        SupplyRecord.objects.create(
            aggregate_id=event.originator_id,
            total_cents=0,
            version=event.originator_version,
            ledger_seq=self.seq(event),
        )

    def _act(self, event: Any, act: str, change: int) -> None:
        record = SupplyRecord.objects.get(aggregate_id=event.originator_id)
        self.touch(SupplyRecord, event, total_cents=record.total_cents + change)
        ActRecord.objects.create(
            act_id=event.act_id,
            act=act,
            wallet=event.wallet,
            amount_cents=event.amount_cents,
            height=event.height,
            certificate=event.certificate,
            actor=event.actor,
            ledger_seq=self.seq(event),
        )

    @apply.register
    def issued(self, event: Supply.Issued) -> None:
        self._act(event, ISSUE, event.amount_cents)

    @apply.register
    def redeemed(self, event: Supply.Redeemed) -> None:
        self._act(event, REDEEM, -event.amount_cents)

    # Wallets.

    @apply.register
    def opened(self, event: Wallet.Opened) -> None:
        WalletRecord.objects.create(
            holder=event.holder,
            holder_kind=party_kind(event.holder, "holder"),
            aggregate_id=event.originator_id,
            bank=event.bank,
            version=event.originator_version,
            ledger_seq=self.seq(event),
        )

    @apply.register
    def closed(self, event: Wallet.Closed) -> None:
        self.touch(WalletRecord, event, open=False)

    @apply.register
    def reopened(self, event: Wallet.Reopened) -> None:
        self.touch(WalletRecord, event, open=True, bank=event.bank)

    @apply.register
    def linked_bank_set(self, event: Wallet.LinkedBankSet) -> None:
        self.touch(WalletRecord, event, bank=event.bank)

    @apply.register
    def issuance_received(self, event: Wallet.IssuanceReceived) -> None:
        self._move(event, event.amount_cents)

    @apply.register
    def redemption_paid(self, event: Wallet.RedemptionPaid) -> None:
        self._move(event, -event.amount_cents)

    # Payments.

    @apply.register
    def payment_sent(self, event: Wallet.PaymentSent) -> None:
        payer = self._move(event, -event.amount_cents)
        PaymentRecord.objects.create(
            payment_id=event.payment_id,
            payer=payer.holder,
            payee=event.payee,
            amount_cents=event.amount_cents,
            topped_up_cents=event.topped_up_cents,
            ledger_seq=self.seq(event),
        )

    @apply.register
    def payment_received(self, event: Wallet.PaymentReceived) -> None:
        self._move(event, event.amount_cents)
        PaymentRecord.objects.filter(payer=event.payer, payment_id=event.payment_id).update(
            payee_seq=self.seq(event)
        )

    @apply.register
    def topped_up(self, event: Wallet.ToppedUp) -> None:
        self._move(event, event.amount_cents, -event.amount_cents)

    @apply.register
    def top_up_sent(self, event: Wallet.TopUpSent) -> None:
        self._move(event, -event.amount_cents)

    @apply.register
    def excess_swept(self, event: Wallet.ExcessSwept) -> None:
        payee = self._move(event, -event.amount_cents, event.amount_cents)
        PaymentRecord.objects.filter(
            payer=event.payer, payee=payee.holder, payment_id=event.payment_id
        ).update(swept_cents=event.amount_cents)

    @apply.register
    def sweep_received(self, event: Wallet.SweepReceived) -> None:
        self._move(event, event.amount_cents)


PROJECTIONS: list[type[ReadModelProjection]] = [MoneyProjection]
