"""Issue 14 item 3: the idempotency store keeps no personal data in clear,
expires, and is erased with the person."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.test import override_settings
from django.utils import timezone

from registries.common.models import IdempotentRequest
from registries.common.tasks import purge_idempotent_requests
from tests.registries.access.citizens import citizen, signed_in
from tests.registries.health import helpers as h
from tests.registries.health.test_erasure import database_dump, found_in
from tests.registries.identity import helpers as identity

pytestmark = pytest.mark.usefixtures("event_store")

CONSENTS = "/api/v1/me/health/consents/"
SUMMARY = "Zebrafish allergy, case note 4711-kappa"
MEDICINE = "Unobtainium-9 retard tablets"


@pytest.fixture(autouse=True)
def _no_throttle_history() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


def test_a_replay_after_erasure_shows_no_health_data_and_no_table_holds_it() -> None:
    mari, key = citizen()
    doctor = h.doctor()
    h.encounter(doctor, mari, summary=SUMMARY, diagnoses=["T78.1"])
    h.prescription(doctor, mari, medicine=MEDICINE)
    client = signed_in(mari, key)
    body = h.signed({"action": "close", "provider": h.hospital()}, "change-consent", (mari, key))
    first = client.post(CONSENTS, body, format="json", HTTP_IDEMPOTENCY_KEY="consent-1")
    assert first.status_code == 200, first.content
    assert SUMMARY in first.content.decode()  # the answer itself shows the record
    # Even before erasure the store keeps no health data in clear.
    dump = database_dump()
    for secret in (SUMMARY, MEDICINE, "T78.1"):
        assert not found_in(dump, secret), secret

    erased = identity.token_client(h.ministry()).post(
        f"/api/v1/health/patients/{mari}/erasure/", {"reason": "GDPR art. 17"}, format="json"
    )
    assert erased.status_code == 200, erased.content

    # The patient's rows are gone with the patient ...
    assert not IdempotentRequest.objects.exists()
    again = client.post(CONSENTS, body, format="json", HTTP_IDEMPOTENCY_KEY="consent-1")
    # ... so the same request runs again (and the erased record refuses it).
    assert "Idempotent-Replayed" not in again
    for secret in (SUMMARY, MEDICINE, "T78.1"):
        assert secret not in again.content.decode(), secret


def test_the_store_keys_callers_by_a_keyed_hash_not_their_code() -> None:
    mari, key = citizen()
    doctor = h.doctor()
    h.encounter(doctor, mari, summary=SUMMARY)
    body = h.signed({"action": "close", "provider": h.hospital()}, "change-consent", (mari, key))
    response = signed_in(mari, key).post(
        CONSENTS, body, format="json", HTTP_IDEMPOTENCY_KEY="consent-2"
    )
    assert response.status_code == 200, response.content
    record = IdempotentRequest.objects.get(key="consent-2")
    assert mari not in str(record.caller)
    assert len(record.caller) == 64


def test_a_replay_gives_the_first_status_and_a_fresh_body() -> None:
    mari, key = citizen()
    h.encounter(h.doctor(), mari, summary=SUMMARY)
    client = signed_in(mari, key)
    body = h.signed({"action": "close", "provider": h.hospital()}, "change-consent", (mari, key))
    first = client.post(CONSENTS, body, format="json", HTTP_IDEMPOTENCY_KEY="consent-3")
    again = client.post(CONSENTS, body, format="json", HTTP_IDEMPOTENCY_KEY="consent-3")
    assert (again.status_code, again["Idempotent-Replayed"]) == (first.status_code, "true")
    assert again.content == b""


@override_settings(RIIK_IDEMPOTENCY_TTL=3600)
def test_rows_expire_after_the_ttl() -> None:
    registrar = identity.token_client(identity.official("identity", "registrar"))
    data = {"personal_code": identity.new_code(), "first_name": "Kati", "last_name": "Karu"}
    persons = "/api/v1/identity/persons/"
    assert (
        registrar.post(persons, data, format="json", HTTP_IDEMPOTENCY_KEY="old").status_code == 201
    )
    IdempotentRequest.objects.update(created_at=timezone.now() - timedelta(seconds=3601))
    # An expired row is not replayed: the request runs again (and is refused as a duplicate).
    again = registrar.post(persons, data, format="json", HTTP_IDEMPOTENCY_KEY="old")
    assert again.status_code == 409
    assert "Idempotent-Replayed" not in again
    IdempotentRequest.objects.update(created_at=timezone.now() - timedelta(seconds=3601))
    assert purge_idempotent_requests() == 1
    assert not IdempotentRequest.objects.exists()
