"""A cluster node's side of membership changes: its vote on a proposal, the
hold on the change's first block, and the certified entries it applies and
keeps across a restart."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import transaction
from django.test import override_settings

from chain.blocks.cluster import quorum, transport
from chain.blocks.cluster.genesis import write_genesis
from chain.blocks.cluster.node import NodeRuntime
from chain.blocks.memberstore import entry_originator
from chain.blocks.models import NodeMemberEntry
from chain.consensus.crypto import Signer
from chain.consensus.membership import DelegateVote, MembershipChange, RotateKey, certify_change
from chain.consensus.memberview import MemberProposal
from chain.consensus.messages import (
    Block,
    FinalBlock,
    QuorumCertificate,
    Vote,
    message_to_record,
)
from chain.consensus.node import Finalized, Output
from chain.consensus.supernode import SupernodeNode
from chain.encoding import entry_leaf
from chain.keys import NodeKey, load_or_create_node_key, next_key_path
from chain.memberlog import entry_record
from chain.protocol import CHAIN_LOG, MEMBERSHIP_TOPIC

CHAIN = "riik-member-test"
EPOCH = 5


@pytest.fixture
def keys(tmp_path: Path, db: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    directory = tmp_path / "keys"
    found: dict[str, Any] = {
        tier: [load_or_create_node_key(directory, f"{tier}-{i}") for i in range(1, 5)]
        for tier in ("supernode", "witness")
    }
    path = tmp_path / "genesis.json"
    write_genesis(
        path,
        CHAIN,
        supernodes=[Signer.from_node_key(k) for k in found["supernode"]],
        witnesses=[Signer.from_node_key(k) for k in found["witness"]],
        citizens=[],
        citizen_threshold=1,
        epoch_length=EPOCH,
    )
    answers: list[dict[str, Any]] = []
    monkeypatch.setattr(transport, "send", lambda *args, **kw: None)
    monkeypatch.setattr(transport, "reply", lambda queue, answer: answers.append(answer))
    found.update(dir=directory, genesis=quorum.genesis_entry(str(path)), answers=answers)
    with override_settings(RIIK_GENESIS_FILE=str(path), RIIK_KEYS_DIR=directory):
        yield found


def _entry(keys: dict[str, Any], change: MembershipChange, signers: int = 4) -> dict[str, Any]:
    supernodes = [Signer.from_node_key(k) for k in keys["supernode"][:signers]]
    cert = certify_change(CHAIN, change, 1, supernodes)
    return entry_record(
        chain_id=CHAIN,
        change=change.record(),
        height=1,
        from_height=EPOCH + 1,
        certificate=[vote.to_record() for vote in cert.votes],
    )


def _seal(node: NodeRuntime, records: list[dict[str, Any]], height: int) -> None:
    """Give ``node`` the chain-log leaves of ``records`` and make final a block at
    ``height`` that seals them (a node applies an entry once such a block is final)."""
    held = node.leaves.size(CHAIN_LOG)
    leaves = [
        entry_leaf(
            registry=CHAIN_LOG,
            seq=seq,
            originator_id=str(entry_originator(record)),
            originator_version=1,
            topic=MEMBERSHIP_TOPIC,
            recorded_at="2026-12-07T00:00:00.000000Z",
            payload_hash=bytes(32),
        )
        for seq, record in enumerate(records, start=1)
    ]
    with transaction.atomic():
        node.leaves.add(CHAIN_LOG, held, leaves[held:])
    root = node.leaves.root(CHAIN_LOG, len(records))
    assert root is not None
    block = Block.from_header(
        {
            "chain_id": CHAIN,
            "height": height,
            "prev_hash": "00" * 32,
            "proposer": "witness-1",
            "sealed_at": "2026-12-07T00:00:00.000000Z",
            "logs": {CHAIN_LOG: {"size": len(records), "root": root.hex()}},
        }
    )
    qc = QuorumCertificate("supernode", "finalize", height, 0, block.hash, ())
    with transaction.atomic():
        node._persist(Output(decisions=[Finalized(FinalBlock(block, qc), takeover=False)]))


def test_a_supernode_holds_the_changes_first_block_until_the_entry_arrives(
    keys: dict[str, Any],
) -> None:
    node = NodeRuntime(keys["supernode"][0], "supernode")
    change = DelegateVote("witness-1", "witness-2")
    proposal = MemberProposal(CHAIN, change.record(), 1, EPOCH + 1, 1, time.time() + 30)
    node.member_proposal(proposal.to_record(), "replies")
    (answer,) = keys["answers"]
    assert answer["reason"] == ""
    assert answer["vote"]["kind"] == "membership"
    assert not node._held()  # still before the change's first block
    assert isinstance(node.node, SupernodeNode)
    node.node.height = EPOCH + 1
    assert node._held()
    witness = Signer.from_node_key(keys["witness"][1])
    vote = Vote.sign(
        witness,
        chain_id=CHAIN,
        tier="witness",
        kind="prevote",
        height=EPOCH + 1,
        round=0,
        block_hash=None,
    )
    node.deliver("witness-2", message_to_record(vote))
    assert len(node._deferred) == 1  # not handled with the old lists
    _seal(node, [keys["genesis"], _entry(keys, change)], 1)
    node.membership_entries([keys["genesis"], _entry(keys, change)])
    assert not node._held()
    assert node._deferred == []
    assert NodeMemberEntry.objects.count() == 1


def test_an_expired_proposal_gets_no_vote_and_no_hold(keys: dict[str, Any]) -> None:
    node = NodeRuntime(keys["supernode"][0], "supernode")
    change = DelegateVote("witness-1", "witness-2").record()
    node.member_proposal(MemberProposal(CHAIN, change, 1, 6, 1, time.time() - 1).to_record(), "q")
    assert keys["answers"] == []
    assert node._promises == {}


def test_a_witness_refuses_to_vote_on_a_membership_change(keys: dict[str, Any]) -> None:
    node = NodeRuntime(keys["witness"][0], "witness")
    proposal = MemberProposal(CHAIN, DelegateVote("witness-1", "witness-2").record(), 1, 6, 1)
    node.member_proposal(proposal.to_record(), "replies")
    assert keys["answers"] == [
        {"signer": "witness-1", "vote": None, "reason": "witness-1 is no supernode"}
    ]


def test_a_rotation_of_its_own_key_signs_from_its_first_block_and_survives_a_restart(
    keys: dict[str, Any],
) -> None:
    old = keys["witness"][0]
    new = NodeKey.generate("witness-1")
    next_key_path(keys["dir"], "witness-1", new.key_id).write_bytes(new.pem())
    node = NodeRuntime(old, "witness")
    records = [keys["genesis"], _entry(keys, RotateKey("witness", "witness-1", new.public_bytes))]
    _seal(node, records, 1)
    node.membership_entries(records)
    for runtime in (node, NodeRuntime(old, "witness")):
        assert runtime.signer.at(EPOCH).key_id == old.key_id
        assert runtime.signer.at(EPOCH + 1).key_id == new.key_id
        assert runtime.node.signer is runtime.signer
        board = runtime.membership.validator_set("witness", EPOCH + 1).member("witness-1")
        assert board is not None
        assert [k.key_id for k in board.keys if k.valid_at(1)] == [new.key_id]
    assert runtime._key_at(EPOCH + 1).key_id == new.key_id


def test_an_entry_without_a_supernode_quorum_is_neither_applied_nor_stored(
    keys: dict[str, Any],
) -> None:
    node = NodeRuntime(keys["witness"][0], "witness")
    forged = _entry(keys, DelegateVote("witness-1", "witness-2"), signers=2)
    _seal(node, [keys["genesis"], forged], 1)
    node.membership_entries([keys["genesis"], forged])
    assert len(node.view.entries) == 1
    assert not NodeMemberEntry.objects.exists()
    assert node.membership.delegations(EPOCH + 1) == {}


def test_a_node_applies_an_entry_sealed_late_from_the_epoch_start_after_its_sealing_block(
    keys: dict[str, Any],
) -> None:
    old = keys["witness"][0]
    new = NodeKey.generate("witness-1")
    next_key_path(keys["dir"], "witness-1", new.key_id).write_bytes(new.pem())
    records = [keys["genesis"], _entry(keys, RotateKey("witness", "witness-1", new.public_bytes))]
    node = NodeRuntime(old, "witness")
    _seal(node, records[:1], 1)
    node.membership_entries(records)
    assert len(node.view.entries) == 1  # no final block seals it yet: it waits
    _seal(node, records, EPOCH + 2)  # sealed one block after its first block
    for runtime in (node, NodeRuntime(old, "witness")):  # and after a restart
        assert len(runtime.view.entries) == 2
        assert runtime.signer.at(2 * EPOCH).key_id == old.key_id
        assert runtime.signer.at(2 * EPOCH + 1).key_id == new.key_id
        board = runtime.membership.validator_set("witness", 2 * EPOCH).member("witness-1")
        assert board is not None
        assert [k.key_id for k in board.keys if k.valid_at(2 * EPOCH)] == [old.key_id]


def test_a_node_holds_at_an_epoch_start_until_it_has_every_entry_sealed_before_it(
    keys: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    sent: list[tuple[Any, ...]] = []
    monkeypatch.setattr(transport, "send", lambda *args, **kw: sent.append(args))
    change = DelegateVote("witness-1", "witness-2")
    records = [keys["genesis"], _entry(keys, change)]
    node = NodeRuntime(keys["witness"][1], "witness")
    # The entry reached this node's leaves and a final block, not its record.
    _seal(node, records, EPOCH - 1)
    assert not node._held()  # block 5 is not an epoch start
    _seal(node, records, EPOCH)
    assert node._held()  # block 6 is: it must not be judged without the entry
    # It asks the host for the chain log, answered with the membership entries.
    assert ("cluster_need", transport.HOST, "witness-2", CHAIN_LOG, 2) in sent
    witness = Signer.from_node_key(keys["witness"][2])
    vote = Vote.sign(
        witness,
        chain_id=CHAIN,
        tier="witness",
        kind="prevote",
        height=EPOCH + 1,
        round=0,
        block_hash=None,
    )
    node.deliver("witness-3", message_to_record(vote))
    assert len(node._deferred) == 1
    node.membership_entries(records)
    assert not node._held()
    assert node._deferred == []
    assert node.membership.delegations(EPOCH + 1) == {"witness-1": "witness-2"}


def test_a_block_never_seals_an_entry_that_applies_from_that_block(
    keys: dict[str, Any],
) -> None:
    records = [keys["genesis"], _entry(keys, DelegateVote("witness-1", "witness-2"))]
    node = NodeRuntime(keys["witness"][0], "witness")
    _seal(node, records[:1], 1)
    _seal(node, records, 1)  # its leaf arrives; block 1 stays the last final one
    # Its record unknown, a block seals it nowhere: its first block is unknown.
    assert node._sealable(EPOCH, 2) == 1
    node.membership_entries(records)
    assert node._sealable(EPOCH, 2) == 2  # in time: before its first block
    assert node._sealable(EPOCH + 1, 2) == 1  # its first block: not that one
    assert node._sealable(EPOCH + 2, 2) == 2  # late: deferred to block 11
    header = {
        "chain_id": CHAIN,
        "height": EPOCH + 1,
        "prev_hash": "00" * 32,
        "sealed_at": "2026-12-07T00:00:00.000000Z",
        "proposer": "witness-1",
        "logs": {
            registry: {
                "size": node.leaves.size(registry),
                "root": (node.leaves.root(registry, node.leaves.size(registry)) or b"").hex(),
            }
            for registry in settings.RIIK_REGISTRIES
        },
    }
    assert not node._check_header(header)
    header["height"] = EPOCH
    assert node._check_header(header)
