"""Storage challenges on the cluster: a supernode asks a citizen for an entry, the host records it.

The supernode's runtime challenges a citizen when a block becomes final,
reports the outcome to the registry host, and the host checks the answer's
proof again before storing a :class:`StorageCheck` (and, for a failure, an
entry of the chain's own log).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from chain import merkle
from chain.blocks.cluster import transport
from chain.blocks.cluster.genesis import write_genesis
from chain.blocks.cluster.node import CLUSTER_TIMEOUTS, NodeRuntime
from chain.blocks.cluster.reports import record_report
from chain.blocks.models import StorageCheck
from chain.consensus.citizen import Replica, answer_challenge
from chain.consensus.crypto import Signer
from chain.consensus.messages import Block as HeaderBlock
from chain.consensus.messages import (
    FinalBlock,
    QuorumCertificate,
    StorageChallenge,
    StorageProof,
    Vote,
    message_from_record,
    message_to_record,
)
from chain.encoding import ZERO_HASH
from chain.keys import NodeKey, load_or_create_node_key
from chain.ledger.models import LedgerEntry
from chain.protocol import STORAGE_FAILURE_TOPIC
from tests.chain.blocks.leaves import delivered, entry_leaves

CHAIN = "riik-storage-test"
LEAVES = entry_leaves("business", 7)


@pytest.fixture
def keys(tmp_path: Path) -> dict[str, list[NodeKey]]:
    return {
        tier: [load_or_create_node_key(tmp_path / "keys", f"{tier}-{i}") for i in range(1, n + 1)]
        for tier, n in (("supernode", 4), ("witness", 4), ("citizen", 2))
    }


class RecordingSupernode(NodeRuntime):
    """A supernode's runtime that also keeps what it sent, for the tests to read."""

    sent: list[tuple[str, str, tuple[Any, ...]]]


@pytest.fixture
def supernode(
    tmp_path: Path, db: None, keys: dict[str, list[NodeKey]], monkeypatch: pytest.MonkeyPatch
) -> Iterator[Any]:
    path = tmp_path / "genesis.json"
    signers = {tier: [Signer.from_node_key(k) for k in ks] for tier, ks in keys.items()}
    write_genesis(
        path,
        CHAIN,
        supernodes=signers["supernode"],
        witnesses=signers["witness"],
        citizens=signers["citizen"],
        citizen_threshold=2,
    )
    sent: list[tuple[str, str, tuple[Any, ...]]] = []
    monkeypatch.setattr(
        transport, "send", lambda task, to, *args, **kw: sent.append((task, to, args))
    )
    with override_settings(
        RIIK_GENESIS_FILE=str(path), RIIK_CHAIN_ID=CHAIN, RIIK_CLUSTER_CHALLENGE_EVERY=1
    ):
        node = RecordingSupernode(keys["supernode"][0], "supernode")
        node.start()
        node.sent = sent
        yield node


def _final(keys: dict[str, list[NodeKey]]) -> FinalBlock:
    logs = {r: {"size": 0, "root": merkle.EMPTY_ROOT.hex()} for r in _registries()}
    logs["business"] = {"size": len(LEAVES), "root": merkle.root_hash(LEAVES).hex()}
    block = HeaderBlock.from_header(
        {
            "chain_id": CHAIN,
            "height": 1,
            "prev_hash": ZERO_HASH.hex(),
            "sealed_at": "2026-12-06T10:00:00.000000Z",
            "proposer": "witness-1",
            "logs": logs,
        }
    )
    votes = tuple(
        Vote.sign(
            Signer.from_node_key(key),
            chain_id=CHAIN,
            tier="supernode",
            kind="finalize",
            height=1,
            round=0,
            block_hash=block.hash,
        )
        for key in keys["supernode"][1:]
    )
    return FinalBlock(block, QuorumCertificate("supernode", "finalize", 1, 0, block.hash, votes))


def _registries() -> list[str]:
    from django.conf import settings

    return sorted(settings.RIIK_REGISTRIES)


def _challenged(supernode: Any, keys: dict[str, list[NodeKey]]) -> tuple[str, StorageChallenge]:
    """Make block 1 final at the host and at the supernode; the challenge it sent."""
    final = _final(keys)
    record_report("supernode-2", "final", {"final": final.to_record(), "checkpoints": {}})
    supernode.ledger("business", 0, LEAVES)
    supernode.deliver("supernode-2", message_to_record(final))
    challenges = [
        (to, message_from_record(record))
        for to, record in delivered(supernode.sent)
        if record["type"] == "storage-challenge"
    ]
    assert len(challenges) == 1
    citizen, challenge = challenges[0]
    assert isinstance(challenge, StorageChallenge)
    assert citizen in ("citizen-1", "citizen-2")
    return citizen, challenge


def _report_to_host(supernode: Any) -> StorageCheck:
    reports = [args for task, _, args in supernode.sent if task == "cluster_report"]
    storage = [args for args in reports if args[1] == "storage"]
    assert len(storage) == 1
    record_report(*storage[0])
    record_report(*storage[0])  # reported again: recorded once
    return StorageCheck.objects.get()


def test_a_citizen_answering_with_the_entry_and_its_proof_is_recorded_as_passed(
    supernode: Any, keys: dict[str, list[NodeKey]]
) -> None:
    citizen, challenge = _challenged(supernode, keys)
    answer = answer_challenge(Replica({"business": LEAVES}), challenge)
    assert answer is not None
    supernode.deliver(citizen, message_to_record(answer))
    check = _report_to_host(supernode)
    assert (check.challenger, check.citizen, check.registry, check.seq, check.height) == (
        "supernode-1",
        citizen,
        "business",
        challenge.seq,
        1,
    )
    assert (check.answered, check.proof_valid, check.passed) == (True, True, True)
    assert check.entry_seq is None
    assert not LedgerEntry.objects.filter(topic=STORAGE_FAILURE_TOPIC).exists()


@pytest.mark.parametrize("fault", ["wrong entry", "bad proof"])
def test_a_citizen_answering_with_a_wrong_entry_or_a_bad_proof_is_recorded_as_failed(
    supernode: Any, keys: dict[str, list[NodeKey]], fault: str
) -> None:
    citizen, challenge = _challenged(supernode, keys)
    right = answer_challenge(Replica({"business": LEAVES}), challenge)
    assert right is not None
    if fault == "wrong entry":
        answer = StorageProof(
            right.nonce, right.registry, right.seq, right.size, b"forged entry", right.proof
        )
    else:
        answer = StorageProof(
            right.nonce, right.registry, right.seq, right.size, right.leaf, (b"\x07" * 32,)
        )
    supernode.deliver(citizen, message_to_record(answer))
    check = _report_to_host(supernode)
    assert (check.answered, check.proof_valid, check.passed) == (True, False, False)
    assert check.reason == "bad proof"
    entry = LedgerEntry.objects.get(topic=STORAGE_FAILURE_TOPIC)
    assert entry.topic == STORAGE_FAILURE_TOPIC
    assert check.entry_seq == entry.seq


def test_a_citizen_that_does_not_answer_is_recorded_as_failed_even_while_the_chain_is_idle(
    supernode: Any, keys: dict[str, list[NodeKey]]
) -> None:
    citizen, challenge = _challenged(supernode, keys)
    assert supernode._idle()
    assert not supernode._has_news()
    resend = CLUSTER_TIMEOUTS.resend
    for _ in range(8 * resend + 1):
        supernode.tick()
    sent = [
        to for to, record in delivered(supernode.sent) if record == message_to_record(challenge)
    ]
    assert sent == [citizen] * 9  # the first send, then every resend period
    check = _report_to_host(supernode)
    assert (check.answered, check.proof_valid, check.passed, check.reason) == (
        False,
        False,
        False,
        "no answer",
    )
    assert check.entry_seq is not None


def test_a_report_naming_a_root_that_is_not_final_at_the_host_is_dropped(
    supernode: Any, keys: dict[str, list[NodeKey]]
) -> None:
    citizen, challenge = _challenged(supernode, keys)
    forged = StorageChallenge(challenge.nonce, "business", 1, 1, merkle.root_hash([b"other"]))
    payload = {
        "citizen": citizen,
        "height": 1,
        "ok": False,
        "reason": "no answer",
        "challenge": forged.to_record(),
        "answer": None,
    }
    record_report("supernode-1", "storage", payload)
    record_report("witness-1", "storage", {**payload, "challenge": challenge.to_record()})
    assert not StorageCheck.objects.exists()


def test_storage_checks_are_listed_by_the_api_and_filtered_by_outcome(
    supernode: Any, keys: dict[str, list[NodeKey]]
) -> None:
    citizen, challenge = _challenged(supernode, keys)
    answer = answer_challenge(Replica({"business": LEAVES}), challenge)
    assert answer is not None
    supernode.deliver(citizen, message_to_record(answer))
    _report_to_host(supernode)
    client = APIClient()
    listed = client.get("/api/v1/chain/storage-checks/").json()["results"]
    assert [(c["citizen"], c["passed"], c["seq"]) for c in listed] == [
        (citizen, True, challenge.seq)
    ]
    assert listed[0]["answer"]["leaf"] == answer.leaf.hex()
    assert client.get("/api/v1/chain/storage-checks/?passed=false").json()["results"] == []
    bad = client.get("/api/v1/chain/storage-checks/?passed=maybe")
    assert bad.status_code == 400
    assert bad["Content-Type"].startswith("application/problem+json")
