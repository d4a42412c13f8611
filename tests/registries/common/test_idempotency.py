"""Idempotency-Key on every POST: a repeat returns the first answer and writes nothing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.cache import cache
from rest_framework.test import APIClient

from chain.ledger.models import LedgerEntry
from registries.common.models import IdempotentRequest
from tests.registries.common.citizens import citizen, signed_in
from tests.registries.identity.helpers import new_code, official, raw_public, run, token_client

pytestmark = pytest.mark.usefixtures("event_store")

PERSONS = "/api/v1/identity/persons/"


@pytest.fixture(autouse=True)
def _no_throttle_history() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def registrar() -> APIClient:
    return token_client(official("identity", "registrar"))


def registration(code: str) -> dict[str, str]:
    return {"personal_code": code, "first_name": "Kati", "last_name": "Karu"}


def entries() -> int:
    return LedgerEntry.objects.filter(registry="identity").count()


def test_same_post_twice_with_one_key_gives_one_event(registrar: APIClient) -> None:
    data = registration(new_code())
    before = entries()
    first = registrar.post(PERSONS, data, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    second = registrar.post(PERSONS, data, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == 201
    assert second.status_code == 201
    assert second.content == first.content
    assert second["Idempotent-Replayed"] == "true"
    # The person's index entry and the person: one registration, not two.
    assert entries() == before + 2


def test_same_key_with_another_body_is_refused_and_writes_nothing(registrar: APIClient) -> None:
    registrar.post(PERSONS, registration(new_code()), format="json", HTTP_IDEMPOTENCY_KEY="k-2")
    before = entries()
    other = registrar.post(
        PERSONS, registration(new_code()), format="json", HTTP_IDEMPOTENCY_KEY="k-2"
    )
    assert other.status_code == 422
    assert other["Content-Type"] == "application/problem+json"
    assert "already used" in other.json()["detail"]
    assert entries() == before


def test_without_a_key_every_post_runs(registrar: APIClient) -> None:
    data = registration(new_code())
    assert registrar.post(PERSONS, data, format="json").status_code == 201
    # Registering the same person again is refused by the registry itself.
    assert registrar.post(PERSONS, data, format="json").status_code == 409


def test_refusal_is_replayed_too(registrar: APIClient) -> None:
    data = {"personal_code": "123", "first_name": "X", "last_name": "Y"}
    first = registrar.post(PERSONS, data, format="json", HTTP_IDEMPOTENCY_KEY="k-3")
    second = registrar.post(PERSONS, data, format="json", HTTP_IDEMPOTENCY_KEY="k-3")
    assert first.status_code == second.status_code == 400
    assert second.content == first.content


def test_keys_of_different_callers_do_not_meet() -> None:
    one = token_client(official("identity", "registrar"))
    two = token_client(official("identity", "registrar"))
    before = entries()
    assert (
        one.post(PERSONS, registration(new_code()), format="json", HTTP_IDEMPOTENCY_KEY="same")
    ).status_code == 201
    assert (
        two.post(PERSONS, registration(new_code()), format="json", HTTP_IDEMPOTENCY_KEY="same")
    ).status_code == 201
    assert entries() == before + 4


def test_malformed_key_is_a_problem(registrar: APIClient) -> None:
    response = registrar.post(
        PERSONS, registration(new_code()), format="json", HTTP_IDEMPOTENCY_KEY="has space"
    )
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert not IdempotentRequest.objects.exists()


def test_request_still_running_gets_409(registrar: APIClient) -> None:
    data = registration(new_code())
    registrar.post(PERSONS, data, format="json", HTTP_IDEMPOTENCY_KEY="k-4")
    IdempotentRequest.objects.filter(key="k-4").update(status=None)
    response = registrar.post(PERSONS, data, format="json", HTTP_IDEMPOTENCY_KEY="k-4")
    assert response.status_code == 409
    assert response["Retry-After"] == "1"


def test_sign_in_is_never_replayed() -> None:
    code, key = citizen()
    client = APIClient()
    body = client.post(
        "/api/v1/identity/sign-in/challenge/", {"personal_code": code}, format="json"
    ).json()
    data = {
        "personal_code": code,
        "nonce": body["nonce"],
        "signature": key.sign(body["message"].encode()).hex(),
    }
    first = client.post("/api/v1/identity/sign-in/", data, format="json", HTTP_IDEMPOTENCY_KEY="s")
    again = client.post("/api/v1/identity/sign-in/", data, format="json", HTTP_IDEMPOTENCY_KEY="s")
    assert first.status_code == 200
    assert again.status_code == 401
    assert "token" not in again.json()


def test_bearer_token_callers_are_remembered() -> None:
    code = official("identity", "registrar")

    key = Ed25519PrivateKey.generate()
    run(lambda app: app.register_key(code, raw_public(key), "registrar"))
    client = signed_in(code, key, role="identity/registrar")
    data = registration(new_code())
    before = entries()
    assert client.post(PERSONS, data, format="json", HTTP_IDEMPOTENCY_KEY="b").status_code == 201
    assert client.post(PERSONS, data, format="json", HTTP_IDEMPOTENCY_KEY="b").status_code == 201
    assert entries() == before + 2
