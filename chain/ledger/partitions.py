"""PostgreSQL: the ledger's large tables partitioned by registry (ADR 0069).

``ledger_entry`` and ``ledger_subtree`` are declaratively LIST-partitioned
on ``registry``: one partition per registry log the database holds
(``ledger_entry_business``, ...) and a default partition for any other (a new
registry, a bench's). Each log's rows and indexes are then tables of their
own, as large as that log and no larger, and a registry can later be
detached and moved whole (docs/guide-operator.md).

:func:`partition_ledger` converts existing tables in place (migration
``chain.0013``, and ``bench.partitions`` for its before/after): each table is
renamed, an identical partitioned table is created with the same constraint
names, the rows are copied over and the old table dropped, in the caller's
transaction. A partition key must be part of every unique constraint, so the
primary key of ``ledger_entry`` becomes ``(id, registry)``; ``id`` still
comes from its identity, continued past the copied rows. Tables already
partitioned are left alone. Queries and ``ledger_append()`` name the parent
tables and are unchanged. Plain DB-API: no Django.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

REGISTRY_NAME = re.compile(r"[a-z][a-z0-9_]{0,31}")

# (table, its primary key once partitioned, its other unique constraints).
TABLES: tuple[tuple[str, str, tuple[tuple[str, str], ...]], ...] = (
    (
        "ledger_entry",
        "(id, registry)",
        (
            ("ledger_entry_seq", "(registry, seq)"),
            ("ledger_entry_event", "(registry, originator_id, originator_version)"),
        ),
    ),
    ("ledger_subtree", "(registry, level, idx)", ()),
)


def is_partitioned(cursor: Any, table: str) -> bool:
    """True when ``table`` (in the current schema) is a partitioned table."""
    cursor.execute(
        "SELECT 1 FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid "
        "WHERE c.relname = %s AND c.relnamespace = current_schema()::regnamespace",
        [table],
    )
    return cursor.fetchone() is not None


def partition_ledger(cursor: Any, registries: Iterable[str]) -> None:
    """Partition the ledger tables by registry, a partition for each of ``registries``.

    Registry names are the project's own (``settings.RIIK_REGISTRIES``), never
    input: they become table names.
    """
    names = sorted(set(registries))
    for registry in names:
        # A DDL statement takes no parameters: the name goes in as a literal.
        if not REGISTRY_NAME.fullmatch(registry):
            msg = f"not a registry name: {registry!r}"
            raise ValueError(msg)
    for table, primary_key, uniques in TABLES:
        if is_partitioned(cursor, table):
            continue
        old = f"{table}_unpartitioned"
        cursor.execute(f"ALTER TABLE {table} RENAME TO {old}")
        for name in [f"{table}_pkey", *(name for name, _ in uniques)]:
            cursor.execute(f"ALTER TABLE {old} RENAME CONSTRAINT {name} TO {name}_old")
        cursor.execute(
            f"CREATE TABLE {table} (LIKE {old} INCLUDING DEFAULTS INCLUDING IDENTITY) "
            "PARTITION BY LIST (registry)"
        )
        cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {table}_pkey PRIMARY KEY {primary_key}")
        for name, columns in uniques:
            cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {name} UNIQUE {columns}")
        for registry in names:
            cursor.execute(
                f"CREATE TABLE {table}_{registry} PARTITION OF {table} FOR VALUES IN ('{registry}')"
            )
        cursor.execute(f"CREATE TABLE {table}_other PARTITION OF {table} DEFAULT")
        # Both names are this module's constants.
        cursor.execute(f"INSERT INTO {table} SELECT * FROM {old}")  # noqa: S608
        if table == "ledger_entry":
            # The identity continues after the copied ids.
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence('ledger_entry', 'id'), "
                "coalesce(max(id), 0) + 1, false) FROM ledger_entry"
            )
        cursor.execute(f"DROP TABLE {old}")
