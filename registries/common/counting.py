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


def estimated_rows(queryset: QuerySet[Any]) -> int | None:
    """PostgreSQL's estimate of the rows of ``queryset``'s table when ``queryset`` is
    the whole table; None when it is filtered, not on PostgreSQL or never analysed."""
    if queryset.query.where or queryset.query.distinct or queryset.query.combinator:
        return None
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples FROM pg_class WHERE oid = to_regclass(%s)",
            [connection.ops.quote_name(queryset.model._meta.db_table)],
        )
        row = cursor.fetchone()
    # reltuples is -1 (PostgreSQL 14+) or 0 before the first analyze: no estimate yet.
    return int(row[0]) if row and row[0] > 0 else None


class EstimatedCountPaginator(Paginator):  # type: ignore[type-arg]
    """Django's paginator, counting a large unfiltered table by PostgreSQL's estimate."""

    # Below this an exact count costs a few milliseconds and is kept.
    exact_up_to = 100_000

    @cached_property
    def count(self) -> int:
        """The number of rows: estimated for a whole large table, else counted."""
        if isinstance(self.object_list, QuerySet):
            estimate = estimated_rows(self.object_list)
            if estimate is not None and estimate > self.exact_up_to:
                return estimate
        return int(super().count)
