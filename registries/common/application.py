"""The base of every registry's eventsourcing application."""

from __future__ import annotations

import os
import threading
from datetime import date
from typing import TypeVar
from uuid import UUID

from django.db import connections
from eventsourcing.application import Application
from eventsourcing.persistence import IntegrityError as EventStoreConflict
from eventsourcing.persistence import JSONTranscoder, Transcoding

from chain.ledger.persistence import event_store_env

__all__ = ["EventStoreConflict", "RegistryApplication", "running", "stop_all"]


class DateAsISO(Transcoding):
    """Calendar dates in events, written as ``YYYY-MM-DD``."""

    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


class RegistryApplication(Application[UUID]):
    """An eventsourcing application whose saves also append to the registry's ledger.

    ``name`` is the registry (``business``): it names the event table
    (``business_events``), the ledger log and the notification log that the
    projections follow.
    """

    name = "registry"

    def __init__(self, env: dict[str, str] | None = None, *, create_tables: bool = False) -> None:
        # Explicit settings win over process variables (eventsourcing merges
        # os.environ first), so a stray PERSISTENCE_MODULE cannot redirect it.
        super().__init__(env={**event_store_env(create_tables=create_tables), **(env or {})})

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        """Add calendar dates to the library's transcodings."""
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())


App = TypeVar("App", bound=RegistryApplication)

_lock = threading.Lock()
_running: dict[tuple[type[RegistryApplication], str, int], RegistryApplication] = {}


def running(app_class: type[App]) -> App:
    """The process-wide instance of a registry application.

    Keyed by database name and process id, so a forked Celery worker and the
    test database each get their own connection pool.
    """
    key = (app_class, str(connections["default"].settings_dict["NAME"]), os.getpid())
    with _lock:
        app = _running.get(key)
        if app is None:
            app = app_class()
            _running[key] = app
    assert isinstance(app, app_class)
    return app


def create_event_tables(app_classes: list[type[RegistryApplication]]) -> None:
    """Create the event tables of these registries (run by ``migrate``)."""
    for app_class in app_classes:
        app_class(create_tables=True).close()


def stop_all() -> None:
    """Close every running application's connections (tests, shutdown)."""
    with _lock:
        for app in _running.values():
            app.close()
        _running.clear()
