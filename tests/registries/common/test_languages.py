"""Everything a person reads answers in Estonian when asked (Accept-Language: et),
in English otherwise: problem+json from several registries, the admin's
command buttons and the ledger history's event labels."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from rest_framework.test import APIClient

from registries.business.models import CompanyRecord
from registries.business.projections import CompanyProjection
from registries.common.projections import catch_up
from tests.factories import register_company
from tests.registries.identity.helpers import api_token, official, person

pytestmark = pytest.mark.usefixtures("event_store")

BUSINESS = "/api/v1/business/companies/"
CASES = "/api/v1/court/cases/"


def problem(response: Any, status: int, slug: str) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["type"] == f"https://riik.example/problems/{slug}"
    return body


def registrar_client(language: str = "") -> APIClient:
    """A business registrar's API client asking for ``language`` (none: no Accept-Language)."""
    code = official("business", "registrar")
    user = get_user_model().objects.create_user(username=code, password="x" * 20)
    client = APIClient()
    asked = {"HTTP_ACCEPT_LANGUAGE": language} if language else {}
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token(user)}", **asked)
    return client


def test_a_malformed_code_is_explained_in_the_language_asked_for() -> None:
    english = problem(APIClient().get(f"{BUSINESS}10000019/"), 400, "invalid-registry-code")
    assert english["title"] == "Malformed registry code"
    assert english["detail"] == "registry code 10000019: check digit is wrong"
    estonian = problem(
        APIClient(HTTP_ACCEPT_LANGUAGE="et").get(f"{BUSINESS}10000019/"),
        400,
        "invalid-registry-code",
    )
    assert estonian["title"] == "Vigane registrikood"
    assert estonian["detail"] == "registrikood 10000019: kontrollnumber on vale"


def test_not_found_in_the_business_and_court_registers_in_estonian() -> None:
    english = problem(APIClient().get(f"{BUSINESS}10000018/"), 404, "not-found")
    assert (english["title"], english["detail"]) == (
        "Not found",
        "no company with registry code 10000018",
    )
    et = APIClient(HTTP_ACCEPT_LANGUAGE="et")
    estonian = problem(et.get(f"{BUSINESS}10000018/"), 404, "not-found")
    assert (estonian["title"], estonian["detail"]) == (
        "Ei leitud",
        "registrikoodiga 10000018 äriühingut ei ole",
    )
    case = problem(et.get(f"{CASES}2-25-99/"), 404, "not-found")
    assert case["title"] == "Ei leitud"
    assert case["detail"] == "numbriga 2-25-99 kohtuasja ei ole"


def test_an_unknown_founder_is_refused_in_estonian_naming_the_field_and_the_code() -> None:
    founder = person()
    data = {
        "name": "Keelekatse OÜ",
        "legal_form": "OÜ",
        "share_capital_cents": 250_000,
        "founders": [founder, "39001011237"],
        "board": [founder],
        "address": "Tallinn, Lossi plats 1a",
    }
    english = problem(registrar_client().post(BUSINESS, data, format="json"), 400, "unknown-party")
    assert english["title"] == "Unknown person or organisation"
    assert english["detail"] == (
        "founders: no person with personal code 39001011237 in the population register"
    )
    estonian = problem(
        registrar_client("et").post(BUSINESS, data, format="json"),
        400,
        "unknown-party",
    )
    assert estonian["title"] == "Tundmatu isik või asutus"
    assert estonian["detail"] == (
        "founders: isikukoodiga 39001011237 isikut rahvastikuregistris ei ole"
    )
    # The field keeps its API name in every language.
    assert list(estonian["errors"]) == ["founders"]


def test_drf_problems_are_translated_too() -> None:
    english = problem(APIClient().post(BUSINESS, {}, format="json"), 401, "not-authenticated")
    assert english["title"] == "Authentication required"
    estonian = problem(
        APIClient(HTTP_ACCEPT_LANGUAGE="et").post(BUSINESS, {}, format="json"),
        401,
        "not-authenticated",
    )
    assert estonian["title"] == "Autentimine on nõutav"
    assert estonian["detail"] != english["detail"]


def test_the_admin_offers_its_commands_and_names_events_in_estonian() -> None:
    code = register_company()
    catch_up(CompanyProjection)
    record = CompanyRecord.objects.get(registry_code=code)
    user = get_user_model().objects.create_user(
        username=official("business", "registrar"), password="x" * 20, is_staff=True
    )
    client = Client(HTTP_ACCEPT_LANGUAGE="et")
    client.force_login(user)
    html = client.get(f"/admin/business/companyrecord/{record.pk}/change/").content.decode()
    assert "Muuda aadressi" in html
    assert "Esita majandusaasta aruanne" in html
    assert "<td>Äriühing registreeriti</td>" in html
    assert "<td>Registered</td>" in html  # the event's name stays beside its label
    english = Client()
    english.force_login(user)
    html = english.get(f"/admin/business/companyrecord/{record.pk}/change/").content.decode()
    assert "Change address" in html
    assert "<td>Company registered</td>" in html
