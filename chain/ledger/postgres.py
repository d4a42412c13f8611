"""eventsourcing's PostgreSQL persistence, with the ledger appended in the same transaction.

Selected by ``PERSISTENCE_MODULE=chain.ledger.postgres:LedgerPostgresFactory``.
The database-function insert path (``POSTGRES_ENABLE_DB_FUNCTIONS``) bypasses
the hooks used here, so this factory refuses it.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any

from eventsourcing.persistence import ApplicationRecorder, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore, PostgresFactory
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


class LedgerPostgresFactory(PostgresFactory):
    """Infrastructure factory whose application recorder keeps the ledger."""

    def application_recorder(self) -> ApplicationRecorder:
        if self.datastore.enable_db_functions:
            msg = "POSTGRES_ENABLE_DB_FUNCTIONS bypasses the ledger: keep it off"
            raise OSError(msg)
        recorder = LedgerPostgresApplicationRecorder(self.datastore, registry=self.env.name.lower())
        if self.env_create_table():
            recorder.create_table()
        return recorder
