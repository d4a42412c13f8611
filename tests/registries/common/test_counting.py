"""Page counts: a whole large table by PostgreSQL's estimate, anything filtered exactly."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from registries.common.counting import EstimatedCountPaginator

pytestmark = pytest.mark.django_db


class SmallTables(EstimatedCountPaginator):
    """The paginator with its threshold lowered to a test's few rows."""

    exact_up_to = 5


def users(count: int) -> None:
    get_user_model().objects.bulk_create(
        get_user_model()(username=f"counted-{n}") for n in range(count)
    )


def counted(paginator: EstimatedCountPaginator) -> tuple[int, list[str]]:
    with CaptureQueriesContext(connection) as captured:
        count = paginator.count
    return count, [query["sql"] for query in captured]


@pytest.mark.postgres
def test_a_whole_large_table_is_counted_by_the_planners_estimate_not_by_reading_it() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (DATABASE_URL)")
    users(30)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE auth_user")
    everyone = get_user_model().objects.order_by("id")
    paginator = SmallTables(everyone, 10)
    count, queries = counted(paginator)
    assert count == 30  # the estimate, exact after ANALYZE of an unchanged table
    assert paginator.count_is_estimate
    assert len(queries) == 1
    assert "reltuples" in queries[0]


@pytest.mark.postgres
def test_a_whole_small_table_is_counted_exactly_in_one_query() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (DATABASE_URL)")
    users(3)
    paginator = EstimatedCountPaginator(get_user_model().objects.order_by("id"), 10)
    count, queries = counted(paginator)
    assert count == 3
    assert not paginator.count_is_estimate
    assert len(queries) == 1


def test_a_filtered_list_is_counted_exactly() -> None:
    users(30)
    some = get_user_model().objects.filter(username__endswith="7").order_by("id")
    paginator = SmallTables(some, 10)
    count, queries = counted(paginator)
    assert count == 3  # counted-7, -17, -27
    assert not paginator.count_is_estimate
    assert any("COUNT(" in sql.upper() for sql in queries)


def test_an_admin_search_counts_its_matches_once_not_the_whole_table_again() -> None:
    root = get_user_model().objects.create_superuser("count-root", password="x" * 20)
    staff = Client()
    staff.force_login(root)
    with CaptureQueriesContext(connection) as captured:
        response = staff.get("/admin/identity/personrecord/", {"q": "Tamm"})
    assert response.status_code == 200
    counts = [q["sql"] for q in captured if "COUNT(" in q["sql"].upper()]
    persons = [sql for sql in counts if "identity_personrecord" in sql]
    assert len(persons) == 1
    assert "LIKE" in persons[0].upper() or "REGEXP" in persons[0].upper()


@pytest.mark.postgres
def test_an_admin_list_of_a_whole_large_table_says_its_count_is_an_estimate(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (DATABASE_URL)")
    root = get_user_model().objects.create_superuser("count-root", password="x" * 20)
    staff = Client()
    staff.force_login(root)
    people = "/admin/identity/personrecord/"
    exact = staff.get(people).content.decode()
    assert 'id="count-is-estimate"' not in exact
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE identity_personrecord")  # reltuples: 0, no longer -1
    # Any analysed table counts as large: its estimate (0 rows) is shown, and flagged.
    monkeypatch.setattr(EstimatedCountPaginator, "exact_up_to", -1)
    estimated = staff.get(people).content.decode()
    assert 'id="count-is-estimate"' in estimated
    searched = staff.get(people, {"q": "Tamm"}).content.decode()
    assert 'id="count-is-estimate"' not in searched
