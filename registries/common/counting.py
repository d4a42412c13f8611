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
or empty, never an error.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django.core.paginator import Paginator
from django.db import connections
from django.db.models import QuerySet


def whole_table_count(queryset: QuerySet[Any], exact_up_to: int) -> int | None:
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
    rows = f"CASE WHEN reltuples > %s THEN reltuples::bigint ELSE ({count})"
    statement = f"SELECT {rows} END FROM pg_class WHERE oid = to_regclass(%s)"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(statement, [exact_up_to, table])
        row = cursor.fetchone()
    return int(row[0]) if row else None


class EstimatedCountPaginator(Paginator):  # type: ignore[type-arg]
    """Django's paginator, counting a large unfiltered table by PostgreSQL's estimate."""

    # Below this an exact count costs a few milliseconds and is kept.
    exact_up_to = 100_000

    @cached_property
    def count(self) -> int:
        """The number of rows: estimated for a whole large table, else counted."""
        if isinstance(self.object_list, QuerySet):
            rows = whole_table_count(self.object_list, self.exact_up_to)
            if rows is not None:
                return rows
        return int(super().count)
