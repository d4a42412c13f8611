"""An official who signs in without choosing a role gets a citizen token, and a
citizen token never acts as an official: it reads neither patient records nor
other persons' records, nor a closed case's full record, nor searches property by
another person's code. With the role chosen at sign-in, the same person may."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.cache import cache
from rest_framework.test import APIClient

from tests.registries.access.citizens import signed_in
from tests.registries.court import helpers as court
from tests.registries.health import helpers as health
from tests.registries.identity.helpers import appoint, official, person, raw_public, run
from tests.registries.property import helpers as property_helpers

pytestmark = pytest.mark.usefixtures("event_store")


@dataclass
class Official:
    """An official with an e-ID key, the role they hold and what only that role may read."""

    code: str
    key: Ed25519PrivateKey
    role: str
    url: str


@pytest.fixture(autouse=True)
def _no_throttle_history() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


def with_key(code: str) -> Ed25519PrivateKey:
    key = Ed25519PrivateKey.generate()
    run(lambda app: app.register_key(code, raw_public(key), "registrar"))
    return key


def doctor() -> Official:
    who, patient = health.doctor(), health.patient("Pille", "Haige")
    health.encounter(who, patient)  # the record is open to the doctor's hospital
    return Official(who.code, who.key, "health/doctor", f"/api/v1/health/patients/{patient}/")


def pharmacist() -> Official:
    code, _ = health.pharmacist()
    patient = health.patient("Pille", "Haige")
    health.prescription(health.doctor(), patient)
    url = f"/api/v1/health/patients/{patient}/prescriptions/"
    return Official(code, with_key(code), "health/pharmacist", url)


def identity_registrar() -> Official:
    code = official("identity", "registrar")
    other = person("Pille", "Teine")
    return Official(
        code, with_key(code), "identity/registrar", f"/api/v1/identity/persons/{other}/"
    )


def judge() -> Official:
    case = court.open_case("civil", public=False)
    url = f"/api/v1/court/cases/{case.number}/"
    return Official(case.judge, with_key(case.judge), "court/judge", url)


def notary() -> Official:
    code = official("property", "notary")
    owner = person("Pille", "Omanik")
    property_helpers.register_unit([(owner, "1/1")])
    url = f"/api/v1/property/land-units/?owner={owner}"
    return Official(code, with_key(code), "property/notary", url)


OFFICIALS: dict[str, Callable[[], Official]] = {
    "health record": doctor,
    "prescriptions": pharmacist,
    "person record": identity_registrar,
    "closed court case": judge,
    "property owner search": notary,
}


def reads_as_official(client: APIClient, url: str) -> bool:
    response = client.get(url)
    if response.status_code != 200:
        return False
    body = response.json()
    return not isinstance(body, dict) or bool(body.get("full_record", True))


@pytest.mark.parametrize("what", sorted(OFFICIALS))
def test_a_citizen_token_of_an_official_does_not_read_as_one(what: str) -> None:
    who = OFFICIALS[what]()
    assert reads_as_official(signed_in(who.code, who.key, role=who.role), who.url)
    assert not reads_as_official(signed_in(who.code, who.key), who.url)


# Any official reads person records (the identity registry's rule), so not that one.
@pytest.mark.parametrize("what", sorted(set(OFFICIALS) - {"person record"}))
def test_a_token_for_another_role_does_not_read_as_this_one(what: str) -> None:
    who = OFFICIALS[what]()
    other = "health/pharmacist" if who.role != "health/pharmacist" else "court/judge"
    appoint(who.code, *other.split("/"))
    assert not reads_as_official(signed_in(who.code, who.key, role=other), who.url)
