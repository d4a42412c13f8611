"""Validator sets, quorum math, and member lists changed only by supernode quorum certificates."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from chain.consensus.crypto import Signer
from chain.consensus.evidence import check_certificate
from chain.consensus.membership import (
    AddMember,
    DelegateVote,
    ElectBoard,
    Genesis,
    MemberKey,
    Membership,
    MembershipChange,
    MembershipError,
    RegisterEnterprise,
    RemoveMember,
    RevokeKey,
    RotateKey,
    SetCitizenThreshold,
    ValidatorSet,
    VoteCheck,
    certify_change,
    elect_board,
)
from chain.consensus.messages import QuorumCertificate
from tests.chain.consensus.helpers import CHAIN, C, S, W, membership, signer, vote

EPOCH = 10  # blocks per epoch in these tests


def fresh(**options: Any) -> Membership:
    return membership(epoch_length=EPOCH, **options)


def apply(
    mem: Membership, change: MembershipChange, height: int, signers: list[Signer] | None = None
) -> int:
    return mem.apply(certify_change(CHAIN, change, height, signers or S[:3]))


def test_proposer_is_round_robin_by_height_plus_round_over_names() -> None:
    board = fresh().validator_set("witness", 1)
    assert board.names == ("witness-1", "witness-2", "witness-3", "witness-4")
    assert [board.proposer(1, r) for r in range(4)] == [
        "witness-2",
        "witness-3",
        "witness-4",
        "witness-1",
    ]
    assert board.proposer(2, 0) == board.proposer(1, 1)


def test_check_says_why_a_vote_does_not_count() -> None:
    mem = fresh()
    supernodes = mem.validator_set("supernode", 1)
    good = vote(S[0], "finalize", 1, 0, bytes(32))
    assert supernodes.check(good) is VoteCheck.OK
    assert supernodes.check(replace(good, signature=bytes(64))) is VoteCheck.BAD_SIGNATURE
    assert supernodes.check(replace(good, height=2)) is VoteCheck.BAD_SIGNATURE
    assert (
        supernodes.check(vote(S[0], "finalize", 1, 0, None, chain_id="other"))
        is VoteCheck.WRONG_CHAIN
    )
    assert supernodes.check(vote(signer("stranger"), "finalize", 1, 0, None, tier="supernode")) is (
        VoteCheck.UNKNOWN_SIGNER
    )
    assert supernodes.check(replace(good, key_id=b"\0\0\0\0")) is VoteCheck.UNKNOWN_KEY
    assert supernodes.check(replace(good, alg="rsa")) is VoteCheck.UNSUPPORTED_ALG
    # A witness signing as a supernode, or a witness vote where supernode votes count.
    assert mem.check_vote(vote(W[0], "finalize", 1, 0, None, tier="supernode"), "supernode") is (
        VoteCheck.WRONG_TIER
    )
    assert mem.check_vote(vote(W[0], "precommit", 1, 0, None), "supernode") is VoteCheck.WRONG_TIER


def test_citizens_use_the_configured_threshold() -> None:
    mem = fresh(citizen_threshold=3)
    assert mem.validator_set("citizen", 1).quorum == 3
    assert ValidatorSet.of_signers(C, chain_id=CHAIN, tier="citizen", threshold=1).quorum == 1


def test_genesis_needs_a_quorum_of_its_own_supernodes() -> None:
    genesis = Genesis(
        supernodes=tuple(MemberKey.of(s) for s in S),
        witnesses=tuple(MemberKey.of(w) for w in W),
    )
    Membership(CHAIN, certify_change(CHAIN, genesis, 0, S[:3]))
    with pytest.raises(MembershipError, match="2 valid supernode signatures, 3 needed"):
        Membership(CHAIN, certify_change(CHAIN, genesis, 0, S[:2]))
    with pytest.raises(MembershipError):
        Membership(CHAIN, certify_change(CHAIN, genesis, 0, W))  # not its supernodes


def test_a_change_without_a_supernode_quorum_is_rejected_and_changes_nothing() -> None:
    mem = fresh()
    newcomer = signer("bank-1")
    change = RegisterEnterprise("bank-1", newcomer.public_key)
    with pytest.raises(MembershipError, match="needed"):
        apply(mem, change, 5, S[:2])
    with pytest.raises(MembershipError):
        apply(mem, change, 5, W[:4])  # witnesses cannot approve changes
    forged = certify_change(CHAIN, change, 5, S[:3])
    tampered = replace(forged, change=RegisterEnterprise("bank-2", newcomer.public_key))
    with pytest.raises(MembershipError):
        mem.apply(tampered)  # the votes sign another change
    replayed = replace(forged, height=6)
    with pytest.raises(MembershipError):
        mem.apply(replayed)  # the votes sign another height
    assert "bank-1" not in mem.enterprises(100)


def test_election_is_top_k_by_delegated_votes_ties_broken_by_name() -> None:
    delegations = {"a": "zeta", "b": "zeta", "c": "alpha", "d": "beta", "e": "gamma", "f": "gamma"}
    candidates = ["a", "b", "c", "d", "e", "f", "alpha", "beta", "gamma", "zeta"]
    # zeta 2, gamma 2, then alpha/beta tie at 1: alpha wins by name.
    assert elect_board(delegations, candidates, 3) == ("alpha", "gamma", "zeta")
    # Votes from or for unregistered names do not count.
    assert elect_board({"x": "alpha", "a": "ghost"}, ["a", "alpha"], 2) == ()


def test_an_elected_board_takes_office_at_the_next_epoch() -> None:
    mem = fresh(board_size=4)
    banks = [signer(f"bank-{i}") for i in range(1, 6)]
    height = 3
    for bank in banks:
        apply(mem, RegisterEnterprise(bank.name, bank.public_key), height)
    for voter, candidate in [
        ("witness-1", "bank-1"),
        ("witness-2", "bank-1"),
        ("witness-3", "bank-2"),
        ("witness-4", "bank-3"),
        ("bank-4", "bank-4"),
        ("bank-5", "bank-5"),
        ("bank-1", "bank-2"),
    ]:
        apply(mem, DelegateVote(voter, candidate), height)
    elected = mem.elect()
    # bank-1 2, bank-2 2, then bank-3/bank-4/bank-5 tie at 1: bank-3 by name.
    assert elected == ("bank-1", "bank-2", "bank-3", "bank-4")
    with pytest.raises(MembershipError, match="does not match"):
        apply(mem, ElectBoard(("bank-1", "bank-2", "bank-3", "bank-5")), height)
    effective = apply(mem, ElectBoard(elected), height)
    assert effective == 1
    assert mem.validator_set("witness", EPOCH).names == tuple(w.name for w in W)  # epoch 0
    assert mem.validator_set("witness", EPOCH + 1).names == elected  # epoch 1
    # A vote of a new board member counts from the next epoch on, not before.
    assert mem.check_vote(
        vote(banks[0], "precommit", EPOCH + 1, 0, None, tier="witness"), "witness"
    ) is (VoteCheck.OK)
    assert mem.check_vote(
        vote(banks[0], "precommit", EPOCH, 0, None, tier="witness"), "witness"
    ) is not (VoteCheck.OK)


def test_rotation_keeps_old_signatures_verifiable_and_the_new_key_starts_next_epoch() -> None:
    mem = fresh()
    old = S[0]
    new = Signer.from_seed(old.name, b"rotated")
    apply(mem, RotateKey("supernode", old.name, new.public_key), 4)
    before = vote(old, "finalize", 5, 0, bytes(32))
    assert mem.check_vote(before, "supernode") is VoteCheck.OK  # epoch 0: the old key
    assert (
        mem.check_vote(vote(new, "finalize", 5, 0, bytes(32)), "supernode") is VoteCheck.UNKNOWN_KEY
    )
    after_new = vote(new, "finalize", EPOCH + 1, 0, bytes(32))
    after_old = vote(old, "finalize", EPOCH + 1, 0, bytes(32))
    assert mem.check_vote(after_new, "supernode") is VoteCheck.OK
    assert mem.check_vote(after_old, "supernode") is VoteCheck.UNKNOWN_KEY
    # Long after, the old vote still verifies at its own height.
    assert mem.check_vote(before, "supernode") is VoteCheck.OK
    # The rotated supernode keeps signing changes, with its new key, next epoch.
    newcomer = signer("ministry-5")
    apply(
        mem, AddMember("supernode", newcomer.name, newcomer.public_key), EPOCH + 2, [new, *S[1:3]]
    )
    assert newcomer.name in mem.validator_set("supernode", 2 * EPOCH + 1)


def test_revocation_stops_a_key_from_the_next_epoch_but_not_its_past() -> None:
    mem = fresh()
    apply(mem, RevokeKey("citizen", C[0].name, C[0].key_id), 2)
    past = vote(C[0], "cosign", 2, 0, bytes(32))
    assert mem.check_vote(past, "citizen") is VoteCheck.OK
    assert mem.check_vote(vote(C[0], "cosign", EPOCH + 1, 0, bytes(32)), "citizen") is (
        VoteCheck.UNKNOWN_KEY
    )
    with pytest.raises(MembershipError, match="no key"):
        apply(mem, RevokeKey("citizen", C[0].name, C[0].key_id), 3)


def test_members_join_and_leave_and_thresholds_change_at_epoch_boundaries() -> None:
    mem = fresh()
    apply(mem, RemoveMember("supernode", "supernode-4"), 1)
    apply(mem, SetCitizenThreshold(3), 1)
    assert len(mem.validator_set("supernode", EPOCH)) == 4
    assert mem.validator_set("supernode", EPOCH + 1).names == (
        "supernode-1",
        "supernode-2",
        "supernode-3",
    )
    assert mem.validator_set("supernode", EPOCH + 1).quorum == 3
    assert mem.validator_set("citizen", EPOCH + 1).quorum == 3
    with pytest.raises(MembershipError, match="already exists"):
        apply(mem, AddMember("citizen", C[0].name, C[0].public_key), 2)


def test_changes_must_come_in_chain_order() -> None:
    mem = fresh()
    apply(mem, SetCitizenThreshold(1), 7)
    with pytest.raises(MembershipError, match="before the last change"):
        apply(mem, SetCitizenThreshold(2), 6)
    with pytest.raises(MembershipError, match="one genesis"):
        apply(mem, Genesis(supernodes=(), witnesses=()), 8)


def test_revoked_keys_do_not_count_in_n_so_a_board_of_four_with_two_revoked_still_decides() -> None:
    mem = fresh()
    apply(mem, RevokeKey("supernode", S[2].name, S[2].key_id), 2)
    apply(mem, RevokeKey("supernode", S[3].name, S[3].key_id), 3)
    before, after = mem.validator_set("supernode", EPOCH), mem.validator_set("supernode", EPOCH + 1)
    assert (len(before), before.quorum) == (4, 3)
    # n counts only the members with a key valid at the height: 2 of 2.
    assert (len(after), after.quorum) == (2, 2)
    assert after.names == ("supernode-1", "supernode-2")
    assert {after.proposer(EPOCH + 1, r) for r in range(4)} == {"supernode-1", "supernode-2"}
    digest = bytes(range(32))
    votes = tuple(vote(s, "finalize", EPOCH + 1, 0, digest) for s in S[:2])
    qc = QuorumCertificate("supernode", "finalize", EPOCH + 1, 0, digest, votes)
    assert check_certificate(
        qc, after, tier="supernode", kind="finalize", height=EPOCH + 1, block_hash=digest
    ).valid
    # A revoked member's vote is still told apart from a stranger's.
    assert after.check(vote(S[3], "finalize", EPOCH + 1, 0, digest)) is VoteCheck.UNKNOWN_KEY
    # The next change needs the two valid supernodes, not three of four.
    apply(mem, SetCitizenThreshold(2), EPOCH + 1, S[:2])


def test_a_change_certified_just_before_a_boundary_switches_every_node_at_one_block() -> None:
    """The epoch-boundary race under faults: a change certified at block 9
    (its first block is 11) reaches the nodes at different heights, and the
    final chain seals its entry at block 12, after its first block."""
    digest = bytes(range(32))
    rotated = Signer.from_seed("supernode-2", b"rotated")
    change = RotateKey("supernode", "supernode-2", rotated.public_key)
    cert = certify_change(CHAIN, change, 9, S[:3])
    sealed_at = 12
    # Delivered before the boundary, exactly at it, and long after it: each
    # node applies the change once the block sealing it is decided.
    views = []
    for delivered in (9, 11, 12, 15):
        mem = fresh()
        if delivered >= 11:
            # The change would re-judge blocks this node decided with the old
            # lists: refused, instead of being logged and applied anyway.
            with pytest.raises(MembershipError, match="never judged again"):
                mem.apply(cert, decided=delivered)
        assert mem.apply(cert, sealed_at=sealed_at, decided=max(delivered, sealed_at)) == 2
        views.append(mem)
    for height in (10, 11, 20, 21, 30):
        sets = {tuple(m.validator_set("supernode", height).names) for m in views}
        assert len(sets) == 1, height
        checks = {
            m.check_vote(vote(rotated, "finalize", height, 0, digest), "supernode") for m in views
        }
        assert checks == {VoteCheck.UNKNOWN_KEY if height <= 20 else VoteCheck.OK}, height
    # A change sealed in time (before its first block) applies there.
    on_time = fresh()
    assert on_time.apply(cert, sealed_at=10, decided=10) == 1
