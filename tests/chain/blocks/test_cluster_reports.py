"""The registry host stores what cluster nodes report only when its signatures prove it.

Forged, replayed and wrong-tier signatures, a certificate for an unknown
block and evidence that proves nothing change nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import override_settings

from chain import merkle
from chain.blocks.cluster.genesis import write_genesis
from chain.blocks.cluster.reports import record_report
from chain.blocks.models import (
    FINAL,
    WITNESSED,
    Block,
    BlockSignature,
    ConsensusEvidence,
    Validator,
)
from chain.consensus.crypto import Signer
from chain.consensus.messages import Block as HeaderBlock
from chain.consensus.messages import FinalBlock, QuorumCertificate, Vote
from chain.encoding import ZERO_HASH
from chain.ledger.models import ConsensusEvent, LedgerEntry
from chain.protocol import EVIDENCE_TOPIC, MEMBERSHIP_TOPIC

CHAIN = "riik-test-cluster"
SUPERNODES = [Signer.from_seed(f"supernode-{i}", b"reports") for i in range(1, 5)]
WITNESSES = [Signer.from_seed(f"witness-{i}", b"reports") for i in range(1, 5)]
CITIZENS = [Signer.from_seed(f"citizen-{i}", b"reports") for i in range(1, 3)]


@pytest.fixture(autouse=True)
def genesis(tmp_path: Path, db: None) -> Iterator[None]:
    path = tmp_path / "genesis.json"
    write_genesis(
        path,
        CHAIN,
        supernodes=SUPERNODES,
        witnesses=WITNESSES,
        citizens=CITIZENS,
        citizen_threshold=2,
    )
    with override_settings(RIIK_GENESIS_FILE=str(path), RIIK_CHAIN_ID=CHAIN):
        yield


def _header(height: int = 1) -> HeaderBlock:
    logs = {
        r: {"size": 0, "root": merkle.EMPTY_ROOT.hex()}
        for r in ("business", "court", "health", "identity", "property")
    }
    return HeaderBlock.from_header(
        {
            "chain_id": CHAIN,
            "height": height,
            "prev_hash": ZERO_HASH.hex(),
            "sealed_at": "2026-11-25T01:00:00.000000Z",
            "proposer": "witness-1",
            "logs": logs,
        }
    )


def _votes(signers: list[Signer], tier: Any, kind: Any, height: int, digest: bytes) -> list[Vote]:
    return [
        Vote.sign(
            s, chain_id=CHAIN, tier=tier, kind=kind, height=height, round=0, block_hash=digest
        )
        for s in signers
    ]


def _final(votes: list[Vote], block: HeaderBlock | None = None) -> dict[str, Any]:
    block = block or _header()
    qc = QuorumCertificate("supernode", "finalize", block.height, 0, block.hash, tuple(votes))
    return {"final": FinalBlock(block, qc).to_record(), "checkpoints": {}}


def test_a_final_certificate_of_a_supernode_quorum_stores_the_block_as_final() -> None:
    block = _header()
    record_report(
        "supernode-1",
        "final",
        _final(_votes(SUPERNODES[:3], "supernode", "finalize", 1, block.hash)),
    )
    stored = Block.objects.get()
    assert (stored.height, bytes(stored.block_hash), stored.level) == (1, block.hash, FINAL)
    assert BlockSignature.objects.filter(tier="supernode", kind="finalize").count() == 3
    assert Validator.objects.count() == 10


def test_a_forged_signature_leaves_the_certificate_short_and_changes_nothing() -> None:
    block = _header()
    votes = _votes(SUPERNODES[:3], "supernode", "finalize", 1, block.hash)
    forged = Vote.from_record({**votes[2].to_record(), "signature": "00" * 64})
    record_report("supernode-1", "final", _final([*votes[:2], forged]))
    assert not Block.objects.exists()


def test_votes_replayed_from_another_height_change_nothing() -> None:
    block = _header()
    other = _header(height=2)
    replayed = _votes(SUPERNODES[:3], "supernode", "finalize", 2, other.hash)
    record_report("supernode-1", "final", _final(replayed, block))
    assert not Block.objects.exists()


def test_witness_signatures_posing_as_supernode_finalize_votes_change_nothing() -> None:
    block = _header()
    wrong_tier = _votes(WITNESSES[:3], "supernode", "finalize", 1, block.hash)
    record_report("witness-1", "final", _final(wrong_tier))
    assert not Block.objects.exists()


def test_a_report_from_a_node_outside_the_genesis_changes_nothing() -> None:
    block = _header()
    record_report(
        "mallory", "final", _final(_votes(SUPERNODES[:3], "supernode", "finalize", 1, block.hash))
    )
    assert not Block.objects.exists()


def test_citizen_cosignatures_for_an_unknown_block_change_nothing() -> None:
    unknown = _header()
    cosigns = _votes(CITIZENS, "citizen", "cosign", 1, unknown.hash)
    qc = QuorumCertificate("citizen", "cosign", 1, 0, unknown.hash, tuple(cosigns))
    record_report("supernode-1", "witnessed", {"height": 1, "qc": qc.to_record()})
    assert not Block.objects.exists()
    assert not BlockSignature.objects.exists()


def test_citizen_cosignatures_raise_a_final_block_to_witnessed() -> None:
    block = _header()
    record_report(
        "supernode-1",
        "final",
        _final(_votes(SUPERNODES[:3], "supernode", "finalize", 1, block.hash)),
    )
    cosigns = _votes(CITIZENS, "citizen", "cosign", 1, block.hash)
    qc = QuorumCertificate("citizen", "cosign", 1, 0, block.hash, tuple(cosigns))
    record_report("supernode-2", "witnessed", {"height": 1, "qc": qc.to_record()})
    assert Block.objects.get().level == WITNESSED


def _equivocation(second: Vote) -> dict[str, Any]:
    first = _votes(WITNESSES[:1], "witness", "prevote", 3, _header(3).hash)[0]
    return {"kind": "equivocation", "vote": first.to_record(), "conflicting": second.to_record()}


def test_equivocation_evidence_is_stored_once_with_both_signed_votes() -> None:
    second = _votes(WITNESSES[:1], "witness", "prevote", 3, b"\x01" * 32)[0]
    record_report("witness-2", "evidence", _equivocation(second))
    record_report("witness-3", "evidence", _equivocation(second))
    evidence = ConsensusEvidence.objects.get()
    assert (evidence.signer, evidence.tier, evidence.height, evidence.reported_by) == (
        "witness-1",
        "witness",
        3,
        "witness-2",
    )


def test_equivocation_evidence_becomes_one_entry_of_the_chain_log() -> None:
    second = _votes(WITNESSES[:1], "witness", "prevote", 3, b"\x01" * 32)[0]
    record_report("witness-2", "evidence", _equivocation(second))
    record_report("witness-3", "evidence", _equivocation(second))
    entry = LedgerEntry.objects.get(registry="consensus", topic=EVIDENCE_TOPIC)
    # Entry 1 is the genesis, recorded with the members' keys the evidence is checked by.
    assert ConsensusEvidence.objects.get().entry_seq == entry.seq == 2
    payload = json.loads(bytes(ConsensusEvent.objects.get(topic=EVIDENCE_TOPIC).state))
    assert payload["conflicting"] == second.to_record()
    assert payload["reported_by"] == "witness-2"


def test_evidence_with_a_forged_second_vote_proves_nothing_and_is_dropped() -> None:
    second = _votes(WITNESSES[:1], "witness", "prevote", 3, b"\x01" * 32)[0]
    forged = Vote.from_record({**second.to_record(), "signature": "11" * 64})
    record_report("witness-2", "evidence", _equivocation(forged))
    assert not ConsensusEvidence.objects.exists()
    assert not LedgerEntry.objects.filter(registry="consensus", topic=EVIDENCE_TOPIC).exists()


def test_the_genesis_file_becomes_the_first_entry_of_the_chain_log_with_its_votes() -> None:
    block = _header()
    final = _final(_votes(SUPERNODES[:3], "supernode", "finalize", 1, block.hash))
    record_report("supernode-1", "final", final)
    record_report("supernode-2", "final", final)  # recorded once
    entry = LedgerEntry.objects.get(registry="consensus", topic=MEMBERSHIP_TOPIC)
    payload = json.loads(bytes(ConsensusEvent.objects.get(topic=MEMBERSHIP_TOPIC).state))
    assert entry.seq == 1
    assert (payload["height"], payload["from_height"]) == (0, 1)
    assert payload["change"]["type"] == "genesis"
    assert [m["name"] for m in payload["change"]["supernodes"]] == [s.name for s in SUPERNODES]
    assert {vote["signer"] for vote in payload["certificate"]} == {s.name for s in SUPERNODES}
