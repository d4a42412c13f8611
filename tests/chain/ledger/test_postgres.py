"""The PostgreSQL recorder chains a save in Python when it knows the head, and the
database only accepts that while the head is still the one it knew (ADR 0079)."""

from __future__ import annotations

import pytest
from django.db import connection

from chain import merkle
from chain.ledger.appender import LogHead, StoredEventRef, append_entries, prepare_entries
from chain.ledger.models import LedgerHead
from chain.ledger.postgres import LedgerPostgresApplicationRecorder, chain_entries
from registries.business.application import BusinessRegistry
from registries.common.application import running
from tests.chain.ledger.test_ledger import _assert_log_is_whole
from tests.factories import register_company

RECORDED_AT = "2026-12-07T23:00:00.000000Z"


def _events(first: int, count: int) -> list[StoredEventRef]:
    return [
        StoredEventRef(
            originator_id=f"00000000-0000-4000-8000-{number:012d}",
            originator_version=1,
            topic="registries.business.domain:Company.Registered",
            state=b'{"name":"Pink %d"}' % number,
        )
        for number in range(first, first + count)
    ]


def test_chaining_in_python_gives_what_the_python_writer_stores() -> None:
    head = LogHead.empty()
    append_entries("business", head, _events(0, 5), RECORDED_AT)
    frontier = merkle.MerkleFrontier.from_bytes(head.size, head.frontier.to_bytes())
    known = LogHead(head.size, head.entry_hash, frontier)
    chained = chain_entries(prepare_entries("business", _events(5, 3), RECORDED_AT), known)
    entries, subtrees = append_entries("business", head, _events(5, 3), RECORDED_AT)
    assert chained.known_size == 5
    assert known.size == 5, "the known head is left as it was"
    assert chained.prev_hashes == [e.prev_hash for e in entries]
    assert chained.entry_hashes == [e.entry_hash for e in entries]
    assert chained.subtrees == subtrees
    assert chained.frontier == head.frontier.to_bytes()


postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the PostgreSQL recorder"
)


def _recorder() -> LedgerPostgresApplicationRecorder:
    recorder = running(BusinessRegistry).recorder
    assert isinstance(recorder, LedgerPostgresApplicationRecorder)
    return recorder


@postgres_only
@pytest.mark.usefixtures("event_store")
def test_a_writer_remembers_the_head_its_save_committed() -> None:
    register_company()
    register_company()  # chained in Python onto the head the first save returned
    recorder = _recorder()
    head = LedgerHead.objects.get(registry="business")
    assert recorder._known_head is not None
    assert recorder._known_head.size == head.size == 4
    assert recorder._known_head.entry_hash == bytes(head.entry_hash)
    _assert_log_is_whole("business")


@postgres_only
@pytest.mark.usefixtures("event_store")
def test_a_wrong_head_of_the_right_size_is_refused_and_the_database_chains() -> None:
    register_company()
    recorder = _recorder()
    known = recorder._known_head
    assert known is not None
    # As after a log was rebuilt: the same size, another history.
    recorder._known_head = LogHead(known.size, bytes(32), known.frontier)
    register_company()
    entries = _assert_log_is_whole("business")
    assert len(entries) == 4
