"""Commands of the money registry, all through the registries' one write path.

**Who acts.** The central bank (an organisation of kind ``central_bank``)
issues and redeems, each act certified by a supernode quorum
(:mod:`registries.money.quorum`). A bank (kind ``bank``) opens wallets for
living persons and registered organisations, closes them at zero and sets
their linked bank; a bank's own wallet, which takes issued money and the
persons' excess, is opened by the bank for itself. A holder pays from their
own wallet with their e-ID signature (checked by the e-service before the
command runs; the signatures are recorded in the event).

**No double spending.** A payment loads the payer's wallet (and the payee's
and the banks' a waterfall touches), decides on their versions and saves
them in one transaction. A concurrent payment that saved the payer's wallet
first makes this save fail the event store's version check: nothing is
written and the payment is decided again on the new balance
(:meth:`~registries.common.application.RegistryApplication.retrying`), where
it is applied or refused for insufficient funds. A payment is therefore
applied exactly once or not at all, and a balance is never negative.

**Personal codes are sealed.** Every personal code in a money event -- the
holder, the payer and payee, the counterparty of a waterfall move, whoever
acted (a bank's representative, a central bank official) -- is sealed with
that person's own key (:mod:`registries.common.sealing`, keys in
:class:`~registries.money.models.PersonKey`); the payer's e-ID signatures,
which name the signer, with the wallet's key. Amounts, wallet ids, act ids,
payment ids and organisations' registry codes stay in clear, so the
verifiers' conservation replay (:mod:`chain.verify.money`) reads a full
bundle without any key.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from typing import Any

from django.conf import settings

from registries.common.application import Ref
from registries.common.codes import ORGANISATION, PERSON, party_kind
from registries.common.errors import InvalidCommand, NotFound
from registries.common.sealing import PERSON_CODE, RECORD, KeyStore, Rules, SealingRegistry
from registries.common.texts import N_, Message
from registries.identity import services as identity
from registries.identity.models import OrganisationRecord
from registries.money.domain import (
    ACTS,
    Payment,
    Settled,
    Supply,
    Wallet,
    act_message,
    check_cents,
    settle,
    wallet_id,
)
from registries.money.models import KeyAccess, PersonKey
from registries.money.quorum import Certificate, verify

BANK = "bank"
CENTRAL_BANK = "central_bank"


def organisation_kind(registry_code: str) -> str | None:
    """The identity registry's kind of this organisation (None if it is not registered)."""
    if not identity.organisation_exists(registry_code):
        return None
    kind: str | None = (
        OrganisationRecord.objects.filter(registry_code=registry_code)
        .values_list("kind", flat=True)
        .first()
    )
    return kind


def check_bank(registry_code: str, field: str = "bank", kind: str = BANK) -> str:
    """Refuse unless the identity registry holds an organisation of ``kind`` with this code."""
    party_kind(registry_code, field)
    found = organisation_kind(registry_code)
    if found != kind:
        what = "the central bank" if kind == CENTRAL_BANK else "a bank"
        raise InvalidCommand(
            Message(
                N_("{field}: {registry_code} is not {what} in the identity registry"),
                {"field": field, "registry_code": registry_code, "what": what},
            )
        )
    return registry_code


ACTED = {"actor": PERSON_CODE}
SEALED: Rules = {
    Supply.Issued: ACTED,
    Supply.Redeemed: ACTED,
    Wallet.Opened: {"holder": PERSON_CODE, **ACTED},
    Wallet.Closed: ACTED,
    Wallet.Reopened: ACTED,
    Wallet.LinkedBankSet: ACTED,
    Wallet.PaymentSent: {"payee": PERSON_CODE, "signatures": RECORD},
    Wallet.PaymentReceived: {"payer": PERSON_CODE},
    Wallet.TopUpSent: {"holder": PERSON_CODE},
    Wallet.ExcessSwept: {"payer": PERSON_CODE},
    Wallet.SweepReceived: {"holder": PERSON_CODE},
    Wallet.Snapshot: {"state": RECORD},
}
"""Which fields of the money events are sealed, and with whose key: a personal code with
its person's (an organisation's registry code stays in clear), the signatures with the
wallet's. ``Supply.*.wallet`` and ``Wallet.ToppedUp.bank`` are always banks' codes. A
wallet's snapshot is sealed whole with the wallet's key (its state names the holder and
the payees)."""

WALLET_SNAPSHOT_INTERVAL = 50
"""A wallet is snapshotted at every 50th version: a load replays at most 49 events after
its latest snapshot, however long its history (``python -m bench.money`` measures it)."""


class MoneyKeyStore(KeyStore):
    """The money registry's key store, which remembers whose key is which.

    Every payment seals two or three personal codes, and each seal asked the
    database for the person's key id: three reads per payment of a table in
    the database the payment itself writes (on SQLite, a write by the event
    store's connection also empties the ORM connection's page cache, so each
    read went to the file). A key id never changes while its key lives, and
    money destroys no keys (payment records are kept; an erasure elsewhere
    does not reach money), so :meth:`key_for` keeps a subject's key id for
    :attr:`~KeyStore.CACHE_SECONDS`, the window the opened keys themselves are
    kept (:meth:`~KeyStore.data_keys`, ADR 0065): were a money key ever
    destroyed, other processes would stop using it within that window, as
    they stop opening with it; :meth:`destroy` forgets it at once in its own.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # subject name -> (until when, key id)
        self._key_ids: dict[str, tuple[float, str]] = {}
        self._key_ids_lock = threading.Lock()

    def key_for(self, name: str, actor: str, purpose: str) -> str:
        """The id of the subject's data key (remembered for a while; see the class)."""
        now = time.monotonic()
        remembered = self._key_ids.get(name)
        if remembered is not None and remembered[0] > now:
            return remembered[1]
        key_id = super().key_for(name, actor, purpose)
        with self._key_ids_lock:
            self._key_ids[name] = (now + self.CACHE_SECONDS, key_id)
        return key_id

    def forget(self, name: str) -> None:
        """Forget the subject's remembered key id (its key is gone from the store)."""
        with self._key_ids_lock:
            self._key_ids.pop(name, None)

    def destroy(self, name: str, actor: str, purpose: str) -> str | None:
        """Destroy the subject's key and forget its id here (see :class:`KeyStore`)."""
        self.forget(name)
        return super().destroy(name, actor, purpose)


class MoneyRegistry(SealingRegistry):
    """Central-bank money: the supply and the wallets."""

    name = "money"
    keystore = MoneyKeyStore("money", PersonKey, KeyAccess, audit_use=False)
    sealed = SEALED
    # Snapshots are a cache of derived state, outside the ledger: the chain and
    # both verifiers replay the events (docs/money.md, "Wallet snapshots").
    snapshotting_intervals = {Wallet: WALLET_SNAPSHOT_INTERVAL}

    def wallet(self, holder: str, field: str = "holder") -> Ref[Wallet]:
        """The wallet of this holder, as a command names it."""
        party_kind(holder, field)
        return Ref(Wallet, wallet_id(holder), f"wallet of {holder}", field)

    # The central bank's acts.

    def act_message(self, act: str, act_id: str, wallet: str, amount_cents: int) -> bytes:
        """The canonical bytes the supernodes certify for this act on this chain."""
        if act not in ACTS:
            raise InvalidCommand(Message(N_("act: {act!r} is not issue or redeem"), {"act": act}))
        if not isinstance(act_id, str) or not 1 <= len(act_id) <= 64:
            raise InvalidCommand(
                N_("act_id: the central bank's reference of the act, 1-64 characters")
            )
        party_kind(wallet, "wallet")
        return act_message(
            act=act,
            act_id=act_id,
            wallet=wallet,
            amount_cents=check_cents(amount_cents),
            chain_id=settings.RIIK_CHAIN_ID,
        )

    def record_act(
        self,
        act: str,
        act_id: str,
        wallet: str,
        amount_cents: int,
        certificate: Certificate,
        central_bank: str,
        actor: str,
    ) -> None:
        """Issue money into, or redeem it from, a bank's wallet, with the quorum's certificate."""
        check_bank(central_bank, "central_bank", CENTRAL_BANK)
        check_bank(wallet, "wallet")
        message = self.act_message(act, act_id, wallet, amount_cents)
        verify(message, certificate)
        supply_ref = Ref(Supply, Supply.create_id(), "money supply", new=Supply)
        wallet_ref = self.wallet(wallet, "wallet")

        def attempt() -> None:
            supply = self.get(supply_ref)
            target = self.get(wallet_ref)
            supply.record(
                act, act_id, target, amount_cents, certificate.height, certificate.votes, actor
            )
            self.save(supply, target)

        self.retrying(attempt, "money supply")

    def supply_cents(self) -> int:
        """The total supply now (0 before the first issuance)."""
        supply = self.find(Supply, Supply.create_id())
        return 0 if supply is None else supply.total_cents

    # The banks' commands.

    def open_wallet(self, holder: str, bank: str, actor: str) -> str:
        """Open the holder's wallet at ``bank``: a living person or a registered organisation.

        A bank opens its own wallet with ``holder == bank``; every other
        wallet needs its bank's wallet open (the waterfall moves excess there).
        """
        check_bank(bank)
        kind = party_kind(holder, "holder")
        if kind == PERSON and not identity.person_alive(holder):
            raise NotFound(
                Message(
                    N_("holder: no living person {holder} in the identity registry"),
                    {"holder": holder},
                )
            )
        if kind == ORGANISATION and holder != bank:
            # The one existence rule: the identity registry's organisations and
            # the business registry's companies (which pay their annual report fees).
            identity.require_organisation(holder, "holder")
        if holder != bank:
            bank_wallet = self.find(Wallet, wallet_id(bank))
            if bank_wallet is None or not bank_wallet.open:
                raise InvalidCommand(
                    Message(
                        N_("bank: open the wallet of the bank {bank} itself first"), {"bank": bank}
                    )
                )
        existing = self.find(Wallet, wallet_id(holder))
        if existing is None:
            wallet = Wallet.open_for(holder=holder, bank=bank, actor=actor)
            self.create(wallet, taken=f"holder: {holder} already has a wallet")
        else:
            self.update(self.wallet(holder), lambda found: found.reopen(bank, actor))
        return holder

    def close_wallet(self, holder: str, bank: str, actor: str) -> None:
        """Close the holder's wallet (only its bank, only at zero)."""
        self.update(self.wallet(holder), lambda wallet: self._served(wallet, bank).close(actor))

    def set_linked_bank(self, holder: str, bank: str, new_bank: str, actor: str) -> None:
        """Link the holder's wallet to ``new_bank`` (asked by the bank serving it now)."""
        check_bank(new_bank, "new_bank")
        self.update(
            self.wallet(holder),
            lambda wallet: self._served(wallet, bank).set_linked_bank(new_bank, actor),
        )

    @staticmethod
    def _served(wallet: Wallet, bank: str) -> Wallet:
        if wallet.bank != bank:
            raise NotFound(
                Message(
                    N_("holder: no wallet of {holder} at the bank {bank}"),
                    {"holder": wallet.holder, "bank": bank},
                )
            )
        return wallet

    # Payments.

    def pay(self, payment: Payment) -> Settled:
        """Apply a signed payment exactly once (a repetition answers the recorded one)."""

        def attempt() -> Settled:
            (settled,), changed = self.settle_all([payment])
            if changed:
                self.save(*changed)
            return settled

        return self.retrying(attempt, f"wallet of {payment.payer}")

    def settle_all(self, payments: Sequence[Payment]) -> tuple[list[Settled], list[Wallet]]:
        """Decide ``payments`` in order on freshly loaded wallets; nothing is saved.

        Returns how each was applied and every wallet that recorded events (a
        wallet two payments touch is one aggregate, so the second is decided
        on what the first left). The caller saves the wallets in one
        transaction, alone (:meth:`pay`) or with another registry's command
        (:class:`registries.money.till.MoneyTill`).
        """
        limit = int(settings.RIIK_MONEY_HOLDING_LIMIT_CENTS)
        loaded: dict[str, Wallet] = {}
        payers = {payment.payer for payment in payments}

        def wallet_of(holder: str) -> Wallet:
            if holder not in loaded:
                field = "payer" if holder in payers else "payee"
                loaded[holder] = self.get(self.wallet(holder, field))
            return loaded[holder]

        settled = [settle(payment, wallet_of, limit) for payment in payments]
        return settled, [wallet for wallet in loaded.values() if wallet.pending_events]
