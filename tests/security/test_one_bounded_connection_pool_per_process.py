"""Issue 14 item 11: every registry of a process shares ONE bounded PostgreSQL pool.

A pool per registry (4 + 8 overflow each) made a gunicorn worker hold 20-30
connections, and four workers exhausted ``max_connections=100``. With
registries in databases of their own (ADR 0069): one bounded pool per database.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.conf import settings
from django.db import connection, connections
from eventsourcing.domain import Aggregate

from registries.common.application import RegistryApplication, running, stop_all
from registries.common.projections import all_applications

pytestmark = [pytest.mark.postgres, pytest.mark.usefixtures("event_store")]


class PoolProbe(Aggregate):
    """A throwaway aggregate: something every registry's event store can save."""


def server_connections(alias: str = "default") -> int:
    """Connections the server has open to this test database, Django's own included."""
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()")
        (count,) = cursor.fetchone()
    return int(count)


def write(app: RegistryApplication) -> None:
    app.save(PoolProbe())


def test_every_registry_writes_through_one_pool_of_the_configured_size() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (DATABASE_URL)")
    # Connections other tests of this session left open (a live server's thread,
    # Django's own) are counted before the registries open their pool.
    stop_all()
    databases = {app_class.database() for app_class in all_applications()}
    before = {alias: server_connections(alias) for alias in databases}
    apps = [running(app_class) for app_class in all_applications()]
    assert len(apps) >= 5
    pools = {id(app.factory.datastore) for app in apps}  # type: ignore[attr-defined]
    assert len(pools) == len(databases)
    # Many writers at once through every registry: the pool grows to its bound, no further.
    with ThreadPoolExecutor(max_workers=24) as writers:
        list(writers.map(write, [app for app in apps for _ in range(12)]))
    bound = settings.RIIK_DB_POOL_SIZE + settings.RIIK_DB_POOL_OVERFLOW
    for alias in databases:
        assert server_connections(alias) - before[alias] <= bound
