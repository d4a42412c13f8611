"""A cluster node's membership view: its vote on a proposed change and the
certified entries it applies (pure)."""

from __future__ import annotations

from typing import Any

import pytest

from chain.consensus.crypto import KeyRing, Signer
from chain.consensus.membership import (
    DelegateVote,
    ElectBoard,
    Genesis,
    MemberKey,
    MembershipChange,
    RegisterEnterprise,
    RotateKey,
    certify_change,
)
from chain.consensus.memberview import MemberProposal, MemberView, MemberViewError
from chain.memberlog import MemberLog, entry_record

CHAIN = "test-chain"
SUPERNODES = [Signer.from_seed(f"supernode-{i}", b"s") for i in range(1, 5)]
WITNESSES = [Signer.from_seed(f"witness-{i}", b"w") for i in range(1, 5)]
EPOCH = 5


def _genesis() -> dict[str, Any]:
    change = Genesis(
        supernodes=tuple(MemberKey.of(s) for s in SUPERNODES),
        witnesses=tuple(MemberKey.of(s) for s in WITNESSES),
        citizens=(),
        citizen_threshold=1,
        board_size=4,
        epoch_length=EPOCH,
    )
    cert = certify_change(CHAIN, change, 0, SUPERNODES)
    return entry_record(
        chain_id=CHAIN,
        change=change.record(),
        height=0,
        from_height=1,
        certificate=[v.to_record() for v in cert.votes],
    )


def _proposal(view: MemberView, change: MembershipChange, height: int = 3) -> MemberProposal:
    start = (height - 1) // EPOCH * EPOCH + EPOCH + 1
    return MemberProposal(CHAIN, change.record(), height, start, len(view.entries))


def _certified(
    view: MemberView, change: MembershipChange, signers: list[Signer], height: int = 3
) -> dict[str, Any]:
    """The entry the host records from the votes the nodes' views give."""
    proposal = _proposal(view, change, height)
    votes = []
    for signer in signers:
        answer = view.answer(proposal, signer, started=height)
        assert answer.vote is not None, answer.reason
        votes.append(answer.vote.to_record())
    return entry_record(
        chain_id=CHAIN,
        change=proposal.change,
        height=height,
        from_height=proposal.from_height,
        certificate=votes,
    )


def test_a_supernode_signs_a_valid_change_with_its_key_of_that_height() -> None:
    view = MemberView(_genesis())
    answer = view.answer(_proposal(view, DelegateVote("witness-1", "witness-2")), SUPERNODES[0], 2)
    assert answer.reason == ""
    assert answer.vote is not None
    assert (answer.vote.kind, answer.vote.tier, answer.vote.height, answer.vote.round) == (
        "membership",
        "supernode",
        3,
        0,
    )
    assert answer.vote.key_id == SUPERNODES[0].key_id


@pytest.mark.parametrize(
    ("change", "signer", "started", "reason"),
    [
        (RegisterEnterprise("witness-1", b"\x01" * 32), 0, 2, "already registered"),
        (DelegateVote("witness-1", "bank-9"), 0, 2, "not a registered enterprise"),
        (ElectBoard(("witness-1",)), 0, 2, "does not match the delegated votes"),
        (DelegateVote("witness-1", "witness-2"), 0, 6, "already at block 6"),
    ],
)
def test_a_supernode_refuses_a_change_the_rules_or_its_progress_forbid(
    change: MembershipChange, signer: int, started: int, reason: str
) -> None:
    view = MemberView(_genesis())
    answer = view.answer(_proposal(view, change), SUPERNODES[signer], started)
    assert answer.vote is None
    assert reason in answer.reason


def test_a_node_that_is_no_supernode_or_behind_the_host_refuses() -> None:
    view = MemberView(_genesis())
    change = DelegateVote("witness-1", "witness-2")
    assert "no supernode" in view.answer(_proposal(view, change), WITNESSES[0], 0).reason
    behind = MemberProposal(CHAIN, change.record(), 3, 6, len(view.entries) + 1)
    assert "holds 1 membership entries, the host 2" in (
        view.answer(behind, SUPERNODES[0], 0).reason
    )


def test_a_certified_rotation_changes_the_witness_keys_from_the_next_epoch() -> None:
    view = MemberView(_genesis())
    new = Signer.from_seed("witness-1", b"new")
    entry = _certified(view, RotateKey("witness", "witness-1", new.public_key), SUPERNODES[:3])
    assert view.apply([view.entries[0], entry]) == [
        f"witness witness-1 signs with key {new.key_id.hex()} from block 6 (membership entry 1)"
    ]
    before = view.membership.validator_set("witness", 5).member("witness-1")
    after = view.membership.validator_set("witness", 6).member("witness-1")
    assert before is not None
    assert after is not None
    assert [k.key_id for k in before.keys if k.valid_at(0)] == [WITNESSES[0].key_id]
    assert [k.key_id for k in after.keys if k.valid_at(1)] == [new.key_id]
    assert view.key_starts("witness", "witness-1") == [(6, new.public_key)]
    assert view.apply([view.entries[0], entry]) == []  # held already: applied once


def test_an_entry_without_a_supernode_quorum_is_never_applied() -> None:
    view = MemberView(_genesis())
    entry = _certified(view, DelegateVote("witness-1", "witness-2"), SUPERNODES[:2])
    with pytest.raises(MemberViewError, match="2 of 3 valid signatures"):
        view.apply([view.entries[0], entry])
    assert len(view.entries) == 1
    assert view.log.delegations == {}


def test_an_entry_contradicting_one_held_is_refused() -> None:
    view = MemberView(_genesis())
    first = _certified(view, DelegateVote("witness-1", "witness-2"), SUPERNODES[:3])
    view.apply([view.entries[0], first])
    other = _certified(view, DelegateVote("witness-1", "witness-3"), SUPERNODES[:3], height=4)
    with pytest.raises(MemberViewError, match="entry 1 differs"):
        view.apply([view.entries[0], other])


def test_an_elected_board_is_the_witness_set_from_the_next_epoch() -> None:
    view = MemberView(_genesis())
    height = 3
    for voter, candidate in [("witness-1", "witness-1"), ("witness-2", "witness-2")]:
        view.apply([*view.entries, _certified(view, DelegateVote(voter, candidate), SUPERNODES)])
    view.apply(
        [*view.entries, _certified(view, ElectBoard(("witness-1", "witness-2")), SUPERNODES)]
    )
    assert view.membership.validator_set("witness", height).names == tuple(
        s.name for s in WITNESSES
    )
    assert view.membership.validator_set("witness", 6).names == ("witness-1", "witness-2")
    assert sorted(name for name, _ in view.log.keys_at("witness", 6)) == ["witness-1", "witness-2"]


def test_a_key_ring_signs_each_height_with_the_key_valid_there() -> None:
    old = Signer.from_seed("witness-1", b"w")
    new = Signer.from_seed("witness-1", b"new")
    ring = KeyRing([(1, old), (6, new)])
    assert ring.at(5).key_id == old.key_id
    assert ring.at(6).key_id == new.key_id
    with pytest.raises(ValueError, match="one member"):
        KeyRing([(1, old), (6, SUPERNODES[0])])


def _rotation_entry(view: MemberView, height: int) -> tuple[dict[str, Any], Signer]:
    """supernode-2's key rotation certified at ``height`` by three supernodes."""
    rotated = Signer.from_seed("supernode-2", b"rotated")
    return _certified(
        view, RotateKey("supernode", "supernode-2", rotated.public_key), SUPERNODES[:3], height
    ), rotated


def test_an_entry_waits_for_the_final_block_sealing_it_and_applies_as_it_makes_it() -> None:
    view = MemberView(_genesis())
    entry, rotated = _rotation_entry(view, 4)  # first block 6
    records = [_genesis(), entry]
    assert entry["from_height"] == EPOCH + 1
    # Received before any final block seals it: held back, nothing applied.
    assert view.apply(records, lambda record: None, decided=4) == []
    assert len(view.entries) == 1
    # Sealed at block 7, after its first block: from the next epoch start, 11.
    sealed = {"supernode-2": 7}
    assert len(view.apply(records, lambda r: sealed[r["change"]["name"]], decided=7)) == 1
    assert view.starts == [1, 2 * EPOCH + 1]
    assert view.key_starts("supernode", "supernode-2") == [(2 * EPOCH + 1, rotated.public_key)]
    keys = view.membership.validator_set("supernode", 2 * EPOCH).member("supernode-2")
    assert keys is not None
    assert [k.key_id for k in keys.keys if k.valid_at(2 * EPOCH)] == [SUPERNODES[1].key_id]


def test_the_epoch_boundary_race_gives_every_node_and_the_replay_the_same_lists() -> None:
    """Under faults the entry reaches the nodes at different heights (before its
    first block, at it, long after it) and the final chain seals it at block 7:
    every node that applies it has the replay's lists at every height; a node
    that decided the deferred boundary already refuses it (never re-judged)."""
    entry, rotated = _rotation_entry(MemberView(_genesis()), 4)
    records = [_genesis(), entry]
    replay = MemberLog(CHAIN)
    replay.apply(records[0], "seq 1")
    replay.apply(entry, "seq 2", sealed_at=7)
    views = []
    for delivered in (4, 6, 7, 10):
        view = MemberView(_genesis())
        # A node applies it once the sealing block is final: at 7, or on
        # delivery when that is later.
        view.apply(records, lambda record: 7, decided=max(delivered, 7))
        views.append(view)
    for height in range(1, 4 * EPOCH):
        expected = replay.keys_at("supernode", height)
        for view in views:
            assert view.log.keys_at("supernode", height) == expected, height
            names = view.membership.validator_set("supernode", height)
            member = names.member("supernode-2")
            assert member is not None
            valid = {k.key_id for k in member.keys if k.valid_at(height)}
            assert valid == {kid for name, kid in expected if name == "supernode-2"}, height
    assert ("supernode-2", rotated.key_id) in replay.keys_at("supernode", 2 * EPOCH + 1)
    late = MemberView(_genesis())
    with pytest.raises(MemberViewError, match="never judged again"):
        late.apply(records, lambda record: 7, decided=2 * EPOCH + 1)
    assert len(late.entries) == 1
    # Sealed by its first block or earlier: it applies there.
    on_time = MemberView(_genesis())
    on_time.apply(records, lambda record: EPOCH + 1, decided=EPOCH)
    assert on_time.starts == [1, EPOCH + 1]
