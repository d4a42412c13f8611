"""The chain's own log: consensus events as ledger entries of registry ``consensus``.

Registry logs get their entries from the event store's recorders. The chain
has events of its own (evidence of equivocation), which must be
hash-chained, sealed into blocks, exported and verified like any record, so
they are appended to a log of their own, ``consensus``, with the same
:class:`~chain.ledger.writer.LedgerWriter`, through Django's connection and
inside the caller's transaction: the event, its ledger entry and whatever
row the caller stores next to it (e.g. ``ConsensusEvidence``) commit or roll
back together. The payload is canonical JSON, so an auditor can read it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID, uuid5

from django.db import connection
from eventsourcing.persistence import StoredEvent

from chain.encoding import canonical
from chain.ledger.models import LedgerEntry
from chain.ledger.writer import LedgerWriter
from chain.protocol import CHAIN_LOG

_NAMESPACE = UUID("6f1d3c1e-8a53-4d4b-9a5c-2f0f3e7b9d10")


def event_id(*parts: str | int) -> UUID:
    """A stable originator id for a chain event, so recording it twice is a no-op."""
    return uuid5(_NAMESPACE, "/".join(str(part) for part in parts))


def append(originator_id: UUID, topic: str, record: Mapping[str, Any]) -> LedgerEntry:
    """Append one chain event (version 1 of ``originator_id``) and return its entry.

    Must run inside ``transaction.atomic()``. Idempotent: an event already
    in the log is returned as it is.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("chainlog.append must run inside transaction.atomic()")
    existing = LedgerEntry.objects.filter(
        registry=CHAIN_LOG, originator_id=originator_id, originator_version=1
    ).first()
    if existing is not None:
        return existing
    state = canonical(dict(record))
    postgres = connection.vendor == "postgresql"
    writer = LedgerWriter(
        CHAIN_LOG,
        "%s",
        (lambda value: value) if postgres else (lambda value: value.hex),
    )
    with connection.cursor() as cursor:
        if postgres:
            # Serialise writers of this log, as the event store's recorders
            # do with their events table; SQLite's IMMEDIATE transactions
            # already hold the database's write lock.
            cursor.execute("LOCK TABLE consensus_events IN EXCLUSIVE MODE")
        cursor.execute(
            "INSERT INTO consensus_events (originator_id, originator_version, topic, state) "
            "VALUES (%s, %s, %s, %s)",
            [originator_id if postgres else originator_id.hex, 1, topic, state],
        )
        writer.append(
            cursor,
            [
                StoredEvent(
                    originator_id=originator_id, originator_version=1, topic=topic, state=state
                )
            ],
        )
    return LedgerEntry.objects.get(registry=CHAIN_LOG, originator_id=originator_id)
