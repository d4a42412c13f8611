"""A buyer buys a land unit delivery versus payment with the reference client, over real HTTP.

The notary signs the sale with ``notary endorse --sign-only`` and hands the
signature over; the buyer files it with ``property buy``, signed with their
e-ID key: the price, the state fee and the title move together.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.test import override_settings

from chain.blocks.nodekeys import forget_keys
from registries.property.models import LandUnitRecord
from riik_client.__main__ import main
from tests.registries.identity import helpers as identity
from tests.registries.money.helpers import balance, bank, treasury, wallet
from tests.registries.property.helpers import register_unit
from tests.riik_client.test_money import resident
from tests.riik_client.test_notary import _notary

pytestmark = pytest.mark.usefixtures("event_store")

PRICE, FEE = 150_000, 3_500


@pytest.fixture(autouse=True)
def _fresh(tmp_path: Path) -> Iterator[None]:
    cache.clear()
    forget_keys()
    with override_settings(RIIK_KEYS_DIR=tmp_path / "keys"):
        yield
    forget_keys()
    cache.clear()


def test_a_buyer_buys_a_land_unit_delivery_versus_payment(
    live_server: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pank = bank()
    state = treasury(pank)
    seller = wallet(identity.person("Mari", "Müüja"), pank)
    buyer, buyer_key = resident(tmp_path, "Jaan")
    wallet(buyer, pank, PRICE + FEE)
    unit = register_unit([(seller, "1/1")])
    notary, notary_key = _notary(tmp_path)
    server = ("--server", live_server.url)
    with override_settings(
        RIIK_CHARGE_STATE_FEES=True,
        RIIK_STATE_FEES_CENTS={"title-transfer": FEE},
        RIIK_STATE_TREASURY=state,
    ):
        endorse = [
            *server,
            *("--code", notary, "--key", str(notary_key), "--role", "property/notary"),
            *("notary", "endorse", unit, "--seller", seller, "--buyer", f"{buyer}=1/1"),
            *("--price-cents", str(PRICE), "--sign-only"),
        ]
        assert main(endorse) == 0
        endorsement = json.loads(capsys.readouterr().out)
        assert endorsement["filed"] is False
        purchase = [
            *server,
            *("--code", buyer, "--key", str(buyer_key), "property", "buy", unit),
            *("--seller", seller, "--price-cents", str(PRICE)),
            *("--unit-version", str(endorsement["unit_version"]), "--notary", notary),
            *("--notary-signature", endorsement["signature"], "--payment-id", "house-2026"),
        ]
        assert main(purchase) == 0, capsys.readouterr().err
        bought = json.loads(capsys.readouterr().out)
        # A retry of the same purchase (a new signature and nonce) answers it; nothing moves.
        assert main(purchase) == 0
        assert json.loads(capsys.readouterr().out) == bought
    record = LandUnitRecord.objects.get(cadastral_code=unit)
    assert list(record.owners.values_list("owner_code", "share")) == [(buyer, "1/1")]
    assert (balance(buyer), balance(seller), balance(state)) == (0, PRICE, FEE)
