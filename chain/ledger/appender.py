"""Turning stored events into ledger entries (pure: no Django, no I/O).

The recorders call :func:`append_entries` inside the event store's insert
transaction, after the table lock, so the order computed here is the commit
order.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from chain import merkle
from chain.encoding import ZERO_HASH, entry_hash, entry_leaf, sha256


@dataclass
class LogHead:
    """The right edge of a registry log."""

    size: int
    entry_hash: bytes
    frontier: merkle.MerkleFrontier

    @classmethod
    def empty(cls) -> LogHead:
        return cls(size=0, entry_hash=ZERO_HASH, frontier=merkle.MerkleFrontier())


@dataclass(frozen=True)
class StoredEventRef:
    """What the ledger needs of a stored event."""

    originator_id: str
    originator_version: int
    topic: str
    state: bytes


@dataclass(frozen=True)
class NewEntry:
    """A ledger entry ready to be inserted."""

    registry: str
    seq: int
    originator_id: str
    originator_version: int
    topic: str
    recorded_at: str
    payload_hash: bytes
    prev_hash: bytes
    entry_hash: bytes


def append_entries(
    registry: str,
    head: LogHead,
    events: Iterable[StoredEventRef],
    recorded_at: str,
) -> tuple[list[NewEntry], list[tuple[int, int, bytes]]]:
    """Append ``events`` to the log whose right edge is ``head`` (mutated).

    Returns the new entries and every Merkle subtree they complete, as
    ``(level, index, hash)``.
    """
    entries: list[NewEntry] = []
    subtrees: list[tuple[int, int, bytes]] = []
    for event in events:
        seq = head.size + 1
        payload_hash = sha256(event.state)
        leaf = entry_leaf(
            registry=registry,
            seq=seq,
            originator_id=event.originator_id,
            originator_version=event.originator_version,
            topic=event.topic,
            recorded_at=recorded_at,
            payload_hash=payload_hash,
        )
        this_hash = entry_hash(head.entry_hash, leaf)
        entries.append(
            NewEntry(
                registry=registry,
                seq=seq,
                originator_id=event.originator_id,
                originator_version=event.originator_version,
                topic=event.topic,
                recorded_at=recorded_at,
                payload_hash=payload_hash,
                prev_hash=head.entry_hash,
                entry_hash=this_hash,
            )
        )
        subtrees.extend(head.frontier.append(merkle.leaf_hash(leaf)))
        head.size = seq
        head.entry_hash = this_hash
    return entries, subtrees
