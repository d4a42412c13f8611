"""E-ID sign-in: challenge-response with the person's Ed25519 key, tokens, lock-out."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.utils import timezone
from rest_framework.test import APIClient

from config import settings as project_settings
from registries.common.models import AccessToken, SignInChallenge, SignInFailure
from registries.identity.vocabulary import key_id_of
from tests.registries.access.citizens import (
    SIGN_IN,
    challenge,
    citizen,
    sign_in_response,
    signed_in,
)
from tests.registries.identity.helpers import new_code, official, raw_public, run

pytestmark = pytest.mark.usefixtures("event_store")

ME = "/api/v1/identity/persons/me/"


@pytest.fixture(autouse=True)
def _no_throttle_history() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


def attempt(client: APIClient, code: str, nonce: str, signature: str) -> int:
    data = {"personal_code": code, "nonce": nonce, "signature": signature}
    return int(client.post(SIGN_IN, data, format="json").status_code)


def test_signed_challenge_gives_a_token_that_reads_my_record() -> None:
    code, key = citizen()
    client = APIClient()
    response = sign_in_response(client, code, key)
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["role"] == ""
    assert get_user_model().objects.filter(username=code).exists()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {body['token']}")
    me = client.get(ME)
    assert me.status_code == 200
    assert me.json()["personal_code"] == code
    # Only the token's hash is stored.
    assert not AccessToken.objects.filter(key_hash=body["token"]).exists()


def test_replayed_nonce_is_refused() -> None:
    code, key = citizen()
    client = APIClient()
    body = challenge(client, code)
    signature = key.sign(body["message"].encode()).hex()
    assert attempt(client, code, body["nonce"], signature) == 200
    assert attempt(client, code, body["nonce"], signature) == 401
    assert AccessToken.objects.count() == 1


def test_expired_nonce_is_refused() -> None:
    code, key = citizen()
    client = APIClient()
    body = challenge(client, code)
    SignInChallenge.objects.filter(nonce=body["nonce"]).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    response = client.post(
        SIGN_IN,
        {
            "personal_code": code,
            "nonce": body["nonce"],
            "signature": key.sign(body["message"].encode()).hex(),
        },
        format="json",
    )
    assert response.status_code == 401
    assert "expired" in response.json()["detail"]
    assert not AccessToken.objects.exists()


def test_revoked_key_is_refused() -> None:
    code, key = citizen()
    key_id = key_id_of(raw_public(key))
    run(lambda app: app.revoke_key(code, key_id, "card lost", "registrar"))
    response = sign_in_response(APIClient(), code, key)
    assert response.status_code == 401
    assert not AccessToken.objects.exists()


def test_someone_elses_key_is_refused() -> None:
    code, _ = citizen()
    response = sign_in_response(APIClient(), code, Ed25519PrivateKey.generate())
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert SignInFailure.objects.filter(personal_code=code).count() == 1


def test_nonce_issued_to_another_person_is_refused() -> None:
    code, key = citizen()
    other, _ = citizen("Jaan", "Kask")
    client = APIClient()
    body = challenge(client, other)
    signature = key.sign(body["message"].encode()).hex()
    assert attempt(client, code, body["nonce"], signature) == 401


@pytest.mark.parametrize("signature", ["zz" * 64, "ab" * 10, ""])
def test_malformed_signature_is_refused(signature: str) -> None:
    code, _ = citizen()
    client = APIClient()
    body = challenge(client, code)
    assert attempt(client, code, body["nonce"], signature) in (400, 401)
    assert not AccessToken.objects.exists()


def test_malformed_personal_code_gets_a_problem() -> None:
    response = APIClient().post(f"{SIGN_IN}challenge/", {"personal_code": "123"}, format="json")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"


def test_unknown_person_gets_a_challenge_but_no_token() -> None:
    client = APIClient()
    code = new_code()
    body = challenge(client, code)
    key = Ed25519PrivateKey.generate()
    assert attempt(client, code, body["nonce"], key.sign(body["message"].encode()).hex()) == 401


def test_lockout_trips_at_the_limit_and_is_logged(
    settings: pytest.FixtureRequest, caplog: pytest.LogCaptureFixture
) -> None:
    settings.RIIK_SIGN_IN_FAILURES_PER_HOUR = 3  # type: ignore[attr-defined]
    code, key = citizen()
    wrong = Ed25519PrivateKey.generate()
    client = APIClient()
    with caplog.at_level(logging.WARNING, logger="registries.access.signin"):
        for _ in range(3):
            assert sign_in_response(client, code, wrong).status_code == 401
        locked = sign_in_response(client, code, key)
    assert locked.status_code == 429
    assert int(locked["Retry-After"]) > 3500
    assert "failed sign-in" in caplog.text
    # Other accounts are not locked out.
    other, other_key = citizen("Jaan", "Kask")
    assert sign_in_response(client, other, other_key).status_code == 200


def test_lockout_forgets_failures_older_than_an_hour(settings: pytest.FixtureRequest) -> None:
    settings.RIIK_SIGN_IN_FAILURES_PER_HOUR = 2  # type: ignore[attr-defined]
    code, key = citizen()
    for _ in range(2):
        SignInFailure.objects.create(personal_code=code, reason="test")
    SignInFailure.objects.update(at=timezone.now() - timedelta(minutes=61))
    assert sign_in_response(APIClient(), code, key).status_code == 200


def test_the_configured_limit_is_100_failures_an_hour() -> None:
    assert project_settings.RIIK_SIGN_IN_FAILURES_PER_HOUR == 100


def test_expired_token_is_refused() -> None:
    code, key = citizen()
    client = signed_in(code, key)
    AccessToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = client.get(ME)
    assert response.status_code == 401
    assert "expired" in response.json()["detail"]


def test_unknown_token_is_refused() -> None:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
    assert client.get(ME).status_code == 401


def test_official_signs_in_with_a_role_token_that_issues_commands() -> None:
    code = official("identity", "registrar")
    key = Ed25519PrivateKey.generate()
    run(lambda app: app.register_key(code, raw_public(key), "registrar"))
    registrar = signed_in(code, key, role="identity/registrar")
    response = registrar.post(
        "/api/v1/identity/persons/",
        {"personal_code": new_code(), "first_name": "Uus", "last_name": "Inimene"},
        format="json",
    )
    assert response.status_code == 201, response.content


def test_citizen_token_of_an_official_does_not_act_as_the_official() -> None:
    code = official("identity", "registrar")
    key = Ed25519PrivateKey.generate()
    run(lambda app: app.register_key(code, raw_public(key), "registrar"))
    plain = signed_in(code, key)
    response = plain.post(
        "/api/v1/identity/persons/",
        {"personal_code": new_code(), "first_name": "Uus", "last_name": "Inimene"},
        format="json",
    )
    assert response.status_code == 403


def test_role_the_person_does_not_hold_is_refused() -> None:
    code, key = citizen()
    response = sign_in_response(APIClient(), code, key, role="business/registrar")
    assert response.status_code == 403
    assert not AccessToken.objects.exists()
