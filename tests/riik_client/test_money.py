"""The reference client pays from my wallet (or my company's) and shows it, over real HTTP."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.test import override_settings

from chain.blocks.nodekeys import forget_keys
from riik_client import new_key
from riik_client.__main__ import main
from tests.registries.identity.helpers import person, run
from tests.registries.money.helpers import balance, bank, wallet
from tests.registries.money.test_company_payers import register_company

pytestmark = pytest.mark.usefixtures("event_store")


@pytest.fixture(autouse=True)
def _fresh(tmp_path: Path) -> Iterator[None]:
    """No throttle history; the local supernode key in a folder of the test's own."""
    cache.clear()
    forget_keys()
    with override_settings(RIIK_KEYS_DIR=tmp_path / "keys"):
        yield
    forget_keys()
    cache.clear()


def resident(tmp_path: Path, name: str) -> tuple[str, Path]:
    """A person whose e-ID key the client made and the registrar registered."""
    code = person(name, "Tamm")
    key_file = tmp_path / f"{name}.key"
    public = bytes.fromhex(new_key(key_file))
    run(lambda app: app.register_key(code, public, "registrar"))
    return code, key_file


def test_i_pay_once_retry_safely_and_see_my_wallet(
    live_server: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pank = bank()
    mari, mari_key = resident(tmp_path, "Mari")
    jaan, _ = resident(tmp_path, "Jaan")
    wallet(mari, pank, 10_000)
    wallet(jaan, pank)
    common = ["--server", live_server.url, "--code", mari, "--key", str(mari_key)]
    pay = [*common, "pay", jaan, "2500", "--payment-id", "rent-2026-05"]
    assert main(pay) == 0
    first = json.loads(capsys.readouterr().out)
    # A retry (a new signature and nonce) answers the same payment.
    assert main(pay) == 0
    assert json.loads(capsys.readouterr().out) == first
    assert (balance(mari), balance(jaan)) == (7_500, 2_500)
    assert main([*common, "pay", jaan, "7501"]) == 1
    assert "less than 7501" in capsys.readouterr().err
    assert main([*common, "me", "wallet"]) == 0
    mine = json.loads(capsys.readouterr().out)
    assert mine["balance_cents"] == 7_500
    assert "rent-2026-05" in mine["receipts"]


def test_a_board_member_pays_from_the_companys_wallet_with_payer(
    live_server: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pank = bank()
    juhan, juhan_key = resident(tmp_path, "Juhan")
    stranger, stranger_key = resident(tmp_path, "Võõras")
    company = register_company(juhan)
    wallet(company, pank, 10_000)
    payee = wallet(person("Pille", "Saaja"), pank)
    common = ["--server", live_server.url, "--code", juhan, "--key", str(juhan_key)]
    pay = [*common, "pay", payee, "1500", "--payer", company, "--payment-id", "invoice-17"]
    assert main(pay) == 0
    paid = json.loads(capsys.readouterr().out)
    assert (paid["payer"], paid["amount_cents"]) == (company, 1_500)
    assert (balance(company), balance(payee)) == (8_500, 1_500)
    # Someone who does not represent the company: refused, nothing moves.
    other = ["--server", live_server.url, "--code", stranger, "--key", str(stranger_key)]
    assert main([*other, "pay", payee, "100", "--payer", company]) == 1
    assert f"you do not represent the organisation {company}" in capsys.readouterr().err
    assert balance(company) == 8_500
