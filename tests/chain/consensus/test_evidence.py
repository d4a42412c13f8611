"""Forged, replayed, wrong-tier and unknown-block votes never count; equivocation is evidence."""

from __future__ import annotations

import hashlib
from dataclasses import replace

from chain.consensus.evidence import VoteBook, check_certificate, conflict, verify_evidence
from chain.consensus.messages import CommittedBlock, Message, QuorumCertificate, Vote
from chain.consensus.node import Committed, Output
from tests.chain.consensus.helpers import (
    CHAIN,
    S,
    W,
    block,
    decisions,
    feed,
    membership,
    proposal,
    vote,
    witness,
)

A = block(tag="A")
B = block(tag="B")
UNKNOWN = hashlib.sha256(b"a block nobody has").digest()


def legitimate() -> list[Message]:
    """Round 0 of height 1 as witness-1 sees it when witness-2 and witness-3 are honest."""
    return [
        proposal(W[1], A),
        vote(W[1], "prevote", 1, 0, A.hash),
        vote(W[2], "prevote", 1, 0, A.hash),
        vote(W[1], "precommit", 1, 0, A.hash),
        vote(W[2], "precommit", 1, 0, A.hash),
    ]


def junk() -> list[Message]:
    forged = [replace(vote(w, "prevote", 1, 0, B.hash), signature=bytes(64)) for w in W[1:]]
    stolen = [
        replace(vote(S[0], "precommit", 1, 0, B.hash), signer=w.name, key_id=w.key_id)
        for w in W[1:]
    ]
    replayed = [replace(vote(w, "precommit", 7, 2, B.hash), height=1, round=0) for w in W[1:]]
    from_elsewhere = [vote(w, "prevote", 1, 0, B.hash, chain_id="another-chain") for w in W[1:]]
    wrong_tier = [vote(s, "prevote", 1, 0, B.hash, tier="witness") for s in S[:3]]
    unknown_block = [vote(W[3], "prevote", 1, 0, UNKNOWN), vote(W[3], "precommit", 1, 0, UNKNOWN)]
    replayed_certificate = CommittedBlock(
        B,
        QuorumCertificate(
            "witness",
            "precommit",
            1,
            0,
            B.hash,
            tuple(vote(w, "precommit", 2, 0, B.hash) for w in W[1:]),
        ),
    )
    return [
        *forged,
        *stolen,
        *replayed,
        *from_elsewhere,
        *wrong_tier,
        *unknown_block,
        replayed_certificate,
    ]


def run(messages: list[Message]) -> tuple[Output, dict[tuple[int, str], Vote]]:
    node = witness()
    node.start()
    return feed(node, messages), dict(node.sent_votes)


def test_junk_changes_no_decision_and_no_vote() -> None:
    control, control_votes = run(legitimate())
    legit = legitimate()
    interleaved = [legit[0], *junk()[:8], *legit[1:3], *junk()[8:], *legit[3:]]
    out, votes = run(interleaved)
    assert [c.block for c in decisions(control, Committed)] == [A]
    assert [c.block for c in decisions(out, Committed)] == [A]
    assert votes == control_votes
    [committed] = decisions(out, Committed)
    assert all(v.block_hash == A.hash for v in committed.qc.votes)
    kinds = sorted({e.kind for e in out.evidence})
    assert kinds == ["invalid-signature", "replay", "wrong-tier"]
    assert not any(e.attributable for e in out.evidence), (
        "nothing here proves anything about a signer"
    )


def test_junk_alone_decides_nothing() -> None:
    node = witness()
    node.start()
    out = feed(node, [proposal(W[1], A), *junk()])
    assert not decisions(out, Committed)
    state = node.rounds[0]
    assert state.tally("prevote", B.hash) == 0
    assert state.tally("precommit", B.hash) == 0
    assert state.tally("prevote", UNKNOWN) == 1, "a valid vote for an unknown block is only a vote"


def test_equivocation_is_verifiable_evidence_and_the_second_vote_does_not_replace_the_first() -> (
    None
):
    node = witness()
    node.start()
    first, second = vote(W[1], "prevote", 1, 0, A.hash), vote(W[1], "prevote", 1, 0, B.hash)
    out = feed(node, [first, second], src="witness-2")
    [evidence] = out.evidence
    assert evidence.kind == "equivocation"
    assert evidence.attributable
    assert (evidence.vote, evidence.conflicting) == (first, second)
    assert evidence.sender == "witness-2"
    assert verify_evidence(evidence, membership())
    assert node.rounds[0].prevotes["witness-2"] == first
    record = evidence.to_record()
    assert record["vote"]["block_hash"] == A.hash.hex()
    assert record["conflicting"]["block_hash"] == B.hash.hex()


def test_an_equivocating_proposer_is_caught_and_only_its_first_proposal_counts() -> None:
    node = witness()
    node.start()
    out = feed(node, [proposal(W[1], A), proposal(W[1], B)])
    [evidence] = out.evidence
    assert evidence.kind == "equivocation"
    assert evidence.vote.kind == "proposal"
    assert verify_evidence(evidence, membership())
    assert node.rounds[0].candidate is not None
    assert node.rounds[0].candidate.block == A


def test_evidence_that_proves_nothing_is_not_accepted() -> None:
    mem = membership()
    a, b = vote(W[1], "prevote", 1, 0, A.hash), vote(W[1], "prevote", 1, 0, B.hash)
    real = conflict(a, b)
    assert real is not None
    assert verify_evidence(real, mem)
    assert conflict(a, a) is None
    assert conflict(a, vote(W[1], "prevote", 1, 1, B.hash)) is None, (
        "another round is not a conflict"
    )
    assert not verify_evidence(replace(real, conflicting=replace(b, signature=bytes(64))), mem)
    assert not verify_evidence(replace(real, conflicting=vote(W[2], "prevote", 1, 0, B.hash)), mem)


def test_vote_book_keeps_the_first_vote_per_slot() -> None:
    book = VoteBook()
    a, b = vote(W[0], "precommit", 3, 1, A.hash), vote(W[0], "precommit", 3, 1, B.hash)
    assert book.add(a) == (True, None)
    assert book.add(a) == (False, None)
    new, evidence = book.add(b)
    assert not new
    assert evidence is not None
    assert evidence.conflicting == b
    assert book.get(a.slot) == a
    assert len(book) == 1


def test_a_certificate_counts_each_valid_member_once_and_refuses_replays() -> None:
    mem = membership()
    board = mem.validator_set("witness", 1)
    good = [vote(w, "precommit", 1, 0, A.hash) for w in W[:2]]
    duplicated = QuorumCertificate("witness", "precommit", 1, 0, A.hash, (*good, good[0], good[1]))
    result = check_certificate(
        duplicated, board, tier="witness", kind="precommit", height=1, block_hash=A.hash
    )
    assert not result.valid
    assert result.signers == ("witness-1", "witness-2")
    replayed = QuorumCertificate(
        "witness", "precommit", 1, 0, A.hash, (*good, vote(W[2], "precommit", 2, 0, A.hash))
    )
    result = check_certificate(
        replayed, board, tier="witness", kind="precommit", height=1, block_hash=A.hash
    )
    assert not result.valid
    assert [e.kind for e in result.refused] == ["replay"]
    enough = QuorumCertificate(
        "witness", "precommit", 1, 0, A.hash, (*good, vote(W[2], "precommit", 1, 0, A.hash))
    )
    assert check_certificate(
        enough, board, tier="witness", kind="precommit", height=1, block_hash=A.hash
    ).valid
    assert not check_certificate(
        enough, board, tier="witness", kind="precommit", height=1, block_hash=B.hash
    ).valid, "a certificate for another block proves nothing about this one"
    assert board.chain_id == CHAIN
