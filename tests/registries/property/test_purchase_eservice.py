"""The purchase e-service: the buyer's signature binds the unit, the terms and the price."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.test import override_settings

from tests.registries.access.citizens import PROBLEM, citizen, signature, signed_in
from tests.registries.identity import helpers as identity
from tests.registries.money import helpers as money
from tests.registries.property import helpers as land

pytestmark = pytest.mark.usefixtures("event_store")

PRICE, FEE = 20_000, 3_500


@pytest.fixture
def parties() -> Iterator[tuple[str, Any, str, str]]:
    """(buyer, buyer's key, seller, treasury): the buyer funded for price and fee."""
    pank = money.bank()
    state = money.treasury(pank)
    buyer, key = citizen("Olev", "Ostja")
    money.wallet(buyer, pank, PRICE + FEE)
    seller = money.wallet(identity.person("Siim", "Müüja"), pank)
    with override_settings(
        RIIK_CHARGE_STATE_FEES=True,
        RIIK_STATE_FEES_CENTS={"title-transfer": FEE},
        RIIK_STATE_TREASURY=state,
    ):
        yield buyer, key, seller, state


def terms(unit: str, seller: str, buyer: str, price: int = PRICE) -> dict[str, Any]:
    transfer = land.signed_transfer(
        unit, land.notary(), [seller], [(buyer, "1/1")], price_cents=price
    )
    return {
        "sellers": [seller],
        "buyers": [{"owner": buyer, "share": "1/1"}],
        "price_cents": price,
        "unit_version": transfer.unit_version,
        "notary": transfer.notary,
        "signature": land.signature_of(transfer).hex(),
        "payment_id": "house-0001",
    }


def url(unit: str) -> str:
    return f"/api/v1/property/e-services/land-units/{unit}/purchase/"


def test_i_buy_a_land_unit_and_pay_price_and_fee(parties: tuple[str, Any, str, str]) -> None:
    buyer, key, seller, state = parties
    unit = land.register_unit([(seller, "1/1")])
    payload = terms(unit, seller, buyer)
    body = {**payload, "signatures": [signature(key, buyer, "property", "buy", payload, code=unit)]}
    response = signed_in(buyer, key).post(url(unit), body, format="json")
    assert response.status_code == 201, response.content
    assert buyer in str(response.json()["part_ii"])
    assert [t["delivery_versus_payment"] for t in response.json()["transfers"]] == [True]
    assert (money.balance(buyer), money.balance(seller), money.balance(state)) == (0, PRICE, FEE)


def test_a_signature_over_another_price_moves_nothing(parties: tuple[str, Any, str, str]) -> None:
    buyer, key, seller, _ = parties
    unit = land.register_unit([(seller, "1/1")])
    payload = terms(unit, seller, buyer)
    signed = signature(key, buyer, "property", "buy", {**payload, "price_cents": 1}, code=unit)
    before = land.written()
    response = signed_in(buyer, key).post(
        url(unit), {**payload, "signatures": [signed]}, format="json"
    )
    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM
    assert land.written() == before
    assert money.balance(buyer) == PRICE + FEE


def test_short_funds_are_a_problem_naming_the_shortfall(
    parties: tuple[str, Any, str, str],
) -> None:
    buyer, key, seller, _ = parties
    unit = land.register_unit([(seller, "1/1")])
    payload = terms(unit, seller, buyer, price=PRICE + 10)
    body = {**payload, "signatures": [signature(key, buyer, "property", "buy", payload, code=unit)]}
    before = land.written()
    response = signed_in(buyer, key).post(url(unit), body, format="json")
    assert response.status_code == 409
    problem = response.json()
    assert problem["type"].endswith("/insufficient-funds")
    assert "10 cents short" in problem["detail"]
    assert land.written() == before


def test_i_cannot_buy_for_someone_else(parties: tuple[str, Any, str, str]) -> None:
    buyer, key, seller, _ = parties
    other = identity.person("Teine", "Ostja")
    unit = land.register_unit([(seller, "1/1")])
    payload = terms(unit, seller, other)
    body = {**payload, "signatures": [signature(key, buyer, "property", "buy", payload, code=unit)]}
    response = signed_in(buyer, key).post(url(unit), body, format="json")
    assert response.status_code == 403
    assert land.app().land_unit(unit).owners.keys() == {seller}
