"""Storage challenges on the devnet: in-process supernodes challenge the citizens' replicas.

The devnet citizens fill their replicas from the ledger as they cosign; at
every ``RIIK_DEVNET_CHALLENGE_EVERY``-th final height each supernode asks one
of them for a random entry with its inclusion proof, and the outcome is
recorded as the cluster's host records it (a :class:`StorageCheck`, a failure
also as an entry of the chain's own log).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import override_settings

from chain import merkle
from chain.blocks import devnet, finality
from chain.blocks.models import FINAL, WITNESSED, Block, StorageCheck
from chain.blocks.sealing import seal_pending
from chain.consensus.citizen import CitizenNode, Replica
from chain.ledger.models import LedgerEntry
from chain.protocol import STORAGE_FAILURE_TOPIC
from chain.verify import main as verify_main
from tests.factories import register_company

pytestmark = pytest.mark.usefixtures("event_store")

challenging = override_settings(RIIK_CONSENSUS="devnet", RIIK_DEVNET_CHALLENGE_EVERY=1)


@pytest.fixture(autouse=True)
def fresh_nodes() -> None:
    finality._NETWORKS.clear()  # nodes built by another test (or with other citizens)


class _RottenReplica(Replica):
    """A replica whose stored entries rotted after they were checked: it answers a wrong leaf."""

    def prove(self, registry: str, seq: int, size: int) -> tuple[bytes, tuple[bytes, ...]] | None:
        held = super().prove(registry, seq, size)
        if held is None:
            return None
        leaf, proof = held
        return leaf + b" (rotten)", proof


def _seal_blocks(count: int) -> None:
    for _ in range(count):
        register_company()
        block = seal_pending()
        assert block is not None
        assert block.level == WITNESSED


@challenging
def test_devnet_supernodes_challenge_the_citizens_replicas_and_the_checks_pass() -> None:
    _seal_blocks(3)
    checks = list(StorageCheck.objects.order_by("height", "challenger"))
    # Each of the 4 supernodes challenges one citizen at every final height.
    assert [(c.height, c.challenger) for c in checks] == [
        (h, f"supernode-{i}") for h in (1, 2, 3) for i in range(1, 5)
    ]
    assert {c.citizen for c in checks} <= {"citizen-1", "citizen-2", "citizen-3"}
    assert all(c.answered and c.proof_valid and c.passed and c.entry_seq is None for c in checks)
    for check in checks:
        block = Block.objects.get(height=check.height)
        log = block.logs.get(registry=check.registry)
        assert (check.size, 1 <= check.seq <= check.size) == (log.size, True)
        answer = json.loads(check.record)["answer"]
        leaf = LedgerEntry.objects.get(registry=check.registry, seq=check.seq).leaf()
        assert bytes.fromhex(answer["leaf"]) == leaf  # the ledger's entry, from the replica
        proof = [bytes.fromhex(p) for p in answer["proof"]]
        assert merkle.verify_inclusion(
            merkle.leaf_hash(leaf), check.seq - 1, check.size, proof, bytes(log.root)
        )
    assert not LedgerEntry.objects.filter(topic=STORAGE_FAILURE_TOPIC).exists()


@override_settings(RIIK_CONSENSUS="devnet", RIIK_DEVNET_CHALLENGE_EVERY=2)
def test_devnet_challenges_come_at_every_nth_final_height_only() -> None:
    _seal_blocks(3)
    assert set(StorageCheck.objects.values_list("height", flat=True)) == {2}


@override_settings(RIIK_CONSENSUS="devnet", RIIK_DEVNET_CHALLENGE_EVERY=0)
def test_devnet_challenges_are_off_at_zero() -> None:
    _seal_blocks(2)
    assert not StorageCheck.objects.exists()


@challenging
def test_devnet_stepwise_blocks_are_challenged_once_final() -> None:
    with override_settings(RIIK_DEVNET_STEPWISE=True):
        register_company()
        seal_pending()  # committed
        assert not StorageCheck.objects.exists()
        seal_pending()  # final: the run stops once the finalize votes are out
        assert Block.objects.get(height=1).level == FINAL
        assert not StorageCheck.objects.exists()
        seal_pending()  # the supernodes adopt the final block, challenge, and it is witnessed
        assert Block.objects.get(height=1).level == WITNESSED
    checks = StorageCheck.objects.all()
    assert len(checks) == 4
    assert all(c.passed and c.height == 1 for c in checks)


@challenging
def test_a_devnet_citizen_with_a_damaged_replica_is_recorded_as_failed_in_the_chain_log(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def citizen(**options: Any) -> CitizenNode:
        return CitizenNode(**{**options, "replica": _RottenReplica()})

    monkeypatch.setattr(devnet, "CitizenNode", citizen)
    _seal_blocks(2)
    checks = list(StorageCheck.objects.order_by("height", "challenger"))
    assert len(checks) == 8
    assert all(
        (c.answered, c.proof_valid, c.passed, c.reason) == (True, False, False, "bad proof")
        for c in checks
    )
    entries = {e.seq: e for e in LedgerEntry.objects.filter(topic=STORAGE_FAILURE_TOPIC)}
    assert sorted(entries) == sorted(c.entry_seq or 0 for c in checks)
    for check in checks:
        assert check.entry_seq is not None
        assert entries[check.entry_seq].registry == "consensus"
        record = json.loads(check.record)
        assert (record["challenger"], record["citizen"]) == (check.challenger, check.citizen)
        assert bytes.fromhex(record["answer"]["leaf"]).endswith(b" (rotten)")
    # The next block seals the failures of block 2 (block 2 those of block 1),
    # and both verifiers accept the chain with them.
    _seal_blocks(1)
    assert Block.objects.get(height=3).logs.get(registry="consensus").size >= max(entries)
    call_command("chain", "verify", "--no-progress")
    out = tmp_path / "bundle.jsonl"
    call_command("chain", "export", "--out", str(out), "--no-progress")
    bundle = out.read_text()
    assert STORAGE_FAILURE_TOPIC in bundle
    assert verify_main([str(out)]) == 0
