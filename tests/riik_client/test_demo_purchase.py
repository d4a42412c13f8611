"""Done when (issue 18): a citizen with the demo's key pays a state fee and buys a land unit
delivery versus payment, through the API, with the reference client."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command
from django.test import override_settings

from chain.blocks.nodekeys import forget_keys
from registries.identity.demo import KEYS_DIRECTORY
from registries.identity.models import AppointmentRecord
from registries.money.models import WalletRecord
from registries.property.models import LandUnitRecord
from riik_client.__main__ import main
from tests.registries.money.helpers import balance
from tests.registries.property.helpers import register_unit

pytestmark = pytest.mark.slow

FEES = {"company-registration": 500, "title-transfer": 300, "annual-report": 100}
PRICE = 10_000


@pytest.fixture(autouse=True)
def _demo_country(event_store: None, tmp_path: Path) -> Iterator[None]:
    cache.clear()
    forget_keys()
    with override_settings(
        RIIK_KEYS_DIR=tmp_path / "keys",
        RIIK_DATA_DIR=tmp_path,
        RIIK_CHARGE_STATE_FEES=True,
        RIIK_STATE_FEES_CENTS=FEES,
    ):
        call_command(
            "demo",
            persons=8,
            companies=1,
            units=1,
            cases=0,
            patients=0,
            wallets=3,
            seed=3,
            stdout=io.StringIO(),
        )
        yield
    forget_keys()
    cache.clear()


def test_a_demo_citizen_pays_a_fee_and_buys_a_land_unit_with_the_client(
    live_server: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    keys = tmp_path / KEYS_DIRECTORY
    notaries = set(
        AppointmentRecord.objects.filter(
            registry="property", role="notary", active=True
        ).values_list("person__personal_code", flat=True)
    )
    # Demo key holders with funded wallets (the demo funds them at its banks).
    holders = [
        w.holder
        for w in WalletRecord.objects.filter(holder_kind="person", balance_cents__gt=PRICE)
        if (keys / f"{w.holder}.pem").exists() and w.holder not in notaries
    ]
    buyer, seller = holders[0], holders[1]
    notary = next(code for code in notaries if (keys / f"{code}.pem").exists())
    server = ("--server", live_server.url)
    me = (*server, "--code", buyer, "--key", str(keys / f"{buyer}.pem"))
    before = balance(buyer)

    # A state fee: I register a company online, the fee comes from my wallet.
    register = [
        *me,
        *("register-company", "--name", "Ostja Kodu OÜ", "--legal-form", "OÜ"),
        *("--capital-cents", "250000", "--address", "Lossi 1, 10130 Tallinn"),
        *("--founder", buyer, "--board", buyer),
    ]
    assert main(register) == 0, capsys.readouterr().err
    capsys.readouterr()
    assert balance(buyer) == before - FEES["company-registration"]
    assert balance(str(settings.RIIK_STATE_TREASURY)) >= FEES["company-registration"]

    # Delivery versus payment: the notary signs, I buy with my key.
    unit = register_unit([(seller, "1/1")])
    endorse = [
        *server,
        *("--code", notary, "--key", str(keys / f"{notary}.pem"), "--role", "property/notary"),
        *("notary", "endorse", unit, "--seller", seller, "--buyer", f"{buyer}=1/1"),
        *("--price-cents", str(PRICE), "--sign-only"),
    ]
    assert main(endorse) == 0, capsys.readouterr().err
    endorsement = json.loads(capsys.readouterr().out)
    seller_before, paid_before = balance(seller), balance(buyer)
    buy = [
        *me,
        *("property", "buy", unit, "--seller", seller, "--price-cents", str(PRICE)),
        *("--unit-version", str(endorsement["unit_version"]), "--notary", notary),
        *("--notary-signature", endorsement["signature"]),
    ]
    assert main(buy) == 0, capsys.readouterr().err
    capsys.readouterr()
    record = LandUnitRecord.objects.get(cadastral_code=unit)
    assert list(record.owners.values_list("owner_code", flat=True)) == [buyer]
    assert balance(buyer) == paid_before - PRICE - FEES["title-transfer"]
    assert balance(seller) == seller_before + PRICE
    assert main([*me, "me", "wallet"]) == 0
    assert json.loads(capsys.readouterr().out)["balance_cents"] == balance(buyer)
