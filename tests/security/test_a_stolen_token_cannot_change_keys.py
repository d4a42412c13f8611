"""A bearer token alone cannot put another key in: key changes are signed with the current key."""

from __future__ import annotations

from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.cache import cache

from registries.identity import services
from tests.registries.access.citizens import citizen, signature_for, signed_in
from tests.registries.identity.helpers import official, raw_public, token_client

pytestmark = pytest.mark.usefixtures("event_store")

ROTATION = "identity:person-key-rotation"


@pytest.fixture(autouse=True)
def _no_throttle_history() -> None:
    cache.clear()


def _rotation(
    code: str, new: Ed25519PrivateKey, signer: Ed25519PrivateKey | None
) -> dict[str, Any]:
    body: dict[str, Any] = {"public_key": raw_public(new).hex()}
    if signer is not None:
        target = {"name": ROTATION, "kwargs": {"code": code}}
        body["signatures"] = [
            signature_for(signer, code, "identity", "rotate-key", target, dict(body))
        ]
    return body


def _rotation_url(code: str) -> str:
    return f"/api/v1/identity/persons/{code}/keys/rotation/"


def _current_key_holds(code: str, key: Ed25519PrivateKey) -> bool:
    return services.verify_signature(code, b"probe", key.sign(b"probe"))


def test_a_token_alone_cannot_rotate_the_key() -> None:
    code, key = citizen()
    thief = Ed25519PrivateKey.generate()
    response = signed_in(code, key).post(
        f"/api/v1/identity/persons/{code}/keys/rotation/",
        _rotation(code, thief, None),
        format="json",
    )
    assert response.status_code in (400, 403), response.content
    assert response["Content-Type"].startswith("application/problem+json")
    assert _current_key_holds(code, key)
    assert not _current_key_holds(code, thief)


def test_a_rotation_signed_by_another_key_is_refused() -> None:
    code, key = citizen()
    thief = Ed25519PrivateKey.generate()
    response = signed_in(code, key).post(
        f"/api/v1/identity/persons/{code}/keys/rotation/",
        _rotation(code, thief, signer=thief),
        format="json",
    )
    assert response.status_code in (400, 403), response.content
    assert _current_key_holds(code, key)


def test_a_rotation_signed_with_the_current_key_is_made() -> None:
    code, key = citizen()
    newer = Ed25519PrivateKey.generate()
    response = signed_in(code, key).post(
        f"/api/v1/identity/persons/{code}/keys/rotation/",
        _rotation(code, newer, signer=key),
        format="json",
    )
    assert response.status_code == 201, response.content
    assert _current_key_holds(code, newer)


def test_a_registrar_in_person_needs_no_signature_of_the_holder() -> None:
    code, _ = citizen()
    newer = Ed25519PrivateKey.generate()
    registrar = token_client(official("identity", "registrar"))
    response = registrar.post(
        f"/api/v1/identity/persons/{code}/keys/rotation/",
        _rotation(code, newer, None),
        format="json",
    )
    assert response.status_code == 201, response.content
    assert _current_key_holds(code, newer)
