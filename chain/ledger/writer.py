"""Writing ledger rows from Python with the caller's cursor, after the caller's lock.

Used by the SQLite recorder (one writer process, DESIGN.md §7) and by the
chain's own log (:mod:`chain.ledger.chainlog`, on either database): the only
difference between the databases is the parameter placeholder and how a UUID
column takes its value. The PostgreSQL event store, which several processes
write at once, chains its entries in the database instead
(:mod:`chain.ledger.postgres`, ADR 0055).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError, StoredEvent

from chain import merkle
from chain.encoding import timestamp
from chain.ledger.appender import LogHead, StoredEventRef, append_entries

ROWS_PER_STATEMENT = 500


def is_ledger_conflict(error: Exception) -> bool:
    """True when an insert failed on the ledger's own unique (registry, seq)."""
    text = str(error)
    return "ledger_entry_seq" in text or "ledger_entry.registry, ledger_entry.seq" in text


def insert_with_ledger(
    insert: Callable[[], Sequence[int] | None], ledger: LedgerWriter
) -> Sequence[int] | None:
    """Run a recorder's ``insert_events``; retry once if another process moved
    the ledger head since this one last wrote, and remember the new head."""
    for attempt in (1, 2):
        try:
            notification_ids = insert()
        except BaseException as error:
            retry = isinstance(error, IntegrityError) and is_ledger_conflict(error)
            if retry:
                ledger.conflicted()
            else:
                ledger.forget()
            if attempt == 2 or not retry:
                raise
            continue
        ledger.committed()
        return notification_ids
    raise AssertionError("unreachable: the second attempt returns or raises")


class LedgerWriter:
    """Appends ledger entries for stored events, inside the caller's transaction.

    The head of the log (size, last entry hash, Merkle frontier) is kept in
    memory between saves, so a save costs no read. A transaction checks it out
    and hands back the new head once committed (:meth:`committed`); a failed
    transaction drops it (:meth:`forget`), so the known head never runs ahead
    of the database. It can fall behind when another process writes: then our
    next seq collides with an existing entry, the transaction fails on the
    unique (registry, seq), and the recorder retries once with the head read
    from the database.

    Several processes writing one log (gunicorn workers, Celery workers) would
    collide on nearly every save, each collision a wasted transaction under
    the table lock (and, when PostgreSQL reports it as an aborted pipeline,
    the event store's 0.2 s retry pause). So after a collision, or a retry
    the event store made without us, the writer reads the head from the
    database on every save for ``SHARED_SECONDS``, as long as it keeps finding
    other processes' entries there, then trusts its memory again.
    """

    SHARED_SECONDS = 30.0

    def __init__(
        self,
        registry: str,
        placeholder: str,
        uuid_param: Callable[[UUID], Any],
        execute_options: dict[str, Any] | None = None,
    ):
        self.registry = registry
        self.uuid_param = uuid_param
        # PostgreSQL: the statements vary with the number of rows, so they are
        # not worth preparing; psycopg's automatic preparing inside the event
        # store's pipeline also failed under concurrent writers ("prepared
        # statement does not exist").
        self.execute_options = execute_options or {}
        self._known_head: LogHead | None = None
        # Until then (time.monotonic()), read the head on every save.
        self._shared_until = 0.0
        self._pending = threading.local()
        self._lock = threading.Lock()
        p = self.placeholder = placeholder
        self.select_head = (
            f"SELECT size, entry_hash, frontier FROM ledger_head WHERE registry = {p}"
        )
        self.upsert_head = (
            "INSERT INTO ledger_head (registry, size, entry_hash, frontier) "
            f"VALUES ({p}, {p}, {p}, {p}) ON CONFLICT (registry) DO UPDATE SET "
            "size = excluded.size, entry_hash = excluded.entry_hash, frontier = excluded.frontier"
        )

    def _insert_rows(
        self, cursor: Any, table: str, columns: str, rows: list[tuple[Any, ...]]
    ) -> None:
        # Multi-row INSERTs: one statement per table for any usual save, so the
        # whole append rides the event store's own round trip. Chunked to stay
        # under the databases' limits on parameters per statement (SQLite 32766).
        values = "(" + ", ".join([self.placeholder] * len(rows[0])) + ")"
        for start in range(0, len(rows), ROWS_PER_STATEMENT):
            chunk = rows[start : start + ROWS_PER_STATEMENT]
            statement = f"INSERT INTO {table} ({columns}) VALUES " + ", ".join(
                [values] * len(chunk)
            )
            cursor.execute(
                statement, [value for row in chunk for value in row], **self.execute_options
            )

    def append(
        self, cursor: Any, stored_events: Sequence[StoredEvent], recorded_at: str = ""
    ) -> None:
        """Append one ledger entry per stored event, in order, with ``cursor``.

        The caller must already hold the lock that serialises writers of this
        registry's log, and commit or roll back together with the events.
        ``recorded_at`` (default: now) is shared by the registries of one
        transaction (:mod:`chain.ledger.together`).
        """
        if not stored_events:
            return
        head = self._start_head(cursor)
        refs = [
            StoredEventRef(
                originator_id=str(event.originator_id),
                originator_version=event.originator_version,
                topic=event.topic,
                state=event.state,
            )
            for event in stored_events
        ]
        entries, subtrees = append_entries(
            self.registry, head, refs, recorded_at or timestamp(datetime.now(UTC))
        )
        self._insert_rows(
            cursor,
            "ledger_entry",
            "registry, seq, originator_id, originator_version, topic, recorded_at, "
            "payload_hash, prev_hash, entry_hash",
            [
                (
                    e.registry,
                    e.seq,
                    self.uuid_param(UUID(e.originator_id)),
                    e.originator_version,
                    e.topic,
                    e.recorded_at,
                    e.payload_hash,
                    e.prev_hash,
                    e.entry_hash,
                )
                for e in entries
            ],
        )
        self._insert_rows(
            cursor,
            "ledger_subtree",
            "registry, level, idx, hash",
            [(self.registry, level, index, digest) for level, index, digest in subtrees],
        )
        cursor.execute(
            self.upsert_head,
            (self.registry, head.size, head.entry_hash, head.frontier.to_bytes()),
            **self.execute_options,
        )
        self._pending.head = head

    def committed(self) -> None:
        """The caller's transaction committed: its head is now the known head."""
        head = getattr(self._pending, "head", None)
        self._pending.head = None
        if head is not None:
            with self._lock:
                if self._known_head is None or head.size > self._known_head.size:
                    self._known_head = head

    def forget(self) -> None:
        """The transaction failed: read the head from the database next time."""
        self._pending.head = None
        with self._lock:
            self._known_head = None

    def conflicted(self) -> None:
        """Another process moved the head: forget it and read it on every save for a while."""
        self.forget()
        with self._lock:
            self._shared_until = time.monotonic() + self.SHARED_SECONDS

    def _start_head(self, cursor: Any) -> LogHead:
        # A pending head left by this thread means the event store retried a
        # failed attempt without telling us (PostgreSQL reports a collision in
        # its pipeline as aborted, which it retries itself): a collision too.
        retried = getattr(self._pending, "head", None) is not None
        # Check the known head out: while this transaction is open, another
        # thread reads the head from the database (after the lock, so it sees
        # our commit) instead of appending to a head we are about to move.
        with self._lock:
            known, self._known_head = self._known_head, None
            if retried:
                self._shared_until = time.monotonic() + self.SHARED_SECONDS
            trusted = time.monotonic() >= self._shared_until
        if known is not None and trusted:
            return known
        head = self._read_head(cursor)
        if known is not None and head.size != known.size:
            # Another process is still writing this log: keep reading.
            with self._lock:
                self._shared_until = time.monotonic() + self.SHARED_SECONDS
        return head

    def _read_head(self, cursor: Any) -> LogHead:
        cursor.execute(self.select_head, (self.registry,), **self.execute_options)
        row = cursor.fetchone()
        if row is None:
            return LogHead.empty()
        size, last_hash, frontier = _row_values(row)
        return LogHead(
            size=size,
            entry_hash=last_hash,
            frontier=merkle.MerkleFrontier.from_bytes(size, frontier),
        )


def _row_values(row: Any) -> tuple[int, bytes, bytes]:
    # sqlite3.Row and psycopg's dict rows answer to column names; Django's
    # cursor (the chain log, chain.ledger.chainlog) returns plain tuples.
    if isinstance(row, tuple):
        size, last_hash, frontier = row
        return int(size), bytes(last_hash), bytes(frontier)
    return int(row["size"]), bytes(row["entry_hash"]), bytes(row["frontier"])
