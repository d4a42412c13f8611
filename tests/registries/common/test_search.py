"""A whole registry code is looked up in its index; other text is matched in names."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from registries.business.models import CompanyRecord

pytestmark = pytest.mark.usefixtures("event_store")


def test_a_registry_code_search_finds_the_company_without_matching_names() -> None:
    call_command(
        "demo",
        persons=8,
        companies=3,
        units=0,
        cases=0,
        patients=0,
        wallets=0,
        seed=5,
        stdout=io.StringIO(),
    )
    record = CompanyRecord.objects.order_by("registry_code").first()
    assert record is not None
    with CaptureQueriesContext(connection) as captured:
        response = Client().get("/api/v1/business/companies/", {"q": record.registry_code})
    assert [c["registry_code"] for c in response.json()["results"]] == [record.registry_code]
    searches = [q["sql"] for q in captured if "business_companyrecord" in q["sql"]]
    assert searches
    assert not any("LIKE" in sql or "REGEXP" in sql for sql in searches)
    word = record.name.split()[0].lower()
    found = Client().get("/api/v1/business/companies/", {"q": word}).json()["results"]
    assert record.registry_code in [c["registry_code"] for c in found]
