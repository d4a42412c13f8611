"""Issue 14 item 11: every registry of a process shares ONE bounded PostgreSQL pool.

A pool per registry (4 + 8 overflow each) made a gunicorn worker hold 20-30
connections, and four workers exhausted ``max_connections=100``.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.conf import settings
from django.db import connection
from eventsourcing.domain import Aggregate

from registries.common.application import RegistryApplication, running, stop_all
from registries.common.projections import all_applications

pytestmark = [pytest.mark.postgres, pytest.mark.usefixtures("event_store")]


class PoolProbe(Aggregate):
    """A throwaway aggregate: something every registry's event store can save."""


def server_connections() -> int:
    """Connections the server has open to this test database, Django's own included."""
    with connection.cursor() as cursor:
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
    before = server_connections()
    apps = [running(app_class) for app_class in all_applications()]
    assert len(apps) >= 5
    assert len({id(app.factory.datastore) for app in apps}) == 1  # type: ignore[attr-defined]
    # Many writers at once through every registry: the pool grows to its bound, no further.
    with ThreadPoolExecutor(max_workers=24) as writers:
        list(writers.map(write, [app for app in apps for _ in range(12)]))
    bound = settings.RIIK_DB_POOL_SIZE + settings.RIIK_DB_POOL_OVERFLOW
    assert server_connections() - before <= bound
