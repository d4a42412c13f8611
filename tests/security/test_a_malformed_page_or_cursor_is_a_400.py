"""Issue 14: a ``page`` or ``cursor`` query parameter of the wrong type is a 400
problem on every list of every registry and of the chain (one shared rule),
while a well-formed page past the end stays a 404."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from tests.registries.access.citizens import citizen, signed_in
from tests.registries.identity import helpers as identity

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"
PAGED_LISTS = [
    "/api/v1/identity/organisations/",
    "/api/v1/business/companies/",
    "/api/v1/property/land-units/",
    "/api/v1/court/cases/",
    "/api/v1/court/hearings/",
    "/api/v1/health/emergency-accesses/",
    "/api/v1/tracker/covert-reads/",
    "/api/v1/me/data-tracker/",
]
CURSOR_FEEDS = [
    "/api/v1/chain/blocks/",
    "/api/v1/chain/evidence/",
    "/api/v1/chain/membership/",
    "/api/v1/me/companies/",
    "/api/v1/me/properties/",
    "/api/v1/me/court-cases/",
]


@pytest.fixture(autouse=True)
def _no_throttle_history() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def superuser() -> APIClient:
    """A caller every list lets in (so the refusal is about the page, not the caller)."""
    return identity.token_client("root", superuser=True)


def assert_problem(response: Any, status: int, field: str | None = None) -> None:
    assert response.status_code == status, (response.status_code, response.content[:300])
    assert response["Content-Type"] == PROBLEM
    if field is not None:
        assert field in response.json()["errors"], response.json()


def client_for(url: str, superuser: APIClient) -> APIClient:
    if url.startswith("/api/v1/me/"):
        code, key = citizen()
        return signed_in(code, key)
    if url.startswith("/api/v1/health/"):
        return identity.token_client(identity.official("health", "registrar"))
    if url.startswith("/api/v1/tracker/"):
        return identity.token_client(identity.official("court", "judge"))
    return superuser


@pytest.mark.usefixtures("event_store")
@pytest.mark.parametrize("url", PAGED_LISTS)
@pytest.mark.parametrize("page", ["abc", "1.5", "-1", "0", "1e3", "99999999999999999999"])
def test_a_page_that_is_no_whole_number_from_1_is_a_400(
    url: str, page: str, superuser: APIClient
) -> None:
    assert_problem(client_for(url, superuser).get(url, {"page": page}), 400, "page")


@pytest.mark.usefixtures("event_store")
@pytest.mark.parametrize("url", PAGED_LISTS)
def test_a_page_past_the_end_is_still_a_404(url: str, superuser: APIClient) -> None:
    client = client_for(url, superuser)
    assert client.get(url, {"page": "1"}).status_code == 200
    assert_problem(client.get(url, {"page": "1000"}), 404)


@pytest.mark.usefixtures("event_store")
@pytest.mark.parametrize("url", CURSOR_FEEDS)
@pytest.mark.parametrize("cursor", ["garbage", "1", "bz1hYmM=", "bz0tMQ=="])
def test_a_malformed_cursor_is_a_400(url: str, cursor: str, superuser: APIClient) -> None:
    assert_problem(client_for(url, superuser).get(url, {"cursor": cursor}), 400, "cursor")
