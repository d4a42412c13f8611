"""The witness board's Tendermint state machine, driven by hand-built message sequences.

Witness-1 is the node under test. The proposer of (height 1, round r) is
witness-(2 + r mod 4): witness-2, witness-3, witness-4, witness-1.
"""

from __future__ import annotations

import json

from chain.consensus.bft import PRECOMMIT, PREVOTE, PROPOSE
from chain.consensus.messages import CommittedBlock, Proposal
from chain.consensus.node import SUPERNODES, WITNESSES, Committed, Finalized
from chain.consensus.witness import WitnessNode
from tests.chain.consensus.helpers import (
    CHAIN,
    LEDGER,
    W,
    block,
    decisions,
    feed,
    final_block,
    membership,
    proposal,
    qc,
    sent,
    signer,
    ticks,
    vote,
    votes_of,
    witness,
    witness_commit,
)

A = block(tag="A")
B = block(tag="B", proposer="witness-3")


def locked_on_a(node: WitnessNode) -> None:
    """Round 0: proposal A, a polka for A; witness-1 locks A and precommits it; no commit."""
    node.start()
    out = feed(
        node,
        [
            proposal(W[1], A),
            vote(W[1], "prevote", 1, 0, A.hash),
            vote(W[2], "prevote", 1, 0, A.hash),
        ],
    )
    assert [v.block_hash for v in votes_of(out, "precommit")] == [A.hash]
    assert node.locked == node.blocks[A.hash]
    assert node.locked_round == 0


def test_a_block_is_committed_with_2f_plus_1_precommits() -> None:
    node = witness()
    node.start()
    out = feed(node, [proposal(W[1], A)])
    assert [v.block_hash for v in votes_of(out, "prevote")] == [A.hash]
    out = feed(node, [vote(W[1], "prevote", 1, 0, A.hash), vote(W[2], "prevote", 1, 0, A.hash)])
    assert [v.block_hash for v in votes_of(out, "precommit")] == [A.hash]
    out = feed(node, [vote(W[1], "precommit", 1, 0, A.hash)])
    assert not decisions(out, Committed), "2 precommits of 4 are not a quorum"
    out = feed(node, [vote(W[2], "precommit", 1, 0, A.hash)])
    [committed] = decisions(out, Committed)
    assert committed.block == A
    assert committed.height == 1
    assert sorted(v.signer for v in committed.qc.votes) == ["witness-1", "witness-2", "witness-3"]
    # Witness-1 is not one of height 1's f + 1 relays (witness-2, witness-3):
    # it sends its certificate only when the final block is late.
    assert not [s for s in out.sends if isinstance(s.message, CommittedBlock)]
    out = ticks(node, 2 * node.timeouts.resend + 1)  # stuck for a whole resend period
    destinations = {s.to for s in out.sends if isinstance(s.message, CommittedBlock)}
    assert destinations == {SUPERNODES, WITNESSES}


def test_a_relay_sends_the_commit_certificate_to_supernodes_and_witnesses_at_once() -> None:
    node = witness("witness-3")
    node.start()
    feed(node, [proposal(W[1], A)])
    feed(node, [vote(W[0], "prevote", 1, 0, A.hash), vote(W[1], "prevote", 1, 0, A.hash)])
    out = feed(node, [vote(W[0], "precommit", 1, 0, A.hash), vote(W[1], "precommit", 1, 0, A.hash)])
    assert decisions(out, Committed)
    assert "witness-3" in node.validators.relays(1)
    destinations = [s.to for s in out.sends if isinstance(s.message, CommittedBlock)]
    assert destinations == [SUPERNODES, WITNESSES]


def test_the_proposer_builds_proposes_and_prevotes_its_own_block() -> None:
    node = witness("witness-2")
    out = node.start()
    [prop] = sent(out, Proposal)
    assert isinstance(prop, Proposal)
    assert prop.proposer == "witness-2"
    assert prop.round == 0
    assert prop.block.height == 1
    assert prop.block.header["logs"] == LEDGER.logs(1)
    assert [v.block_hash for v in votes_of(out, "prevote")] == [prop.block.hash]


def test_a_proposal_from_the_wrong_proposer_or_an_invalid_block_gets_no_vote() -> None:
    node = witness()
    node.start()
    assert not votes_of(feed(node, [proposal(W[2], A)]), "prevote"), (
        "witness-3 is not round 0's proposer"
    )
    bad = block(height=1, prev_hash=b"\x01" * 32)
    out = feed(node, [proposal(W[1], bad)])
    assert [v.block_hash for v in votes_of(out, "prevote")] == [None]


def test_timeouts_move_to_the_next_round() -> None:
    node = witness()
    node.start()
    out = ticks(node, 5)
    assert not votes_of(out, "prevote")
    out = ticks(node, 1)  # propose timeout (6 ticks) of round 0: prevote nil
    assert [v.block_hash for v in votes_of(out, "prevote")] == [None]
    feed(node, [vote(W[1], "prevote", 1, 0, None), vote(W[2], "prevote", 1, 0, None)])
    assert node.step == PRECOMMIT  # 2f+1 nil prevotes: precommit nil
    feed(node, [vote(W[1], "precommit", 1, 0, None), vote(W[2], "precommit", 1, 0, None)])
    ticks(node, 4)  # precommit timeout of round 0
    assert node.round == 1
    assert node.step == PROPOSE


def test_f_plus_1_members_in_a_later_round_pull_a_node_there() -> None:
    node = witness()
    node.start()
    feed(node, [vote(W[1], "prevote", 1, 5, None)])
    assert node.round == 0
    feed(node, [vote(W[2], "prevote", 1, 5, None)])
    assert node.round == 5


def end_round(node: WitnessNode, round: int) -> None:
    """Two nil precommits (2f+1 with witness-1's) and the precommit timeout."""
    feed(node, [vote(W[1], "precommit", 1, round, None), vote(W[2], "precommit", 1, round, None)])
    ticks(node, node.timeouts.precommit_timeout(round))
    assert node.round == round + 1


def test_locking_prevents_helping_to_commit_a_second_block() -> None:
    node = witness()
    locked_on_a(node)
    end_round(node, 0)  # round 0 ends without a commit here (others may have committed A)
    # Round 1: a fresh proposal of B. Locked on A, witness-1 prevotes nil.
    out = feed(node, [proposal(W[2], B, round=1)])
    assert [v.block_hash for v in votes_of(out, "prevote")] == [None]
    # Two byzantine precommits for B: not a quorum, and witness-1 never adds its own.
    out = feed(node, [vote(W[2], "precommit", 1, 1, B.hash), vote(W[3], "precommit", 1, 1, B.hash)])
    assert not decisions(out, Committed)
    end_round(node, 1)
    # Round 2: B again, claiming a proof-of-lock from round 1 that it cannot show.
    out = feed(node, [proposal(W[3], B, round=2, pol_round=1)])
    assert not votes_of(out, "prevote"), "no prevote for B without the 2f+1 prevotes of round 1"
    ticks(node, node.timeouts.propose_timeout(2))
    assert node.sent_votes[(2, "prevote")].block_hash is None
    feed(node, [vote(W[1], "prevote", 1, 2, None), vote(W[2], "prevote", 1, 2, None)])
    end_round(node, 2)
    # Round 3: witness-1 proposes; it re-proposes its valid value A with the proof-of-lock.
    [prop] = [m for m in node.sent_proposals.values()]
    assert isinstance(prop, Proposal)
    assert prop.block == A
    assert prop.pol_round == 0
    assert prop.pol is not None
    assert sorted(v.signer for v in prop.pol.votes) == ["witness-1", "witness-2", "witness-3"]
    assert node.sent_votes[(3, "prevote")].block_hash == A.hash
    out = feed(node, [vote(W[1], "prevote", 1, 3, A.hash), vote(W[3], "prevote", 1, 3, A.hash)])
    assert [v.block_hash for v in votes_of(out, "precommit")] == [A.hash]
    out = feed(node, [vote(W[1], "precommit", 1, 3, A.hash), vote(W[3], "precommit", 1, 3, A.hash)])
    assert [c.block for c in decisions(out, Committed)] == [A]
    assert all(v.block_hash != B.hash for v in node.sent_votes.values())


def test_a_re_proposal_with_its_proof_of_lock_gets_prevotes() -> None:
    pol = qc(W[:3], "prevote", 1, 0, A)
    locked = witness()
    locked_on_a(locked)
    end_round(locked, 0)
    out = feed(locked, [proposal(W[2], A, round=1, pol_round=0, pol=pol)])
    assert [v.block_hash for v in votes_of(out, "prevote")] == [A.hash]
    # A witness that missed round 0 altogether: the prevotes come with the proposal.
    missed = witness("witness-4")
    missed.start()
    feed(missed, [vote(W[1], "precommit", 1, 1, None), vote(W[2], "precommit", 1, 1, None)])
    assert missed.round == 1  # f+1 members are in round 1
    out = feed(missed, [proposal(W[2], A, round=1, pol_round=0, pol=pol)])
    assert [v.block_hash for v in votes_of(out, "prevote")] == [A.hash]


def test_a_polka_in_a_later_round_unlocks_and_a_height_commits_only_once() -> None:
    node = witness()
    locked_on_a(node)
    feed(node, [vote(W[1], "precommit", 1, 0, None), vote(W[2], "precommit", 1, 0, None)])
    ticks(node, 4)
    # Round 1: B gathers 2f+1 prevotes without witness-1: the lock on A is released
    # (Tendermint's rule: a later polka proves A cannot have been committed).
    feed(node, [proposal(W[2], B, round=1)])
    out = feed(node, [vote(W[2], "prevote", 1, 1, B.hash), vote(W[3], "prevote", 1, 1, B.hash)])
    assert not votes_of(out, "precommit"), "2 prevotes of 4 are not a polka"
    out = feed(node, [vote(W[1], "prevote", 1, 1, B.hash)])
    assert [v.block_hash for v in votes_of(out, "precommit")] == [B.hash]
    out = feed(node, [vote(W[1], "precommit", 1, 1, B.hash), vote(W[2], "precommit", 1, 1, B.hash)])
    assert [c.block for c in decisions(out, Committed)] == [B]
    # Whatever arrives later at this height, nothing else is committed.
    later = feed(node, [witness_commit(A, W[1:4], round=0)])
    late_votes = [vote(w, "precommit", 1, 3, A.hash) for w in W[1:4]]
    later.decisions += feed(node, late_votes).decisions
    assert not decisions(later, Committed)


def test_a_peer_commit_certificate_decides_a_witness_that_missed_the_votes() -> None:
    node = witness()
    node.start()
    feed(node, [proposal(W[1], A)])
    out = feed(node, [witness_commit(A, W[1:4])])
    assert [c.block for c in decisions(out, Committed)] == [A]
    too_few = witness()
    too_few.start()
    assert not decisions(feed(too_few, [witness_commit(A, W[1:3])]), Committed)


def test_after_a_final_block_the_board_builds_on_it() -> None:
    node = witness()
    node.start()
    feed(node, [proposal(W[1], A)])
    feed(node, [witness_commit(A, W[1:4])])
    # The supernodes took over with another block: the witness follows the final chain.
    theirs = block(tag="takeover", proposer="supernode-1")
    out = feed(node, [final_block(theirs)])
    [finalized] = decisions(out, Finalized)
    assert finalized.final.block == theirs
    assert finalized.takeover
    assert node.height == 2
    assert node.last_final_hash == theirs.hash
    proposer = witness("witness-3")  # the proposer of (2, 0)
    proposer.start()
    [prop] = sent(feed(proposer, [final_block(theirs)]), Proposal)
    assert isinstance(prop, Proposal)
    assert prop.block.prev_hash == theirs.hash
    assert prop.block.height == 2


def test_a_restarted_witness_keeps_its_lock_and_its_votes() -> None:
    node = witness()
    locked_on_a(node)
    state = json.loads(json.dumps(node.snapshot()))
    again = WitnessNode.restore(
        state,
        chain_id=CHAIN,
        membership=membership(),
        signer=signer("witness-1"),
        propose_block=LEDGER.build,
    )
    out = again.start()
    assert again.locked is not None
    assert again.locked.hash == A.hash
    assert [v.block_hash for v in votes_of(out, "precommit")] == [A.hash], "resent, not re-signed"
    assert again.step == PRECOMMIT
    feed(again, [vote(W[1], "precommit", 1, 0, None), vote(W[2], "precommit", 1, 0, None)])
    ticks(again, 4)
    out = feed(again, [proposal(W[2], B, round=1)])
    assert [v.block_hash for v in votes_of(out, "prevote")] == [None]


def test_a_node_behind_asks_for_the_final_blocks_it_missed() -> None:
    node = witness()
    node.start()
    first = final_block(A)
    second = final_block(block(height=2, prev_hash=A.hash, tag="2"))
    out = feed(node, [second], src="supernode-2")
    assert node.last_final == 0
    [request] = sent(out)
    assert request.to_record() == {"from_height": 1}
    out = feed(node, [first], src="supernode-2")
    assert [d.final.height for d in decisions(out, Finalized)] == [1, 2]
    assert node.height == 3
    assert node.step in (PROPOSE, PREVOTE)
