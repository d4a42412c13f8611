"""The business registry's REST API over real HTTP (DRF's APIClient)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from rest_framework.test import APIClient
from rest_framework.throttling import AnonRateThrottle

from chain.blocks.models import Block, BlockLog
from chain.ledger.models import LedgerEntry
from registries.business.application import BusinessRegistry, Registration
from registries.business.domain import Company, company_id
from registries.business.projections import PROJECTIONS
from registries.common.application import running
from registries.common.codes import validate_personal_code
from registries.common.commands import issue
from registries.identity.models import AppointmentRecord
from tests.registries.business.helpers import BOARD, FOUNDER, OTHER
from tests.registries.identity.helpers import api_token, official, person
from tests.registries.identity.helpers import run as run_identity

pytestmark = pytest.mark.usefixtures("event_store", "people")

BASE = "/api/v1/business/companies/"
PROBLEM = "application/problem+json"


@pytest.fixture(autouse=True)
def _no_throttle_history() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


def token_client(username: str) -> APIClient:
    user = get_user_model().objects.create_user(username=username, password="x" * 20)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token(user)}")
    return client


@pytest.fixture
def registrar() -> APIClient:
    """A business registrar: an official appointed in the identity registry."""
    return token_client(official("business", "registrar"))


@pytest.fixture
def clerk() -> APIClient:
    """An authenticated official of another registry: not a business registrar."""
    return token_client(official("property", "registrar"))


@pytest.fixture
def anonymous() -> APIClient:
    return APIClient()


def body(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "Põhjarannik OÜ",
        "legal_form": "OÜ",
        "share_capital_cents": 250_000,
        "founders": [FOUNDER],
        "board": [BOARD],
        "address": "Narva mnt 7, 10117 Tallinn",
    }
    data.update(changes)
    return data


def register(client: APIClient, **changes: Any) -> dict[str, Any]:
    response = client.post(BASE, body(**changes), format="json")
    assert response.status_code == 201, response.content
    return dict(response.json())


def register_in_the_past(name: str = "Vanalinna Pagar OÜ") -> str:
    """A company registered in 2020, so that it has finished financial years."""
    registration = Registration(
        name=name,
        legal_form="OÜ",
        share_capital_cents=250_000,
        founders=[FOUNDER],
        board=[BOARD],
        address="Rüütli 1, 51007 Tartu",
    )
    return issue(
        BusinessRegistry,
        PROJECTIONS,
        lambda app: app.register_company(registration, "registrar", date(2020, 2, 1)),
    )


def entries() -> int:
    return LedgerEntry.objects.filter(registry="business").count()


def assert_problem(response: Any, status: int, slug: str) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    problem = dict(response.json())
    assert problem["type"] == f"https://riik.example/problems/{slug}"
    assert problem["status"] == status
    assert problem["title"]
    assert problem["detail"]
    assert problem["instance"] == response.wsgi_request.path
    return problem


# Problems -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "why"),
    [("1234", "must be exactly 8 digits"), ("10000019", "check digit is wrong")],
)
def test_malformed_registry_code_is_a_400_problem_saying_why(
    anonymous: APIClient, code: str, why: str
) -> None:
    problem = assert_problem(anonymous.get(f"{BASE}{code}/"), 400, "invalid-registry-code")
    assert why in problem["detail"]


def test_malformed_registry_code_in_a_command_is_a_400_problem_and_writes_nothing(
    registrar: APIClient,
) -> None:
    before = entries()
    response = registrar.post(f"{BASE}1000001x/address/", {"address": "Lai 1"}, format="json")
    assert "8 digits" in assert_problem(response, 400, "invalid-registry-code")["detail"]
    assert entries() == before


def test_a_founder_or_board_member_must_be_a_living_person_of_the_population_register(
    registrar: APIClient,
) -> None:
    """Issue 16: a valid but unregistered personal code was accepted as founder."""
    stranger = "39001011237"
    deceased = person("Ants", "Surnud")
    run_identity(lambda app: app.record_death(deceased, date(2024, 1, 1), "registrar"))
    before = entries()
    problem = assert_problem(
        registrar.post(BASE, body(founders=[FOUNDER, stranger]), format="json"),
        400,
        "unknown-party",
    )
    assert problem["detail"] == (
        f"founders: no person with personal code {stranger} in the population register"
    )
    assert problem["errors"] == {"founders": [problem["detail"].removeprefix("founders: ")]}
    problem = assert_problem(
        registrar.post(BASE, body(board=[deceased]), format="json"), 400, "unknown-party"
    )
    assert problem["detail"] == f"board: the person {deceased} is deceased"
    assert entries() == before
    code = register(registrar)["registry_code"]
    before = entries()
    problem = assert_problem(
        registrar.post(f"{BASE}{code}/board/", {"members": [stranger]}, format="json"),
        400,
        "unknown-party",
    )
    assert stranger in problem["detail"]
    assert entries() == before


def test_unknown_company_is_a_404_problem(anonymous: APIClient, registrar: APIClient) -> None:
    problem = assert_problem(anonymous.get(f"{BASE}10000018/"), 404, "not-found")
    assert problem["detail"] == "no company with registry code 10000018"
    before = entries()
    response = registrar.post(f"{BASE}10000018/liquidation/", {"reason": "x"}, format="json")
    assert_problem(response, 404, "not-found")
    assert entries() == before


def test_duplicate_name_is_a_409_problem_and_writes_nothing(registrar: APIClient) -> None:
    register(registrar, name="Põhjarannik OÜ")
    before = entries()
    response = registrar.post(BASE, body(name="PÕHJARANNIK   oü"), format="json")
    problem = assert_problem(response, 409, "conflict")
    assert "already" in problem["detail"]
    assert entries() == before


def test_second_annual_report_for_a_year_is_a_409_problem_and_writes_nothing(
    registrar: APIClient,
) -> None:
    code = register_in_the_past()
    report = {"year": 2023, "revenue_cents": 1_000_000, "net_profit_cents": 5_000, "employees": 3}
    assert registrar.post(f"{BASE}{code}/annual-reports/", report, format="json").status_code == 201
    before = entries()
    response = registrar.post(f"{BASE}{code}/annual-reports/", report, format="json")
    assert "2023 has already been filed" in assert_problem(response, 409, "conflict")["detail"]
    assert entries() == before


def test_malformed_json_is_a_400_problem(registrar: APIClient) -> None:
    before = entries()
    response = registrar.post(BASE, '{"name": "Põhjarannik OÜ",', content_type="application/json")
    problem = assert_problem(response, 400, "malformed-request")
    assert "JSON" in problem["detail"]
    assert entries() == before


@pytest.mark.parametrize("amount", [2500.0, 2500.5, "250000", True, None])
def test_cents_must_be_a_json_integer(registrar: APIClient, amount: Any) -> None:
    before = entries()
    response = registrar.post(BASE, body(share_capital_cents=amount), format="json")
    problem = assert_problem(response, 400, "validation-error")
    assert list(problem["errors"]) == ["share_capital_cents"]
    assert problem["detail"].startswith("share_capital_cents: ")
    assert entries() == before


def test_validation_errors_name_every_bad_field(registrar: APIClient) -> None:
    response = registrar.post(
        BASE,
        {"name": "x" * 201, "legal_form": "GmbH", "founders": [12345678901], "board": "nope"},
        format="json",
    )
    problem = assert_problem(response, 400, "validation-error")
    assert set(problem["errors"]) == {
        "name",
        "legal_form",
        "share_capital_cents",
        "founders.0",
        "board",
        "address",
    }
    assert all(isinstance(m, list) and m for m in problem["errors"].values())


def test_a_domain_rule_comes_back_as_a_400_problem_naming_the_field(
    registrar: APIClient,
) -> None:
    before = entries()
    response = registrar.post(BASE, body(name="Põhjarannik"), format="json")
    problem = assert_problem(response, 400, "invalid-command")
    assert problem["detail"] == "name: a business name must show its legal form (OÜ)"
    assert problem["errors"] == {"name": ["a business name must show its legal form (OÜ)"]}
    response = registrar.post(BASE, body(founders=["38005170110"]), format="json")
    assert "check digit is wrong" in assert_problem(response, 400, "invalid-command")["detail"]
    assert entries() == before


def test_anonymous_post_is_a_401_problem(anonymous: APIClient) -> None:
    before = entries()
    response = anonymous.post(BASE, body(), format="json")
    assert_problem(response, 401, "not-authenticated")
    assert response["WWW-Authenticate"] == "Token"
    assert entries() == before


def test_a_bad_token_is_a_401_problem(anonymous: APIClient) -> None:
    anonymous.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert_problem(anonymous.post(BASE, body(), format="json"), 401, "authentication-failed")


def test_a_user_without_the_registrar_permission_gets_a_403_problem(
    clerk: APIClient, registrar: APIClient
) -> None:
    code = register(registrar)["registry_code"]
    before = entries()
    assert_problem(clerk.post(BASE, body(name="Muu OÜ"), format="json"), 403, "permission-denied")
    response = clerk.post(f"{BASE}{code}/address/", {"address": "Lai 1, Tallinn"}, format="json")
    problem = assert_problem(response, 403, "permission-denied")
    assert problem["detail"] == "only a registrar of the business registry may do this"
    assert entries() == before
    assert clerk.get(f"{BASE}{code}/").status_code == 200  # reading stays public


def test_an_unsupported_method_is_a_405_problem(registrar: APIClient) -> None:
    assert_problem(registrar.delete(BASE), 405, "method-not-allowed")


# Happy paths -------------------------------------------------------------------


def test_register_answers_201_with_the_card_and_its_location(registrar: APIClient) -> None:
    before = entries()
    response = registrar.post(BASE, body(), format="json")
    assert response.status_code == 201
    card = response.json()
    code = card["registry_code"]
    assert response["Location"] == f"http://testserver{BASE}{code}/"
    assert card["name"] == "Põhjarannik OÜ"
    assert card["status"] == "active"
    assert card["founders"] == [FOUNDER]
    assert card["board"] == [BOARD]
    assert card["share_capital_cents"] == 250_000
    assert card["registered_on"] == date.today().isoformat()
    assert [h["event"] for h in card["history"]] == ["Registered"]
    assert card["ledger"]["seq"] == card["history"][0]["seq"]
    assert entries() == before + 2  # the company and its name index entry


def test_change_board_answers_200_with_the_new_board(registrar: APIClient) -> None:
    code = register(registrar)["registry_code"]
    response = registrar.post(f"{BASE}{code}/board/", {"members": [OTHER, BOARD]}, format="json")
    assert response.status_code == 200
    assert sorted(response.json()["board"]) == sorted([OTHER, BOARD])
    assert response.json()["founders"] == [FOUNDER]


def test_change_address_answers_200_with_the_new_address(registrar: APIClient) -> None:
    code = register(registrar)["registry_code"]
    response = registrar.post(
        f"{BASE}{code}/address/", {"address": "Rüütli 1, 80010 Pärnu"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["address"] == "Rüütli 1, 80010 Pärnu"
    assert response.json()["history"][-1]["event"] == "AddressChanged"


def test_capital_increase_answers_201_with_the_new_capital(registrar: APIClient) -> None:
    code = register(registrar)["registry_code"]
    response = registrar.post(
        f"{BASE}{code}/capital-increases/", {"amount_cents": 100_000}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["share_capital_cents"] == 350_000


def test_annual_report_answers_201_and_is_listed(registrar: APIClient) -> None:
    code = register_in_the_past()
    report = {
        "year": 2022,
        "revenue_cents": 12_345_600,
        "net_profit_cents": -50_000,
        "employees": 7,
    }
    response = registrar.post(f"{BASE}{code}/annual-reports/", report, format="json")
    assert response.status_code == 201
    (filed,) = response.json()["annual_reports"]
    assert {k: filed[k] for k in report} == report
    assert filed["ledger_seq"] == response.json()["ledger"]["seq"]


def test_liquidation_then_deletion_answer_200_and_free_the_name(registrar: APIClient) -> None:
    code = register(registrar)["registry_code"]
    response = registrar.post(
        f"{BASE}{code}/liquidation/", {"reason": "Owners' decision"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["status"] == "in_liquidation"
    assert response.json()["liquidation_reason"] == "Owners' decision"
    response = registrar.post(f"{BASE}{code}/deletion/", {}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "deleted"
    assert register(registrar)["registry_code"] != code  # the name is free again


def test_deleting_an_active_company_is_a_409_problem_and_writes_nothing(
    registrar: APIClient,
) -> None:
    code = register(registrar)["registry_code"]
    before = entries()
    response = registrar.post(f"{BASE}{code}/deletion/")
    assert "must be in liquidation" in assert_problem(response, 409, "conflict")["detail"]
    assert entries() == before


def test_the_recorded_actor_is_the_officials_personal_code(registrar: APIClient) -> None:
    code = register(registrar)["registry_code"]
    (username,) = AppointmentRecord.objects.filter(registry="business").values_list(
        "person__personal_code", flat=True
    )
    registrar.post(f"{BASE}{code}/address/", {"address": "Lai 1, Tallinn"}, format="json")
    app = running(BusinessRegistry)
    events = [
        app.mapper.to_domain_event(n) for n in app.recorder.select_notifications(start=1, limit=100)
    ]
    mine = [e for e in events if e.originator_id == company_id(code)]
    assert [type(e).__name__ for e in mine] == ["Registered", "AddressChanged"]
    registered, address_changed = mine
    assert isinstance(registered, Company.Registered)
    assert isinstance(address_changed, Company.AddressChanged)
    assert {registered.actor, address_changed.actor} == {username}
    assert validate_personal_code(username)


# Reads ---------------------------------------------------------------------------


def test_search_by_name_code_status_and_legal_form(
    registrar: APIClient, anonymous: APIClient
) -> None:
    first = register(registrar, name="Põhjarannik OÜ")["registry_code"]
    second = register(
        registrar, name="Lõunatuul AS", legal_form="AS", share_capital_cents=2_500_000
    )["registry_code"]
    registrar.post(f"{BASE}{second}/liquidation/", {"reason": "Bankruptcy"}, format="json")

    def codes(query: str) -> list[str]:
        response = anonymous.get(BASE + query)
        assert response.status_code == 200
        return [c["registry_code"] for c in response.json()["results"]]

    assert codes("") == [second, first]  # by name
    assert codes("?q=PÕHJA") == [first]
    assert codes("?q=rannik") == [first]
    assert codes(f"?q={second}") == [second]
    assert codes("?status=in_liquidation") == [second]
    assert codes("?legal_form=OÜ") == [first]
    assert codes("?q=nothing-like-this") == []
    assert codes("?q=&status=&legal_form=") == [second, first]  # empty form fields


def test_search_items_show_the_public_card_and_ledger_status(
    registrar: APIClient, anonymous: APIClient
) -> None:
    register(registrar)
    page = anonymous.get(BASE).json()
    assert page["count"] == 1
    (item,) = page["results"]
    assert set(item) == {
        "registry_code",
        "name",
        "legal_form",
        "status",
        "share_capital_cents",
        "address",
        "registered_on",
        "ledger",
    }
    assert item["ledger"]["registry"] == "business"
    assert item["ledger"]["level"] == "pending"
    assert item["ledger"]["block_height"] is None


def test_search_is_paginated(registrar: APIClient, anonymous: APIClient) -> None:
    for index in range(3):
        register(registrar, name=f"Firma {index} OÜ")
    page = anonymous.get(BASE, {"page": 1}).json()
    assert page["count"] == 3
    assert len(page["results"]) == 3
    assert page["next"] is None
    assert_problem(anonymous.get(BASE, {"page": 0}), 400, "validation-error")
    assert_problem(anonymous.get(BASE, {"page": 7}), 404, "not-found")


def test_too_many_requests_is_a_429_problem_with_retry_after(
    anonymous: APIClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", {"anon": "2/minute"})
    assert anonymous.get(BASE).status_code == 200
    assert anonymous.get(BASE).status_code == 200
    response = anonymous.get(BASE)
    assert_problem(response, 429, "throttled")
    assert 0 < int(response["Retry-After"]) <= 60


def test_a_bad_search_filter_is_a_400_problem(anonymous: APIClient) -> None:
    problem = assert_problem(anonymous.get(BASE, {"status": "bankrupt"}), 400, "validation-error")
    assert list(problem["errors"]) == ["status"]


def test_detail_history_shows_ledger_seq_block_and_level(
    registrar: APIClient, anonymous: APIClient
) -> None:
    code = register(registrar)["registry_code"]
    registrar.post(f"{BASE}{code}/address/", {"address": "Lai 1, 10133 Tallinn"}, format="json")
    card = anonymous.get(f"{BASE}{code}/").json()
    history = card["history"]
    assert [h["event"] for h in history] == ["Registered", "AddressChanged"]
    rows = LedgerEntry.objects.filter(registry="business").order_by("seq")
    by_seq = {row.seq: row for row in rows}
    for item in history:
        row = by_seq[item["seq"]]
        assert item["entry_hash"] == bytes(row.entry_hash).hex()
        assert item["recorded_at"] == row.recorded_at
        assert (item["block_height"], item["level"]) == (None, "pending")
    assert card["ledger"]["seq"] == history[-1]["seq"]

    # A final block whose business log covers the first event only.
    block = Block.objects.create(
        height=1,
        block_hash=b"\x01" * 32,
        prev_hash=b"\x00" * 32,
        proposer="test",
        sealed_at="2025-06-01T00:00:00Z",
        header="{}",
        level="final",
    )
    BlockLog.objects.create(
        block=block, registry="business", size=history[0]["seq"], root=b"\x02" * 32
    )
    history = anonymous.get(f"{BASE}{code}/").json()["history"]
    assert (history[0]["block_height"], history[0]["level"]) == (1, "final")
    assert (history[1]["block_height"], history[1]["level"]) == (None, "pending")


def test_the_card_names_its_founders_and_board_beside_their_codes(
    registrar: APIClient, anonymous: APIClient
) -> None:
    code = register(registrar, founders=[FOUNDER, OTHER])["registry_code"]
    card = registrar.get(f"{BASE}{code}/").json()
    assert card["founders"] == [FOUNDER, OTHER]  # the codes stay as they were
    assert card["names"] == {FOUNDER: "Mari Tamm", BOARD: "Kati Kask", OTHER: "Liis Saar"}
    # The business register's card is public, names included: an anonymous reader
    # sees the same (registries.common.public).
    public = anonymous.get(f"{BASE}{code}/").json()
    assert (public["founders"], public["names"]) == ([FOUNDER, OTHER], card["names"])
