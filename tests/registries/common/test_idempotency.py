"""Idempotency-Key on every POST: a repeat returns the first answer and writes nothing."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from chain.ledger.models import LedgerEntry
from registries.common.idempotency import IdempotencyKeyMiddleware
from registries.common.models import IdempotentRequest
from tests.registries.access.citizens import citizen, signed_in
from tests.registries.identity.helpers import (
    new_code,
    official,
    organisation,
    raw_public,
    run,
    token_client,
    user_for,
)

pytestmark = pytest.mark.usefixtures("event_store")

PERSONS = "/api/v1/identity/persons/"


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
    # The body is never stored (no personal data in clear): the replay has none.
    assert second.content == b""
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
    assert second["Idempotent-Replayed"] == "true"
    assert second.content == b""


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


def registrar_signed_in() -> APIClient:
    """A client with an identity registrar's e-ID sign-in (bearer) token."""
    code = official("identity", "registrar")
    key = Ed25519PrivateKey.generate()
    run(lambda app: app.register_key(code, raw_public(key), "registrar"))
    return signed_in(code, key, role="identity/registrar")


def test_a_post_with_a_key_checks_the_bearer_token_once() -> None:
    client = registrar_signed_in()
    with CaptureQueriesContext(connection) as queries:
        response = client.post(
            PERSONS, registration(new_code()), format="json", HTTP_IDEMPOTENCY_KEY="once"
        )
    assert response.status_code == 201, response.content
    lookups = [q["sql"] for q in queries.captured_queries if "common_accesstoken" in q["sql"]]
    assert len(lookups) == 1, lookups


def test_another_bearer_caller_with_the_same_key_and_body_gets_its_own_answer() -> None:
    one, two = registrar_signed_in(), registrar_signed_in()
    data = registration(new_code())
    first = one.post(PERSONS, data, format="json", HTTP_IDEMPOTENCY_KEY="shared")
    assert first.status_code == 201, first.content
    before = entries()
    # Run, not replayed: the person is registered already, so the second caller is refused.
    second = two.post(PERSONS, data, format="json", HTTP_IDEMPOTENCY_KEY="shared")
    assert second.status_code == 409, second.content
    assert "already registered" in second.json()["detail"]
    assert "Idempotent-Replayed" not in second
    assert entries() == before
    assert IdempotentRequest.objects.filter(key="shared").count() == 2


def test_an_unknown_bearer_token_with_a_key_is_refused_and_nothing_is_stored() -> None:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
    response = client.post(
        PERSONS, registration(new_code()), format="json", HTTP_IDEMPOTENCY_KEY="unknown"
    )
    assert response.status_code == 401
    assert "unknown token" in response.json()["detail"]
    assert not IdempotentRequest.objects.exists()


# Replayed headers ---------------------------------------------------------------------------------


def test_replay_gives_back_the_same_status_and_location_without_the_body_and_writes_nothing(
    registrar: APIClient,
) -> None:
    data = registration(new_code())
    first = registrar.post(PERSONS, data, format="json", HTTP_IDEMPOTENCY_KEY="loc-1")
    assert first.status_code == 201
    assert first["Location"].endswith(f"{PERSONS}{data['personal_code']}/")
    assert "Idempotent-Replayed" not in first
    before = entries()
    again = registrar.post(PERSONS, data, format="json", HTTP_IDEMPOTENCY_KEY="loc-1")
    assert (again.status_code, again["Location"]) == (first.status_code, first["Location"])
    assert again.content == b""
    assert "Content-Type" not in again
    assert again["Idempotent-Replayed"] == "true"
    assert entries() == before
    assert IdempotentRequest.objects.get(key="loc-1").headers == {"Location": first["Location"]}


def test_replayed_representative_appointment_keeps_its_location(registrar: APIClient) -> None:
    code = run(lambda app: app.register_person(new_code(), "Peeter", "Juht", "registrar"))
    hospital = organisation("hospital", "Põhja Haigla")
    url = f"/api/v1/identity/organisations/{hospital}/representatives/"
    data = {"personal_code": code, "title": "chief executive"}
    first = registrar.post(url, data, format="json", HTTP_IDEMPOTENCY_KEY="rep-1")
    assert first.status_code == 201, first.content
    before = entries()
    again = registrar.post(url, data, format="json", HTTP_IDEMPOTENCY_KEY="rep-1")
    assert (again.status_code, again["Location"]) == (201, first["Location"])
    assert again.content == b""
    assert entries() == before
    # Without the key the same appointment is a conflict: the replay really wrote nothing.
    assert registrar.post(url, data, format="json").status_code == 409


def test_only_the_headers_that_describe_the_result_are_stored_and_replayed() -> None:
    user = user_for("replay-robot")
    calls: list[HttpRequest] = []

    def view(request: HttpRequest) -> HttpResponse:
        calls.append(request)
        response = HttpResponse(b'{"ok": true}', status=201, content_type="application/json")
        response["Location"] = "https://riik.example/api/v1/things/1/"
        response["Content-Location"] = "https://riik.example/api/v1/things/1/"
        response["ETag"] = '"v1"'
        response["Link"] = '<https://riik.example/api/v1/things/>; rel="collection"'
        response["X-Debug-Note"] = "first run only"
        response["Set-Cookie"] = "session=abc"
        return response

    middleware = IdempotencyKeyMiddleware(view)

    def post() -> HttpResponse:
        request = RequestFactory().post(
            "/api/v1/things/", b"{}", content_type="application/json", HTTP_IDEMPOTENCY_KEY="h-1"
        )
        request.user = user
        return middleware(request)

    first = post()
    again = post()
    assert len(calls) == 1
    for name in ("Location", "Content-Location", "ETag", "Link"):
        assert again[name] == first[name], name
    assert "X-Debug-Note" not in again
    assert "Set-Cookie" not in again
    assert again["Idempotent-Replayed"] == "true"
    assert (again.status_code, again.content) == (201, b"")
