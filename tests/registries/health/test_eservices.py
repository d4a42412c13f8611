"""The patient's health e-services as signed commands: consent and representatives."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache

from chain.ledger.models import LedgerEntry
from registries.access.signing import command_message
from registries.health import keystore
from registries.health.domain import record_id
from registries.identity.vocabulary import key_id_of
from tests.registries.access.citizens import citizen, signed_in
from tests.registries.health import helpers as h
from tests.registries.identity.helpers import raw_public, run

pytestmark = pytest.mark.usefixtures("event_store")

CONSENTS = "/api/v1/me/health/consents/"
REPRESENTATIVES = "/api/v1/me/health/representatives/"
REMOVAL = "/api/v1/me/health/representatives/removal/"


@pytest.fixture(autouse=True)
def _no_throttle_history() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


def health_entries() -> int:
    return LedgerEntry.objects.filter(registry="health").count()


def events(patient: str) -> list[Any]:
    return list(h.app().events.get(record_id(keystore.subject_of(patient))))


def opened_signatures(event: Any) -> list[dict[str, str]]:
    signatures: list[dict[str, str]] = keystore.open_sealed(event.sealed, "test", "test")[
        "signatures"
    ]
    return signatures


def close(hospital: str) -> dict[str, Any]:
    return {"action": "close", "provider": hospital}


def test_closing_my_record_stores_my_sealed_signature_that_verifies() -> None:
    mari, key = citizen()
    hospital = h.hospital()
    body = h.signed(close(hospital), "change-consent", (mari, key))
    response = signed_in(mari, key).post(CONSENTS, body, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["consents"] == [{"provider": hospital, "state": "closed"}]
    closed = events(mari)[-1]
    assert type(closed).__name__ == "AccessClosed"
    # Sealed with the patient's key: neither the code nor the signature in the clear.
    assert body["signatures"][0]["signature"] not in json.dumps(closed.sealed)
    [stored] = opened_signatures(closed)
    assert stored["key_id"] == key_id_of(raw_public(key))
    target = {"name": "me-health-consents", "kwargs": {}}
    message = command_message(
        "health", "change-consent", target, close(hospital), mari, stored["nonce"]
    )
    key.public_key().verify(bytes.fromhex(stored["signature"]), message)


def test_my_own_acts_do_not_name_me_in_the_clear_on_the_chain() -> None:
    mari, key = citizen()
    hospital = h.hospital()
    body = h.signed(close(hospital), "change-consent", (mari, key))
    assert signed_in(mari, key).post(CONSENTS, body, format="json").status_code == 200
    closed = events(mari)[-1]
    assert closed.actor == "patient"
    # The stored bytes (what the ledger hashes) hold no personal code of mine.
    stored = h.app().recorder.select_events(record_id(keystore.subject_of(mari)))
    assert stored
    assert all(mari.encode() not in event.state for event in stored)


def test_a_consent_change_without_my_signature_writes_nothing() -> None:
    mari, key = citizen()
    response = signed_in(mari, key).post(CONSENTS, close(h.hospital()), format="json")
    assert response.status_code == 400
    assert response.json()["detail"].startswith("signatures:")
    assert health_entries() == 0
    assert events(mari) == []


def test_a_signature_over_another_provider_writes_nothing() -> None:
    mari, key = citizen()
    signed_for_one = h.signed(close(h.hospital()), "change-consent", (mari, key))
    body = {**signed_for_one, "provider": h.hospital("Ida-Tallinna Keskhaigla")}
    response = signed_in(mari, key).post(CONSENTS, body, format="json")
    assert response.status_code == 400
    assert "does not verify" in response.json()["detail"]
    assert health_entries() == 0


def test_a_revoked_key_writes_nothing() -> None:
    mari, key = citizen()
    client = signed_in(mari, key)
    run(lambda app: app.revoke_key(mari, key_id_of(raw_public(key)), "stolen", "registrar"))
    response = client.post(
        CONSENTS, h.signed(close(h.hospital()), "change-consent", (mari, key)), format="json"
    )
    assert response.status_code in (400, 401)
    assert health_entries() == 0


def test_a_replayed_consent_change_is_refused_and_the_record_stays_open() -> None:
    mari, key = citizen()
    hospital = h.hospital()
    client = signed_in(mari, key)
    closing = h.signed(close(hospital), "change-consent", (mari, key))
    assert client.post(CONSENTS, closing, format="json").status_code == 200
    opening = h.signed({"action": "open", "provider": hospital}, "change-consent", (mari, key))
    assert client.post(CONSENTS, opening, format="json").status_code == 200
    before = health_entries()
    again = client.post(CONSENTS, closing, format="json")
    assert again.status_code == 409
    assert again.json()["type"].endswith("/nonce-replayed")
    assert health_entries() == before
    assert client.get("/api/v1/me/health/").json()["consents"] == []


def test_an_appointment_needs_the_representatives_signature_too() -> None:
    mari, mari_key = citizen()
    ema, _ = citizen("Ema", "Tamm")
    body = h.signed({"representative": ema}, "appoint-representative", (mari, mari_key))
    client = signed_in(mari, mari_key)
    response = client.post(REPRESENTATIVES, body, format="json")
    assert response.status_code == 400
    assert response.json()["title"] == "Invalid signature"
    assert f"missing the signature of {ema}" in response.json()["detail"]
    estonian = client.post(REPRESENTATIVES, body, format="json", HTTP_ACCEPT_LANGUAGE="et")
    assert estonian.json()["title"] == "Kehtetu allkiri"
    assert estonian.json()["detail"] == f"signatures: puudub allkiri: {ema}"
    assert health_entries() == 0


def test_the_patient_and_the_representative_sign_the_appointment_and_the_patient_removes_it() -> (
    None
):
    mari, mari_key = citizen()
    ema, ema_key = citizen("Ema", "Tamm")
    client = signed_in(mari, mari_key)
    payload = {"representative": ema}
    body = h.signed(payload, "appoint-representative", (mari, mari_key), (ema, ema_key))
    response = client.post(REPRESENTATIVES, body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["representatives"] == [ema]
    appointed = events(mari)[-1]
    assert ema not in json.dumps(appointed.sealed)
    sealed = keystore.open_sealed(appointed.sealed, "test", "test")
    assert sealed["representative"] == ema
    assert [s["personal_code"] for s in sealed["signatures"]] == [mari, ema]
    assert sealed["signatures"][1]["key_id"] == key_id_of(raw_public(ema_key))

    # The representative alone cannot remove themselves on the patient's behalf.
    theirs = h.signed(payload, "remove-representative", (ema, ema_key))
    assert client.post(REMOVAL, theirs, format="json").status_code == 400
    removal = h.signed(payload, "remove-representative", (mari, mari_key))
    removed = client.post(REMOVAL, removal, format="json")
    assert removed.status_code == 200, removed.content
    assert removed.json()["representatives"] == []
    [stored] = opened_signatures(events(mari)[-1])
    assert stored["personal_code"] == mari


def test_removing_someone_who_is_not_my_representative_gives_the_nonce_back() -> None:
    mari, key = citizen()
    ema, _ = citizen("Ema", "Tamm")
    client = signed_in(mari, key)
    client.post(
        CONSENTS, h.signed(close(h.hospital()), "change-consent", (mari, key)), format="json"
    )
    body = h.signed({"representative": ema}, "remove-representative", (mari, key))
    response = client.post(REMOVAL, body, format="json")
    assert response.status_code == 404
    # The refused command spent no nonce: the same signed body is still usable later.
    assert client.post(REMOVAL, body, format="json").status_code == 404
