"""API list pages say whether their ``count`` is PostgreSQL's estimate or a count."""

from __future__ import annotations

import uuid
from datetime import date
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from rest_framework.test import APIClient

from registries.business.models import CompanyRecord
from registries.common.counting import EstimatedCountPaginator

COMMITTED_SCHEMA = Path(settings.BASE_DIR) / "docs" / "openapi.yaml"
COMPANIES = "/api/v1/business/companies/"


@pytest.fixture(autouse=True)
def _no_throttle_history() -> None:
    cache.clear()


@pytest.fixture
def thirty_companies() -> None:
    """Thirty companies' read-model rows (the list reads only these), with the
    estimate's threshold lowered below them so the table counts as large."""
    CompanyRecord.objects.bulk_create(
        CompanyRecord(
            registry_code=f"{10_000_000 + n}",
            aggregate_id=uuid.uuid4(),
            name=f"Firma {n:02} OÜ",
            legal_form="OÜ",
            share_capital_cents=250_000,
            address="Tallinn",
            registered_on=date(2024, 1, 1),
            version=1,
        )
        for n in range(30)
    )


@pytest.fixture
def large_from_five(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(EstimatedCountPaginator, "exact_up_to", 5)


@pytest.mark.postgres
@pytest.mark.django_db
@pytest.mark.usefixtures("thirty_companies", "large_from_five")
def test_a_whole_large_table_announces_that_its_count_is_an_estimate() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (DATABASE_URL)")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE business_companyrecord")
    # The planner now believes 30 rows; 5 more it has not seen make the estimate stale.
    CompanyRecord.objects.filter(registry_code__gte="10000025").delete()

    page = APIClient().get(COMPANIES).json()

    assert list(page)[:2] == ["count", "count_is_estimate"]
    assert page["count_is_estimate"] is True
    assert page["count"] == 30  # the estimate, not the 25 rows there are


@pytest.mark.django_db
@pytest.mark.usefixtures("thirty_companies", "large_from_five")
def test_a_filtered_list_of_a_large_table_is_counted_and_flagged_exact() -> None:
    page = APIClient().get(COMPANIES, {"q": "Firma 1"}).json()

    assert page["count"] == 10  # Firma 10 .. Firma 19
    assert page["count_is_estimate"] is False


@pytest.mark.django_db
@pytest.mark.usefixtures("thirty_companies", "large_from_five")
def test_a_whole_table_on_sqlite_or_below_the_threshold_on_postgresql_is_exact(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if connection.vendor == "postgresql":
        # PostgreSQL estimates only above the threshold; here the table is below it.
        monkeypatch.setattr(EstimatedCountPaginator, "exact_up_to", 100)
    page = APIClient().get(COMPANIES).json()

    assert page["count"] == 30
    assert page["count_is_estimate"] is False


def test_the_schema_documents_the_flag_as_required_on_every_numbered_page() -> None:
    # The committed schema is the generated one (tests/config/test_openapi.py).
    schema = yaml.safe_load(COMMITTED_SCHEMA.read_text())
    numbered = {
        name: body
        for name, body in schema["components"]["schemas"].items()
        if name.startswith("Paginated") and "count" in body["properties"]
    }
    assert numbered  # the check covers real pages, not none
    for name, body in numbered.items():
        assert body["properties"]["count_is_estimate"]["type"] == "boolean", name
        assert "count_is_estimate" in body["required"], name
