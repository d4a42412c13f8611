"""Fixtures shared by the whole suite.

Tests that write through a registry application use ``event_store``: the
event store writes through its own connections, so those tests run on a
committed (transactional) database, and the event tables, which Django does
not know about, are emptied around each test.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.conf import settings
from django.db import connection

from chain.ledger.sqlite import events_table
from registries.common.application import stop_all


def _empty_event_tables() -> None:
    existing = set(connection.introspection.table_names())
    with connection.cursor() as cursor:
        for registry in settings.RIIK_REGISTRIES:
            table = events_table(registry)
            if table in existing:
                cursor.execute(f"DELETE FROM {connection.ops.quote_name(table)}")


@pytest.fixture(scope="session", autouse=True)
def _close_event_store_at_end(django_db_setup: None) -> Iterator[None]:
    # Pools must be closed before the test database is dropped.
    yield
    stop_all()


@pytest.fixture
def event_store(transactional_db: None) -> Iterator[None]:
    """A clean event store and ledger on a committed database."""
    _empty_event_tables()
    yield
    stop_all()
    _empty_event_tables()
