"""The central bank's and the banks' admin: read-only wallets, command forms from the catalog."""

from __future__ import annotations

import pytest
from django.contrib.admin.utils import quote
from django.test import Client

from registries.money.models import ActRecord, WalletRecord
from tests.registries.identity import helpers as identity
from tests.registries.money.helpers import (
    bank,
    central_bank,
    citizen,
    official_of,
    wallet,
)

pytestmark = pytest.mark.usefixtures("event_store")

WALLETS = "/admin/money/walletrecord/"


def logged_in(username: str) -> Client:
    client = Client()
    client.force_login(identity.user_for(username, staff=True))
    return client


def command_url(holder: str, slug: str) -> str:
    return f"{WALLETS}{quote(holder)}/command/{slug}/"


def test_a_banker_opens_and_closes_wallets_and_sees_only_their_banks() -> None:
    pank, other = bank(), bank("Lõunapank AS")
    banker = logged_in(official_of(pank).code)
    mari = citizen()
    stranger = wallet(citizen("Jaan", "Kask").code, other)
    added = banker.post(f"{WALLETS}add/", {"holder": mari.code})
    assert added.status_code == 302, added.content.decode()
    html = banker.get(WALLETS).content.decode()
    assert mari.code in html
    assert stranger not in html
    assert banker.get(f"{WALLETS}{stranger}/change/").status_code in (302, 404)
    closed = banker.post(command_url(mari.code, "close-wallet"), {})
    assert closed.status_code == 302, closed.content.decode()
    assert not WalletRecord.objects.get(holder=mari.code).open


def test_a_refused_opening_shows_the_registrys_reason_on_the_form() -> None:
    banker = logged_in(official_of(bank()).code)
    page = banker.post(f"{WALLETS}add/", {"holder": identity.new_code()}).content.decode()
    assert "no living person" in page


def test_the_central_bank_issues_into_a_banks_wallet_with_the_quorums_certificate() -> None:
    pank = bank()
    central = logged_in(official_of(central_bank()).code)
    assert pank in central.get(WALLETS).content.decode()
    issued = central.post(command_url(pank, "issue"), {"act_id": "eur-1", "amount_euros": "1000"})
    assert issued.status_code == 302, issued.content.decode()
    assert WalletRecord.objects.get(holder=pank).balance_cents == 100_000
    assert ActRecord.objects.get(act_id="eur-1").certificate
    redeemed = central.post(
        command_url(pank, "redeem"), {"act_id": "eur-2", "amount_euros": "250.50"}
    )
    assert redeemed.status_code == 302, redeemed.content.decode()
    assert WalletRecord.objects.get(holder=pank).balance_cents == 74_950


def test_staff_who_represent_no_bank_cannot_act() -> None:
    clerk = logged_in(identity.official("business", "registrar"))
    assert clerk.get(f"{WALLETS}add/").status_code == 403
