"""Writers that scale: a batch of aggregates is one append, and the steady state reads no head.

Statements are counted with a wrapper around the event store's cursor (the
library's own ``SQLiteCursor`` on SQLite, psycopg's ``Cursor`` on
PostgreSQL); there are no timed assertions here (performance goals live in
``bench/``).
"""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
from django.db import connection
from eventsourcing.sqlite import SQLiteCursor

from chain.ledger.models import LedgerEntry
from registries.business.application import BusinessRegistry
from registries.common.application import running
from tests.chain.ledger.test_ledger import _assert_log_is_whole
from tests.factories import register_company

pytestmark = pytest.mark.usefixtures("event_store")


@pytest.fixture
def statements(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every statement the event store's cursors execute, in order."""
    seen: list[str] = []
    cursor_class: Any = SQLiteCursor if connection.vendor == "sqlite" else psycopg.Cursor
    execute = cursor_class.execute

    def spy(self: Any, query: Any, *args: Any, **kwargs: Any) -> Any:
        text = query if isinstance(query, str) else query.as_string(None)
        seen.append(" ".join(text.split()))
        return execute(self, query, *args, **kwargs)

    monkeypatch.setattr(cursor_class, "execute", spy)
    return seen


def _head_reads(statements: list[str]) -> list[str]:
    return [s for s in statements if s.startswith("SELECT") and "FROM ledger_head" in s]


def _ledger_writes(statements: list[str]) -> list[str]:
    return [
        s
        for s in statements
        if s.startswith(("SELECT ledger_append(", "INSERT INTO ledger_entry"))
        or "FROM ledger_append_known(" in s
    ]


def test_a_steady_writer_reads_no_head_under_the_lock(statements: list[str]) -> None:
    register_company()  # a lone SQLite writer reads the head once, then knows it
    statements.clear()
    for _ in range(4):
        register_company()
    assert _head_reads(statements) == []
    # One ledger statement per save, sent behind the events in the same round trip.
    assert len(_ledger_writes(statements)) == 4
    _assert_log_is_whole("business")


def test_a_save_of_many_aggregates_is_one_ledger_batch(
    statements: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    codes = [register_company() for _ in range(5)]
    app = running(BusinessRegistry)
    companies = [app.company(code) for code in codes]
    for number, company in enumerate(companies):
        company.change_address(f"Tartu, Küüni {number + 1}", "registrar")
    inserts: list[int] = []
    insert_events = type(app.recorder).insert_events

    def spy(self: Any, stored_events: Any, **kwargs: Any) -> Any:
        inserts.append(len(stored_events))
        return insert_events(self, stored_events, **kwargs)

    monkeypatch.setattr(type(app.recorder), "insert_events", spy)
    statements.clear()
    app.save(*companies)
    assert inserts == [5], "one transaction for the whole batch"
    assert len(_ledger_writes(statements)) == 1, "one ledger append for the whole batch"
    entries = _assert_log_is_whole("business")
    batch = [e for e in entries if e.seq > 10]
    assert [e.seq for e in batch] == [11, 12, 13, 14, 15]
    assert [str(e.originator_id) for e in batch] == [str(c.id) for c in companies]
    assert LedgerEntry.objects.filter(registry="business").count() == 15
