"""Every replica kind keeps its Merkle state incrementally; a block never hashes a whole log.

The cluster node's replica (:class:`chain.blocks.cluster.replica.Leaves`, on
its own tables) and the devnet citizens' (a prefix of the host's ledger)
agree with :func:`chain.merkle.root_hash` of their leaves, and sealing and
finalizing devnet blocks on a grown log calls no in-memory Merkle function
on more than a block's worth of leaves.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

import pytest
from django.db import transaction
from django.test import override_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chain import merkle
from chain.blocks.cluster.replica import Leaves
from chain.blocks.ledgerreplica import LedgerSource, ledger_replica_store
from chain.blocks.models import WITNESSED
from chain.blocks.sealing import seal_pending
from chain.consensus.citizen import Replica
from chain.encoding import entry_leaf, timestamp
from chain.ledger.appender import LogHead, StoredEventRef, append_entries
from chain.ledger.models import LedgerEntry, LedgerHead, LedgerSubtree

leaf_lists = st.lists(st.binary(min_size=1, max_size=12), max_size=60).map(
    # Entry envelopes of the business log, as the host sends: a node refuses anything else.
    lambda payloads: [
        entry_leaf(
            registry="business",
            seq=seq,
            originator_id=str(uuid.UUID(int=seq)),
            originator_version=1,
            topic="test.Entry",
            recorded_at="2026-12-08T00:00:00.000000Z",
            payload_hash=hashlib.sha256(payload).digest(),
        )
        for seq, payload in enumerate(payloads, start=1)
    ]
)
batches = st.lists(st.integers(min_value=0, max_value=9), min_size=1, max_size=12)


def _append_ledger(registry: str, count: int) -> list[bytes]:
    """Append ``count`` synthetic entries to a registry log, as the recorders do; their leaves."""
    row = LedgerHead.objects.filter(registry=registry).first()
    head = (
        LogHead.empty()
        if row is None
        else LogHead(
            row.size,
            bytes(row.entry_hash),
            merkle.MerkleFrontier.from_bytes(row.size, bytes(row.frontier)),
        )
    )
    events = [
        StoredEventRef(str(uuid.uuid4()), 1, "test.Synthetic", i.to_bytes(4, "big"))
        for i in range(count)
    ]
    entries, subtrees = append_entries(registry, head, events, timestamp(datetime.now(UTC)))
    LedgerEntry.objects.bulk_create(LedgerEntry(**entry.__dict__) for entry in entries)
    LedgerSubtree.objects.bulk_create(
        LedgerSubtree(registry=registry, level=level, idx=index, hash=digest)
        for level, index, digest in subtrees
    )
    LedgerHead.objects.update_or_create(
        registry=registry,
        defaults={
            "size": head.size,
            "entry_hash": head.entry_hash,
            "frontier": head.frontier.to_bytes(),
        },
    )
    return [LedgerEntry(**entry.__dict__).leaf() for entry in entries]


class _Rollback(Exception):
    pass


def _rolled_back(check: Callable[[], None]) -> None:
    """Run ``check`` in a transaction that is rolled back, so examples do not share rows."""
    try:
        with transaction.atomic():
            check()
            raise _Rollback
    except _Rollback:
        pass


def _cuts(leaves: Sequence[bytes], cuts: list[int]) -> list[list[bytes]]:
    parts, position = [], 0
    for cut in cuts:
        parts.append(list(leaves[position : position + cut]))
        position = min(len(leaves), position + cut)
    parts.append(list(leaves[position:]))
    return parts


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(leaves=leaf_lists, cuts=batches, data=st.data())
def test_a_cluster_nodes_replica_has_the_roots_and_proofs_of_its_leaves(
    db: None, leaves: list[bytes], cuts: list[int], data: st.DataObject
) -> None:
    size = data.draw(st.integers(min_value=0, max_value=len(leaves)), label="earlier size")

    def check() -> None:
        node = Leaves()
        start = 0
        for part in _cuts(leaves, cuts):
            assert node.add("business", start, part)
            start += len(part)
        assert node.root("business", len(leaves)) == merkle.root_hash(leaves)
        assert node.root("business", len(leaves) + 1) is None
        # A restarted node reads its frontier from the tables, not its leaves.
        restarted = Leaves()
        assert restarted.root("business", size) == merkle.root_hash(leaves[:size])
        assert restarted.consistency_proof("business", size, len(leaves)) == (
            merkle.consistency_proof(leaves, size)
        )
        citizen = restarted.citizen_replica({"business": size})
        assert citizen.root("business", size) == merkle.root_hash(leaves[:size])
        if size:
            assert citizen.prove("business", size, size) == (
                leaves[size - 1],
                tuple(merkle.inclusion_proof(leaves[:size], size - 1)),
            )

    _rolled_back(check)


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(counts=st.lists(st.integers(min_value=0, max_value=20), min_size=1, max_size=6))
def test_a_devnet_citizens_replica_over_the_ledger_has_the_logs_roots(
    db: None, counts: list[int]
) -> None:
    def check() -> None:
        replica = Replica(store=ledger_replica_store())
        source = LedgerSource()
        leaves: list[bytes] = []
        for count in counts:
            leaves += _append_ledger("business", count)
            new = source.leaves("business", replica.size("business"), len(leaves))
            replica.append("business", new)
            assert replica.root("business", len(leaves)) == merkle.root_hash(leaves)
        if leaves:
            assert replica.prove("business", 1, len(leaves)) == (
                leaves[0],
                tuple(merkle.inclusion_proof(leaves, 0)),
            )

    _rolled_back(check)


BATCH = 40
"""Entries per block in the test below: no Merkle function may see more leaves."""


@pytest.fixture
def small_merkle_inputs_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the in-memory Merkle functions fail on more than a block's worth of leaves."""
    for name in ("root_hash", "inclusion_proof", "consistency_proof"):
        monkeypatch.setattr(merkle, name, _guarded(name, getattr(merkle, name)))


def _guarded(name: str, original: Callable[..., object]) -> Callable[..., object]:
    def guarded(leaves: Sequence[bytes], *args: int) -> object:
        if len(leaves) > BATCH:
            raise AssertionError(f"merkle.{name} over {len(leaves)} leaves in a block")
        return original(leaves, *args)

    return guarded


@pytest.mark.usefixtures("event_store", "small_merkle_inputs_only")
@override_settings(RIIK_CONSENSUS="devnet", RIIK_DEVNET_CHALLENGE_EVERY=1)
def test_devnet_blocks_on_a_grown_log_never_hash_the_whole_log() -> None:
    with transaction.atomic():
        for _ in range(10):
            _append_ledger("business", BATCH)  # 400 entries, sealed in the first block
    for _ in range(3):
        block = seal_pending()
        assert block is not None
        assert block.level == WITNESSED
        with transaction.atomic():
            _append_ledger("business", BATCH)
