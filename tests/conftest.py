"""Fixtures shared by the whole suite.

Tests that write through a registry application use ``event_store``: the
event store writes through its own connections, so those tests run on a
committed (transactional) database, and the event tables, which Django does
not know about, are emptied around each test.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.contrib.contenttypes.management import create_contenttypes
from django.core.management.color import Style
from django.core.management.commands import flush as flush_command
from django.db import connections
from django.db.backends.postgresql.operations import DatabaseOperations as PostgresOperations
from django.db.models.signals import post_migrate

from chain.ledger.databases import by_database, is_split
from chain.ledger.sqlite import events_table
from registries.common.application import stop_all

# Commands charge no state fees in the tests, except in those of the fees
# themselves (override_settings): most tests register companies and transfer
# land without wallets. Subprocesses read it from the environment.
os.environ["RIIK_CHARGE_STATE_FEES"] = "false"
settings.RIIK_CHARGE_STATE_FEES = False

_truncate_flush = PostgresOperations.sql_flush


def _delete_flush(
    self: PostgresOperations,
    style: Style,
    tables: list[str],
    *,
    reset_sequences: bool = False,
    allow_cascade: bool = False,
) -> list[str]:
    """Empty tables between transactional tests with DELETE rather than TRUNCATE.

    TRUNCATE gives every table and index a new file and waits for an
    exclusive lock: on a busy machine that made each test's teardown take
    seconds. The test tables hold a handful of rows, and Django's foreign
    keys are deferred, so plain DELETEs in one transaction are enough.
    """
    if reset_sequences:
        return _truncate_flush(
            self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade
        )
    return [f"DELETE FROM {style.SQL_FIELD(self.quote_name(table))};" for table in tables]


PostgresOperations.sql_flush = _delete_flush  # type: ignore[method-assign,assignment]

# Content types and permissions are made once by ``migrate`` and never change
# in a test: keep them through the flush after each transactional test, and
# do not let that flush's post_migrate signal check them all again (it cost a
# third of a second per test on PostgreSQL).
STATIC_TABLES = frozenset({"django_content_type", "auth_permission"})


def _flush_sql(
    style: Style, connection: Any, reset_sequences: bool = True, allow_cascade: bool = False
) -> list[str]:
    tables = [
        table
        for table in connection.introspection.django_table_names(
            only_existing=True, include_views=False
        )
        if table not in STATIC_TABLES
    ]
    statements: list[str] = connection.ops.sql_flush(
        style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade
    )
    return statements


flush_command.sql_flush = _flush_sql  # type: ignore[attr-defined]


def _empty_event_tables() -> None:
    # Each registry's events are in its own database when it has one (ADR 0069).
    for alias, registries in by_database(settings.RIIK_REGISTRIES).items():
        connection = connections[alias]
        existing = set(connection.introspection.table_names())
        with connection.cursor() as cursor:
            for registry in registries:
                table = events_table(registry)
                if table in existing:
                    cursor.execute(f"DELETE FROM {connection.ops.quote_name(table)}")


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None) -> Iterator[None]:
    """The test database, migrated once; flushes then leave the static tables alone.

    Pure tests never request it, so they run without creating a database.
    """
    post_migrate.disconnect(dispatch_uid="django.contrib.auth.management.create_permissions")
    post_migrate.disconnect(create_contenttypes)
    yield
    # Pools must be closed before the test database is dropped.
    stop_all()


DATABASE_FIXTURES = frozenset(
    {"db", "transactional_db", "django_db_setup", "live_server", "client", "admin_client"}
)
"""Fixtures that need the test database: a test using one is marked ``database``."""


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that needs the database, so ``make test-fast`` can leave them out.

    With registries in databases of their own (``DATABASE_URL_<REGISTRY>``) a
    test may touch any of them: it is given every database unless it names some.

    For ``make test``'s parallel workers (``--dist loadgroup``) each module is
    one unit of work, so a module's fixtures (the documents' demo instance on
    its fixed address) are set up once; the broker tests form one unit, so
    that no two clusters of worker processes compete for the two cores at
    once. (tryfirst: pytest-xdist reads the groups in its own hook.)
    """
    for item in items:
        group = "broker" if item.get_closest_marker("broker") else item.nodeid.split("::")[0]
        item.add_marker(pytest.mark.xdist_group(group))
        marker = item.get_closest_marker("django_db")
        needs_db = marker is not None or bool(
            DATABASE_FIXTURES.intersection(getattr(item, "fixturenames", ()))
        )
        if needs_db:
            item.add_marker(pytest.mark.database)
            if is_split() and (marker is None or "databases" not in marker.kwargs):
                args, kwargs = (marker.args, marker.kwargs) if marker else ((), {})
                every = pytest.mark.django_db(*args, **kwargs, databases="__all__")
                item.add_marker(every, append=False)


@pytest.fixture
def event_store(transactional_db: None) -> Iterator[None]:
    """A clean event store and ledger on a committed database."""
    _empty_event_tables()
    yield
    stop_all()
    _empty_event_tables()
