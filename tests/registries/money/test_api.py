"""The money registry's API: public supply, bank officials' wallets and commands, the
central bank's certified acts, and who sees a wallet (DESIGN §8)."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from chain.blocks.sealing import seal_pending
from registries.money.models import WalletRecord
from tests.registries.access.citizens import problem
from tests.registries.identity import helpers as identity
from tests.registries.money.helpers import (
    bank,
    bank_client,
    central_bank,
    citizen,
    citizen_client,
    wallet,
)

pytestmark = pytest.mark.usefixtures("event_store")

MONEY = "/api/v1/money/"


def certificate(client: APIClient, act: str, act_id: str, holder: str, cents: int) -> Any:
    """The supernode quorum's certificate of an act, as the central bank collects it."""
    response = client.post(
        f"{MONEY}supply/act-certificate/",
        {"act": act, "act_id": act_id, "wallet": holder, "amount_cents": cents},
        format="json",
    )
    assert response.status_code == 200, response.content
    return response.json()["certificate"]


def test_the_central_bank_issues_and_redeems_through_the_api_and_the_supply_is_public() -> None:
    pank = bank()
    central = bank_client(central_bank())
    issued = central.post(
        f"{MONEY}wallets/{pank}/issuances/",
        {
            "act_id": "eur-2026-1",
            "amount_cents": 500_000,
            "certificate": certificate(central, "issue", "eur-2026-1", pank, 500_000),
        },
        format="json",
    )
    assert issued.status_code == 201, issued.content
    assert issued.json()["balance_cents"] == 500_000
    redeemed = central.post(
        f"{MONEY}wallets/{pank}/redemptions/",
        {
            "act_id": "eur-2026-2",
            "amount_cents": 100_000,
            "certificate": certificate(central, "redeem", "eur-2026-2", pank, 100_000),
        },
        format="json",
    )
    assert redeemed.status_code == 201, redeemed.content
    supply = APIClient().get(f"{MONEY}supply/").json()
    assert supply["total_cents"] == 400_000
    assert [a["act_id"] for a in supply["acts"]] == ["eur-2026-2", "eur-2026-1"]
    # A certificate of other terms does not authorise the act.
    wrong = certificate(central, "issue", "eur-2026-3", pank, 1)
    problem(
        central.post(
            f"{MONEY}wallets/{pank}/issuances/",
            {"act_id": "eur-2026-3", "amount_cents": 2, "certificate": wrong},
            format="json",
        ),
        403,
        "supernode",
    )


def test_only_the_central_bank_collects_certificates_and_issues() -> None:
    pank = bank()
    banker = bank_client(pank)
    problem(
        banker.post(
            f"{MONEY}supply/act-certificate/",
            {"act": "issue", "act_id": "x1", "wallet": pank, "amount_cents": 1},
            format="json",
        ),
        403,
        "central bank",
    )
    problem(
        banker.post(
            f"{MONEY}wallets/{pank}/issuances/",
            {"act_id": "x1", "amount_cents": 1, "certificate": {"height": 1, "votes": []}},
            format="json",
        ),
        403,
        "central bank",
    )


def test_a_bank_opens_closes_and_relinks_wallets_and_reads_only_its_own() -> None:
    pank, other = bank(), bank("Lõunapank AS")
    banker, other_banker = bank_client(pank), bank_client(other)
    mari = citizen()
    opened = banker.post(f"{MONEY}wallets/", {"holder": mari.code}, format="json")
    assert opened.status_code == 201, opened.content
    assert opened["Location"].endswith(f"{MONEY}wallets/{mari.code}/")
    assert [w["holder"] for w in banker.get(f"{MONEY}wallets/").json()["results"]] == sorted(
        [pank, mari.code]
    )
    assert banker.get(f"{MONEY}wallets/{mari.code}/").json()["balance_cents"] == 0
    # Another bank neither lists nor reads it, nor closes it.
    assert mari.code not in str(other_banker.get(f"{MONEY}wallets/").json())
    problem(other_banker.get(f"{MONEY}wallets/{mari.code}/"), 404, "at your bank")
    problem(
        other_banker.post(f"{MONEY}wallets/{mari.code}/closure/", {}, format="json"),
        404,
        "at the bank",
    )
    relinked = banker.post(
        f"{MONEY}wallets/{mari.code}/linked-bank/", {"bank": other}, format="json"
    )
    assert relinked.status_code == 200, relinked.content
    closed = other_banker.post(f"{MONEY}wallets/{mari.code}/closure/", {}, format="json")
    assert closed.status_code == 200, closed.content
    assert not WalletRecord.objects.get(holder=mari.code).open


def test_wallets_are_for_living_registered_holders_and_only_banks_open_them() -> None:
    pank = bank()
    banker = bank_client(pank)
    problem(
        banker.post(f"{MONEY}wallets/", {"holder": identity.new_code()}, format="json"),
        404,
        "no living person",
    )
    mari = citizen()
    problem(
        citizen_client(mari).post(f"{MONEY}wallets/", {"holder": mari.code}, format="json"),
        403,
        "bank",
    )
    problem(APIClient().get(f"{MONEY}wallets/"), 401, "")


def test_my_wallet_shows_balance_payments_and_receipts_only_to_me() -> None:
    pank = bank()
    mari = citizen()
    wallet(mari.code, pank, 12_345)
    body = citizen_client(mari).get("/api/v1/me/wallet/").json()
    assert body["balance_cents"] == 12_345
    (payment,) = body["payments"]
    assert payment["payee"] == mari.code
    assert payment["chain"]["proof"] is not None
    receipt_url = body["receipts"][payment["payment_id"]]
    assert receipt_url.endswith(f"/api/v1/me/receipts/money/{payment['payee_seq']}/")
    assert seal_pending() is not None
    receipt = citizen_client(mari).get(receipt_url)
    assert receipt.status_code == 200, receipt.content
    assert receipt.json()["entry"]["payload"]
    # Someone else gets neither my wallet nor my receipt.
    jaan = citizen("Jaan", "Kask")
    problem(citizen_client(jaan).get("/api/v1/me/wallet/"), 404, "no wallet")
    problem(citizen_client(jaan).get(receipt_url), 403, "not about you")
