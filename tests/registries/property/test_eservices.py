"""Apply for a title transfer online together with the notary: every party signs."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache

from chain.ledger.models import LedgerEntry
from registries.common.application import running
from registries.property.application import PropertyRegistry
from registries.property.vocabulary import land_unit_id
from tests.registries.access.citizens import citizen, signature, signed_in
from tests.registries.property import helpers

pytestmark = pytest.mark.usefixtures("event_store")


@pytest.fixture(autouse=True)
def _no_throttle_history() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


def application(unit: str, seller: str, buyer: str) -> dict[str, Any]:
    """The transfer as the parties send it, with the notary's endorsement."""
    notary = helpers.notary()
    transfer = helpers.signed_transfer(unit, notary, [seller], [(buyer, "1/1")])
    return {
        "sellers": transfer.sellers,
        "buyers": [{"owner": buyer, "share": "1/1"}],
        "price_cents": transfer.price_cents,
        "unit_version": transfer.unit_version,
        "notary": transfer.notary,
        "signature": bytes(transfer.signature).hex(),  # type: ignore[arg-type]
    }


def url(unit: str) -> str:
    return f"/api/v1/property/e-services/land-units/{unit}/transfer/"


def property_entries() -> int:
    return LedgerEntry.objects.filter(registry="property").count()


def test_seller_and_buyer_sign_and_the_title_passes() -> None:
    seller, seller_key = citizen()
    buyer, buyer_key = citizen("Jaan", "Kask")
    unit = helpers.register_unit([(seller, "1/1")])
    payload = application(unit, seller, buyer)
    body = {
        **payload,
        "signatures": [
            signature(seller_key, seller, "property", "transfer-title", payload, code=unit),
            signature(buyer_key, buyer, "property", "transfer-title", payload, code=unit),
        ],
    }
    response = signed_in(seller, seller_key).post(url(unit), body, format="json")
    assert response.status_code == 201, response.content
    assert buyer in str(response.json()["part_ii"])
    assert seller not in str(response.json()["part_ii"])
    events: list[Any] = list(running(PropertyRegistry).events.get(land_unit_id(unit)))
    stored = events[-1].parties_signatures
    assert {s["personal_code"] for s in stored} == {seller, buyer}


def test_buyer_who_did_not_sign_stops_the_transfer() -> None:
    seller, seller_key = citizen()
    buyer, _ = citizen("Jaan", "Kask")
    unit = helpers.register_unit([(seller, "1/1")])
    payload = application(unit, seller, buyer)
    before = property_entries()
    body = {
        **payload,
        "signatures": [
            signature(seller_key, seller, "property", "transfer-title", payload, code=unit)
        ],
    }
    response = signed_in(seller, seller_key).post(url(unit), body, format="json")
    assert response.status_code == 400
    assert buyer in response.json()["detail"]
    assert property_entries() == before


def test_only_a_seller_applies() -> None:
    seller, seller_key = citizen()
    buyer, buyer_key = citizen("Jaan", "Kask")
    unit = helpers.register_unit([(seller, "1/1")])
    payload = application(unit, seller, buyer)
    body = {
        **payload,
        "signatures": [
            signature(seller_key, seller, "property", "transfer-title", payload, code=unit),
            signature(buyer_key, buyer, "property", "transfer-title", payload, code=unit),
        ],
    }
    response = signed_in(buyer, buyer_key).post(url(unit), body, format="json")
    assert response.status_code == 403
