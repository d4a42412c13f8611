"""A signature cannot be moved: every signed message names its command, its target
(the URL's name and arguments) and the whole body, so a signature made for one
company, land unit, command or body is refused on any other, on EVERY signed
endpoint of the API (found in the URL configuration, not listed by hand)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.cache import cache
from django.urls import reverse
from rest_framework.test import APIClient

from chain.ledger.models import LedgerEntry
from registries.common.models import UsedNonce
from tests.registries.access.citizens import (
    PROBLEM,
    citizen,
    signature,
    signature_for,
    signed_endpoints,
    signed_in,
)
from tests.registries.health import helpers as health
from tests.registries.money import helpers as money
from tests.registries.property import helpers as property_helpers

pytestmark = pytest.mark.usefixtures("event_store")

Signers = list[tuple[str, Ed25519PrivateKey]]


@dataclass
class Case:
    """A valid signed request to one endpoint, before it is signed."""

    client: APIClient
    kwargs: dict[str, str]
    payload: dict[str, Any]
    signers: Signers
    other_kwargs: dict[str, str]  # arguments naming another object of the same kind


@pytest.fixture(autouse=True)
def _no_throttle_history() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


def company_application(code: str, name: str = "Mõisa Mesi OÜ") -> dict[str, Any]:
    return {
        "name": name,
        "legal_form": "OÜ",
        "share_capital_cents": 250_000,
        "founders": [code],
        "board": [code],
        "address": "Tartu, Rüütli 1",
    }


def register_company(client: APIClient, code: str, key: Ed25519PrivateKey, name: str) -> str:
    payload = company_application(code, name)
    body = {
        **payload,
        "signatures": [signature(key, code, "business", "register-company", payload)],
    }
    response = client.post(reverse("business:e-service-register-company"), body, format="json")
    assert response.status_code == 201, response.content
    return str(response.json()["registry_code"])


def register_company_case() -> Case:
    mari, key = citizen()
    return Case(signed_in(mari, key), {}, company_application(mari), [(mari, key)], {})


def change_board_case() -> Case:
    mari, key = citizen()
    client = signed_in(mari, key)
    mine = register_company(client, mari, key, "Mõisa Mesi OÜ")
    other = register_company(client, mari, key, "Kase Mesi OÜ")
    jaan, jaan_key = citizen("Jaan", "Kask")
    signers = [(mari, key), (jaan, jaan_key)]
    return Case(client, {"code": mine}, {"members": [mari, jaan]}, signers, {"code": other})


def transfer_case() -> Case:
    seller, seller_key = citizen()
    buyer, buyer_key = citizen("Jaan", "Kask")
    unit = property_helpers.register_unit([(seller, "1/1")])
    other = property_helpers.register_unit([(seller, "1/1")])
    notary = property_helpers.notary()
    transfer = property_helpers.signed_transfer(unit, notary, [seller], [(buyer, "1/1")])
    payload = {
        "sellers": transfer.sellers,
        "buyers": [{"owner": buyer, "share": "1/1"}],
        "price_cents": transfer.price_cents,
        "unit_version": transfer.unit_version,
        "notary": transfer.notary,
        "signature": bytes(transfer.signature).hex(),  # type: ignore[arg-type]
    }
    signers = [(seller, seller_key), (buyer, buyer_key)]
    return Case(signed_in(seller, seller_key), {"code": unit}, payload, signers, {"code": other})


def consent_case() -> Case:
    mari, key = citizen()
    payload = {"action": "close", "provider": health.hospital()}
    return Case(signed_in(mari, key), {}, payload, [(mari, key)], {})


def appoint_representative_case() -> Case:
    mari, key = citizen()
    jaan, jaan_key = citizen("Jaan", "Kask")
    payload = {"representative": jaan}
    return Case(signed_in(mari, key), {}, payload, [(mari, key), (jaan, jaan_key)], {})


def remove_representative_case() -> Case:
    mari, key = citizen()
    jaan, jaan_key = citizen("Jaan", "Kask")
    client = signed_in(mari, key)
    payload = {"representative": jaan}
    body = {
        **payload,
        "signatures": [
            signature(k, c, "health", "appoint-representative", payload)
            for c, k in [(mari, key), (jaan, jaan_key)]
        ],
    }
    appointed = client.post(reverse("me-health-representatives"), body, format="json")
    assert appointed.status_code == 201, appointed.content
    return Case(client, {}, payload, [(mari, key)], {})


def payment_case() -> Case:
    mari, key = citizen()
    jaan, _ = citizen("Jaan", "Kask")
    bank = money.bank()
    money.wallet(mari, bank, cents=10_000)
    money.wallet(jaan, bank)
    payload = {"payment_id": money.new_payment_id(), "payee": jaan, "amount_cents": 2_500}
    return Case(signed_in(mari, key), {}, payload, [(mari, key)], {})


def purchase_case() -> Case:
    seller, _ = citizen()
    buyer, buyer_key = citizen("Jaan", "Kask")
    bank = money.bank()
    money.wallet(seller, bank)
    money.wallet(buyer, bank, cents=50_000)
    unit = property_helpers.register_unit([(seller, "1/1")])
    other = property_helpers.register_unit([(seller, "1/1")])
    transfer = property_helpers.signed_transfer(
        unit, property_helpers.notary(), [seller], [(buyer, "1/1")], price_cents=40_000
    )
    payload = {
        "sellers": [seller],
        "buyers": [{"owner": buyer, "share": "1/1"}],
        "price_cents": 40_000,
        "unit_version": transfer.unit_version,
        "notary": transfer.notary,
        "signature": property_helpers.signature_of(transfer).hex(),
        "payment_id": money.new_payment_id(),
    }
    return Case(
        signed_in(buyer, buyer_key), {"code": unit}, payload, [(buyer, buyer_key)], {"code": other}
    )


CASES: dict[str, Callable[[], Case]] = {
    "business:e-service-register-company": register_company_case,
    "business:e-service-change-board": change_board_case,
    "property:e-service-transfer": transfer_case,
    "property:e-service-purchase": purchase_case,
    "me-health-consents": consent_case,
    "me-health-representatives": appoint_representative_case,
    "me-health-representative-removal": remove_representative_case,
    "money:e-service-pay": payment_case,
}
ENDPOINTS = dict(signed_endpoints())


def test_every_signed_endpoint_is_checked() -> None:
    assert set(CASES) == set(ENDPOINTS)


def post(case: Case, name: str, signatures: list[dict[str, str]]) -> Any:
    return case.client.post(
        reverse(name, kwargs=case.kwargs),
        {**case.payload, "signatures": signatures},
        format="json",
    )


def refused(response: Any) -> None:
    assert response.status_code in (400, 403), response.content
    assert response["Content-Type"] == PROBLEM


def signed(
    case: Case,
    registry: str,
    command: str,
    target: dict[str, Any],
    payload: dict[str, Any] | None = None,
) -> list[dict[str, str]]:
    """Every signer's signature of ``command`` on ``target`` with ``payload`` (the case's)."""
    body = case.payload if payload is None else payload
    return [signature_for(key, code, registry, command, target, body) for code, key in case.signers]


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_signature_for_anything_else_is_refused(name: str) -> None:
    view = ENDPOINTS[name]
    registry, command = view.signed_registry, view.signed_command
    case = CASES[name]()
    here = {"name": name, "kwargs": case.kwargs}
    moves = [
        signed(case, registry, f"{command}-elsewhere", here),
        signed(case, registry, command, here, {**case.payload, "extra": "moved"}),
    ]
    if case.other_kwargs:
        # Signed for another company or land unit, sent to this one.
        moves.append(signed(case, registry, command, {"name": name, "kwargs": case.other_kwargs}))
    for other in ENDPOINTS:
        if other != name:
            # The same command and body, signed for another endpoint.
            moves.append(signed(case, registry, command, {"name": other, "kwargs": case.kwargs}))

    entries, nonces = LedgerEntry.objects.count(), UsedNonce.objects.count()
    for signatures in moves:
        refused(post(case, name, signatures))
        assert (LedgerEntry.objects.count(), UsedNonce.objects.count()) == (entries, nonces)
    assert post(case, name, signed(case, registry, command, here)).status_code in (200, 201)
    assert LedgerEntry.objects.count() > entries
