"""Supernodes: certification of committed blocks, finality, one signature per height, takeover.

Supernode-1 is the node under test; supernodes 2-4 are played by hand.
Round 0 of each height has no proposer (the witnesses' committed block is the
proposal); the proposer of (height 1, round r >= 1) is supernode-(2 + r mod 4).
"""

from __future__ import annotations

import json
from typing import Any

from chain.consensus.messages import CommittedBlock, FinalBlock, Proposal, QuorumCertificate
from chain.consensus.node import Alarm, Decision, Finalized, SignedFinalize
from chain.consensus.supernode import SupernodeNode, supernode_timeouts
from chain.encoding import ZERO_HASH
from tests.chain.consensus.helpers import (
    CHAIN,
    LEDGER,
    SUPERNODE_NAMES,
    InstantNet,
    S,
    W,
    block,
    decisions,
    feed,
    membership,
    qc,
    sent,
    signer,
    supernode,
    ticks,
    vote,
    votes_of,
    witness_commit,
)

A = block(tag="A")  # proposed by witness-2
B = block(tag="B", proposer="supernode-2")


def decide_a(node: SupernodeNode) -> list[Decision]:
    """Witness commit of A, then supernodes 2 and 3 prevote and precommit it in round 0."""
    node.start()
    out = feed(node, [witness_commit(A)], src="witness-1")
    assert [v.block_hash for v in votes_of(out, "prevote")] == [A.hash]
    out = feed(node, [vote(S[1], "prevote", 1, 0, A.hash), vote(S[2], "prevote", 1, 0, A.hash)])
    assert [v.block_hash for v in votes_of(out, "precommit")] == [A.hash]
    out = feed(node, [vote(S[1], "precommit", 1, 0, A.hash), vote(S[2], "precommit", 1, 0, A.hash)])
    return out.decisions


def test_a_committed_witness_block_is_certified_and_becomes_final_with_2f_plus_1() -> None:
    node = supernode()
    decided = decide_a(node)
    assert decided == [SignedFinalize(1, A.hash)], "persisted before the vote is sent"
    assert node.last_signed == (1, A.hash)
    [own] = [v for v in node.sent_votes.values() if v.kind == "precommit"]
    assert own.block_hash == A.hash
    out = feed(node, [vote(S[1], "finalize", 1, 0, A.hash)])
    assert not decisions(out, Finalized)
    out = feed(node, [vote(S[2], "finalize", 1, 0, A.hash)])
    [finalized] = decisions(out, Finalized)
    assert finalized.final.block == A
    assert not finalized.takeover
    certificate = finalized.final.qc
    assert (certificate.tier, certificate.kind, certificate.round) == ("supernode", "finalize", 0)
    assert [v.signer for v in certificate.votes] == ["supernode-1", "supernode-2", "supernode-3"]
    # Supernode-1 is not one of height 1's f + 1 relays: it keeps the block.
    assert not sent(out, FinalBlock)
    assert node.height == 2
    assert node.last_final_hash == A.hash


def test_only_f_plus_1_relays_pass_a_decision_on_and_each_relay_passes_it_to_everyone() -> None:
    relays = membership().validator_set("supernode", 1).relays(1)
    assert relays == ("supernode-2", "supernode-3")
    for name in SUPERNODE_NAMES:
        node = supernode(name)
        others = [s for s in S if s.name != name][:2]
        node.start()
        feed(node, [witness_commit(A)], src="witness-1")
        feed(node, [vote(s, "prevote", 1, 0, A.hash) for s in others])
        out = feed(node, [vote(s, "precommit", 1, 0, A.hash) for s in others])
        commits = [s.to for s in out.sends if isinstance(s.message, CommittedBlock)]
        out = feed(node, [vote(s, "finalize", 1, 0, A.hash) for s in others])
        assert decisions(out, Finalized), name
        finals = [s.to for s in out.sends if isinstance(s.message, FinalBlock)]
        relay = name in relays
        assert commits == (["supernodes"] if relay else []), name
        assert finals == (["witnesses", "supernodes"] if relay else []), name


def test_the_rules_a_committed_block_must_pass() -> None:
    cases = {
        "too few witness precommits": witness_commit(A, W[:2]),
        "precommits of another block": CommittedBlock(A, qc(W[:3], "precommit", 1, 0, B)),
        "not at the next height": witness_commit(block(height=3, tag="far")),
        "not on the last final block": witness_commit(block(prev_hash=b"\x07" * 32, tag="fork")),
        "proposer not on the board": witness_commit(block(proposer="stranger", tag="x")),
        "signed by supernodes, not the board": witness_commit(A, S[:3]),
    }
    for reason, committed in cases.items():
        node = supernode()
        node.start()
        out = feed(node, [committed], src="witness-1")
        assert not votes_of(out, "prevote"), reason


def test_a_supernode_never_signs_a_second_block_at_a_height_even_after_a_restart() -> None:
    node = supernode()
    decide_a(node)
    state = json.loads(json.dumps(node.snapshot()))
    assert SupernodeNode.signed_state(state) == (1, A.hash)
    options: dict[str, Any] = {
        "chain_id": CHAIN,
        "membership": membership(),
        "signer": signer("supernode-1"),
        "propose_block": LEDGER.build,
        "timeouts": supernode_timeouts(30),
    }
    # Everything persisted: the decision is remembered, the vote resent, not re-signed.
    restored = SupernodeNode.restore(state, **options)
    out = restored.start()
    assert [v.block_hash for v in votes_of(out, "finalize")] == [A.hash]
    assert not decisions(out, SignedFinalize)
    # Only the last-signed record survived (the BFT state was lost): the node
    # is made to decide B at height 1 by a certificate of three peers, and refuses to sign.
    amnesiac = SupernodeNode(
        name="supernode-1", last_signed=SupernodeNode.signed_state(state), **options
    )
    amnesiac.start()
    peers = QuorumCertificate(
        "supernode",
        "precommit",
        1,
        1,
        B.hash,
        tuple(vote(s, "precommit", 1, 1, B.hash) for s in S[1:]),
    )
    out = feed(amnesiac, [CommittedBlock(B, peers)])
    assert not decisions(out, SignedFinalize)
    assert not votes_of(out, "finalize")
    [alarm] = decisions(out, Alarm)
    assert alarm.kind == "refused-second-signature"
    assert alarm.height == 1
    # Three others can still make B final (the refusing node is the odd one out).
    out = feed(amnesiac, [vote(s, "finalize", 1, 0, B.hash) for s in S[1:]])
    assert [f.final.block for f in decisions(out, Finalized)] == [B]


def test_takeover_after_the_witnesses_stall() -> None:
    node = supernode(takeover=30)
    node.start()
    out = ticks(node, 29)
    assert not votes_of(out, "prevote"), "still waiting for the witnesses"
    out = ticks(node, 1)
    assert [v.block_hash for v in votes_of(out, "prevote")] == [None]
    # The others waited too: nil all round, then round 1.
    feed(node, [vote(s, "prevote", 1, 0, None) for s in S[1:3]])
    feed(node, [vote(s, "precommit", 1, 0, None) for s in S[1:3]])
    ticks(node, node.timeouts.precommit_timeout(0))
    assert node.round == 1
    # Supernode-3 proposes a block it built itself; it is valid without witnesses.
    own = block(proposer="supernode-3", tag="takeover")
    out = feed(node, [Proposal.sign(S[2], chain_id=CHAIN, tier="supernode", round=1, block=own)])
    assert [v.block_hash for v in votes_of(out, "prevote")] == [own.hash]
    feed(node, [vote(s, "prevote", 1, 1, own.hash) for s in S[1:3]])
    out = feed(node, [vote(s, "precommit", 1, 1, own.hash) for s in S[1:3]])
    assert decisions(out, SignedFinalize) == [SignedFinalize(1, own.hash)]
    out = feed(node, [vote(s, "finalize", 1, 0, own.hash) for s in S[1:3]])
    [finalized] = decisions(out, Finalized)
    assert finalized.takeover
    assert finalized.final.block == own


def test_a_late_witness_block_is_what_a_takeover_proposer_proposes() -> None:
    node = supernode("supernode-3")  # the proposer of (1, 1)
    node.start()
    ticks(node, 30)
    feed(node, [vote(s, "prevote", 1, 0, None) for s in (S[0], S[1])])
    feed(node, [vote(s, "precommit", 1, 0, None) for s in (S[0], S[1])])
    feed(node, [witness_commit(A)], src="witness-1")  # too late for round 0
    out = ticks(node, node.timeouts.precommit_timeout(0))
    [prop] = sent(out, Proposal)
    assert isinstance(prop, Proposal)
    assert prop.round == 1
    assert prop.block == A
    assert prop.justification is not None
    assert prop.justification.tier == "witness"


def test_a_proposal_of_a_witness_block_without_its_certificate_is_refused() -> None:
    node = supernode()
    node.start()
    ticks(node, 30)
    feed(node, [vote(s, "prevote", 1, 0, None) for s in S[1:3]])
    feed(node, [vote(s, "precommit", 1, 0, None) for s in S[1:3]])
    ticks(node, node.timeouts.precommit_timeout(0))
    unjustified = Proposal.sign(S[2], chain_id=CHAIN, tier="supernode", round=1, block=A)
    out = feed(node, [unjustified])
    assert [v.block_hash for v in votes_of(out, "prevote")] == [None]


def test_supernodes_alone_keep_finalizing_with_one_of_them_down() -> None:
    nodes = {name: supernode(name, takeover=10) for name in SUPERNODE_NAMES}
    net = InstantNet(dict(nodes), down={"supernode-4"})
    net.start()
    for _ in range(200):
        net.tick()
        if all(nodes[n].last_final >= 3 for n in SUPERNODE_NAMES[:3]):
            break
    chains = {n: nodes[n].final_chain()[:3] for n in SUPERNODE_NAMES[:3]}
    assert len({tuple(c) for c in chains.values()}) == 1
    assert len(chains["supernode-1"]) == 3
    finals = [d for d in net.decided["supernode-1"] if isinstance(d, Finalized)]
    assert all(f.takeover for f in finals)
    assert nodes["supernode-1"].finals[1].block.prev_hash == ZERO_HASH
    signed = [d for d in net.decided["supernode-2"] if isinstance(d, SignedFinalize)]
    assert len({d.height for d in signed}) == len(signed), "one signature per height"


def test_a_step_snapshot_leaves_out_the_final_blocks_kept_apart_and_restores_with_them() -> None:
    node = supernode()
    decide_a(node)
    feed(node, [vote(s, "finalize", 1, 0, A.hash) for s in S[1:3]])
    assert node.last_final == 1
    full = json.loads(json.dumps(node.snapshot()))
    step = json.loads(json.dumps(node.snapshot(finals=False)))
    # Per step only what the step can change: no growing list of the chain's blocks.
    assert step["finals"] == []
    assert len(full["finals"]) == 1
    assert {**step, "finals": full["finals"]} == full
    restored = SupernodeNode.restore(
        {**step, "finals": full["finals"]},
        chain_id=CHAIN,
        membership=membership(),
        signer=signer("supernode-1"),
        propose_block=LEDGER.build,
        timeouts=supernode_timeouts(30),
    )
    assert restored.last_final == 1
    assert restored.last_signed == (1, A.hash)
