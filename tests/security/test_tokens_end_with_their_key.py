"""A stolen token is no permanent takeover: revoking or rotating the e-ID key the
token was issued under, or the person's death, ends every token of that person at
once; an organisation token ends with the representation and does not come back
when the person is appointed again."""

from __future__ import annotations

from datetime import date

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from registries.common.models import AccessToken
from registries.identity.vocabulary import key_id_of
from tests.registries.access.citizens import acting_for, citizen, problem, signed_in
from tests.registries.identity.helpers import organisation, raw_public, run

pytestmark = pytest.mark.usefixtures("event_store")

ME = "/api/v1/me/"
CARD = "/api/v1/me/organisation/"


def test_the_token_records_the_key_it_was_issued_under() -> None:
    code, key = citizen()
    signed_in(code, key)
    assert AccessToken.objects.get().key_id == key_id_of(raw_public(key))


def test_revoking_the_key_ends_every_token_of_the_person() -> None:
    code, key = citizen()
    first, second = signed_in(code, key), signed_in(code, key)
    assert first.get(ME).status_code == 200
    run(lambda app: app.revoke_key(code, key_id_of(raw_public(key)), "stolen", "registrar"))
    for client in (first, second):
        problem(client.get(ME), 401, "e-ID key")


def test_rotating_the_key_ends_the_tokens_of_the_old_key() -> None:
    code, key = citizen()
    old = signed_in(code, key)
    new_key = Ed25519PrivateKey.generate()
    run(lambda app: app.rotate_key(code, raw_public(new_key), "registrar"))
    problem(old.get(ME), 401, "e-ID key")
    assert signed_in(code, new_key).get(ME).status_code == 200


def test_a_death_ends_every_token_of_the_person() -> None:
    code, key = citizen()
    client = signed_in(code, key)
    run(lambda app: app.record_death(code, date(2024, 1, 2), "registrar"))
    problem(client.get(ME), 401, "sign in again")


def test_revoking_the_key_ends_the_organisation_tokens_it_signed_in() -> None:
    code, key = citizen("Peeter", "Juht")
    hospital = organisation("hospital", "Põhja Haigla")
    run(lambda app: app.appoint_representative(code, hospital, "chief executive", "registrar"))
    client = acting_for(code, key, hospital)
    run(lambda app: app.revoke_key(code, key_id_of(raw_public(key)), "stolen", "registrar"))
    problem(client.get(CARD), 401, "e-ID key")


def test_an_organisation_token_does_not_come_back_on_reappointment() -> None:
    code, key = citizen("Peeter", "Juht")
    hospital = organisation("hospital", "Põhja Haigla")
    run(lambda app: app.appoint_representative(code, hospital, "chief executive", "registrar"))
    client = acting_for(code, key, hospital)
    run(lambda app: app.remove_representative(code, hospital, "registrar"))
    problem(client.get(CARD), 401, "no longer represents")
    run(lambda app: app.appoint_representative(code, hospital, "chief executive", "registrar"))
    problem(client.get(CARD), 401, "sign in again")
    assert acting_for(code, key, hospital).get(CARD).status_code == 200


def test_an_organisation_token_unused_meanwhile_does_not_come_back_on_reappointment() -> None:
    code, key = citizen("Peeter", "Juht")
    hospital = organisation("hospital", "Põhja Haigla")
    run(lambda app: app.appoint_representative(code, hospital, "chief executive", "registrar"))
    client = acting_for(code, key, hospital)
    run(lambda app: app.remove_representative(code, hospital, "registrar"))
    run(lambda app: app.appoint_representative(code, hospital, "chief executive", "registrar"))
    problem(client.get(CARD), 401, "no longer represents")
    assert acting_for(code, key, hospital).get(CARD).status_code == 200
