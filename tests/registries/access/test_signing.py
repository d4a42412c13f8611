"""registries.access.signing: the reusable check that a person signed with their
current e-ID key (what registering or rotating a key will require)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.urls import resolve, reverse
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from registries.access.signing import (
    InvalidSignature,
    NonceReplayed,
    request_target,
    require_signature_by_current_key,
)
from registries.common.models import UsedNonce
from registries.identity.vocabulary import key_id_of
from tests.registries.access.citizens import citizen, signature_for
from tests.registries.identity.helpers import raw_public, run

pytestmark = pytest.mark.usefixtures("event_store")

COMMAND = "register-key"


def key_request(code: str, body: dict[str, Any]) -> Request:
    """A POST to the person's key registration URL, routed as the server routes it."""
    path = reverse("identity:person-keys", kwargs={"code": code})
    http = APIRequestFactory().post(path, body, format="json")
    http.resolver_match = resolve(path)
    return Request(http, parsers=[JSONParser()])


def signed_body(
    key: Ed25519PrivateKey, code: str, payload: dict[str, Any], *, for_code: str = ""
) -> dict[str, Any]:
    target = {"name": "identity:person-keys", "kwargs": {"code": for_code or code}}
    return {
        **payload,
        "signatures": [signature_for(key, code, "identity", COMMAND, target, payload)],
    }


def test_the_target_is_the_routed_url_name_and_arguments() -> None:
    code, _ = citizen()
    assert request_target(key_request(code, {})) == {
        "name": "identity:person-keys",
        "kwargs": {"code": code},
    }


def test_a_signature_by_the_current_key_passes_and_spends_its_nonce() -> None:
    code, key = citizen()
    payload = {"public_key": "ab" * 32}
    request = key_request(code, signed_body(key, code, payload))
    with require_signature_by_current_key(request, code, COMMAND, payload) as signed:
        assert signed["key_id"] == key_id_of(raw_public(key))
        assert json.loads(signed["target"]) == request_target(request)
    assert UsedNonce.objects.filter(personal_code=code).count() == 1
    with (
        pytest.raises(NonceReplayed),
        require_signature_by_current_key(request, code, COMMAND, payload),
    ):
        pass


def wrongly_signed(wrong: str, code: str, key: Ed25519PrivateKey) -> dict[str, Any]:
    """A key registration body signed wrongly in one way, for ``code``."""
    payload = {"public_key": "ab" * 32}
    here = {"name": "identity:person-keys", "kwargs": {"code": code}}
    if wrong == "key":
        return signed_body(Ed25519PrivateKey.generate(), code, payload)
    if wrong == "target":
        return signed_body(key, code, payload, for_code=citizen("Jaan", "Kask")[0])
    if wrong == "command":
        moved = signature_for(key, code, "identity", "rotate-key", here, payload)
        return {**payload, "signatures": [moved]}
    if wrong == "payload":
        return signed_body(key, code, {"public_key": "cd" * 32})
    if wrong == "signer":
        other, other_key = citizen("Jaan", "Kask")
        return signed_body(other_key, other, payload, for_code=code)
    # "revoked": the right signature, but the key is revoked before it is checked.
    run(lambda app: app.revoke_key(code, key_id_of(raw_public(key)), "stolen", "registrar"))
    return signed_body(key, code, payload)


@pytest.mark.parametrize("wrong", ["key", "revoked", "target", "command", "payload", "signer"])
def test_anything_but_the_current_key_on_this_target_is_refused(wrong: str) -> None:
    code, key = citizen()
    body = wrongly_signed(wrong, code, key)
    payload = {"public_key": "ab" * 32}
    with (
        pytest.raises(InvalidSignature),
        require_signature_by_current_key(key_request(code, body), code, COMMAND, payload),
    ):
        pass
    assert not UsedNonce.objects.exists()


def test_the_nonce_is_given_back_when_the_act_is_refused() -> None:
    code, key = citizen()
    payload = {"public_key": "ab" * 32}
    request = key_request(code, signed_body(key, code, payload))
    with (
        pytest.raises(RuntimeError),
        require_signature_by_current_key(request, code, COMMAND, payload),
    ):
        raise RuntimeError("refused by the registry")
    assert not UsedNonce.objects.exists()
