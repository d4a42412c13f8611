"""Where entries stand, many at once: the same answers as one at a time, in fixed queries."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext

from chain import merkle
from chain.blocks.models import WITNESSED, Block
from chain.blocks.sealing import seal_pending
from chain.blocks.status import inclusions, ledger_status, ledger_statuses
from chain.ledger import proofs
from chain.ledger.databases import log_database
from chain.ledger.models import LedgerEntry
from tests.factories import register_company

pytestmark = pytest.mark.usefixtures("event_store")


@pytest.fixture
def log() -> list[int]:
    """A business log of 10 entries: 1-4 in block 1, 5-8 in block 2, 9-10 pending."""
    for _ in range(2):
        register_company()
        register_company()
        assert seal_pending() is not None
    register_company()
    return list(range(1, 11))


def test_statuses_of_many_equal_each_status_alone(log: list[int]) -> None:
    Block.objects.filter(height=2).update(level=WITNESSED)
    assert ledger_statuses("business", log) == {seq: ledger_status("business", seq) for seq in log}
    assert {s.block_height for s in ledger_statuses("business", log).values()} == {1, 2, None}


def test_inclusions_prove_against_the_first_block_or_the_log_while_pending(
    log: list[int], django_assert_num_queries: Any
) -> None:
    # The entries with their blocks, then the subtree hashes; the blocks apart
    # when the log has a database of its own (ADR 0069).
    apart = log_database("business") != "default"
    with (
        django_assert_num_queries(1 if apart else 2),
        CaptureQueriesContext(connections[log_database("business")]) as in_log_database,
    ):
        found = inclusions("business", log)
    assert len(in_log_database) == 2
    assert sorted(found) == log
    head = proofs.log_size("business")
    for seq, inclusion in found.items():
        status = ledger_status("business", seq)
        assert inclusion.status == status
        expected_size = head if status.block_height is None else (4 if seq <= 4 else 8)
        assert inclusion.tree_size == expected_size
        assert inclusion.root == proofs.tree_root("business", expected_size)
        assert inclusion.audit_path == proofs.inclusion_proof("business", seq, expected_size)
        assert inclusion.leaf == LedgerEntry.objects.get(registry="business", seq=seq).leaf()
        assert merkle.verify_inclusion(
            merkle.leaf_hash(inclusion.leaf),
            seq - 1,
            inclusion.tree_size,
            inclusion.audit_path,
            inclusion.root,
        )


def test_inclusions_leave_out_entries_the_log_does_not_have(log: list[int]) -> None:
    assert sorted(inclusions("business", [3, 99])) == [3]
    assert inclusions("business", []) == {}
