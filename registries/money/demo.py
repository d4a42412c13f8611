"""Synthetic money for ``manage.py demo``: a central bank, two banks, funded wallets.

Everything goes through the registries' commands: the central bank is
registered in the identity registry, a key holder of the identity demo
represents it and each bank (so they can sign in for them), the banks open
their own wallets, the central bank issues into them with the supernode
quorum's certificate (the keys this node holds), and the banks open and fund
wallets for the demo's key holders (who can then pay with the e-service) and
for other living people, each paid an opening balance by its bank.

State fees: the state treasury (``RIIK_STATE_TREASURY``) is registered and its
wallet opened, and :meth:`MoneySeed.ready_to_pay` opens and funds the wallet
of whoever the other registries' demos charge a fee next (a founder, a
company, a buyer), so the demo's registrations pay their fees like real ones.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings

from registries.common.application import running
from registries.common.codes import registry_code
from registries.common.errors import Conflict
from registries.identity import services as identity_services
from registries.identity.application import IdentityRegistry
from registries.identity.demo import IdentitySeed
from registries.money.application import CENTRAL_BANK, MoneyRegistry
from registries.money.domain import ISSUE, Payment, Wallet, wallet_id
from registries.money.quorum import collect

ACTOR = "demo"
CENTRAL_BANK_NAME = "Eesti Keskpank"
ISSUED_PER_BANK_CENTS = 50_000_000_00
TREASURY_NAME = "Riigikassa"
FEE_FLOAT_CENTS = 1_000_00
"""What a fee payer's wallet is topped up to before a command that charges a fee."""


@dataclass
class MoneySeed:
    """What the money seeder created."""

    central_bank: str = ""
    banks: list[str] = field(default_factory=list)
    wallets: list[str] = field(default_factory=list)
    fee_payers: int = 0

    def ready_to_pay(self, holder: str) -> None:
        """Open (at a demo bank) and fund the wallet of someone about to pay a state fee.

        Their bank pays them up to :data:`FEE_FLOAT_CENTS`; nothing happens
        while fees are off or when the wallet holds that much already.
        """
        if not settings.RIIK_CHARGE_STATE_FEES:
            return
        money = running(MoneyRegistry)
        wallet = money.find(Wallet, wallet_id(holder))
        if wallet is None:
            bank = self.banks[self.fee_payers % len(self.banks)]
            money.open_wallet(holder, bank, ACTOR)
            wallet = money.find(Wallet, wallet_id(holder))
            assert wallet is not None
        if wallet.balance_cents >= FEE_FLOAT_CENTS:
            return
        self.fee_payers += 1
        short = FEE_FLOAT_CENTS - wallet.balance_cents
        money.pay(Payment(f"demo-fees-{self.fee_payers:06d}", wallet.bank, holder, short))


def _treasury(identity: IdentityRegistry, bank: str) -> None:
    """Register the state treasury (if need be) and open its wallet at ``bank``."""
    code = str(settings.RIIK_STATE_TREASURY)
    if not identity_services.organisation_exists(code):
        identity.register_organisation(code, TREASURY_NAME, "state_agency", ACTOR)
    if running(MoneyRegistry).find(Wallet, wallet_id(code)) is None:
        running(MoneyRegistry).open_wallet(code, bank, ACTOR)


def _central_bank(identity: IdentityRegistry) -> str:
    for serial in range(900, 1000):
        code = registry_code(serial, kind_digit=7)
        try:
            return identity.register_organisation(code, CENTRAL_BANK_NAME, CENTRAL_BANK, ACTOR)
        except Conflict:
            continue  # the code is taken
    msg = "could not find a free registry code for the demo central bank"
    raise RuntimeError(msg)


def seed_money(
    rng: random.Random,
    progress: Callable[[int], None] | None,
    wallets: int,
    identity_seed: IdentitySeed,
) -> MoneySeed:
    """Seed the central bank, two banks and up to ``wallets`` funded personal wallets.

    Appends who signs in for the central bank and the banks to
    ``identity_seed.representatives`` (the demo prints them). ``progress(1)``
    is called after each wallet.
    """
    identity = running(IdentityRegistry)
    money = running(MoneyRegistry)
    seed = MoneySeed(central_bank=_central_bank(identity), banks=identity_seed.banks[:2])
    if not seed.banks:
        msg = "the money demo needs the identity demo's banks"
        raise RuntimeError(msg)
    dead = set(identity_seed.deceased)
    keyholders = [p for p in identity_seed.keyholders if p not in dead]
    for organisation, official in zip(
        [seed.central_bank, *seed.banks], keyholders[-3:], strict=False
    ):
        identity.appoint_representative(official, organisation, "board member", ACTOR)
        identity_seed.representatives.append((organisation, official))
    for number, bank in enumerate(seed.banks):
        money.open_wallet(bank, bank, ACTOR)
        act_id = f"demo-issue-{number + 1}"
        message = money.act_message(ISSUE, act_id, bank, ISSUED_PER_BANK_CENTS)
        certificate = collect(message)
        money.record_act(
            ISSUE, act_id, bank, ISSUED_PER_BANK_CENTS, certificate, seed.central_bank, ACTOR
        )
    _treasury(identity, seed.banks[0])
    living = [p for p in identity_seed.people if p not in dead]
    holders = list(dict.fromkeys([*keyholders, *rng.sample(living, k=min(len(living), wallets))]))
    for number, holder in enumerate(holders[:wallets]):
        bank = seed.banks[number % len(seed.banks)]
        money.open_wallet(holder, bank, ACTOR)
        # The bank pays the opening balance in: the books stay balanced.
        cents = rng.randint(200, 2_500) * 100
        money.pay(Payment(f"demo-opening-{number + 1:05d}", bank, holder, cents))
        seed.wallets.append(holder)
        if progress is not None:
            progress(1)
    return seed


__all__ = ["MoneySeed", "seed_money"]
