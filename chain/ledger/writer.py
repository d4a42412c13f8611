"""Writing ledger rows with the event store's own cursor.

Shared by the SQLite and PostgreSQL recorders: the only difference between the
two is the parameter placeholder and how a UUID column takes its value.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent

from chain import merkle
from chain.encoding import timestamp
from chain.ledger.appender import LogHead, StoredEventRef, append_entries


class LedgerWriter:
    """Appends ledger entries for stored events, inside the caller's transaction."""

    def __init__(self, registry: str, placeholder: str, uuid_param: Callable[[UUID], Any]):
        self.registry = registry
        self.uuid_param = uuid_param
        p = placeholder
        self.select_head = (
            f"SELECT size, entry_hash, frontier FROM ledger_head WHERE registry = {p}"
        )
        self.insert_entry = (
            "INSERT INTO ledger_entry (registry, seq, originator_id, originator_version, "
            "topic, recorded_at, payload_hash, prev_hash, entry_hash) "
            f"VALUES ({p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, {p})"
        )
        self.insert_subtree = (
            f"INSERT INTO ledger_subtree (registry, level, idx, hash) VALUES ({p}, {p}, {p}, {p})"
        )
        self.upsert_head = (
            "INSERT INTO ledger_head (registry, size, entry_hash, frontier) "
            f"VALUES ({p}, {p}, {p}, {p}) ON CONFLICT (registry) DO UPDATE SET "
            "size = excluded.size, entry_hash = excluded.entry_hash, frontier = excluded.frontier"
        )

    def append(self, cursor: Any, stored_events: Sequence[StoredEvent]) -> None:
        """Append one ledger entry per stored event, in order, with ``cursor``.

        The caller must already hold the lock that serialises writers of this
        registry's log, and commit or roll back together with the events.
        """
        if not stored_events:
            return
        cursor.execute(self.select_head, (self.registry,))
        row = cursor.fetchone()
        if row is None:
            head = LogHead.empty()
        else:
            size, last_hash, frontier = _row_values(row)
            head = LogHead(
                size=size,
                entry_hash=bytes(last_hash),
                frontier=merkle.MerkleFrontier.from_bytes(size, bytes(frontier)),
            )
        refs = [
            StoredEventRef(
                originator_id=str(event.originator_id),
                originator_version=event.originator_version,
                topic=event.topic,
                state=event.state,
            )
            for event in stored_events
        ]
        entries, subtrees = append_entries(self.registry, head, refs, timestamp(datetime.now(UTC)))
        cursor.executemany(
            self.insert_entry,
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
        cursor.executemany(
            self.insert_subtree,
            [(self.registry, level, index, digest) for level, index, digest in subtrees],
        )
        cursor.execute(
            self.upsert_head,
            (self.registry, head.size, head.entry_hash, head.frontier.to_bytes()),
        )


def _row_values(row: Any) -> tuple[int, bytes, bytes]:
    # sqlite3.Row and psycopg's dict rows both answer to column names.
    return int(row["size"]), bytes(row["entry_hash"]), bytes(row["frontier"])
