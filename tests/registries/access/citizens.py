"""Helpers for the citizen e-service tests: people with e-ID keys who sign in."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

from chain.encoding import canonical
from registries.access.signing import SignedCommandMixin
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


def signed_endpoints() -> Iterator[tuple[str, type[SignedCommandMixin]]]:
    """Every URL (by name, with namespace) whose view takes signed commands."""

    def walk(
        patterns: list[URLPattern | URLResolver], namespace: str
    ) -> Iterator[tuple[str, type[SignedCommandMixin]]]:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                yield from walk(pattern.url_patterns, inner)
                continue
            view = getattr(pattern.callback, "view_class", None)
            if isinstance(view, type) and issubclass(view, SignedCommandMixin):
                yield f"{namespace}{pattern.name}", view

    yield from walk(get_resolver().url_patterns, "")


def target(registry: str, command: str, **kwargs: str) -> dict[str, Any]:
    """The signed target of ``command``: its endpoint's URL name and these URL arguments."""
    (name,) = [
        name
        for name, view in signed_endpoints()
        if (view.signed_registry, view.signed_command) == (registry, command)
    ]
    return {"name": name, "kwargs": kwargs}


def signature(
    key: Ed25519PrivateKey,
    signer: str,
    registry: str,
    command: str,
    payload: dict[str, Any],
    **kwargs: str,
) -> dict[str, str]:
    """One signer's entry in a signed command's ``signatures`` (as a client makes it),
    for the object the URL arguments ``kwargs`` name (``code="12345678"``)."""
    return signature_for(
        key, signer, registry, command, target(registry, command, **kwargs), payload
    )


def signature_for(
    key: Ed25519PrivateKey,
    signer: str,
    registry: str,
    command: str,
    signed_target: dict[str, Any],
    payload: dict[str, Any],
) -> dict[str, str]:
    """One signer's entry in ``signatures`` for any ``signed_target``, even a wrong one."""
    nonce = secrets.token_urlsafe(16)
    message = canonical(
        {
            "purpose": "riik-command",
            "chain_id": "riik-dev",
            "registry": registry,
            "command": command,
            "target": signed_target,
            "payload": payload,
            "signer": signer,
            "nonce": nonce,
        }
    )
    return {"personal_code": signer, "nonce": nonce, "signature": key.sign(message).hex()}


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
