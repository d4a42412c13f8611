"""Issue 14: direction overrides and zero-width characters are refused in names
and titles (one shared validator): ``"Mari\\u202eksaT"`` shows as another name."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from chain.ledger.models import LedgerEntry
from tests.registries.court import helpers as court
from tests.registries.identity import helpers as identity

pytestmark = pytest.mark.usefixtures("event_store")

HIDDEN = [
    *(chr(code) for code in range(0x202A, 0x202F)),
    *(chr(code) for code in range(0x2066, 0x206A)),
    "\u200b",
    "\u200c",
    "\u200d",
    "\ufeff",
]


@pytest.fixture(autouse=True)
def _no_throttle_history() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


def official(registry: str, role: str = "registrar") -> APIClient:
    return identity.token_client(identity.official(registry, role))


def commands(text: str) -> list[tuple[APIClient, str, dict[str, Any], str]]:
    """(caller, url, body, the field holding ``text``): a name or title in each registry."""
    person = identity.person()
    judge = court.judge()
    return [
        (
            official("identity"),
            "/api/v1/identity/persons/",
            {"personal_code": identity.new_code(), "first_name": text, "last_name": "Karu"},
            "first_name",
        ),
        (
            official("identity"),
            f"/api/v1/identity/persons/{person}/name/",
            {"first_name": "Mari", "last_name": text},
            "last_name",
        ),
        (
            official("identity"),
            "/api/v1/identity/organisations/",
            {"registry_code": "70000001", "name": text, "kind": "hospital"},
            "name",
        ),
        (
            official("business"),
            "/api/v1/business/companies/",
            {
                "name": f"{text} OÜ",
                "legal_form": "OÜ",
                "share_capital_cents": 250_000,
                "founders": [person],
                "board": [person],
                "address": "Narva mnt 7, 10117 Tallinn",
            },
            "name",
        ),
        (
            identity.token_client(judge),
            "/api/v1/court/cases/",
            {"kind": "civil", "court_code": court.court(), "title": text},
            "title",
        ),
    ]


@pytest.mark.parametrize("hidden", HIDDEN, ids=lambda c: f"U+{ord(c):04X}")
def test_a_hidden_character_in_a_name_or_title_is_a_400_naming_it(hidden: str) -> None:
    attempts = commands(f"Mari{hidden}Tamm")
    before = LedgerEntry.objects.count()
    for client, url, body, field in attempts:
        response = client.post(url, body, format="json")
        assert response.status_code == 400, (url, response.content)
        errors = response.json()["errors"]
        assert field in errors, (url, errors)
        assert f"U+{ord(hidden):04X}" in errors[field][0]
    assert LedgerEntry.objects.count() == before


def test_ordinary_names_with_letters_of_any_script_pass() -> None:
    client, url, body, _ = commands("Jüri-Õnne Šarõ")[0]
    assert client.post(url, body, format="json").status_code == 201
