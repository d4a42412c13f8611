"""Checkpoints are cosigned by a supernode quorum, not one supernode's key (issue 15, item 5)."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from chain import merkle, notes
from chain.blocks.checkpoints import add_signatures, checkpoint_origin, supernode_quorum
from chain.blocks.cluster.genesis import write_genesis
from chain.blocks.cluster.reports import merge_checkpoints, record_report
from chain.blocks.models import Block, Checkpoint
from chain.blocks.nodekeys import tier_keys
from chain.blocks.sealing import seal_pending
from chain.consensus.crypto import Signer
from chain.consensus.messages import Block as HeaderBlock
from chain.consensus.messages import FinalBlock, QuorumCertificate, Vote
from chain.encoding import ZERO_HASH
from chain.keys import NodeKey
from chain.witness import request_body
from tests.factories import register_company

WITNESS_URL = "/api/v1/chain/witness/add-checkpoint"


def _signers(note: str) -> list[str]:
    return [sig.name for sig in notes.split_note(note)[1]]


@pytest.mark.usefixtures("event_store")
@override_settings(RIIK_CONSENSUS="devnet")
def test_a_devnet_checkpoint_carries_the_signature_of_every_finalizing_supernode(
    tmp_path: Path,
) -> None:
    register_company()
    block = seal_pending()
    assert block is not None
    checkpoint = Checkpoint.objects.get(block=block, registry="business")
    assert _signers(checkpoint.note) == [f"supernode-{i}" for i in range(1, 5)]
    quorum = supernode_quorum(block.height)
    assert quorum.needed == 3
    assert quorum.met_by(checkpoint.note)
    with override_settings(RIIK_DATA_DIR=tmp_path):
        client = APIClient()
        served = client.get("/api/v1/chain/logs/business/checkpoint/").json()
        assert served["note"] == checkpoint.note
        # One supernode's signature alone, a key the witness knows: refused.
        body, _ = notes.split_note(checkpoint.note)
        alone = tier_keys("supernode", 4)[0].sign_note(body)
        response = client.generic(
            "POST", WITNESS_URL, request_body(0, [], alone).decode(), content_type="text/plain"
        )
        assert response.status_code == 403, response.content
        assert "signed by 1 of the 3 supernodes" in response.json()["detail"]
        response = client.generic(
            "POST",
            WITNESS_URL,
            request_body(0, [], checkpoint.note).decode(),
            content_type="text/plain",
        )
        assert response.status_code == 200, response.content


CHAIN = "riik-test-checkpoints"
SUPERNODES = [NodeKey.generate(f"supernode-{i}") for i in range(1, 5)]
WITNESSES = [Signer.from_seed(f"witness-{i}", b"checkpoints") for i in range(1, 5)]


@pytest.fixture
def cluster(tmp_path: Path, db: None) -> Iterator[None]:
    path = tmp_path / "genesis.json"
    write_genesis(
        path,
        CHAIN,
        supernodes=[Signer.from_node_key(k) for k in SUPERNODES],
        witnesses=WITNESSES,
        citizens=[],
        citizen_threshold=1,
    )
    with override_settings(
        RIIK_GENESIS_FILE=str(path), RIIK_CHAIN_ID=CHAIN, RIIK_DATA_DIR=tmp_path
    ):
        yield


def _final_report(block: HeaderBlock, reporter: NodeKey) -> dict[str, object]:
    votes = tuple(
        Vote.sign(
            Signer.from_node_key(k),
            chain_id=CHAIN,
            tier="supernode",
            kind="finalize",
            height=block.height,
            round=0,
            block_hash=block.hash,
        )
        for k in SUPERNODES[:3]
    )
    qc = QuorumCertificate("supernode", "finalize", block.height, 0, block.hash, votes)
    checkpoints = {
        registry: reporter.sign_note(notes.checkpoint_body(checkpoint_origin(registry), size, root))
        for registry, (size, root) in block.logs().items()
    }
    return {"final": FinalBlock(block, qc).to_record(), "checkpoints": checkpoints}


def _header() -> HeaderBlock:
    return HeaderBlock.from_header(
        {
            "chain_id": CHAIN,
            "height": 1,
            "prev_hash": ZERO_HASH.hex(),
            "sealed_at": "2026-11-25T01:00:00.000000Z",
            "proposer": "witness-1",
            "logs": {"business": {"size": 2, "root": merkle.root_hash([b"a", b"b"]).hex()}},
        }
    )


@pytest.mark.usefixtures("cluster")
def test_a_cluster_host_merges_each_supernodes_checkpoint_and_publishes_it_at_a_quorum() -> None:
    block = _header()
    client = APIClient()
    for count, reporter in enumerate(SUPERNODES[:3], start=1):
        record_report(reporter.name, "final", _final_report(block, reporter))
        merge_checkpoints(wait=0.0)  # the host's tick, once the notes waited long enough
        note = Checkpoint.objects.get(registry="business").note
        assert _signers(note) == [k.name for k in SUPERNODES[:count]]
        response = client.get("/api/v1/chain/logs/business/checkpoint/")
        # Final at the first report, but served only once 3 of 4 cosigned.
        assert response.status_code == (200 if count == 3 else 404), count
    assert response.json()["note"] == note
    # The same report again adds nothing.
    record_report("supernode-1", "final", _final_report(block, SUPERNODES[0]))
    merge_checkpoints(wait=0.0)
    assert Checkpoint.objects.get(registry="business").note == note


@pytest.mark.usefixtures("cluster")
def test_the_other_supernodes_lines_wait_for_one_merge_per_block_in_one_transaction() -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    block = _header()
    record_report("supernode-1", "final", _final_report(block, SUPERNODES[0]))  # stores it
    body = notes.checkpoint_body(checkpoint_origin("business"), 2, merkle.root_hash([b"a", b"b"]))
    # supernode-2's signature line under supernode-3's name: its key id is not supernode-3's.
    relabelled = SUPERNODES[1].sign_note(body).replace("supernode-2", "supernode-3")
    forged = {**_final_report(block, SUPERNODES[2]), "checkpoints": {"business": relabelled}}
    with CaptureQueriesContext(connection) as queries:
        record_report("supernode-2", "final", _final_report(block, SUPERNODES[1]))
        record_report("supernode-3", "final", forged)  # its one line is not its own
    assert len(queries) == 2, "one read each: is the block stored?"
    assert merge_checkpoints() == 0, "a tick right after them leaves them waiting"
    assert _signers(Checkpoint.objects.get(registry="business").note) == ["supernode-1"]
    with CaptureQueriesContext(connection) as queries:
        record_report("supernode-4", "final", _final_report(block, SUPERNODES[3]))
    # The last one in merges them all: one read, then the block, its logs, the
    # keys, the checkpoints (locked) and one update, in one transaction.
    sql = [q["sql"] for q in queries]
    assert sum(s.startswith("SAVEPOINT") for s in sql) == 1, "one transaction"
    assert len([s for s in sql if "SAVEPOINT" not in s]) <= 6, sql
    assert _signers(Checkpoint.objects.get(registry="business").note) == [
        "supernode-1",
        "supernode-2",
        "supernode-4",
    ]
    assert merge_checkpoints() == 0, "nothing left to merge"


@pytest.mark.usefixtures("cluster")
def test_checkpoint_lines_of_strangers_forged_or_for_another_head_are_not_merged() -> None:
    block = _header()
    record_report("supernode-1", "final", _final_report(block, SUPERNODES[0]))
    stored = Block.objects.get(height=1)
    body = notes.checkpoint_body(checkpoint_origin("business"), 2, merkle.root_hash([b"a", b"b"]))
    stranger = NodeKey.generate("supernode-2")  # a member's name, not its key
    assert add_signatures(stored, "business", stranger.sign_note(body)) == 0
    (line,) = notes.split_note(SUPERNODES[1].sign_note(body))[1]
    raw = bytearray(line.key_id + line.signature)
    raw[-1] ^= 1
    tampered = f"{body}\n\u2014 {line.name} {base64.b64encode(bytes(raw)).decode()}\n"
    assert add_signatures(stored, "business", tampered) == 0
    other = notes.checkpoint_body(checkpoint_origin("business"), 3, bytes(32))
    assert add_signatures(stored, "business", SUPERNODES[1].sign_note(other)) == 0
    assert _signers(Checkpoint.objects.get(registry="business").note) == ["supernode-1"]


@pytest.mark.usefixtures("cluster")
def test_a_final_reports_notes_of_every_log_are_checked_each_and_merged_in_few_queries() -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from chain.blocks.checkpoints import add_block_signatures

    logs = {
        registry: {"size": size, "root": merkle.root_hash([b"x"] * size).hex()}
        for registry, size in (("business", 2), ("identity", 3), ("property", 1))
    }
    block = HeaderBlock.from_header({**_header().header, "logs": logs})
    record_report("supernode-1", "final", _final_report(block, SUPERNODES[0]))
    stored = Block.objects.get(height=1)
    signed = _final_report(block, SUPERNODES[1])["checkpoints"]
    assert isinstance(signed, dict)
    (line,) = notes.split_note(signed["identity"])[1]
    raw = bytearray(line.key_id + line.signature)
    raw[-1] ^= 1
    body = notes.split_note(signed["identity"])[0]
    forged = {**signed, "identity": f"{body}\n\u2014 {line.name} "
              f"{base64.b64encode(bytes(raw)).decode()}\n"}  # fmt: skip
    with CaptureQueriesContext(connection) as queries:
        counts = add_block_signatures(stored, forged)
    assert counts == {"business": 1, "identity": 0, "property": 1}
    # The logs, the keys, the checkpoints (locked) and one update: not a round per log.
    assert len(queries) <= 5, [q["sql"] for q in queries]
    signers = {c.registry: _signers(c.note) for c in Checkpoint.objects.all()}
    assert signers == {
        "business": ["supernode-1", "supernode-2"],
        "identity": ["supernode-1"],
        "property": ["supernode-1", "supernode-2"],
    }
