"""The batched registration commands in the API: business, identity and property.

Each is declared once in its registry's catalog; a batch is registered whole
or, when one row is refused, not at all, with a problem naming the row.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from rest_framework.test import APIClient

from chain.ledger.models import LedgerEntry
from registries.business.models import CompanyRecord
from registries.common.application import MAX_BATCH
from registries.identity.models import PersonRecord
from registries.property.models import LandUnitRecord
from tests.registries.identity.helpers import api_token, new_code, official, person
from tests.registries.property import helpers as land

pytestmark = pytest.mark.usefixtures("event_store")

COMPANIES = "/api/v1/business/company-registrations/"
PERSONS = "/api/v1/identity/person-registrations/"
UNITS = "/api/v1/property/land-unit-registrations/"
PROBLEM = "application/problem+json"


@pytest.fixture(autouse=True)
def _no_throttle_history() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


def client_of(registry: str) -> APIClient:
    """A client signed in with the API token of a registrar of ``registry``."""
    user = get_user_model().objects.create_user(
        username=official(registry, "registrar"), password="x" * 20
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token(user)}")
    return client


def company(name: str, founder: str, **changes: Any) -> dict[str, Any]:
    return {
        "name": name,
        "legal_form": "OÜ",
        "share_capital_cents": 250_000,
        "founders": [founder],
        "board": [founder],
        "address": "Narva mnt 7, 10117 Tallinn",
        **changes,
    }


def test_a_registrar_registers_companies_in_one_request() -> None:
    founder = person()
    rows = [company(f"Hulgi {n} OÜ", founder) for n in range(3)]
    answer = client_of("business").post(COMPANIES, {"companies": rows}, format="json")
    assert answer.status_code == 201, answer.content
    codes = answer.json()["codes"]
    assert len(codes) == 3
    names = dict(CompanyRecord.objects.values_list("registry_code", "name"))
    assert [names[code] for code in codes] == ["Hulgi 0 OÜ", "Hulgi 1 OÜ", "Hulgi 2 OÜ"]


def test_a_refused_row_is_named_and_nothing_is_written() -> None:
    founder = person()
    stranger = new_code(date(1999, 9, 9), "F")
    rows = [company("Üks OÜ", founder), company("Kaks OÜ", stranger), company("Kolm OÜ", founder)]
    registrar = client_of("business")
    before = LedgerEntry.objects.count()
    answer = registrar.post(COMPANIES, {"companies": rows}, format="json")
    assert answer.status_code == 400
    assert answer["Content-Type"] == PROBLEM
    assert answer.json()["detail"].startswith("companies.1: founders: ")
    assert LedgerEntry.objects.count() == before
    assert not CompanyRecord.objects.exists()


def test_a_malformed_row_is_named_in_the_errors() -> None:
    founder = person()
    rows = [company("Üks OÜ", founder), company("Kaks OÜ", founder, share_capital_cents="x")]
    registrar = client_of("business")
    answer = registrar.post(COMPANIES, {"companies": rows}, format="json")
    assert answer.status_code == 400
    assert list(answer.json()["errors"]) == ["companies.1.share_capital_cents"]
    empty = registrar.post(COMPANIES, {"companies": []}, format="json")
    assert empty.status_code == 400
    assert list(empty.json()["errors"]) == ["companies.non_field_errors"]


def test_too_many_rows_are_refused_before_any_is_decided() -> None:
    founder = person()
    rows = [company(f"Firma {n} OÜ", founder) for n in range(MAX_BATCH + 1)]
    answer = client_of("business").post(COMPANIES, {"companies": rows}, format="json")
    assert answer.status_code == 400
    assert list(answer.json()["errors"]) == ["companies.non_field_errors"]


def test_a_repeated_batch_with_its_idempotency_key_writes_nothing_again() -> None:
    founder = person()
    data = {"companies": [company("Korduv OÜ", founder), company("Teine Korduv OÜ", founder)]}
    registrar = client_of("business")
    first = registrar.post(COMPANIES, data, format="json", HTTP_IDEMPOTENCY_KEY="batch-1")
    after_first = LedgerEntry.objects.count()
    second = registrar.post(COMPANIES, data, format="json", HTTP_IDEMPOTENCY_KEY="batch-1")
    assert (first.status_code, second.status_code) == (201, 201)
    assert second["Idempotent-Replayed"] == "true"
    assert LedgerEntry.objects.count() == after_first
    assert CompanyRecord.objects.count() == 2


def test_only_the_registrars_of_the_single_command_may_send_a_batch() -> None:
    founder = person()
    data = {"companies": [company("Keelatud OÜ", founder)]}
    assert APIClient().post(COMPANIES, data, format="json").status_code == 401
    # A registrar of another registry is not a business registrar.
    assert client_of("property").post(COMPANIES, data, format="json").status_code == 403
    persons = {"persons": [{"personal_code": new_code(), "first_name": "A", "last_name": "B"}]}
    assert client_of("business").post(PERSONS, persons, format="json").status_code == 403
    assert not CompanyRecord.objects.exists()


def test_an_identity_registrar_registers_persons_and_a_taken_code_is_named() -> None:
    codes = [new_code(date(2024, 1, day), "M") for day in (1, 2)]
    rows = [{"personal_code": code, "first_name": "Uku", "last_name": "Tamm"} for code in codes]
    registrar = client_of("identity")
    answer = registrar.post(PERSONS, {"persons": rows}, format="json")
    assert answer.status_code == 201, answer.content
    assert answer.json() == {"codes": codes}
    assert PersonRecord.objects.filter(personal_code__in=codes).count() == 2
    again = [{"personal_code": new_code(), "first_name": "Mia", "last_name": "Kask"}, rows[0]]
    refused = registrar.post(PERSONS, {"persons": again}, format="json")
    assert refused.status_code == 409
    assert refused.json()["detail"].startswith("persons.1: personal_code: ")


def test_a_property_registrar_registers_land_units() -> None:
    owner = person()
    rows = [
        {
            "cadastral_code": land.cadastral_code(),
            "area_m2": 1200,
            "purpose": "residential",
            "address": "Pikk 3, Tartu",
            "owners": [{"owner": owner, "share": "1/1"}],
        }
        for _ in range(2)
    ]
    answer = client_of("property").post(UNITS, {"land_units": rows}, format="json")
    assert answer.status_code == 201, answer.content
    assert answer.json()["codes"] == [row["cadastral_code"] for row in rows]
    assert LandUnitRecord.objects.count() == 2
