"""Turning stored events into ledger entries (pure: no Django, no I/O).

The SQLite recorder calls :func:`append_entries` inside the event store's
insert transaction, after the table lock, so the order computed here is the
commit order. The PostgreSQL recorder prepares everything that does not
depend on the log's head before the lock (:func:`prepare_entries`) and lets
the database chain the entries under it, so no Python runs while the lock is
held.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from chain import merkle
from chain.encoding import ZERO_HASH, entry_hash, entry_leaf, sha256

# Where the seq sits in a canonical envelope: keys are sorted, so "seq" comes
# between "registry" and "topic", and a quote inside a string value is always
# escaped, so this byte string cannot occur anywhere else in the envelope.
_SEQ_FIELD = b',"seq":'


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


@dataclass(frozen=True)
class LeafTemplate:
    """A canonical envelope with its seq left out: ``head + str(seq) + tail``.

    Everything of an entry but its place in the log is known before the
    writer takes the lock; the place is filled in under it (by the database).
    """

    head: bytes
    tail: bytes

    def leaf(self, seq: int) -> bytes:
        """The canonical envelope of this entry at ``seq``."""
        return self.head + str(seq).encode("ascii") + self.tail


@dataclass(frozen=True)
class PreparedEntries:
    """A save's entries without their places in the log, in event order."""

    registry: str
    recorded_at: str
    originator_ids: list[str]
    originator_versions: list[int]
    topics: list[str]
    payload_hashes: list[bytes]
    templates: list[LeafTemplate]


def leaf_template(
    *,
    registry: str,
    originator_id: str,
    originator_version: int,
    topic: str,
    recorded_at: str,
    payload_hash: bytes,
) -> LeafTemplate:
    """The envelope of :func:`~chain.encoding.entry_leaf`, split where its seq goes."""
    leaf = entry_leaf(
        registry=registry,
        seq=0,
        originator_id=originator_id,
        originator_version=originator_version,
        topic=topic,
        recorded_at=recorded_at,
        payload_hash=payload_hash,
    )
    head, found, tail = leaf.partition(_SEQ_FIELD + b"0,")
    if not found:
        raise ValueError("the canonical envelope has no seq field")
    return LeafTemplate(head=head + _SEQ_FIELD, tail=b"," + tail)


def prepare_entries(
    registry: str, events: Iterable[StoredEventRef], recorded_at: str
) -> PreparedEntries:
    """Hash the payloads and encode the envelopes of ``events``, all but their seq."""
    prepared = PreparedEntries(registry, recorded_at, [], [], [], [], [])
    for event in events:
        payload_hash = sha256(event.state)
        prepared.originator_ids.append(event.originator_id)
        prepared.originator_versions.append(event.originator_version)
        prepared.topics.append(event.topic)
        prepared.payload_hashes.append(payload_hash)
        prepared.templates.append(
            leaf_template(
                registry=registry,
                originator_id=event.originator_id,
                originator_version=event.originator_version,
                topic=event.topic,
                recorded_at=recorded_at,
                payload_hash=payload_hash,
            )
        )
    return prepared
