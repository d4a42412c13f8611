"""/api/v1/me/: my records in every registry, each with a proof I can check; nobody else's."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.cache import cache
from rest_framework.test import APIClient

from chain import merkle
from chain.blocks.models import WITNESSED, Block
from chain.blocks.sealing import seal_pending
from registries.access.me import chain_position
from registries.business.application import BusinessRegistry
from registries.business.projections import PROJECTIONS as BUSINESS
from registries.common.commands import issue
from tests.registries.access.citizens import citizen, signature, signed_in
from tests.registries.court import helpers as court
from tests.registries.health import helpers as health
from tests.registries.identity import helpers as identity
from tests.registries.identity.helpers import raw_public, run, token_client
from tests.registries.property import helpers as property_helpers

pytestmark = pytest.mark.usefixtures("event_store")

ME = "/api/v1/me/"
MY_LISTS = ["companies/", "properties/", "court-cases/"]


@pytest.fixture(autouse=True)
def _no_throttle_history() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


def assert_checkable(chain: dict[str, Any]) -> None:
    """The record's inclusion proof verifies against its root, as a citizen checks it."""
    proof = chain["proof"]
    assert proof is not None
    assert merkle.leaf_hash(bytes.fromhex(proof["leaf"])).hex() == proof["leaf_hash"]
    assert merkle.verify_inclusion(
        bytes.fromhex(proof["leaf_hash"]),
        proof["leaf_index"],
        proof["tree_size"],
        [bytes.fromhex(node) for node in proof["audit_path"]],
        bytes.fromhex(proof["root_hash"]),
    )
    assert chain["seq"] == proof["leaf_index"] + 1


@pytest.fixture
def mari() -> dict[str, Any]:
    """A citizen with a company, a land unit and a court case."""
    code, key = citizen()
    client = signed_in(code, key)
    payload = {
        "name": "Mari Mesi OÜ",
        "legal_form": "OÜ",
        "share_capital_cents": 250_000,
        "founders": [code],
        "board": [code],
        "address": "Tartu, Rüütli 1",
    }
    body = {
        **payload,
        "signatures": [signature(key, code, "business", "register-company", payload)],
    }
    company = client.post("/api/v1/business/e-services/companies/", body, format="json")
    assert company.status_code == 201, company.content
    unit = property_helpers.register_unit([(code, "1/1")])
    case = court.open_case()
    court.add_party(case, code, "plaintiff")
    return {
        "code": code,
        "key": key,
        "client": client,
        "company": company.json()["registry_code"],
        "unit": unit,
        "case": case.number,
    }


def test_index_links_every_registry_view(mari: dict[str, Any]) -> None:
    body = mari["client"].get(ME).json()
    assert body["personal_code"] == mari["code"]
    assert {"person", "companies", "properties", "court-cases"} <= set(body["links"])


def test_my_person_record_has_a_checkable_proof(mari: dict[str, Any]) -> None:
    body = mari["client"].get(f"{ME}person/").json()
    assert body["personal_code"] == mari["code"]
    assert body["chain"]["level"] == "pending"
    assert_checkable(body["chain"])
    assert body["keys"][0]["status"] == "active"
    assert_checkable(body["keys"][0]["chain"])


def test_my_person_record_lists_my_current_representations(mari: dict[str, Any]) -> None:
    code = mari["code"]
    hospital = identity.organisation("hospital", "Põhja Haigla")
    court_code = identity.organisation("court", "Harju Maakohus")
    run(lambda app: app.appoint_representative(code, hospital, "chief executive", "registrar"))
    run(lambda app: app.appoint_representative(code, court_code, "chairman", "registrar"))
    run(lambda app: app.remove_representative(code, court_code, "registrar"))
    body = mari["client"].get(f"{ME}person/").json()
    shown = [
        (r["organisation_code"], r["organisation_name"], r["title"])
        for r in body["representations"]
    ]
    assert shown == [(hospital, "Põhja Haigla", "chief executive")]
    assert_checkable(body["representations"][0]["chain"])


def test_proof_is_against_the_block_once_sealed(mari: dict[str, Any]) -> None:
    assert seal_pending() is not None
    body = mari["client"].get(f"{ME}person/").json()
    assert body["chain"]["block_height"] == 1
    assert body["chain"]["level"] != "pending"
    assert_checkable(body["chain"])


def test_my_lists_show_my_records_with_proofs(mari: dict[str, Any]) -> None:
    client = mari["client"]
    companies = client.get(f"{ME}companies/").json()["results"]
    assert [c["registry_code"] for c in companies] == [mari["company"]]
    assert companies[0]["my_roles"] == ["board", "founder"]
    properties = client.get(f"{ME}properties/").json()["results"]
    assert [p["cadastral_code"] for p in properties] == [mari["unit"]]
    cases = client.get(f"{ME}court-cases/").json()["results"]
    assert [c["number"] for c in cases] == [mari["case"]]
    for record in (*companies, *properties, *cases):
        assert_checkable(record["chain"])


def test_lists_are_cursor_paginated(mari: dict[str, Any]) -> None:
    body = mari["client"].get(f"{ME}companies/").json()
    assert set(body) == {"next", "previous", "results"}


# IDOR: a second citizen reaches nothing of the first one's ---------------------------------


@pytest.fixture
def eve() -> APIClient:
    code, key = citizen("Eve", "Võõras")
    return signed_in(code, key)


@pytest.mark.parametrize("view", MY_LISTS)
def test_another_citizen_sees_none_of_my_records(
    mari: dict[str, Any], eve: APIClient, view: str
) -> None:
    response = eve.get(f"{ME}{view}")
    assert response.status_code == 200
    assert response.json()["results"] == []
    text = json.dumps(response.json())
    for secret in (mari["code"], mari["company"], mari["unit"], mari["case"]):
        assert secret not in text


def test_another_citizen_gets_their_own_person_record(mari: dict[str, Any], eve: APIClient) -> None:
    response = eve.get(f"{ME}person/")
    assert response.status_code == 200
    assert mari["code"] not in json.dumps(response.json())


def test_changing_the_id_in_a_person_url_is_refused(mari: dict[str, Any], eve: APIClient) -> None:
    response = eve.get(f"/api/v1/identity/persons/{mari['code']}/")
    assert response.status_code in (403, 404)
    assert mari["code"] not in response.content.decode().replace(
        f"/api/v1/identity/persons/{mari['code']}/", ""
    )


def test_another_citizen_cannot_register_keys_for_me(mari: dict[str, Any], eve: APIClient) -> None:
    response = eve.post(
        f"/api/v1/identity/persons/{mari['code']}/keys/", {"public_key": "00" * 32}, format="json"
    )
    assert response.status_code == 403


def test_another_citizen_cannot_change_my_board(mari: dict[str, Any], eve: APIClient) -> None:
    response = eve.post(
        f"/api/v1/business/e-services/companies/{mari['company']}/board/",
        {"members": [mari["code"]], "signatures": []},
        format="json",
    )
    assert response.status_code == 403


# Organisation tokens: the organisation's court cases, never the person's or another's ------


@pytest.fixture
def organisations(mari: dict[str, Any]) -> dict[str, Any]:
    """Mari's company and a hospital, each a party to a case of its own, and a token for each."""
    company_case = court.open_case(title="Unpaid invoices")
    court.add_party(company_case, mari["company"], "defendant")
    head, head_key = citizen("Peeter", "Juht")
    hospital = identity.organisation("hospital", "Põhja Haigla")
    identity.run(lambda app: app.appoint_representative(head, hospital, "director", "registrar"))
    hospital_case = court.open_case(title="Malpractice claim")
    court.add_party(hospital_case, hospital, "defendant")
    court.add_party(hospital_case, mari["code"], "plaintiff")
    return {
        "company_case": company_case.number,
        "hospital": hospital,
        "hospital_case": hospital_case.number,
        "company_client": signed_in(mari["code"], mari["key"], organisation=mari["company"]),
        "hospital_client": signed_in(head, head_key, organisation=hospital),
    }


def case_numbers(client: APIClient) -> list[str]:
    response = client.get(f"{ME}court-cases/")
    assert response.status_code == 200, response.content
    return [c["number"] for c in response.json()["results"]]


def test_organisation_token_lists_the_organisations_cases_with_proofs(
    mari: dict[str, Any], organisations: dict[str, Any]
) -> None:
    response = organisations["company_client"].get(f"{ME}court-cases/")
    assert response.status_code == 200, response.content
    (case,) = response.json()["results"]
    assert (case["number"], case["title"], case["my_role"]) == (
        organisations["company_case"],
        "Unpaid invoices",
        "defendant",
    )
    assert set(case["chain"]) == {"registry", "seq", "block_height", "level", "proof"}
    assert case["chain"]["registry"] == "court"
    assert_checkable(case["chain"])
    assert case_numbers(organisations["hospital_client"]) == [organisations["hospital_case"]]


def test_organisation_and_person_never_see_each_others_cases(
    mari: dict[str, Any], organisations: dict[str, Any]
) -> None:
    # Mari's own token: her personal cases (her claim against the hospital), not her company's.
    assert sorted(case_numbers(mari["client"])) == sorted(
        [mari["case"], organisations["hospital_case"]]
    )
    # Her company's token: not her personal cases, not the hospital's.
    text = json.dumps(organisations["company_client"].get(f"{ME}court-cases/").json())
    for secret in (mari["case"], organisations["hospital_case"], organisations["hospital"]):
        assert secret not in text
    # The hospital's token: its case only, never the company's (nor Mari's other one).
    text = json.dumps(organisations["hospital_client"].get(f"{ME}court-cases/").json())
    for secret in (mari["case"], organisations["company_case"], mari["company"]):
        assert secret not in text


@pytest.mark.parametrize("view", ["person/", "companies/", "properties/"])
def test_organisation_token_reads_no_personal_me_data_and_is_told_what_it_reads(
    mari: dict[str, Any], organisations: dict[str, Any], view: str
) -> None:
    for client in (organisations["company_client"], organisations["hospital_client"]):
        response = client.get(f"{ME}{view}")
        assert response.status_code == 403, response.content
        assert mari["code"] not in response.content.decode()
        detail = response.json()["detail"]
        assert "/api/v1/me/organisation/" in detail
        assert "/api/v1/me/court-cases/" in detail


@pytest.mark.parametrize("view", ["", "person/", *MY_LISTS])
def test_anonymous_gets_401(view: str) -> None:
    response = APIClient().get(f"{ME}{view}")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"


def test_user_who_is_not_a_person_gets_403() -> None:
    response = token_client("admin-robot").get(f"{ME}person/")
    assert response.status_code == 403


def test_pending_entry_has_no_proof_until_recorded() -> None:
    assert chain_position("identity", None) == {
        "registry": "identity",
        "seq": None,
        "block_height": None,
        "level": "pending",
        "proof": None,
    }


# Health and the data tracker: another citizen (not a provider) learns nothing --------------


def test_index_links_health_and_the_data_tracker(mari: dict[str, Any]) -> None:
    links = mari["client"].get(ME).json()["links"]
    assert {"health", "data-tracker"} <= set(links)


@pytest.fixture
def mari_health() -> dict[str, Any]:
    """A patient with a diagnosis, whose record her doctor has read (tracked)."""
    code, key = citizen()
    doctor = health.doctor()
    health.encounter(doctor, code, summary="Mari's private summary")
    read = token_client(doctor.code).get(f"/api/v1/health/patients/{code}/")
    assert read.status_code == 200, read.content
    return {"code": code, "client": signed_in(code, key), "doctor": doctor.code}


def test_another_citizen_cannot_read_my_health_record(
    mari_health: dict[str, Any], eve: APIClient
) -> None:
    response = eve.get(f"/api/v1/health/patients/{mari_health['code']}/")
    assert response.status_code in (403, 404)
    assert "Mari's private summary" not in response.content.decode()
    assert "J45" not in response.content.decode()


@pytest.mark.parametrize("view", ["health/", "data-tracker/"])
def test_another_citizen_sees_none_of_my_health_data_or_reads(
    mari_health: dict[str, Any], eve: APIClient, view: str
) -> None:
    mine = mari_health["client"].get(f"{ME}{view}")
    assert mine.status_code == 200, mine.content
    assert mari_health["doctor"] in mine.content.decode()  # the doctor, or their read
    response = eve.get(f"{ME}{view}")
    text = response.content.decode()
    assert response.status_code in (200, 404)
    for secret in (mari_health["code"], mari_health["doctor"], "Mari's private summary"):
        assert secret not in text


# Cost: a /me read is a fixed number of queries, however many records it shows -------------


def register_online(client: APIClient, code: str, key: Any, name: str) -> str:
    """Register a company online as its only founder; return its registry code."""
    payload = {
        "name": name,
        "legal_form": "OÜ",
        "share_capital_cents": 250_000,
        "founders": [code],
        "board": [code],
        "address": "Tartu, Rüütli 1",
    }
    body = {
        **payload,
        "signatures": [signature(key, code, "business", "register-company", payload)],
    }
    response = client.post("/api/v1/business/e-services/companies/", body, format="json")
    assert response.status_code == 201, response.content
    return str(response.json()["registry_code"])


@pytest.fixture
def founder() -> dict[str, Any]:
    """A citizen with four e-ID keys (three rotated away), two appointments, two
    representations and four companies: two sealed into a block, two still pending."""
    code, _ = citizen()
    for _ in range(3):
        key_now = Ed25519PrivateKey.generate()
        run(lambda app, k=key_now: app.rotate_key(code, raw_public(k), "registrar"))
    for registry, role in (("business", "registrar"), ("property", "notary")):
        run(lambda app, r=registry, o=role: app.appoint_official(code, r, o, None, "registrar"))
    for kind, name in (("hospital", "Põhja Haigla"), ("court", "Harju Maakohus")):
        where = identity.organisation(kind, name)
        run(lambda app, w=where: app.appoint_representative(code, w, "chairman", "registrar"))
    client = signed_in(code, key_now)
    companies = [register_online(client, code, key_now, f"Asutaja {n} OÜ") for n in range(2)]
    assert seal_pending() is not None
    companies += [register_online(client, code, key_now, f"Asutaja {n} OÜ") for n in (2, 3)]
    return {"code": code, "client": client, "companies": companies}


def test_my_person_record_costs_seven_queries_however_many_keys(
    founder: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    # Token, person, keys, appointments, representations; then every chain position in two.
    with django_assert_max_num_queries(7):
        body = founder["client"].get(f"{ME}person/").json()
    assert len(body["keys"]) == 4
    assert len(body["appointments"]) == 2
    assert len(body["representations"]) == 2
    for record in (body, *body["keys"], *body["appointments"], *body["representations"]):
        assert_checkable(record["chain"])


def test_my_companies_cost_four_queries_however_many(
    founder: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    # Token, my companies with my roles, then every chain position in two.
    with django_assert_max_num_queries(4):
        companies = founder["client"].get(f"{ME}companies/").json()["results"]
    assert sorted(c["registry_code"] for c in companies) == sorted(founder["companies"])
    heights = [c["chain"]["block_height"] for c in companies]
    assert heights.count(None) == 2  # two pending, two in the block
    for company in companies:
        assert company["my_roles"] == ["board", "founder"]
        assert_checkable(company["chain"])


def test_a_batched_position_equals_the_position_of_the_record_alone(
    founder: dict[str, Any],
) -> None:
    companies = founder["client"].get(f"{ME}companies/").json()["results"]
    for company in companies:
        alone = chain_position("business", company["chain"]["seq"])
        assert company["chain"] == alone


def test_the_level_shown_is_the_blocks_level_now(founder: dict[str, Any]) -> None:
    client = founder["client"]
    before = client.get(f"{ME}companies/").json()["results"]
    sealed = [c["chain"] for c in before if c["chain"]["block_height"] is not None]
    assert sealed
    Block.objects.filter(height=sealed[0]["block_height"]).update(level=WITNESSED)
    after = client.get(f"{ME}companies/").json()["results"]
    levels = {c["chain"]["seq"]: c["chain"]["level"] for c in after}
    assert {levels[chain["seq"]] for chain in sealed} == {WITNESSED}


def test_a_company_card_costs_five_queries_however_long_its_history(
    founder: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    code = founder["companies"][0]
    for street in ("Lossi 1", "Lossi 2", "Lossi 3"):

        def move(app: BusinessRegistry, street: str = street) -> None:
            app.change_address(code, f"Tartu, {street}", "registrar")

        issue(BusinessRegistry, BUSINESS, move)
    # Token, company, people, annual reports, then the history with its blocks.
    with django_assert_max_num_queries(5):
        card = founder["client"].get(f"/api/v1/business/companies/{code}/").json()
    assert [entry["event"] for entry in card["history"]][-3:] == ["AddressChanged"] * 3
    assert card["ledger"]["seq"] == card["history"][-1]["seq"]
    assert card["ledger"]["level"] == "pending"
    assert card["history"][0]["level"] != "pending"
