"""Business e-services: register a company online and change my board, as signed commands."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.cache import cache

from chain.ledger.models import LedgerEntry
from registries.business.application import BusinessRegistry
from registries.business.domain import company_id
from registries.common.application import running
from registries.common.models import UsedNonce
from registries.identity.vocabulary import key_id_of
from tests.registries.access.citizens import citizen, signature, signed_in
from tests.registries.identity.helpers import raw_public, run

pytestmark = pytest.mark.usefixtures("event_store", "people")

REGISTER = "/api/v1/business/e-services/companies/"


@pytest.fixture(autouse=True)
def _no_throttle_history() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


def application(founders: list[str], board: list[str]) -> dict[str, Any]:
    return {
        "name": "Mõisa Mesi OÜ",
        "legal_form": "OÜ",
        "share_capital_cents": 250_000,
        "founders": founders,
        "board": board,
        "address": "Tartu, Rüütli 1",
    }


def signed(
    payload: dict[str, Any], command: str, *signers: tuple[str, Ed25519PrivateKey], **target: str
) -> Any:
    return {
        **payload,
        "signatures": [
            signature(key, code, "business", command, payload, **target) for code, key in signers
        ],
    }


def business_entries() -> int:
    return LedgerEntry.objects.filter(registry="business").count()


def test_founders_register_a_company_and_their_signatures_are_in_the_event() -> None:
    mari, mari_key = citizen()
    jaan, jaan_key = citizen("Jaan", "Kask")
    payload = application([mari, jaan], [mari])
    body = signed(payload, "register-company", (mari, mari_key), (jaan, jaan_key))
    response = signed_in(mari, mari_key).post(REGISTER, body, format="json")
    assert response.status_code == 201, response.content
    code = response.json()["registry_code"]
    company: Any = running(BusinessRegistry).repository.get(company_id(code))
    events: list[Any] = list(running(BusinessRegistry).events.get(company_id(code)))
    signatures = events[0].signatures
    assert [s["personal_code"] for s in signatures] == [mari, jaan]
    assert signatures[0]["key_id"] == key_id_of(raw_public(mari_key))
    assert signatures[0]["signature"] == body["signatures"][0]["signature"]
    assert company.name == "Mõisa Mesi OÜ"


def test_missing_founder_signature_changes_nothing() -> None:
    mari, mari_key = citizen()
    jaan, _ = citizen("Jaan", "Kask")
    payload = application([mari, jaan], [mari])
    body = signed(payload, "register-company", (mari, mari_key))
    before = business_entries()
    response = signed_in(mari, mari_key).post(REGISTER, body, format="json")
    assert response.status_code == 400
    assert jaan in response.json()["detail"]
    assert business_entries() == before
    assert not UsedNonce.objects.exists()


def test_bad_signature_changes_nothing() -> None:
    mari, mari_key = citizen()
    payload = application([mari], [mari])
    body = signed(payload, "register-company", (mari, Ed25519PrivateKey.generate()))
    before = business_entries()
    response = signed_in(mari, mari_key).post(REGISTER, body, format="json")
    assert response.status_code == 400
    assert response.json()["type"].endswith("/invalid-signature")
    assert business_entries() == before


def test_signature_over_other_fields_changes_nothing() -> None:
    mari, mari_key = citizen()
    payload = application([mari], [mari])
    body = signed(payload, "register-company", (mari, mari_key))
    body["share_capital_cents"] = 999_999
    response = signed_in(mari, mari_key).post(REGISTER, body, format="json")
    assert response.status_code == 400
    assert business_entries() == 0


def test_revoked_key_changes_nothing() -> None:
    mari, mari_key = citizen()
    jaan, jaan_key = citizen("Jaan", "Kask")
    client = signed_in(mari, mari_key)
    run(lambda app: app.revoke_key(jaan, key_id_of(raw_public(jaan_key)), "stolen", "registrar"))
    body = signed(
        application([mari, jaan], [mari]), "register-company", (mari, mari_key), (jaan, jaan_key)
    )
    response = client.post(REGISTER, body, format="json")
    assert response.status_code == 400
    assert "no current e-ID key" in response.json()["detail"]
    assert business_entries() == 0


def test_replayed_nonce_changes_nothing() -> None:
    mari, mari_key = citizen()
    client = signed_in(mari, mari_key)
    body = signed(application([mari], [mari]), "register-company", (mari, mari_key))
    assert client.post(REGISTER, body, format="json").status_code == 201
    before = business_entries()
    again = client.post(REGISTER, body, format="json")
    assert again.status_code == 409
    assert again.json()["type"].endswith("/nonce-replayed")
    assert business_entries() == before


def test_refused_command_gives_the_nonces_back() -> None:
    mari, mari_key = citizen()
    client = signed_in(mari, mari_key)
    payload = application([mari], [mari])
    first = signed(payload, "register-company", (mari, mari_key))
    assert client.post(REGISTER, first, format="json").status_code == 201
    # The same name again: the registry refuses, and the new nonce is not spent.
    second = signed(payload, "register-company", (mari, mari_key))
    assert client.post(REGISTER, second, format="json").status_code == 409
    nonce = second["signatures"][0]["nonce"]
    assert not UsedNonce.objects.filter(nonce=nonce).exists()
    assert UsedNonce.objects.count() == 1


def test_only_a_founder_registers_online() -> None:
    mari, mari_key = citizen()
    jaan, jaan_key = citizen("Jaan", "Kask")
    body = signed(application([jaan], [jaan]), "register-company", (jaan, jaan_key))
    response = signed_in(mari, mari_key).post(REGISTER, body, format="json")
    assert response.status_code == 403
    assert business_entries() == 0


def test_anonymous_cannot_register_online() -> None:
    from rest_framework.test import APIClient

    response = APIClient().post(REGISTER, {}, format="json")
    assert response.status_code == 401


def test_new_board_member_signs_a_board_change() -> None:
    mari, mari_key = citizen()
    jaan, jaan_key = citizen("Jaan", "Kask")
    client = signed_in(mari, mari_key)
    created = client.post(
        REGISTER,
        signed(application([mari], [mari]), "register-company", (mari, mari_key)),
        format="json",
    )
    code = created.json()["registry_code"]
    board_url = f"{REGISTER}{code}/board/"
    payload = {"members": [mari, jaan]}
    unsigned = client.post(
        board_url, signed(payload, "change-board", (mari, mari_key), code=code), format="json"
    )
    assert unsigned.status_code == 400
    response = client.post(
        board_url,
        signed(payload, "change-board", (mari, mari_key), (jaan, jaan_key), code=code),
        format="json",
    )
    assert response.status_code == 200, response.content
    events: list[Any] = list(running(BusinessRegistry).events.get(company_id(code)))
    assert {s["personal_code"] for s in events[-1].signatures} == {mari, jaan}


def test_someone_off_the_board_cannot_change_it() -> None:
    mari, mari_key = citizen()
    eve, eve_key = citizen("Eve", "Võõras")
    created = signed_in(mari, mari_key).post(
        REGISTER,
        signed(application([mari], [mari]), "register-company", (mari, mari_key)),
        format="json",
    )
    code = created.json()["registry_code"]
    before = business_entries()
    response = signed_in(eve, eve_key).post(
        f"{REGISTER}{code}/board/",
        signed({"members": [eve]}, "change-board", (eve, eve_key), code=code),
        format="json",
    )
    assert response.status_code == 403
    assert business_entries() == before


def test_signatures_are_on_the_chain() -> None:
    """The registration's ledger entry commits (SHA-256) to the stored event, signatures and all."""
    mari, mari_key = citizen()
    body = signed(application([mari], [mari]), "register-company", (mari, mari_key))
    response = signed_in(mari, mari_key).post(REGISTER, body, format="json")
    code = response.json()["registry_code"]
    app = running(BusinessRegistry)
    stored = app.recorder.select_events(company_id(code), lte=1)[0]
    entry = LedgerEntry.objects.get(
        registry="business", originator_id=company_id(code), originator_version=1
    )
    assert bytes(entry.payload_hash) == hashlib.sha256(stored.state).digest()
    state = json.loads(
        app.mapper.cipher.decrypt(stored.state) if app.mapper.cipher else stored.state
    )
    assert state["signatures"][0]["signature"] == body["signatures"][0]["signature"]
