"""What byzantine members and relays send: rewritten proposals, junk votes, floods.

Issue 15's findings 1 and 7: a relay must not be able to change what a
receiver acts on, and messages nobody can vouch for must cost nothing.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from chain.consensus.messages import (
    MessageFormatError,
    Proposal,
    Vote,
    message_from_record,
    message_to_record,
)
from chain.consensus.node import FUTURE_SHARE
from chain.consensus.witness import WitnessNode
from tests.chain.consensus.helpers import (
    CHAIN,
    S,
    W,
    block,
    feed,
    final_block,
    proposal,
    qc,
    supernode,
    ticks,
    vote,
    votes_of,
    witness,
    witness_commit,
)

A = block(height=1, tag="A")


def relayed(original: Proposal, pol_round: int) -> Proposal:
    """``original`` as a byzantine relay forwards it: another valid round, no proof-of-lock."""
    record = message_to_record(original)
    body = record["body"]
    for part in (body, body["vote"]):
        if "pol_round" in part:
            part["pol_round"] = pol_round
    body["pol"] = None
    message = message_from_record(record)
    assert isinstance(message, Proposal)
    return message


def in_round_1(name: str = "witness-1") -> WitnessNode:
    node = witness(name)
    node.start()
    feed(node, [vote(W[1], "precommit", 1, 1, None), vote(W[2], "precommit", 1, 1, None)])
    assert node.round == 1
    return node


def test_a_relay_cannot_rewrite_the_valid_round_of_a_proposal() -> None:
    node = in_round_1()
    honest = proposal(W[2], A, round=1)  # witness-3 proposes round 1
    out = feed(node, [relayed(honest, 0)], src="witness-4")
    assert not votes_of(out, "prevote")
    assert [(e.kind, e.sender) for e in out.evidence] == [("invalid-signature", "witness-4")]
    out = feed(node, [honest], src="witness-3")
    assert [v.block_hash for v in votes_of(out, "prevote")] == [A.hash]


def test_a_copy_with_the_proof_of_lock_counts_after_a_copy_without() -> None:
    pol = qc(W[:3], "prevote", 1, 0, A)
    node = in_round_1("witness-4")
    honest = proposal(W[2], A, round=1, pol_round=0, pol=pol)
    out = feed(node, [replace(honest, pol=None)], src="witness-2")
    assert not votes_of(out, "prevote"), "no polka of round 0 yet"
    out = feed(node, [honest], src="witness-3")
    assert [v.block_hash for v in votes_of(out, "prevote")] == [A.hash]


def test_two_signed_valid_rounds_for_one_proposal_are_equivocation() -> None:
    pol = qc(W[:3], "prevote", 1, 0, A)
    node = in_round_1()
    out = feed(node, [proposal(W[2], A, round=1, pol_round=0, pol=pol), proposal(W[2], A, round=1)])
    assert [(e.kind, e.vote.signer) for e in out.evidence] == [("equivocation", "witness-3")]
    # The same signed proposal again is a duplicate, not evidence.
    out = feed(node, [proposal(W[2], A, round=1, pol_round=0, pol=pol)])
    assert not out.evidence


def test_a_relay_cannot_strip_the_witness_certificate_from_a_takeover_proposal() -> None:
    node = supernode()
    node.start()
    ticks(node, 30)
    feed(node, [vote(s, "prevote", 1, 0, None) for s in S[1:3]])
    feed(node, [vote(s, "precommit", 1, 0, None) for s in S[1:3]])
    ticks(node, node.timeouts.precommit_timeout(0))
    assert node.round == 1
    justified = Proposal.sign(
        S[2],
        chain_id=CHAIN,
        tier="supernode",
        round=1,
        block=A,
        justification=witness_commit(A).qc,
    )
    out = feed(node, [replace(justified, justification=None)], src="supernode-4")
    assert not votes_of(out, "prevote"), "a stripped copy is not the signed proposal"
    assert [(e.kind, e.sender) for e in out.evidence] == [("invalid-signature", "supernode-4")]
    out = feed(node, [justified], src="supernode-3")
    assert [v.block_hash for v in votes_of(out, "prevote")] == [A.hash]


def test_a_nil_vote_relabelled_as_the_zero_hash_frames_nobody() -> None:
    """Found by the adversary search: both sign the same bytes, so they say the same."""
    node = in_round_1()
    nil = vote(W[1], "prevote", 1, 1, None)
    out = feed(node, [nil, replace(nil, block_hash=bytes(32))], src="witness-4")
    assert not [e for e in out.evidence if e.kind == "equivocation"]
    record = message_to_record(nil)
    record["body"]["block_hash"] = bytes(32).hex()
    with pytest.raises(MessageFormatError):
        message_from_record(record)


def junk(round: int) -> Vote:
    """A prevote in the name of nobody the chain knows, with a made-up signature."""
    return Vote(
        chain_id="riik-test",
        tier="witness",
        kind="prevote",
        height=1,
        round=round,
        block_hash=None,
        signer="mallory",
        key_id=b"\x00" * 4,
        signature=b"\x01" * 64,
    )


def test_junk_votes_allocate_no_round_state() -> None:
    node = witness()
    node.start()
    feed(node, [junk(10**6 + i) for i in range(2000)], src="mallory")
    assert sorted(node.rounds) == [0]
    # A member's signed votes for rounds far ahead: held, one round per member.
    feed(node, [vote(W[3], "prevote", 1, r, None) for r in range(5, 300)], src="witness-4")
    assert sorted(node.rounds) == [0]
    assert node.round == 0
    # f + 1 members that far ahead are evidence enough: the node goes there.
    feed(node, [vote(W[2], "prevote", 1, 299, None)], src="witness-3")
    assert node.round == 299
    assert max(node.rounds) <= node.round + 1


def test_a_flood_from_one_sender_does_not_evict_an_honest_proposal() -> None:
    node = witness()
    node.start()
    flood = [replace(junk(i), height=2) for i in range(4 * FUTURE_SHARE + 600)]
    feed(node, flood, src="witness-4")
    following = block(height=2, prev_hash=A.hash, proposer="witness-3", tag="next")
    feed(node, [proposal(W[2], following, round=0)], src="witness-3")
    out = feed(node, [final_block(A)], src="supernode-1")
    assert node.height == 2
    assert [v.block_hash for v in votes_of(out, "prevote")] == [following.hash]
