"""The explorer's API: blocks page by page with a bounded page size, when a block
became final, and a record's ledger entries by its public identifier."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from chain.blocks.models import Block
from chain.blocks.sealing import seal_pending
from chain.ledger.models import LedgerEntry
from registries.business.application import BusinessRegistry
from registries.business.models import CompanyPerson, CompanyRecord
from registries.common.application import running
from registries.common.projections import catch_up_all
from tests.factories import register_company
from tests.registries.court.helpers import open_case
from tests.registries.property.helpers import register_unit

pytestmark = pytest.mark.usefixtures("event_store")
PROBLEM = "application/problem+json"


@pytest.fixture
def client() -> APIClient:
    return APIClient()


def _company_in_two_blocks() -> str:
    code = register_company()
    seal_pending()
    running(BusinessRegistry).change_address(code, "Haapsalu, Karja 1", "registrar")
    seal_pending()
    catch_up_all()  # the read models the lookup finds the company by
    return code


def test_the_block_feed_pages_by_the_size_asked_for(client: APIClient) -> None:
    _company_in_two_blocks()
    first = client.get("/api/v1/chain/blocks/?page_size=1").json()
    assert [block["height"] for block in first["results"]] == [2]
    older = client.get(first["next"]).json()
    assert [block["height"] for block in older["results"]] == [1]
    assert older["next"] is None
    newer = client.get(older["previous"]).json()
    assert [block["height"] for block in newer["results"]] == [2]


@pytest.mark.parametrize("size", ["0", "201", "ten", "-1", "1.5", "\u0661"])  # an Arabic-Indic one
def test_a_page_size_out_of_bounds_is_a_problem_naming_it(client: APIClient, size: str) -> None:
    response = client.get(f"/api/v1/chain/blocks/?page_size={size}")
    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM
    assert response.json()["errors"] == {"page_size": ["a whole number from 1 to 200"]}


def test_a_bad_page_is_a_problem_in_the_readers_language(client: APIClient) -> None:
    response = client.get("/api/v1/chain/blocks/?cursor=nonsense", HTTP_ACCEPT_LANGUAGE="et")
    assert response.status_code == 400
    assert response.json()["errors"]["cursor"] == [
        "See ei ole selle voo kursor: järgige selle next/previous linke."
    ]


def test_a_final_block_says_when_it_became_final(client: APIClient) -> None:
    _company_in_two_blocks()
    blocks = client.get("/api/v1/chain/blocks/").json()["results"]
    assert all(block["level"] == "final" for block in blocks)
    assert all(block["final_at"] for block in blocks)
    stored = Block.objects.get(height=1)
    assert stored.final_at is not None
    final_at = stored.final_at
    stored.save()  # saved again at final: the first moment stays
    assert Block.objects.get(height=1).final_at == final_at


def test_a_companys_entries_by_its_registry_code_with_their_blocks(client: APIClient) -> None:
    code = _company_in_two_blocks()
    response = client.get(f"/api/v1/chain/logs/business/records/{code}/")
    assert response.status_code == 200
    entries = response.json()["results"]
    aggregate = CompanyRecord.objects.get(registry_code=code).aggregate_id
    stored = LedgerEntry.objects.filter(registry="business", originator_id=aggregate)
    assert [e["seq"] for e in entries] == sorted(stored.values_list("seq", flat=True))
    assert [e["topic"].rsplit(".", 1)[-1] for e in entries] == ["Registered", "AddressChanged"]
    assert [(e["block_height"], e["level"]) for e in entries] == [(1, "final"), (2, "final")]
    assert all("payload" not in e for e in entries)
    founder = CompanyPerson.objects.get(company_id=code, role="founder").personal_code
    assert founder not in response.content.decode()


def test_a_land_unit_and_a_case_are_found_by_their_public_identifiers(client: APIClient) -> None:
    unit = register_unit()
    case = open_case("civil")
    catch_up_all()
    for registry, identifier in [("property", unit), ("court", case.number)]:
        entries = client.get(f"/api/v1/chain/logs/{registry}/records/{identifier}/").json()
        assert [e["level"] for e in entries["results"]] == ["pending"], registry
    seal_pending()
    entries = client.get(f"/api/v1/chain/logs/property/records/{unit}/").json()
    assert [e["level"] for e in entries["results"]] == ["final"]


@pytest.mark.parametrize(
    ("url", "status", "detail"),
    [
        (
            "/api/v1/chain/logs/business/records/10000018/",
            404,
            "registry business has no record with registry code 10000018",
        ),
        (
            "/api/v1/chain/logs/identity/records/39001011237/",
            404,
            "registry identity has no records with a public identifier",
        ),
        ("/api/v1/chain/logs/nowhere/records/1/", 404, "no registry log named 'nowhere'"),
    ],
)
def test_a_record_that_cannot_be_found_is_a_problem(
    client: APIClient, url: str, status: int, detail: str
) -> None:
    response = client.get(url)
    assert response.status_code == status
    assert response["Content-Type"] == PROBLEM
    assert response.json()["detail"] == detail


@pytest.mark.parametrize(
    ("registry", "identifier"),
    [("business", "1234"), ("property", "not-a-code"), ("court", "x")],
)
def test_a_malformed_identifier_is_a_400_problem(
    client: APIClient, registry: str, identifier: str
) -> None:
    response = client.get(f"/api/v1/chain/logs/{registry}/records/{identifier}/")
    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM


def test_not_found_speaks_estonian_when_asked(client: APIClient) -> None:
    response = client.get(
        "/api/v1/chain/logs/business/records/10000018/", HTTP_ACCEPT_LANGUAGE="et"
    )
    assert response.json()["detail"] == (
        "registris business ei ole kirjet, mille registrikood on 10000018"
    )
