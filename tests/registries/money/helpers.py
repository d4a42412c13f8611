"""Helpers for the money registry's tests: banks, wallets, certified acts, signed payments."""

from __future__ import annotations

import itertools
import secrets
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from rest_framework.test import APIClient

from chain.ledger.models import LedgerEntry
from registries.access.signing import command_message
from registries.common.application import running
from registries.common.commands import issue
from registries.money.application import MoneyRegistry
from registries.money.domain import ISSUE, Payment
from registries.money.models import WalletRecord
from registries.money.projections import PROJECTIONS
from registries.money.quorum import collect
from tests.registries.access.citizens import signed_in
from tests.registries.identity import helpers as identity

_acts = itertools.count(1)
_payments = itertools.count(1)


@dataclass(frozen=True)
class Citizen:
    """A person with a registered e-ID key."""

    code: str
    key: Ed25519PrivateKey


def run(command: Any) -> Any:
    """Issue a money command and catch up its read models."""
    return issue(MoneyRegistry, PROJECTIONS, command)


def app() -> MoneyRegistry:
    return running(MoneyRegistry)


def central_bank() -> str:
    """The central bank's registry code."""
    return identity.organisation("central_bank", "Eesti Pank")


def bank(name: str = "Põhjapank AS") -> str:
    """A bank with its own wallet open; return its registry code."""
    code = identity.organisation("bank", name)
    run(lambda money: money.open_wallet(code, code, "banker"))
    return code


def citizen(first: str = "Mari", last: str = "Tamm") -> Citizen:
    """A person with an e-ID key."""
    code = identity.person(first, last)
    key = Ed25519PrivateKey.generate()
    identity.run(lambda app: app.register_key(code, identity.raw_public(key), "registrar"))
    return Citizen(code, key)


def act(kind: str, wallet: str, cents: int, central: str, act_id: str = "") -> str:
    """Issue or redeem ``cents`` with the quorum this node holds; return the act id."""
    act_id = act_id or f"act-{next(_acts)}"
    message = app().act_message(kind, act_id, wallet, cents)
    certificate = collect(message)
    run(lambda money: money.record_act(kind, act_id, wallet, cents, certificate, central, "cb"))
    return act_id


def wallet(holder: str, bank_code: str, cents: int = 0, central: str = "") -> str:
    """Open the holder's wallet at the bank, funded with ``cents`` (issued to the bank, paid on)."""
    run(lambda money: money.open_wallet(holder, bank_code, "banker"))
    if cents:
        act(ISSUE, bank_code, cents, central or central_bank())
        pay_unsigned(bank_code, holder, cents)
    return holder


def pay_unsigned(payer: str, payee: str, cents: int, payment_id: str = "") -> Any:
    """A payment as the application takes it (the e-service checks signatures before)."""
    pid = payment_id or f"pay-{next(_payments):06d}"
    return run(lambda money: money.pay(Payment(pid, payer, payee, cents)))


def balance(holder: str) -> int:
    return int(WalletRecord.objects.get(holder=holder).balance_cents)


def signed(payer: Citizen, payload: dict[str, Any], command: str = "pay") -> dict[str, Any]:
    """The payment body with the payer's signature over it."""
    nonce = secrets.token_hex(16)
    message = command_message(
        "money", command, {"name": "money:e-service-pay", "kwargs": {}}, payload, payer.code, nonce
    )
    signature = payer.key.sign(message).hex()
    entry = {"personal_code": payer.code, "nonce": nonce, "signature": signature}
    return {**payload, "signatures": [entry]}


def new_payment_id() -> str:
    return f"pay-{next(_payments):06d}-{secrets.token_hex(4)}"


def official_of(organisation: str) -> Citizen:
    """A person with an e-ID key who represents ``organisation`` in the identity registry."""
    person = citizen("Pankur", "Raha")
    identity.run(
        lambda app: app.appoint_representative(person.code, organisation, "Board", "registrar")
    )
    return person


def bank_client(organisation: str) -> APIClient:
    """A client signed in for ``organisation`` by one of its representatives."""
    official = official_of(organisation)
    return signed_in(official.code, official.key, organisation=organisation)


def citizen_client(person: Citizen) -> APIClient:
    """A client signed in as the person."""
    return signed_in(person.code, person.key)


def treasury(bank_code: str) -> str:
    """The state treasury (an organisation) with its wallet open at ``bank_code``."""
    code = identity.organisation("state_agency", "Riigikassa")
    run(lambda money: money.open_wallet(code, bank_code, "banker"))
    return code


def ledger_of(registry: str) -> list[tuple[int, str]]:
    """(seq, recorded_at) of every ledger entry of ``registry``, in order."""
    return list(
        LedgerEntry.objects.filter(registry=registry)
        .order_by("seq")
        .values_list("seq", "recorded_at")
    )
