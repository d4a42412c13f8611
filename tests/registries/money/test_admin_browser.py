"""The central bank's official in the browser: signs in for the central bank with the
e-ID, issues money into a bank's wallet from a form that says what to type, and sees
the act's certificate as votes, not as stored JSON; a bank's official is offered no
issuance."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from registries.access.admin_signin import REPRESENTATIVE
from registries.money.models import ActRecord, WalletRecord
from tests.config.browser import page, sign_in_in_browser
from tests.registries.money.helpers import bank, central_bank, official_of

pytestmark = pytest.mark.usefixtures("event_store")
__all__ = ["page"]  # the browser fixture

WALLETS = "/admin/money/walletrecord/"


def test_the_central_bank_issues_money_into_a_banks_wallet_in_the_browser(
    live_server: Any, page: Any, tmp_path: Path
) -> None:
    pank = bank()
    governor = official_of(central_bank())
    sign_in_in_browser(page, live_server.url, governor.code, REPRESENTATIVE, governor.key, tmp_path)
    page.goto(f"{live_server.url}{WALLETS}{pank}/change/")
    page.get_by_role("link", name="Issue money").click()
    # Each field says what it takes: the act's reference and the amount in euros.
    assert "EP-2026-014" in page.locator("#id_act_id_helptext").inner_text()
    assert "supernodes" in page.locator("#id_amount_euros_helptext").inner_text()
    page.fill("#id_act_id", "EP-2026-014")
    page.fill("#id_amount_euros", "1000000.00")
    page.click("input[type=submit]")
    page.wait_for_selector(".messagelist .success")
    assert "Money issued" in page.locator(".messagelist .success").inner_text()
    assert WalletRecord.objects.get(holder=pank).balance_cents == 100_000_000
    act = ActRecord.objects.get(act_id="EP-2026-014")
    page.goto(f"{live_server.url}/admin/money/actrecord/{act.pk}/change/")
    votes = page.locator(".field-certificate_table table")
    assert votes.locator("thead th").all_text_contents() == ["signer", "key id", "round"]
    assert votes.locator("tbody tr").count() == len(act.certificate)
    assert '"signature"' not in page.locator("#content").inner_text()


def test_a_banks_official_is_offered_no_issuance_on_the_banks_own_wallet(
    live_server: Any, page: Any, tmp_path: Path
) -> None:
    pank = bank()
    banker = official_of(pank)
    sign_in_in_browser(page, live_server.url, banker.code, REPRESENTATIVE, banker.key, tmp_path)
    page.goto(f"{live_server.url}{WALLETS}{pank}/change/")
    assert page.locator(".field-holder").count() == 1  # the bank's own wallet is shown
    commands = page.locator(".object-tools .record-command").all_text_contents()
    assert "Issue money" not in commands
    assert "Redeem money" not in commands
    # Nor is the form, asked for by its address: the refusal says why.
    response = page.goto(f"{live_server.url}{WALLETS}{pank}/command/issue/")
    assert response.status == 403
    assert "you may not issue this command" in page.inner_text("body")
    assert page.locator("#id_act_id").count() == 0
