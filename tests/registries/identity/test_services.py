"""The services other registries call: answers from the identity read models, never raising."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.contrib.auth.models import AnonymousUser

from registries.common.application import running
from registries.common.codes import registry_code
from registries.identity import services
from registries.identity.application import IdentityRegistry
from registries.identity.models import PersonRecord
from tests.registries.identity.helpers import (
    new_code,
    official,
    organisation,
    person,
    raw_public,
    run,
    user_for,
)

pytestmark = pytest.mark.usefixtures("event_store")


def test_person_and_organisation_exist_once_registered() -> None:
    code = new_code()
    assert not services.person_exists(code)
    person(code=code)
    assert services.person_exists(code)
    assert services.person_alive(code)
    court = organisation("court")
    assert services.organisation_exists(court)
    assert not services.organisation_exists(registry_code(424_242, 7))


def test_services_see_a_command_at_once_without_an_explicit_catch_up() -> None:
    code = new_code()
    running(IdentityRegistry).register_person(code, "Mari", "Tamm", "registrar")
    assert not PersonRecord.objects.filter(personal_code=code).exists()
    assert services.person_exists(code)
    assert PersonRecord.objects.filter(personal_code=code).exists()


@pytest.mark.parametrize("bad", ["", "123", "3800517012x", "38005170125" * 2, None, 38005170125])
def test_malformed_codes_are_simply_unknown(bad: Any) -> None:
    assert services.person_exists(bad) is False
    assert services.person_alive(bad) is False
    assert services.organisation_exists(bad) is False
    assert services.has_role(bad, "court", "judge") is False
    assert services.is_official(bad) is False
    assert services.current_public_key(bad) is None
    assert services.public_key_at(bad, "0011223344556677") is None
    assert services.verify_signature(bad, b"m", b"s" * 64) is False


def test_has_role_is_about_the_registry_and_the_role() -> None:
    judge = official("court", "judge")
    assert services.has_role(judge, "court", "judge")
    assert not services.has_role(judge, "court", "registrar")
    assert not services.has_role(judge, "business", "judge")
    assert services.is_official(judge)
    assert not services.is_official(person())


def test_keys_current_historic_and_revoked() -> None:
    code = person()
    assert services.current_public_key(code) is None
    first, second = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    first_id = run(lambda a: a.register_key(code, raw_public(first), "registrar"))
    assert services.current_public_key(code) == raw_public(first)
    second_id = run(lambda a: a.rotate_key(code, raw_public(second), "registrar"))
    assert services.current_public_key(code) == raw_public(second)
    assert services.public_key_at(code, first_id) == raw_public(first)
    assert services.public_key_at(code, first_id.upper()) == raw_public(first)
    assert services.public_key_at(code, "ffffffffffffffff") is None
    assert services.public_key_at(person(), first_id) is None  # someone else's key id
    run(lambda a: a.revoke_key(code, second_id, "lost", "registrar"))
    assert services.current_public_key(code) is None
    assert services.public_key_at(code, second_id) is None
    assert services.public_key_at(code, first_id) == raw_public(first)


def test_verify_signature_is_false_for_anything_wrong_and_never_raises() -> None:
    code = person()
    key = Ed25519PrivateKey.generate()
    assert not services.verify_signature(code, b"m", key.sign(b"m"))  # no key yet
    run(lambda a: a.register_key(code, raw_public(key), "registrar"))
    good = key.sign(b"message")
    assert services.verify_signature(code, b"message", good)
    assert services.verify_signature(code, bytearray(b"message"), bytearray(good))  # type: ignore[arg-type]
    assert not services.verify_signature(code, b"messagE", good)
    assert not services.verify_signature(code, b"message", good[:-1] + bytes([good[-1] ^ 1]))
    assert not services.verify_signature(code, b"message", good[:10])
    assert not services.verify_signature(code, b"message", b"")
    assert not services.verify_signature(code, "message", good)  # type: ignore[arg-type]
    assert not services.verify_signature(code, b"message", None)  # type: ignore[arg-type]
    other = Ed25519PrivateKey.generate()
    assert not services.verify_signature(code, b"message", other.sign(b"message"))
    assert not services.verify_signature(new_code(), b"message", good)  # unknown person


def test_the_dead_have_no_current_key_and_no_role() -> None:
    code = official("property", "notary")
    key = Ed25519PrivateKey.generate()
    run(lambda a: a.register_key(code, raw_public(key), "registrar"))
    run(lambda a: a.record_death(code, date(2025, 1, 1), "registrar"))
    assert services.person_exists(code)
    assert not services.person_alive(code)
    assert not services.has_role(code, "property", "notary")
    assert not services.verify_signature(code, b"m", key.sign(b"m"))
    assert services.current_public_key(code) is None


def test_official_code_of_is_the_username_when_it_is_a_valid_personal_code() -> None:
    code = new_code()
    assert services.official_code_of(user_for(code)) == code
    assert services.official_code_of(user_for("registrar")) is None
    assert services.official_code_of(user_for(code[:-1] + str((int(code[-1]) + 1) % 10))) is None
    assert services.official_code_of(AnonymousUser()) is None
    assert services.official_code_of(None) is None
