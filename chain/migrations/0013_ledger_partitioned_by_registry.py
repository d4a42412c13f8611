"""PostgreSQL: the ledger's large tables partitioned by registry (ADR 0069).

``ledger_entry`` and ``ledger_subtree`` become declaratively LIST-partitioned
on ``registry``: one partition per registry log this database holds
(``ledger_entry_business``, ...) and a default partition for any other (a new
registry, a bench's). Each log's rows and indexes are then a table of their
own: a log's lookups and appends touch only its indexes, which stay as small
as that log, and a registry can later be detached and moved whole.

Works on an existing database: each table is renamed, an identical
partitioned table is created with the same constraint names (a partition key
must be part of every unique constraint, so the primary key of
``ledger_entry`` becomes ``(id, registry)``; ``id`` still comes from its
identity, continued past the copied rows), the rows are copied over, and the
old table is dropped, all in the migration's transaction. A database already
partitioned is left alone; SQLite has no partitioning, so this is a no-op
there. Queries and ``ledger_append()`` address the parent tables and are
unchanged.
"""

from typing import Any

from django.conf import settings
from django.db import migrations

from chain.ledger.databases import by_database

# (table, its primary key after partitioning, other unique constraints).
TABLES = (
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


def _partitioned(cursor: Any, table: str) -> bool:
    cursor.execute(
        "SELECT 1 FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid "
        "WHERE c.relname = %s AND c.relnamespace = current_schema()::regnamespace",
        [table],
    )
    return cursor.fetchone() is not None


def partition(apps: Any, schema_editor: Any) -> None:
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    registries = by_database(settings.RIIK_REGISTRIES).get(connection.alias, [])
    with connection.cursor() as cursor:
        for table, primary_key, uniques in TABLES:
            if _partitioned(cursor, table):
                continue
            old = f"{table}_unpartitioned"
            cursor.execute(f"ALTER TABLE {table} RENAME TO {old}")
            for name in [f"{table}_pkey", *(name for name, _ in uniques)]:
                cursor.execute(f"ALTER TABLE {old} RENAME CONSTRAINT {name} TO {name}_old")
            cursor.execute(
                f"CREATE TABLE {table} (LIKE {old} INCLUDING DEFAULTS INCLUDING IDENTITY) "
                "PARTITION BY LIST (registry)"
            )
            cursor.execute(
                f"ALTER TABLE {table} ADD CONSTRAINT {table}_pkey PRIMARY KEY {primary_key}"
            )
            for name, columns in uniques:
                cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {name} UNIQUE {columns}")
            for registry in registries:
                cursor.execute(
                    f"CREATE TABLE {table}_{registry} PARTITION OF {table} FOR VALUES IN (%s)",
                    [registry],
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


class Migration(migrations.Migration):
    dependencies = [
        ("chain", "0012_replica_subtrees"),
    ]

    # Backwards leaves the partitioned tables: they answer every query as the
    # plain ones did.
    operations = [migrations.RunPython(partition, migrations.RunPython.noop)]
