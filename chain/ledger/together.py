"""Several registries' events and their ledger entries in ONE database transaction.

A command whose effect spans registries (a state fee paid in money with the
company's registration, a title transfer settled against payment) must
commit all of it or nothing. Each registry's application has a recorder of
its own (its own event table and ledger log), so eventsourcing's ``save()``,
which writes one application's events, cannot do it. :func:`insert_together`
runs every recorder's own insert, with its ledger append, on ONE connection
inside ONE transaction:

* **SQLite**: one ``BEGIN IMMEDIATE`` on the first recorder's connection (the
  write lock of the whole file), then each recorder's ``_insert_events``
  (events, ledger entries, subtrees, head), then ``COMMIT``.
* **PostgreSQL**: one transaction in one pipeline on the shared pool; each
  recorder takes the EXCLUSIVE lock on its event table, inserts, and appends
  with ``ledger_append()``, as its own save does. Tables are always locked in
  the order of their names, so two combined saves never wait for each other
  in a cycle (a one-registry save takes one lock only).

Registries that settle together must share the database: a recorder of
another database is refused (DESIGN §2: a registry can later live in its
own database, but not one that settles with money).

Every entry of the transaction carries the same ``recorded_at``, and the
registries' ledger heads move in the same commit, so a block sealer, which
reads all heads in one statement, seals all of it in one block or none.

A version race on any aggregate raises eventsourcing's ``IntegrityError``
with nothing written, as a one-registry save does, so the caller's write
path decides again.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from eventsourcing.persistence import (
    ApplicationRecorder,
    IntegrityError,
    OperationalError,
    PersistenceError,
    StoredEvent,
)
from eventsourcing.utils import retry

from chain.encoding import timestamp
from chain.ledger.postgres import LedgerPostgresApplicationRecorder, ledger_entries_of
from chain.ledger.sqlite import LedgerSQLiteApplicationRecorder
from chain.ledger.writer import is_ledger_conflict

Part = tuple[ApplicationRecorder, Sequence[StoredEvent]]


class SeparateDatabases(PersistenceError):
    """The registries asked to commit together keep their events in different databases."""


def insert_together(parts: Sequence[Part]) -> None:
    """Insert each recorder's stored events with its ledger entries, all in one transaction."""
    parts = [(recorder, events) for recorder, events in parts if events]
    if len({id(recorder) for recorder, _ in parts}) != len(parts):
        raise ValueError("each registry's events are given once")
    if not parts:
        return
    recorded_at = timestamp(datetime.now(UTC))
    if all(isinstance(recorder, LedgerSQLiteApplicationRecorder) for recorder, _ in parts):
        _sqlite_together(parts, recorded_at)
    elif all(isinstance(recorder, LedgerPostgresApplicationRecorder) for recorder, _ in parts):
        _postgres_together(parts, recorded_at)
    else:
        raise SeparateDatabases("registries settling together must share one database")


def _sqlite_together(parts: Sequence[Part], recorded_at: str) -> None:
    recorders = [r for r, _ in parts if isinstance(r, LedgerSQLiteApplicationRecorder)]
    names = {recorder.datastore.pool.db_name for recorder in recorders}
    if len(names) != 1:
        raise SeparateDatabases(f"registries settling together are in {sorted(names)}")
    # As insert_with_ledger does for one registry: a head another process moved
    # (our seq collides) is read again and the transaction retried once.
    for attempt in (1, 2):
        try:
            _sqlite_transaction(parts, recorded_at)
        except IntegrityError as error:
            collided = is_ledger_conflict(error)
            for recorder in recorders:
                if collided:
                    recorder.ledger.conflicted()
                else:
                    recorder.ledger.forget()
            if attempt == 2 or not collided:
                raise
            continue
        except BaseException:
            for recorder in recorders:
                recorder.ledger.forget()
            raise
        for recorder in recorders:
            recorder.ledger.committed()
        return


def _sqlite_transaction(parts: Sequence[Part], recorded_at: str) -> None:
    sqlite = [
        (recorder, events)
        for recorder, events in sorted(parts, key=_table)
        if isinstance(recorder, LedgerSQLiteApplicationRecorder)
    ]
    with sqlite[0][0].datastore.get_connection(commit=True) as connection:
        cursor = connection.cursor()
        try:
            # IMMEDIATE: the file's write lock before anything is read (the
            # ledger heads), so the transaction never has to upgrade a read lock.
            cursor.execute("BEGIN IMMEDIATE")
            for recorder, events in sqlite:
                recorder._insert_events(cursor, events, recorded_at=recorded_at)
            connection.commit()
        except sqlite3.IntegrityError as error:
            connection.rollback()
            raise IntegrityError(error) from error
        except sqlite3.OperationalError as error:
            connection.rollback()
            raise OperationalError(error) from error
        except BaseException:
            connection.rollback()
            raise


@retry((OperationalError,), max_attempts=10, wait=0.2)
def _postgres_together(parts: Sequence[Part], recorded_at: str) -> None:
    postgres = [
        (recorder, events)
        for recorder, events in sorted(parts, key=_table)
        if isinstance(recorder, LedgerPostgresApplicationRecorder)
    ]
    first = postgres[0][0]
    if any(recorder.datastore is not first.datastore for recorder, _ in postgres):
        raise SeparateDatabases("registries settling together must share one database pool")
    prepared = [
        (recorder, events, ledger_entries_of(recorder, events, recorded_at))
        for recorder, events in postgres
    ]
    failure: Exception | None = None
    with first.datastore.get_connection() as conn:
        with conn.pipeline() as pipeline, conn.transaction():
            try:
                for recorder, events, entries in prepared:
                    with conn.cursor() as curs:
                        recorder._insert_stored_events(curs, events, ledger_entries=entries)
                        # A version race surfaces here, as IntegrityError, and
                        # rolls the whole transaction back.
                        pipeline.sync()
            except Exception as error:
                # Raised once the pipeline has closed (as eventsourcing's own
                # insert does), inside the connection's context, which turns
                # psycopg's errors into eventsourcing's.
                failure = error
        if failure is not None:
            raise failure


def _table(part: Part) -> str:
    recorder: Any = part[0]
    return str(recorder.events_table_name)
