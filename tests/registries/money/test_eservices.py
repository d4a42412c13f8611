"""The signed payment e-service: the payer's e-ID signature binds payee and amount,
a payment id answers the same payment again, balances never go negative."""

from __future__ import annotations

from typing import Any

import pytest

from chain.ledger.models import LedgerEntry
from registries.money.domain import Wallet, wallet_id
from registries.money.models import PaymentRecord
from tests.registries.access.citizens import problem
from tests.registries.money.helpers import (
    app,
    balance,
    bank,
    citizen,
    citizen_client,
    new_payment_id,
    signed,
    wallet,
)

pytestmark = pytest.mark.usefixtures("event_store")

PAY = "/api/v1/money/e-services/payments/"


@pytest.fixture
def parties() -> tuple[Any, Any]:
    pank = bank()
    mari, jaan = citizen(), citizen("Jaan", "Kask")
    wallet(mari.code, pank, 50_000)
    wallet(jaan.code, pank)
    return mari, jaan


def test_a_signed_payment_is_applied_once_and_its_signature_is_on_the_chain(
    parties: tuple[Any, Any],
) -> None:
    mari, jaan = parties
    client = citizen_client(mari)
    payload = {"payment_id": new_payment_id(), "payee": jaan.code, "amount_cents": 1_250}
    body = signed(mari, payload)
    paid = client.post(PAY, body, format="json")
    assert paid.status_code == 201, paid.content
    assert paid.json()["amount_cents"] == 1_250
    # The client retries the very same request (same nonce): the same payment, nothing moves.
    again = client.post(PAY, body, format="json")
    assert again.status_code == 200, again.content
    assert again.json() == paid.json()
    assert (balance(mari.code), balance(jaan.code)) == (48_750, 1_250)
    assert PaymentRecord.objects.filter(payer=mari.code).count() == 1
    sent = [e for e in app().events.get(wallet_id(mari.code)) if isinstance(e, Wallet.PaymentSent)]
    assert sent[-1].signatures[0]["personal_code"] == mari.code
    assert LedgerEntry.objects.filter(registry="money", seq=paid.json()["ledger_seq"]).exists()
    # The same id for other terms is refused.
    other = signed(mari, {**payload, "amount_cents": 1_251})
    problem(client.post(PAY, other, format="json"), 409, "choose a new id")


def test_a_signature_moved_to_another_payee_amount_or_command_is_refused(
    parties: tuple[Any, Any],
) -> None:
    mari, jaan = parties
    client = citizen_client(mari)
    payload = {"payment_id": new_payment_id(), "payee": jaan.code, "amount_cents": 100}
    body = signed(mari, payload)
    for moved in (
        {**body, "payee": mari.code},
        {**body, "amount_cents": 10_000},
        signed(mari, payload, command="change-board") | {"payment_id": payload["payment_id"]},
    ):
        problem(client.post(PAY, moved, format="json"), 400, "does not verify")
    # Another person's signature does not pay from my wallet.
    problem(citizen_client(jaan).post(PAY, body, format="json"), 400, "signature")
    assert balance(mari.code) == 50_000
    assert not PaymentRecord.objects.filter(payer=mari.code).exists()


def test_a_payment_beyond_the_balance_is_refused_and_moves_nothing(
    parties: tuple[Any, Any],
) -> None:
    mari, jaan = parties
    payload = {"payment_id": new_payment_id(), "payee": jaan.code, "amount_cents": 50_001}
    problem(citizen_client(mari).post(PAY, signed(mari, payload), format="json"), 409, "less")
    assert (balance(mari.code), balance(jaan.code)) == (50_000, 0)
