"""eventsourcing's PostgreSQL persistence, with the ledger appended in the same transaction.

Selected by ``PERSISTENCE_MODULE=chain.ledger.postgres:LedgerPostgresFactory``.
The database-function insert path (``POSTGRES_ENABLE_DB_FUNCTIONS``) bypasses
the hooks used here, so this factory refuses it.

Every registry's application in a process shares ONE datastore, so one
bounded connection pool (``POSTGRES_POOL_SIZE`` + ``POSTGRES_MAX_OVERFLOW``,
from ``RIIK_DB_POOL_SIZE`` / ``RIIK_DB_POOL_OVERFLOW``): a pool per registry
made each server process hold 20-30 connections (docs/guide-operator.md).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from functools import partial
from typing import Any

from eventsourcing.persistence import ApplicationRecorder, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore, PostgresFactory
from eventsourcing.utils import Environment, EnvType
from psycopg import Cursor
from psycopg.rows import DictRow

from chain.ledger.sqlite import events_table
from chain.ledger.writer import LedgerWriter, insert_with_ledger


class LedgerPostgresApplicationRecorder(PostgresApplicationRecorder):
    """Stores events and appends their ledger entries in one PostgreSQL transaction."""

    def __init__(self, datastore: PostgresDatastore, registry: str):
        super().__init__(datastore, events_table_name=events_table(registry))
        self.ledger = LedgerWriter(
            registry, "%s", lambda value: value, execute_options={"prepare": False}
        )

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        """Insert events with their ledger entries (see :func:`insert_with_ledger`)."""
        return insert_with_ledger(
            partial(super().insert_events, stored_events, **kwargs), self.ledger
        )

    def _insert_stored_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> None:
        # super() takes the EXCLUSIVE lock on this registry's events table
        # first, so ledger order is commit order. The ledger statements use a
        # cursor of their own: the caller fetches the INSERT's RETURNING rows
        # from ``curs`` afterwards.
        super()._insert_stored_events(curs, stored_events, **kwargs)
        with curs.connection.cursor() as ledger_cursor:
            self.ledger.append(ledger_cursor, stored_events)


_POOL_KEYS = (
    PostgresFactory.POSTGRES_DBNAME,
    PostgresFactory.POSTGRES_HOST,
    PostgresFactory.POSTGRES_PORT,
    PostgresFactory.POSTGRES_USER,
    PostgresFactory.POSTGRES_PASSWORD,
    PostgresFactory.POSTGRES_SCHEMA,
    PostgresFactory.POSTGRES_POOL_SIZE,
    PostgresFactory.POSTGRES_MAX_OVERFLOW,
    PostgresFactory.POSTGRES_LOCK_TIMEOUT,
)
# Datastores shared by the applications of this process: key -> (datastore, users).
_shared_lock = threading.Lock()
_shared: dict[tuple[Any, ...], tuple[PostgresDatastore, int]] = {}


class LedgerPostgresFactory(PostgresFactory):
    """Infrastructure factory whose application recorder keeps the ledger.

    Applications with the same database and pool settings share the first
    one's datastore (and pool) in this process; a forked process makes its
    own. The pool is closed when the last application using it closes.
    """

    def __init__(self, env: Environment | EnvType | None):
        super().__init__(env)
        # The datastore super() built has not opened its pool: it is
        # replaced by the shared one before any connection is made.
        self._shared_key = (os.getpid(), *(self.env.get(name) for name in _POOL_KEYS))
        with _shared_lock:
            datastore, users = _shared.get(self._shared_key, (self.datastore, 0))
            _shared[self._shared_key] = (datastore, users + 1)
        self.datastore = datastore

    def close(self) -> None:
        """Release the shared datastore; close its pool if no application uses it any more."""
        with _shared_lock:
            entry = _shared.get(self._shared_key)
            if entry is None or entry[0] is not self.datastore:
                return  # closed already
            datastore, users = entry
            if users > 1:
                _shared[self._shared_key] = (datastore, users - 1)
                return
            del _shared[self._shared_key]
        super().close()

    def application_recorder(self) -> ApplicationRecorder:
        if self.datastore.enable_db_functions:
            msg = "POSTGRES_ENABLE_DB_FUNCTIONS bypasses the ledger: keep it off"
            raise OSError(msg)
        recorder = LedgerPostgresApplicationRecorder(self.datastore, registry=self.env.name.lower())
        if self.env_create_table():
            recorder.create_table()
        return recorder
