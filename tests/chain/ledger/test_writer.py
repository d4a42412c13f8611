"""The ledger writer trusts the head it knows while it writes alone, and reads it while
other processes write the same log."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import pytest
from eventsourcing.persistence import StoredEvent

from chain.ledger.models import LedgerEntry
from chain.ledger.writer import LedgerWriter
from registries.business.application import BusinessRegistry
from tests.factories import register_company


class Cursor:
    """Records statements; the log's head row in the database is always empty."""

    def __init__(self) -> None:
        self.statements: list[str] = []

    def execute(self, statement: str, params: Any = (), **options: Any) -> None:
        self.statements.append(statement)

    def fetchone(self) -> None:
        return None

    def head_reads(self) -> int:
        return sum(statement.startswith("SELECT size") for statement in self.statements)


def event() -> StoredEvent:
    return StoredEvent(originator_id=uuid4(), originator_version=1, topic="t", state=b"{}")


def save(ledger: LedgerWriter, cursor: Cursor) -> None:
    ledger.append(cursor, [event()])
    ledger.committed()


def test_a_lone_writer_reads_the_head_once() -> None:
    ledger, cursor = LedgerWriter("test", "?", str), Cursor()
    for _ in range(3):
        save(ledger, cursor)
    assert cursor.head_reads() == 1


def test_after_a_collision_the_head_is_read_on_every_save_for_a_while(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ledger, cursor = LedgerWriter("test", "?", str), Cursor()
    save(ledger, cursor)
    ledger.conflicted()
    for _ in range(3):
        save(ledger, cursor)
    assert cursor.head_reads() == 4
    monkeypatch.setattr(LedgerWriter, "SHARED_SECONDS", 0.0)
    ledger.conflicted()
    for _ in range(3):
        save(ledger, cursor)
    assert cursor.head_reads() == 5, "once the window is over, the known head is trusted again"


def test_a_retry_the_event_store_made_unseen_counts_as_a_collision() -> None:
    ledger, cursor = LedgerWriter("test", "?", str), Cursor()
    save(ledger, cursor)
    ledger.append(cursor, [event()])  # this attempt failed; the event store retries it
    save(ledger, cursor)
    reads = cursor.head_reads()
    save(ledger, cursor)
    assert cursor.head_reads() == reads + 1


@pytest.fixture
def collisions(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every collision of a save with another writer's entries, however it surfaced."""
    seen: list[str] = []
    conflicted = LedgerWriter.conflicted

    def spy(self: LedgerWriter) -> None:
        seen.append("integrity error")
        conflicted(self)

    monkeypatch.setattr(LedgerWriter, "conflicted", spy)
    start_head = LedgerWriter._start_head

    def spy_start(self: LedgerWriter, cursor: Any) -> Any:
        if getattr(self._pending, "head", None) is not None:
            seen.append("retried by the event store")
        return start_head(self, cursor)

    monkeypatch.setattr(LedgerWriter, "_start_head", spy_start)
    return seen


@pytest.mark.usefixtures("event_store")
def test_two_writers_of_one_log_collide_once_each_then_read_the_head(
    collisions: list[str],
) -> None:
    # Two application instances: two recorders, each with its own known head,
    # as two gunicorn workers have.
    first, second = BusinessRegistry(), BusinessRegistry()
    try:
        for _ in range(8):
            register_company(app=first)
            register_company(app=second)
    finally:
        first.close()
        second.close()
    assert len(collisions) <= 2
    seqs = list(LedgerEntry.objects.filter(registry="business").values_list("seq", flat=True))
    assert sorted(seqs) == list(range(1, 33))
