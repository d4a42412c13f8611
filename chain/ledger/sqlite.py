"""eventsourcing's SQLite persistence, with the ledger appended in the same transaction.

Selected by ``PERSISTENCE_MODULE=chain.ledger.sqlite:LedgerSQLiteFactory``.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any

from eventsourcing.persistence import ApplicationRecorder, StoredEvent
from eventsourcing.sqlite import (
    SQLiteApplicationRecorder,
    SQLiteCursor,
    SQLiteDatastore,
    SQLiteFactory,
)

from chain.ledger.writer import LedgerWriter, insert_with_ledger


def events_table(registry: str) -> str:
    """Name of a registry's stored events table (the same on every backend)."""
    return f"{registry}_events"


class LedgerSQLiteApplicationRecorder(SQLiteApplicationRecorder):
    """Stores events and appends their ledger entries in one SQLite transaction."""

    def __init__(self, datastore: SQLiteDatastore, registry: str):
        super().__init__(datastore, events_table_name=events_table(registry))
        self.ledger = LedgerWriter(registry, "?", lambda value: value.hex)

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        """Insert events with their ledger entries (see :func:`insert_with_ledger`)."""
        return insert_with_ledger(
            partial(super().insert_events, stored_events, **kwargs), self.ledger
        )

    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        # The event inserts take SQLite's write lock: no other writer can
        # append to this ledger until we commit.
        notification_ids = super()._insert_events(c, stored_events, **kwargs)
        self.ledger.append(c, stored_events, kwargs.get("recorded_at", ""))
        return notification_ids


class LedgerSQLiteFactory(SQLiteFactory):
    """Infrastructure factory whose application recorder keeps the ledger."""

    def application_recorder(self) -> ApplicationRecorder:
        recorder = LedgerSQLiteApplicationRecorder(self.datastore, registry=self.env.name.lower())
        if self.env_create_table():
            recorder.create_table()
        return recorder
