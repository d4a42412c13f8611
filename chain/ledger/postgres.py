"""eventsourcing's PostgreSQL persistence, with the ledger appended in the same transaction.

Selected by ``PERSISTENCE_MODULE=chain.ledger.postgres:LedgerPostgresFactory``.
The database-function insert path (``POSTGRES_ENABLE_DB_FUNCTIONS``) bypasses
the hooks used here, so this factory refuses it.

Several processes write one log here (gunicorn and Celery workers), so the
head of the log is never known in advance: the envelopes and payload hashes
are prepared before the event store takes its table lock, and under the lock
one statement, ``ledger_append()`` (migration ``chain.0011``), reads the head
and writes the entries, subtrees and new head in the database. It rides the
event store's own pipeline: no round trip and no Python while the lock is
held, and nothing to collide on (ADR 0055).

A writer that knows the head (it returned from its own last save) also
chains the entries and their Merkle nodes in Python before the lock; under
it, ``ledger_append_known()`` (migration ``chain.0015``) only checks that the
head is still that one and inserts the rows, or chains them itself if another
writer moved the head meanwhile. The new head comes back with the event
store's own sync, so it costs no round trip either (ADR 0079).

Every registry's application in a process shares ONE datastore, so one
bounded connection pool (``POSTGRES_POOL_SIZE`` + ``POSTGRES_MAX_OVERFLOW``,
from ``RIIK_DB_POOL_SIZE`` / ``RIIK_DB_POOL_OVERFLOW``): a pool per registry
made each server process hold 20-30 connections (docs/guide-operator.md).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import ApplicationRecorder, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore, PostgresFactory
from eventsourcing.utils import Environment, EnvType
from psycopg import Cursor
from psycopg.rows import DictRow

from chain import merkle
from chain.encoding import entry_hash, timestamp
from chain.ledger.appender import LogHead, PreparedEntries, StoredEventRef, prepare_entries
from chain.ledger.sqlite import events_table

APPEND = (
    "SELECT ledger_append(%s, %s::uuid[], %s::bigint[], %s::text[], %s, "
    "%s::bytea[], %s::bytea[], %s::bytea[])"
)
APPEND_KNOWN = (
    "SELECT size, entry_hash, frontier FROM ledger_append_known(%s, %s::uuid[], "
    "%s::bigint[], %s::text[], %s, %s::bytea[], %s::bytea[], %s::bytea[], %s, %s, "
    "%s::bytea[], %s::bytea[], %s::smallint[], %s::bigint[], %s::bytea[], %s)"
)


@dataclass(frozen=True)
class ChainedEntries:
    """A save's entries chained in Python onto the head its writer knew."""

    known_size: int
    known_hash: bytes
    prev_hashes: list[bytes]
    entry_hashes: list[bytes]
    subtrees: list[tuple[int, int, bytes]]
    frontier: bytes


def chain_entries(entries: PreparedEntries, head: LogHead) -> ChainedEntries:
    """Chain ``entries`` onto ``head`` (not modified): their hashes and Merkle nodes."""
    frontier = merkle.MerkleFrontier.from_bytes(head.size, head.frontier.to_bytes())
    prev_hashes: list[bytes] = []
    entry_hashes: list[bytes] = []
    subtrees: list[tuple[int, int, bytes]] = []
    last = head.entry_hash
    for seq, template in enumerate(entries.templates, start=head.size + 1):
        leaf = template.leaf(seq)
        prev_hashes.append(last)
        last = entry_hash(last, leaf)
        entry_hashes.append(last)
        subtrees.extend(frontier.append(merkle.leaf_hash(leaf)))
    return ChainedEntries(
        known_size=head.size,
        known_hash=head.entry_hash,
        prev_hashes=prev_hashes,
        entry_hashes=entry_hashes,
        subtrees=subtrees,
        frontier=frontier.to_bytes(),
    )


class LedgerPostgresApplicationRecorder(PostgresApplicationRecorder):
    """Stores events and appends their ledger entries in one PostgreSQL transaction."""

    def __init__(self, datastore: PostgresDatastore, registry: str):
        super().__init__(datastore, events_table_name=events_table(registry))
        self.registry = registry
        # The head the last save of this process returned (None: unknown).
        # Only a hint: ledger_append_known() checks it under the lock.
        self._known_head: LogHead | None = None
        self._head_lock = threading.Lock()
        # This thread's ledger cursor, whose new head is fetched after the sync.
        self._pending = threading.local()

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        """Insert events with their ledger entries, prepared (and chained, if
        the head is known) here, before the lock."""
        entries = ledger_entries_of(self, stored_events)
        with self._head_lock:
            known = self._known_head
        chained = chain_entries(entries, known) if known is not None else None
        self._pending.head = None
        try:
            notification_ids: Sequence[int] | None = super().insert_events(
                stored_events,
                ledger_entries=entries,
                ledger_chained=chained,
                ledger_fetch_head=True,
                **kwargs,
            )
        except BaseException:
            self._pending.cursor = None
            raise
        head = self._pending.head
        if head is not None:
            # The head this save committed: the next save's hint. With several
            # threads it can be a moment old; that only costs a fallback.
            with self._head_lock:
                self._known_head = head
        return notification_ids

    def _insert_stored_events(
        self,
        curs: Cursor[DictRow],
        stored_events: Sequence[StoredEvent],
        **kwargs: Any,
    ) -> None:
        # super() takes the EXCLUSIVE lock on this registry's events table
        # first, so ledger order is commit order. The ledger statement uses a
        # cursor of its own: the caller fetches the INSERT's RETURNING rows
        # from ``curs`` afterwards. It is sent in the same pipeline as the lock
        # and the event insert, and its result (the new head) is read only
        # after the event store's own sync, in _fetch_ids_after_insert_events:
        # no round trip of its own. A failure surfaces at that sync and rolls
        # both back. Not prepared: psycopg's automatic preparing inside the
        # pipeline failed under concurrent writers ("prepared statement does
        # not exist").
        entries: PreparedEntries = kwargs.pop("ledger_entries")
        chained: ChainedEntries | None = kwargs.pop("ledger_chained", None)
        fetch_head: bool = kwargs.pop("ledger_fetch_head", False)
        super()._insert_stored_events(curs, stored_events, **kwargs)
        if not fetch_head:
            # chain.ledger.together: nobody fetches a result after its syncs,
            # so the plain append, whose result is not read.
            with curs.connection.cursor() as ledger_cursor:
                ledger_cursor.execute(APPEND, append_params(entries), prepare=False)
            return
        ledger_cursor = curs.connection.cursor()
        ledger_cursor.execute(
            APPEND_KNOWN, append_params(entries) + known_params(chained), prepare=False
        )
        self._pending.cursor = ledger_cursor

    def _fetch_ids_after_insert_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        notification_ids: Sequence[int] | None = super()._fetch_ids_after_insert_events(
            curs, stored_events, **kwargs
        )
        ledger_cursor: Cursor[DictRow] | None = getattr(self._pending, "cursor", None)
        self._pending.cursor = None
        if ledger_cursor is not None:
            with ledger_cursor:
                row = ledger_cursor.fetchone()
            if row is not None:
                size = int(row["size"])
                self._pending.head = LogHead(
                    size=size,
                    entry_hash=bytes(row["entry_hash"]),
                    frontier=merkle.MerkleFrontier.from_bytes(size, bytes(row["frontier"])),
                )
        return notification_ids


def ledger_entries_of(
    recorder: LedgerPostgresApplicationRecorder,
    stored_events: Sequence[StoredEvent],
    recorded_at: str = "",
) -> PreparedEntries:
    """The ledger entries of ``stored_events`` in the recorder's log, all but their places.

    ``recorded_at`` (default: now) is shared by the registries of one
    transaction (:mod:`chain.ledger.together`).
    """
    return prepare_entries(
        recorder.registry,
        [
            StoredEventRef(
                originator_id=str(event.originator_id),
                originator_version=event.originator_version,
                topic=event.topic,
                state=event.state,
            )
            for event in stored_events
        ],
        recorded_at or timestamp(datetime.now(UTC)),
    )


def append_params(entries: PreparedEntries) -> tuple[Any, ...]:
    """The parameters of :data:`APPEND` for a save's prepared entries."""
    return (
        entries.registry,
        [UUID(originator_id) for originator_id in entries.originator_ids],
        entries.originator_versions,
        entries.topics,
        entries.recorded_at,
        entries.payload_hashes,
        [template.head for template in entries.templates],
        [template.tail for template in entries.templates],
    )


def known_params(chained: ChainedEntries | None) -> tuple[Any, ...]:
    """The parameters :data:`APPEND_KNOWN` takes after those of :func:`append_params`
    (all NULL when the head is not known: the database chains the entries)."""
    if chained is None:
        return (None,) * 8
    return (
        chained.known_size,
        chained.known_hash,
        chained.prev_hashes,
        chained.entry_hashes,
        [level for level, _, _ in chained.subtrees],
        [index for _, index, _ in chained.subtrees],
        [digest for _, _, digest in chained.subtrees],
        chained.frontier,
    )


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
