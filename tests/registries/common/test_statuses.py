"""List pages cost the same number of queries however many rows they show.

A small country is seeded through the registries' commands; each public API
list and each admin change list is read with a page of one row and with a
page of several, and both must take the same number of queries (the rows'
ledger statuses, people and owners come in one query for the page).
"""

from __future__ import annotations

import io

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from registries.business.models import CompanyRecord
from registries.common.api.pagination import PageNumberPagination
from registries.court.models import CaseRecord
from registries.health.models import PatientRecord
from registries.identity.models import AppointmentRecord, OrganisationRecord, PersonRecord
from registries.property.models import LandUnitRecord

pytestmark = pytest.mark.usefixtures("event_store")

API_LISTS = [
    "/api/v1/business/companies/",
    "/api/v1/identity/organisations/",
    "/api/v1/property/land-units/",
    "/api/v1/court/cases/",
]
ADMIN_LISTS = [
    CompanyRecord,
    OrganisationRecord,
    PersonRecord,
    AppointmentRecord,
    LandUnitRecord,
    CaseRecord,
    PatientRecord,
]
ROWS = 4


def queries(client: Client, url: str) -> int:
    """How many queries reading ``url`` takes."""
    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    return len(captured)


@pytest.fixture
def country(event_store: None) -> None:
    """A few records of every registry, sealed into blocks."""
    call_command(
        "demo",
        persons=8,
        companies=ROWS,
        units=ROWS,
        cases=ROWS,
        patients=ROWS,
        wallets=0,
        seed=7,
        stdout=io.StringIO(),
    )


@pytest.mark.usefixtures("country")
def test_each_api_list_takes_as_many_queries_for_one_row_as_for_a_page(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client = Client()
    for url in API_LISTS:
        monkeypatch.setattr(PageNumberPagination, "page_size", 1)
        assert len(client.get(url).json()["results"]) == 1
        one = queries(client, url)
        monkeypatch.setattr(PageNumberPagination, "page_size", ROWS)
        response = client.get(url)
        assert response.status_code == 200
        assert len(response.json()["results"]) == ROWS, url
        assert queries(client, url) == one, url


@pytest.mark.usefixtures("country")
def test_each_admin_change_list_takes_as_many_queries_for_one_row_as_for_a_page(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    user = get_user_model().objects.create_superuser("root", password="x" * 20)
    client = Client()
    client.force_login(user)
    for model in ADMIN_LISTS:
        url = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        model_admin = admin.site._registry[model]
        monkeypatch.setattr(model_admin, "list_per_page", 1)
        assert client.get(url).status_code == 200
        one = queries(client, url)
        monkeypatch.setattr(model_admin, "list_per_page", ROWS)
        response = client.get(url)
        assert response.status_code == 200
        assert len(response.context["cl"].result_list) == ROWS, url
        assert queries(client, url) == one, url
