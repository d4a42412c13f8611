"""The money registry's aggregates and events (pure: no Django, no I/O).

Euro cents of the central-bank digital currency live in **wallets**
(:class:`Wallet`, one per holder: a person by personal code, a company or a
bank by registry code); the **supply** (:class:`Supply`, one aggregate) is
the total the central bank has issued and not redeemed. Every command that
changes a balance changes another aggregate by the same amount in the same
save, so at every point::

    supply.total_cents == sum(wallet.balance_cents for every wallet)

An issuance credits a bank's wallet and raises the supply; a redemption
debits it and lowers the supply; a payment moves cents between wallets.

**A payment's rules, in this order** (:func:`settle`):

1. the amount is whole cents, at least 1 and at most :data:`MAX_CENTS`;
2. a payment id the payer used before is a repetition: with the same payee and
   amount it records nothing and answers the recorded payment, with other
   terms it is refused (:class:`PaymentIdTaken`);
3. payer and payee differ, and both wallets are open;
4. funds: a payer short of the amount is topped up from their linked bank
   (the *reverse waterfall*), at most what the waterfall moved there before
   and what the bank's wallet holds; still short, the payment is refused
   (:class:`InsufficientFunds`): no balance is ever negative;
5. the payer is debited and the payee credited;
6. a person's balance above the holding limit is moved on to their linked
   bank's wallet (the *waterfall*), and recorded as held at that bank.

An issuance or redemption (an *act*) carries a certificate of supernode
signatures over :func:`act_message`; the application checks it against the
chain's membership before the aggregate records it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event
from eventsourcing.domain import Snapshot as AggregateSnapshot

from chain.encoding import canonical
from registries.common.codes import (
    PERSON,
    party_kind,
)
from registries.common.errors import Conflict, InvalidCommand, RegistryError
from registries.common.texts import N_, Message

MAX_CENTS = 10**15
"""The largest amount of one payment or act (ten trillion euros)."""

ISSUE = "issue"
REDEEM = "redeem"
ACTS = (ISSUE, REDEEM)
ACT_PURPOSE = "riik-money-act"
"""Names the bytes a supernode signs for an act, so no other signature fits them."""

PAYMENT_ID_FORM = r"[A-Za-z0-9_-]{8,64}"
_PAYMENT_ID = re.compile(PAYMENT_ID_FORM)

_NAMESPACE = uuid5(NAMESPACE_URL, "https://riik.example/money")
SUPPLY_ID = uuid5(_NAMESPACE, "supply")


# Errors -------------------------------------------------------------------------------------


class InsufficientFunds(Conflict):
    """The payer's wallet (with what their bank may top it up with) holds less than the amount."""

    title = N_("Insufficient funds")
    slug = "insufficient-funds"


class WalletClosed(Conflict):
    """A wallet that is closed (or was never opened) cannot pay or be paid."""

    title = N_("The wallet is closed")
    slug = "wallet-closed"


class PaymentIdTaken(Conflict):
    """The payer used this payment id for a payment with other terms."""

    title = N_("The payment id is taken")
    slug = "payment-id-taken"


class ActNotCertified(InvalidCommand):
    """An issuance or redemption without a supernode quorum's signatures over it."""

    status = 403
    title = N_("The act is not certified by a supernode quorum")
    slug = "act-not-certified"


class ActRefusedBySupernodes(Conflict):
    """Too many supernodes refused to certify the act (an act id used with other terms, say)."""

    title = N_("The supernodes refused to certify the act")
    slug = "act-refused-by-supernodes"


class QuorumUnavailable(RegistryError):
    """Too few supernodes answered in time to certify the act: try again later."""

    status = 503
    title = N_("No supernode quorum answered")
    slug = "supernode-quorum-unavailable"


# Codes and amounts ---------------------------------------------------------------------------


def check_cents(amount: int, field: str = "amount_cents") -> int:
    """An amount of whole cents, at least 1 and at most :data:`MAX_CENTS`."""
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise InvalidCommand(
            Message(N_("{field}: an amount is a whole number of cents"), {"field": field})
        )
    if amount < 1:
        raise InvalidCommand(Message(N_("{field}: an amount is at least 1 cent"), {"field": field}))
    if amount > MAX_CENTS:
        raise InvalidCommand(
            Message(
                N_("{field}: at most {MAX_CENTS} cents"), {"field": field, "MAX_CENTS": MAX_CENTS}
            )
        )
    return amount


def check_payment_id(payment_id: str, field: str = "payment_id") -> str:
    """A payment id of the payer's choosing: 8-64 of ``A-Z a-z 0-9 _ -``."""
    if not isinstance(payment_id, str) or not _PAYMENT_ID.fullmatch(payment_id):
        raise InvalidCommand(
            Message(N_("{field}: 8 to 64 of the characters A-Z a-z 0-9 _ -"), {"field": field})
        )
    return payment_id


_pseudonyms: list[Callable[[str], str]] = []


def use_pseudonyms(pseudonym: Callable[[str], str]) -> None:
    """Derive persons' wallet ids from ``pseudonym(code)`` (a keyed hash: the app's ``ready()``)."""
    _pseudonyms[:] = [pseudonym]


def wallet_id(holder: str) -> UUID:
    """Aggregate id of the wallet of this holder (a person or an organisation has one).

    The id is every ledger entry's originator id, public in every envelope.
    A person's comes from a keyed pseudonym of the code (:func:`use_pseudonyms`),
    since the personal code space is small enough to brute-force an id made
    from the code itself; registry codes are public, so an organisation's
    comes from its code.
    """
    if party_kind(holder, "holder") != PERSON:
        return uuid5(_NAMESPACE, f"wallet:{holder}")
    if not _pseudonyms:
        raise RuntimeError("registries.money.domain.use_pseudonyms() was not called")
    return uuid5(_NAMESPACE, f"wallet-of-person:{_pseudonyms[0](holder)}")


def act_message(*, act: str, act_id: str, wallet: str, amount_cents: int, chain_id: str) -> bytes:
    """The canonical bytes the supernodes certify for an issuance or redemption.

    The purpose keeps the signature from counting as a vote on anything else;
    the chain id from being replayed on another chain; the act id from being
    replayed on this one (an act id is recorded once).
    """
    return canonical(
        {
            "purpose": ACT_PURPOSE,
            "chain_id": chain_id,
            "act": act,
            "act_id": act_id,
            "wallet": wallet,
            "amount_cents": amount_cents,
        }
    )


# The aggregates ------------------------------------------------------------------------------


class Supply(Aggregate):
    """The total of central-bank money in circulation (one aggregate, :data:`SUPPLY_ID`)."""

    @staticmethod
    def create_id() -> UUID:
        """There is one supply."""
        return SUPPLY_ID

    class Started(Aggregate.Created):
        pass

    @event(Started)
    def __init__(self) -> None:
        self.total_cents = 0
        # Act id -> version of the event that recorded it (an act is recorded once).
        self.acts: dict[str, int] = {}

    class Issued(Aggregate.Event):
        act_id: str
        wallet: str
        amount_cents: int
        height: int
        certificate: list[dict[str, Any]]
        actor: str

    class Redeemed(Aggregate.Event):
        act_id: str
        wallet: str
        amount_cents: int
        height: int
        certificate: list[dict[str, Any]]
        actor: str

    def check_new_act(self, act_id: str) -> None:
        """Refuse an act id recorded before (a certificate is spent once)."""
        if act_id in self.acts:
            raise Conflict(
                Message(
                    N_("act_id: the act {act_id} was recorded at version {version}"),
                    {"act_id": act_id, "version": self.acts[act_id]},
                )
            )

    @event(Issued)
    def _issued(
        self,
        act_id: str,
        wallet: str,
        amount_cents: int,
        height: int,
        certificate: list[dict[str, Any]],
        actor: str,
    ) -> None:
        self.total_cents += amount_cents
        self.acts[act_id] = self.version

    @event(Redeemed)
    def _redeemed(
        self,
        act_id: str,
        wallet: str,
        amount_cents: int,
        height: int,
        certificate: list[dict[str, Any]],
        actor: str,
    ) -> None:
        self.total_cents -= amount_cents
        self.acts[act_id] = self.version

    def record(
        self,
        act: str,
        act_id: str,
        target: Wallet,
        amount_cents: int,
        height: int,
        certificate: list[dict[str, Any]],
        actor: str,
    ) -> None:
        """Record a certified act and its effect on ``target`` (a bank's wallet).

        ``certificate`` holds the supernode votes the application checked at
        ``height``. A redemption never takes more than the wallet holds.
        """
        self.check_new_act(act_id)
        check_cents(amount_cents)
        target.check_open("wallet")
        if act == ISSUE:
            self._issued(act_id, target.holder, amount_cents, height, certificate, actor)
            target._issued(act_id, amount_cents)
        else:
            if target.balance_cents < amount_cents:
                raise InsufficientFunds(
                    Message(
                        N_(
                            "amount_cents: the wallet of {holder} holds {balance_cents} cents, "
                            "less than {amount_cents}"
                        ),
                        {
                            "holder": target.holder,
                            "balance_cents": target.balance_cents,
                            "amount_cents": amount_cents,
                        },
                    )
                )
            self._redeemed(act_id, target.holder, amount_cents, height, certificate, actor)
            target._redeemed(act_id, amount_cents)


@dataclass(frozen=True)
class Payment:
    """A payment as the payer signed it, with the verified signatures."""

    payment_id: str
    payer: str
    payee: str
    amount_cents: int
    signatures: tuple[dict[str, str], ...] = ()


@dataclass(frozen=True)
class Settled:
    """How a payment was applied: the parts each side's waterfall moved (0: none)."""

    payment_id: str
    payer: str
    payee: str
    amount_cents: int
    topped_up_cents: int
    swept_cents: int
    repeated: bool


class Wallet(Aggregate):
    """The euro cents one holder holds, and the bank that opened and serves the wallet."""

    class Snapshot(AggregateSnapshot):
        """A wallet's state at one version (eventsourcing's snapshotting), so a busy
        wallet loads from its latest snapshot and the events after it."""

    @staticmethod
    def create_id(holder: str, bank: str, actor: str) -> UUID:
        """A holder has one wallet, found by their code."""
        return wallet_id(holder)

    class Opened(Aggregate.Created):
        holder: str
        bank: str
        actor: str

    @event(Opened)
    def __init__(self, holder: str, bank: str, actor: str) -> None:
        self.holder = holder
        self.bank = bank
        self.open = True
        self.balance_cents = 0
        # Cents the waterfall moved to the linked bank and the reverse waterfall
        # has not taken back: the holder's claim on that bank.
        self.at_bank_cents = 0
        # Payment id -> (payee, amount, version of the event): repetitions are no-ops.
        self.payments: dict[str, tuple[str, int, int]] = {}

    @classmethod
    def open_for(cls, *, holder: str, bank: str, actor: str) -> Wallet:
        """Check and record the opening of a holder's wallet at a bank."""
        party_kind(holder, "holder")
        party_kind(bank, "bank")
        return cls(holder=holder, bank=bank, actor=actor)

    @property
    def is_person(self) -> bool:
        """Whether a person holds it (the holding limit applies to persons only)."""
        return party_kind(self.holder, "holder") == PERSON

    def check_open(self, field: str) -> None:
        """Refuse a command on a closed wallet."""
        if not self.open:
            raise WalletClosed(
                Message(
                    N_("{field}: the wallet of {holder} is closed"),
                    {"field": field, "holder": self.holder},
                )
            )

    # Opening, closing, the linked bank.

    class Closed(Aggregate.Event):
        actor: str

    @event(Closed)
    def _closed(self, actor: str) -> None:
        self.open = False

    def close(self, actor: str) -> None:
        """Close the wallet: only at a zero balance, with nothing held at the bank."""
        self.check_open("holder")
        if self.balance_cents or self.at_bank_cents:
            raise Conflict(
                Message(
                    N_(
                        "holder: the wallet holds {balance_cents} cents and {at_bank_cents} cents "
                        "are held at the bank; a wallet is closed only at zero"
                    ),
                    {"balance_cents": self.balance_cents, "at_bank_cents": self.at_bank_cents},
                )
            )
        self._closed(actor)

    class Reopened(Aggregate.Event):
        bank: str
        actor: str

    @event(Reopened)
    def _reopened(self, bank: str, actor: str) -> None:
        self.open = True
        self.bank = bank

    def reopen(self, bank: str, actor: str) -> None:
        """Open a closed wallet again (at this bank); an open wallet is refused."""
        if self.open:
            raise Conflict(
                Message(
                    N_("holder: {holder} already has an open wallet at {bank}"),
                    {"holder": self.holder, "bank": self.bank},
                )
            )
        self._reopened(bank, actor)

    class LinkedBankSet(Aggregate.Event):
        bank: str
        actor: str

    @event(LinkedBankSet)
    def _linked_bank_set(self, bank: str, actor: str) -> None:
        self.bank = bank

    def set_linked_bank(self, bank: str, actor: str) -> None:
        """Link the wallet to another bank: only while nothing is held at the current one."""
        self.check_open("holder")
        party_kind(bank, "bank")
        if bank == self.bank:
            return
        if self.at_bank_cents:
            raise Conflict(
                Message(
                    N_(
                        "bank: {at_bank_cents} cents of {holder} are held at {bank}; the linked "
                        "bank changes only when nothing is held there"
                    ),
                    {"at_bank_cents": self.at_bank_cents, "holder": self.holder, "bank": self.bank},
                )
            )
        self._linked_bank_set(bank, actor)

    # Acts of the central bank (recorded through Supply.record).

    class IssuanceReceived(Aggregate.Event):
        act_id: str
        amount_cents: int

    @event(IssuanceReceived)
    def _issued(self, act_id: str, amount_cents: int) -> None:
        self.balance_cents += amount_cents

    class RedemptionPaid(Aggregate.Event):
        act_id: str
        amount_cents: int

    @event(RedemptionPaid)
    def _redeemed(self, act_id: str, amount_cents: int) -> None:
        self.balance_cents -= amount_cents

    # Payments (recorded through settle).

    class PaymentSent(Aggregate.Event):
        payment_id: str
        payee: str
        amount_cents: int
        topped_up_cents: int
        signatures: list[dict[str, str]]

    @event(PaymentSent)
    def _sent(
        self,
        payment_id: str,
        payee: str,
        amount_cents: int,
        topped_up_cents: int,
        signatures: list[dict[str, str]],
    ) -> None:
        self.balance_cents -= amount_cents
        self.payments[payment_id] = (payee, amount_cents, self.version)

    class PaymentReceived(Aggregate.Event):
        payment_id: str
        payer: str
        amount_cents: int

    @event(PaymentReceived)
    def _received(self, payment_id: str, payer: str, amount_cents: int) -> None:
        self.balance_cents += amount_cents

    class ToppedUp(Aggregate.Event):
        """The reverse waterfall: the linked bank paid back part of what it holds."""

        payment_id: str
        bank: str
        amount_cents: int

    @event(ToppedUp)
    def _topped_up(self, payment_id: str, bank: str, amount_cents: int) -> None:
        self.balance_cents += amount_cents
        self.at_bank_cents -= amount_cents

    class TopUpSent(Aggregate.Event):
        payment_id: str
        holder: str
        amount_cents: int

    @event(TopUpSent)
    def _top_up_sent(self, payment_id: str, holder: str, amount_cents: int) -> None:
        self.balance_cents -= amount_cents

    class ExcessSwept(Aggregate.Event):
        """The waterfall: what exceeded the holding limit went to the linked bank."""

        payment_id: str
        payer: str
        bank: str
        amount_cents: int

    @event(ExcessSwept)
    def _swept(self, payment_id: str, payer: str, bank: str, amount_cents: int) -> None:
        self.balance_cents -= amount_cents
        self.at_bank_cents += amount_cents

    class SweepReceived(Aggregate.Event):
        payment_id: str
        holder: str
        amount_cents: int

    @event(SweepReceived)
    def _sweep_received(self, payment_id: str, holder: str, amount_cents: int) -> None:
        self.balance_cents += amount_cents


def settle(
    payment: Payment, wallet_of: Callable[[str], Wallet], holding_limit_cents: int
) -> Settled:
    """Apply a payment by the rules in the module's order; return how it was applied.

    ``wallet_of(code)`` loads a holder's wallet (the same object for the same
    code, so a bank that both tops up the payer and takes the payee's excess
    is one aggregate); the caller saves every wallet that recorded events.
    """
    amount = check_cents(payment.amount_cents)
    payer = wallet_of(payment.payer)
    repeated = payer.payments.get(check_payment_id(payment.payment_id))
    if repeated is not None:
        payee_code, cents, version = repeated
        if (payee_code, cents) != (payment.payee, amount):
            raise PaymentIdTaken(
                Message(
                    N_(
                        "payment_id: {payment_id} is the payment of {cents} cents to {payee_code} "
                        "recorded at version {version}; choose a new id"
                    ),
                    {
                        "payment_id": payment.payment_id,
                        "cents": cents,
                        "payee_code": payee_code,
                        "version": version,
                    },
                )
            )
        return Settled(payment.payment_id, payer.holder, payee_code, cents, 0, 0, repeated=True)
    if payment.payee == payment.payer:
        raise InvalidCommand(N_("payee: a wallet does not pay itself"))
    party_kind(payment.payee, "payee")
    payee = wallet_of(payment.payee)
    payer.check_open("payer")
    payee.check_open("payee")

    topped_up = 0
    short = amount - payer.balance_cents
    if short > 0:
        bank = wallet_of(payer.bank) if payer.is_person and payer.at_bank_cents >= short else None
        if bank is None or not bank.open or bank.balance_cents < short:
            raise InsufficientFunds(
                Message(
                    N_(
                        "amount_cents: the wallet of {holder} holds {balance_cents} cents (and "
                        "{at_bank_cents} cents at its bank), less than {amount}: {short} cents "
                        "short for payment {payment_id}"
                    ),
                    {
                        "holder": payer.holder,
                        "balance_cents": payer.balance_cents,
                        "at_bank_cents": payer.at_bank_cents,
                        "amount": amount,
                        "short": short,
                        "payment_id": payment.payment_id,
                    },
                )
            )
        bank._top_up_sent(payment.payment_id, payer.holder, short)
        payer._topped_up(payment.payment_id, bank.holder, short)
        topped_up = short

    payer._sent(payment.payment_id, payee.holder, amount, topped_up, list(payment.signatures))
    payee._received(payment.payment_id, payer.holder, amount)

    swept = 0
    excess = payee.balance_cents - holding_limit_cents
    if payee.is_person and excess > 0:
        bank = wallet_of(payee.bank)
        bank.check_open("payee")
        payee._swept(payment.payment_id, payer.holder, bank.holder, excess)
        bank._sweep_received(payment.payment_id, payee.holder, excess)
        swept = excess
    return Settled(
        payment.payment_id, payer.holder, payee.holder, amount, topped_up, swept, repeated=False
    )
