"""Nobody can lock a person out of sign-in by sending their personal code: only a
refused answer to a real, unspent challenge counts, and the back-off holds for
that person from that client address, not for everyone."""

from __future__ import annotations

import secrets

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from rest_framework.test import APIClient

from registries.common.models import SignInFailure
from tests.registries.access.citizens import SIGN_IN, citizen, sign_in_response

pytestmark = pytest.mark.usefixtures("event_store")


def junk_sign_in(client: APIClient, code: str) -> int:
    """A sign-in with a made-up nonce and signature (no challenge asked for)."""
    data = {"personal_code": code, "nonce": secrets.token_urlsafe(32), "signature": "ab" * 64}
    return int(client.post(SIGN_IN, data, format="json").status_code)


def test_junk_nonces_do_not_count_against_the_person(settings: pytest.FixtureRequest) -> None:
    settings.RIIK_SIGN_IN_FAILURES_PER_HOUR = 3  # type: ignore[attr-defined]
    victim, key = citizen()
    attacker = APIClient()
    for _ in range(10):
        assert junk_sign_in(attacker, victim) == 401
    assert not SignInFailure.objects.exists()
    assert sign_in_response(APIClient(), victim, key).status_code == 200
    assert sign_in_response(attacker, victim, key).status_code == 200


def test_failures_back_off_one_address_not_the_person(settings: pytest.FixtureRequest) -> None:
    settings.RIIK_SIGN_IN_FAILURES_PER_HOUR = 3  # type: ignore[attr-defined]
    victim, key = citizen()
    attacker = APIClient(REMOTE_ADDR="203.0.113.9")
    wrong = Ed25519PrivateKey.generate()
    for _ in range(3):
        assert sign_in_response(attacker, victim, wrong).status_code == 401
    assert sign_in_response(attacker, victim, key).status_code == 429
    assert sign_in_response(APIClient(REMOTE_ADDR="198.51.100.7"), victim, key).status_code == 200
    assert set(SignInFailure.objects.values_list("address", flat=True)) == {"203.0.113.9"}


def test_a_forged_forwarded_for_does_not_escape_the_back_off(
    settings: pytest.FixtureRequest,
) -> None:
    settings.RIIK_SIGN_IN_FAILURES_PER_HOUR = 2  # type: ignore[attr-defined]
    victim, key = citizen()
    wrong = Ed25519PrivateKey.generate()
    for hop in range(2):
        attacker = APIClient(REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR=f"10.0.0.{hop}")
        assert sign_in_response(attacker, victim, wrong).status_code == 401
    forged = APIClient(REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="10.9.9.9")
    assert sign_in_response(forged, victim, key).status_code == 429
