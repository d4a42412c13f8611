"""The per-person key store: sealing, audited access, destruction."""

from __future__ import annotations

import pytest

from registries.health import keystore
from registries.health.models import KeyAccess, PersonKey

pytestmark = pytest.mark.django_db

CODE = "38001085718"


def test_sealed_data_opens_only_with_the_persons_key_and_every_access_is_audited() -> None:
    key_id = keystore.key_for(CODE, "doctor", "write")
    sealed = keystore.seal(key_id, {"summary": "Fractured wrist"}, "doctor", "write")
    assert "Fractured" not in str(sealed)
    assert keystore.open_sealed(sealed, "nurse", "read") == {"summary": "Fractured wrist"}
    trail = keystore.audit_trail(CODE)
    actions = [(line["action"], line["actor"], line["purpose"]) for line in trail]
    assert actions == [
        ("create", "doctor", "write"),
        ("use", "doctor", "write"),
        ("use", "nurse", "read"),
    ]


def test_the_key_store_never_names_the_person() -> None:
    keystore.key_for(CODE, "doctor", "write")
    key = PersonKey.objects.get()
    assert CODE not in key.subject
    assert key.subject == keystore.subject_of(CODE)
    # nonce (12) + AES-256 key (32) + GCM tag (16): the key is only stored wrapped
    assert key.wrapped is not None
    assert len(bytes(key.wrapped)) == 12 + 32 + 16


def test_a_destroyed_key_opens_nothing_and_the_refusal_is_audited() -> None:
    key_id = keystore.key_for(CODE, "doctor", "write")
    sealed = keystore.seal(key_id, {"summary": "x"}, "doctor", "write")
    assert keystore.destroy(CODE, "ministry", "request") == key_id
    with pytest.raises(keystore.DataErased):
        keystore.open_sealed(sealed, "nurse", "read")
    with pytest.raises(keystore.DataErased):
        keystore.key_for(CODE, "doctor", "write again")
    assert KeyAccess.objects.filter(action="refused").count() == 2
    destroyed = [line for line in keystore.audit_trail(CODE) if line["action"] == "destroy"]
    assert [line["actor"] for line in destroyed] == ["ministry"]


def test_a_tampered_ciphertext_does_not_open() -> None:
    key_id = keystore.key_for(CODE, "doctor", "write")
    sealed = keystore.seal(key_id, {"summary": "x"}, "doctor", "write")
    other = keystore.seal(key_id, {"summary": "y"}, "doctor", "write")
    with pytest.raises(keystore.DataErased, match="does not open"):
        keystore.open_sealed({**sealed, "ciphertext": other["ciphertext"]}, "nurse", "read")
