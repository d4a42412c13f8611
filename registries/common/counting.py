"""Page counts that stay cheap at a country's size.

A paginated list needs its number of rows. For a whole table PostgreSQL has
no stored count: ``COUNT(*)`` reads every row, 0.4-0.6 s for 1.3 M persons on
the 2-core bench machine (bench/README.md, "The national dataset"), on every
page of the admin's person list and the API's lists. For a whole table with
more than :attr:`EstimatedCountPaginator.exact_up_to` rows, the planner's
estimate (``pg_class.reltuples``, kept by autovacuum's analyze) is used
instead, in about a millisecond; a filtered list (a search, a filter) is
still counted exactly, and so is every list on SQLite or on a table never
analysed. The estimate is close, not exact: the last page may come out short
or empty, never an error. The paginator says which it gave
(:attr:`EstimatedCountPaginator.count_is_estimate`), so the API can tell its
clients (``count_is_estimate`` beside ``count``).
"""

from __future__ import annotations

from functools import cached_property
from typing import Any, NamedTuple

from django.core.paginator import Paginator
from django.db import connections
from django.db.models import QuerySet


class TableCount(NamedTuple):
    """A whole table's number of rows, and whether it is the planner's estimate."""

    rows: int
    estimated: bool


def whole_table_count(queryset: QuerySet[Any], exact_up_to: int) -> TableCount | None:
    """The rows of ``queryset``'s table when ``queryset`` is the whole table, on PostgreSQL:
    the planner's estimate above ``exact_up_to``, else counted; None otherwise.

    One query either way: the count is a subquery that PostgreSQL runs only when
    the CASE reaches it (reltuples is -1 or 0 before the first analyze: counted).
    """
    if queryset.query.where or queryset.query.distinct or queryset.query.combinator:
        return None
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return None
    table = connection.ops.quote_name(queryset.model._meta.db_table)
    # The table's name is the model's, quoted: no input reaches the statement.
    count = f"SELECT COUNT(*) FROM {table}"  # noqa: S608
    rows = f"CASE WHEN reltuples > %s THEN reltuples::bigint ELSE ({count}) END"
    statement = f"SELECT {rows}, reltuples > %s FROM pg_class WHERE oid = to_regclass(%s)"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(statement, [exact_up_to, exact_up_to, table])
        row = cursor.fetchone()
    return TableCount(int(row[0]), bool(row[1])) if row else None


class EstimatedCountPaginator(Paginator):  # type: ignore[type-arg]
    """Django's paginator, counting a large unfiltered table by PostgreSQL's estimate."""

    # Below this an exact count costs a few milliseconds and is kept.
    exact_up_to = 100_000

    @cached_property
    def table_count(self) -> TableCount:
        """The number of rows and whether it is estimated (a whole large table) or counted."""
        if isinstance(self.object_list, QuerySet):
            whole = whole_table_count(self.object_list, self.exact_up_to)
            if whole is not None:
                return whole
        return TableCount(int(super().count), estimated=False)

    @property
    def count(self) -> int:
        """The number of rows: estimated for a whole large table, else counted."""
        return self.table_count.rows

    @property
    def count_is_estimate(self) -> bool:
        """Whether :attr:`count` is PostgreSQL's estimate rather than a count."""
        return self.table_count.estimated
