"""Helpers for the citizen e-service tests: people with e-ID keys who sign in."""

from __future__ import annotations

import secrets
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from rest_framework.test import APIClient

from chain.encoding import canonical
from tests.registries.identity.helpers import person, raw_public, run

SIGN_IN = "/api/v1/identity/sign-in/"
MY_ORGANISATION = "/api/v1/me/organisation/"
PROBLEM = "application/problem+json"


def citizen(first: str = "Mari", last: str = "Tamm") -> tuple[str, Ed25519PrivateKey]:
    """A registered person with a registered e-ID key: (personal code, private key)."""
    code = person(first, last)
    key = Ed25519PrivateKey.generate()
    run(lambda app: app.register_key(code, raw_public(key), "registrar"))
    return code, key


def challenge(client: APIClient, code: str) -> dict[str, Any]:
    """Ask for a sign-in challenge; return its body."""
    response = client.post(f"{SIGN_IN}challenge/", {"personal_code": code}, format="json")
    assert response.status_code == 201, response.content
    return dict(response.json())


def sign_in_response(
    client: APIClient, code: str, key: Ed25519PrivateKey, role: str = "", organisation: str = ""
) -> Any:
    """Sign in with ``key`` over a fresh challenge (for ``organisation``, if given);
    return the raw response."""
    body = challenge(client, code)
    data = {
        "personal_code": code,
        "nonce": body["nonce"],
        "signature": key.sign(body["message"].encode()).hex(),
    }
    if role:
        data["role"] = role
    if organisation:
        data["organisation"] = organisation
    return client.post(SIGN_IN, data, format="json")


def signed_in(
    code: str, key: Ed25519PrivateKey, role: str = "", organisation: str = ""
) -> APIClient:
    """A client holding a bearer token from e-ID sign-in (for ``organisation``, if given)."""
    client = APIClient()
    response = sign_in_response(client, code, key, role, organisation)
    assert response.status_code == 200, response.content
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['token']}")
    return client


def signature(
    key: Ed25519PrivateKey, code: str, registry: str, command: str, payload: dict[str, Any]
) -> dict[str, str]:
    """One signer's entry in a signed command's ``signatures`` (as a client makes it)."""
    nonce = secrets.token_urlsafe(16)
    message = canonical(
        {
            "purpose": "riik-command",
            "chain_id": "riik-dev",
            "registry": registry,
            "command": command,
            "payload": payload,
            "signer": code,
            "nonce": nonce,
        }
    )
    return {"personal_code": code, "nonce": nonce, "signature": key.sign(message).hex()}


def problem(response: Any, status: int, detail: str) -> dict[str, Any]:
    """The problem+json body of ``response``, which has ``status`` and mentions ``detail``."""
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert detail in str(body), body
    return body


def not_a_representative(code: str, key: Ed25519PrivateKey, organisation: str) -> dict[str, Any]:
    """Signing in for ``organisation`` is refused: the person does not represent it (403)."""
    return problem(
        sign_in_response(APIClient(), code, key, organisation=organisation),
        403,
        f"you do not represent organisation {organisation}",
    )


def acting_for(code: str, key: Ed25519PrivateKey, organisation: str) -> APIClient:
    """A client signed in for ``organisation``, whose token reads the organisation's card."""
    client = signed_in(code, key, organisation=organisation)
    assert client.get(MY_ORGANISATION).status_code == 200
    return client


def no_longer_acting_for(client: APIClient, organisation: str) -> None:
    """The client's organisation token has stopped working (401 on its card)."""
    problem(client.get(MY_ORGANISATION), 401, f"no longer represents organisation {organisation}")
