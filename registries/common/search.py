"""Searches that stay fast at a country's size: exact codes apart, names by trigram index.

A search for a whole code is an exact lookup in the code's unique index; only
other text is matched inside names. On PostgreSQL that match
(``UPPER(name) LIKE UPPER('%text%')``, Django's ``icontains``) is served by a
pg_trgm GIN index on ``UPPER(name)``, made by :func:`trigram_index`; SQLite
has no such index and scans, which is fine at its sizes.
"""

from __future__ import annotations

import re

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

REGISTRY_CODE = re.compile(r"^[0-9]{8}$")
PERSONAL_CODE = re.compile(r"^[0-9]{11}$")


def trigram_index(table: str, column: str) -> migrations.RunPython:
    """A migration step adding a pg_trgm GIN index on ``UPPER(column)`` (nothing on SQLite)."""
    name = f"{table}_{column}_trgm"[:63]

    def forwards(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" '
            f'USING gin (UPPER("{column}") gin_trgm_ops)'
        )

    def backwards(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')

    return migrations.RunPython(forwards, backwards, elidable=False)
