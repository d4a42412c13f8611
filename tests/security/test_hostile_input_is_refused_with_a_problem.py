"""Issue 14 item 10: hostile bodies get a 4xx problem, never a 500, and write nothing.

Each input is a class, so each is sent to endpoints of several registries:
an over-deep JSON body, an oversize body, a lone surrogate anywhere in the
JSON, and dates whose derived values overflow (a hearing in the year 1).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache
from django.test import override_settings
from rest_framework.test import APIClient

from chain.ledger.models import LedgerEntry
from tests.registries.court import helpers as court
from tests.registries.identity import helpers as identity

pytestmark = pytest.mark.usefixtures("event_store")

PROBLEM = "application/problem+json"


@pytest.fixture(autouse=True)
def _no_throttle_history() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def targets() -> list[tuple[APIClient, str]]:
    """Write endpoints of four registries, each with a caller allowed to use it."""
    case = court.open_case()

    def official(registry: str) -> APIClient:
        return identity.token_client(identity.official(registry, "registrar"))

    return [
        (official("identity"), "/api/v1/identity/persons/"),
        (official("business"), "/api/v1/business/companies/"),
        (official("property"), "/api/v1/property/land-units/"),
        (identity.token_client(case.judge), f"/api/v1/court/cases/{case.number}/hearings/"),
    ]


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    return body


def post_raw(client: APIClient, url: str, data: str) -> Any:
    return client.generic("POST", url, data, content_type="application/json")


def test_a_deeply_nested_body_is_a_400(targets: list[tuple[APIClient, str]]) -> None:
    before = LedgerEntry.objects.count()
    for client, url in targets:
        for nested in ("[" * 100_000, '{"a":' * 100_000 + "1" + "}" * 100_000, "[" * 40 + "]" * 40):
            assert_problem(post_raw(client, url, nested), 400)
    assert LedgerEntry.objects.count() == before


@override_settings(RIIK_MAX_JSON_DEPTH=5)
def test_the_depth_limit_is_a_setting(targets: list[tuple[APIClient, str]]) -> None:
    client, url = targets[0]
    body = assert_problem(post_raw(client, url, '{"a": [[[[[1]]]]]}'), 400)
    assert "nested" in body["detail"]


def test_an_oversize_body_is_a_413(targets: list[tuple[APIClient, str]]) -> None:
    before = LedgerEntry.objects.count()
    big = '{"name": "' + "x" * 2_700_000 + '"}'
    for client, url in targets:
        assert_problem(post_raw(client, url, big), 413)
        # Also when the Idempotency-Key middleware is the first to read the body.
        response = client.generic(
            "POST", url, big, content_type="application/json", HTTP_IDEMPOTENCY_KEY="big"
        )
        assert_problem(response, 413)
    assert LedgerEntry.objects.count() == before


@override_settings(RIIK_MAX_REQUEST_BYTES=1000)
def test_the_size_limit_is_a_setting(targets: list[tuple[APIClient, str]]) -> None:
    client, url = targets[1]
    assert_problem(post_raw(client, url, '{"name": "' + "x" * 1000 + '"}'), 413)


@pytest.mark.parametrize(
    "body",
    [
        '{"kind": "\\ud800"}',
        '{"legal_form": "\\udfff", "name": "x"}',
        '{"first_name": ["\\ud800"]}',
        '{"\\ud800": 1}',
        '{"room": "Room \\ud83d", "starts_at": "2030-01-01T10:00:00+02:00"}',
    ],
)
def test_a_lone_surrogate_anywhere_is_a_400(
    targets: list[tuple[APIClient, str]], body: str
) -> None:
    before = LedgerEntry.objects.count()
    for client, url in targets:
        problem = assert_problem(post_raw(client, url, body), 400)
        assert "surrogate" in problem["detail"]
    assert LedgerEntry.objects.count() == before


def test_a_proper_surrogate_pair_is_still_a_character(targets: list[tuple[APIClient, str]]) -> None:
    client, url = targets[0]
    # An emoji written as an escaped pair is one valid character: the registry
    # judges the data (here: a 400 about the personal code), not the parser.
    body = '{"personal_code": "1", "first_name": "\\ud83d\\ude00", "last_name": "Karu"}'
    problem = assert_problem(post_raw(client, url, body), 400)
    assert "surrogate" not in problem["detail"]


@pytest.mark.parametrize(
    "starts_at",
    ["0001-01-01", "0001-01-01T00:00:00", "0001-01-01T00:00:00+02:00", "9999-12-31T23:59:59-05:00"],
)
def test_a_hearing_dated_at_the_ends_of_the_calendar_is_a_400(starts_at: str) -> None:
    case = court.open_case()
    client = identity.token_client(case.judge)
    before = LedgerEntry.objects.count()
    url = f"/api/v1/court/cases/{case.number}/hearings/"
    problem = assert_problem(
        client.post(url, {"starts_at": starts_at, "room": "R1"}, format="json"), 400
    )
    assert "starts_at" in problem["errors"]
    assert LedgerEntry.objects.count() == before


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_dates_at_the_ends_of_the_calendar_are_refused_in_queries_and_other_registries(
    day: str,
) -> None:
    assert_problem(APIClient().get("/api/v1/court/hearings/", {"date": day}), 400)
    registrar = identity.token_client(identity.official("identity", "registrar"))
    code = identity.person()
    response = registrar.post(
        f"/api/v1/identity/persons/{code}/death/", {"died_on": day}, format="json"
    )
    problem = assert_problem(response, 400)
    assert "died_on" in problem["errors"]
