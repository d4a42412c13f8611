"""Citizens cosign only consistent checkpoints; storage challenges take inclusion proofs."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest

from chain import merkle
from chain.consensus.citizen import (
    CitizenNode,
    Replica,
    answer_challenge,
    check_consistency,
    new_challenge,
    verify_storage_proof,
)
from chain.consensus.messages import (
    Block,
    CosignConflict,
    CosignRequest,
    FinalBlock,
    StorageProof,
    SyncRequest,
    Vote,
)
from chain.consensus.node import Alarm, Cosigned, Witnessed
from chain.encoding import ZERO_HASH
from tests.chain.consensus.helpers import (
    CHAIN,
    LEDGER,
    C,
    S,
    block,
    decisions,
    feed,
    final_block,
    header,
    membership,
    sent,
    signer,
    supernode,
)


def chain_of(length: int) -> list[FinalBlock]:
    finals, prev = [], ZERO_HASH
    for height in range(1, length + 1):
        blk = block(height=height, prev_hash=prev, tag=str(height))
        finals.append(final_block(blk))
        prev = blk.hash
    return finals


FINALS = chain_of(4)


def request(final: FinalBlock, old: int) -> CosignRequest:
    """The request with consistency proofs from the sizes at height ``old``."""
    logs = final.block.logs()
    return CosignRequest(
        final,
        dict.fromkeys(logs, old),
        {r: tuple(LEDGER.consistency_proof(r, old, size)) for r, (size, _) in logs.items()},
    )


def citizen(**options: object) -> CitizenNode:
    node = CitizenNode(
        name="citizen-1",
        chain_id=CHAIN,
        membership=membership(),
        signer=signer("citizen-1"),
        source=LEDGER,
        **options,  # type: ignore[arg-type]
    )
    node.start()
    return node


def cosignatures(out: object) -> list[Vote]:
    return [m for m in sent(out) if isinstance(m, Vote) and m.kind == "cosign"]  # type: ignore[arg-type]


def test_a_consistent_checkpoint_is_cosigned_and_remembered() -> None:
    node = citizen()
    out = feed(node, [request(FINALS[0], 0)], src="supernode-1")
    [cosign] = cosignatures(out)
    assert (cosign.tier, cosign.kind, cosign.height, cosign.block_hash) == (
        "citizen",
        "cosign",
        1,
        FINALS[0].block.hash,
    )
    assert decisions(out, Cosigned)[0].height == 1
    # Heights may be skipped: the citizen fetches the final block in between.
    out = feed(node, [request(FINALS[2], 1), FINALS[1]], src="supernode-2")
    assert [v.height for v in cosignatures(out)] == [3]
    assert node.replica.size("business") == 3
    assert node.replica.root("business", 3) == merkle.root_hash(LEDGER.all("business", 3))
    # The same request again: the same cosignature, not a new one.
    out = feed(node, [request(FINALS[2], 1)], src="supernode-3")
    assert [v.height for v in cosignatures(out)] == [3]
    assert not decisions(out, Cosigned)


def test_a_request_from_other_sizes_gets_the_citizens_own() -> None:
    node = citizen()
    feed(node, [request(FINALS[0], 0)])
    out = feed(node, [request(FINALS[2], 0)], src="supernode-2")
    assert sent(out) == [CosignConflict(1, {"business": 1, "property": 1})]


def test_a_rolled_back_checkpoint_is_refused() -> None:
    node = citizen()
    feed(node, [*FINALS[:2], request(FINALS[2], 0)])
    # A final block at a later height whose logs are shorter than what was cosigned.
    shrunk = header(4, FINALS[2].block.hash, tag="rollback")
    shrunk["logs"] = LEDGER.logs(2)
    rollback = final_block(Block.from_header(shrunk))
    out = feed(node, [CosignRequest(rollback, {"business": 3, "property": 3}, {})])
    [alarm] = decisions(out, Alarm)
    assert alarm.kind == "refused-checkpoint"
    assert "rollback" in alarm.detail
    assert not cosignatures(out)
    assert node.last.height == 3


def test_a_split_view_is_refused() -> None:
    node = citizen()
    feed(node, [request(FINALS[0], 0)])
    # Another tree of the same sizes: the consistency proof cannot verify.
    forked = header(2, FINALS[0].block.hash, tag="fork")
    forked["logs"] = {
        r: {"size": 2, "root": merkle.root_hash([b"evil", b"twin"]).hex()}
        for r in LEDGER.registries
    }
    fork = final_block(Block.from_header(forked))
    proofs = {r: tuple(LEDGER.consistency_proof(r, 1, 2)) for r in LEDGER.registries}
    out = feed(node, [CosignRequest(fork, {"business": 1, "property": 1}, proofs)])
    [alarm] = decisions(out, Alarm)
    assert "split view" in alarm.detail
    assert not cosignatures(out)
    # Another block at a height already cosigned is a split view too.
    other_one = final_block(block(height=1, tag="other"))
    out = feed(node, [CosignRequest(other_one, {"business": 0, "property": 0}, {})])
    assert "split view" in decisions(out, Alarm)[0].detail


def branch(length: int, tag: str) -> list[FinalBlock]:
    """Final blocks 1..length of another chain: same logs, other headers (a split view)."""
    finals, prev = [], ZERO_HASH
    for height in range(1, length + 1):
        blk = block(height=height, prev_hash=prev, tag=tag)
        finals.append(final_block(blk))
        prev = blk.hash
    return finals


def test_a_conflicting_final_block_below_the_last_cosignature_is_evidence_and_an_alarm() -> None:
    node = citizen()
    feed(node, [request(FINALS[0], 0), request(FINALS[1], 1)])
    other = branch(3, "B")
    out = feed(node, [request(other[0], 0)], src="supernode-2")
    [alarm] = decisions(out, Alarm)
    assert (alarm.kind, alarm.height) == ("conflicting-final", 1)
    # Two certified blocks at one height: the supernodes that signed both equivocated.
    assert sorted(e.vote.signer for e in out.evidence if e.kind == "equivocation") == [
        "supernode-1",
        "supernode-2",
        "supernode-3",
    ]
    assert not cosignatures(out)


def test_a_block_that_does_not_descend_from_the_last_cosigned_one_is_never_cosigned() -> None:
    node = citizen()
    feed(node, [request(FINALS[0], 0), request(FINALS[1], 1)])
    other = branch(3, "B")
    # Height 3 of the other chain has the same logs as ours (so the Merkle
    # proofs verify), but its parent is not the block cosigned at height 2.
    out = feed(node, [request(other[2], 2)], src="supernode-2")
    assert not cosignatures(out)
    assert [a.kind for a in decisions(out, Alarm)] == ["broken-final-chain"]
    assert node.last.height == 2


def test_a_gap_is_filled_by_fetching_the_final_blocks_in_between() -> None:
    node = citizen()
    feed(node, [request(FINALS[0], 0)])
    out = feed(node, [request(FINALS[3], 1)], src="supernode-2")
    assert not cosignatures(out), "blocks 2 and 3 are not known yet"
    assert [(s.to, s.message) for s in out.sends] == [("supernode-2", SyncRequest(2))]
    out = feed(node, FINALS[1:3], src="supernode-2")
    assert [v.height for v in cosignatures(out)] == [4]
    # A fetched block that does not link to the last cosigned one is refused.
    node = citizen()
    feed(node, [request(FINALS[0], 0)])
    feed(node, [request(FINALS[3], 1)], src="supernode-2")
    out = feed(node, branch(3, "B")[1:3], src="supernode-2")
    assert not cosignatures(out)
    assert [a.kind for a in decisions(out, Alarm)] == ["broken-final-chain"]


def test_a_later_cosignature_implies_the_earlier_checkpoints() -> None:
    """docs/consensus.md: every block a citizen cosigned is an ancestor of its later ones."""
    node = citizen()
    feed(node, [request(FINALS[0], 0)])
    feed(node, [request(FINALS[3], 1), *FINALS[1:3]])
    assert node.last.height == 4
    chain = node.final_chain()
    assert chain == [final.block.hash for final in FINALS]
    for height in range(2, 5):
        assert node.finals[height].block.prev_hash == chain[height - 2]


def test_only_final_blocks_are_cosigned() -> None:
    node = citizen()
    unsigned = FinalBlock(FINALS[0].block, replace(FINALS[0].qc, votes=FINALS[0].qc.votes[:2]))
    out = feed(node, [request(unsigned, 0)])
    assert not cosignatures(out)
    assert node.last.height == 0


def test_check_consistency_names_the_problem() -> None:
    old = {"business": (2, merkle.root_hash(LEDGER.all("business", 2)))}
    new = {"business": (3, merkle.root_hash(LEDGER.all("business", 3)))}
    good = {"business": LEDGER.consistency_proof("business", 2, 3)}
    assert check_consistency(old, new, good) is None
    assert check_consistency(old, new, {"business": []}) is not None
    assert "missing" in (check_consistency(old, {}, {}) or "")
    assert "shrank" in (check_consistency(new, old, {}) or "")


def test_a_storage_challenge_is_answered_with_an_inclusion_proof() -> None:
    replica = Replica({"business": LEDGER.all("business", 5)})
    logs = {
        "business": (5, merkle.root_hash(LEDGER.all("business", 5))),
        "court": (0, merkle.EMPTY_ROOT),
    }
    challenge = new_challenge(random.Random(7), logs)
    assert challenge is not None
    assert challenge.registry == "business"
    assert 1 <= challenge.seq <= 5
    assert challenge == new_challenge(random.Random(7), logs), "the seeded RNG decides"
    answer = answer_challenge(replica, challenge)
    assert answer is not None
    assert verify_storage_proof(challenge, answer)


@pytest.mark.parametrize("tamper", ["leaf", "proof", "seq", "root"])
def test_a_storage_challenge_with_a_wrong_proof_fails(tamper: str) -> None:
    replica = Replica({"business": LEDGER.all("business", 5)})
    logs = {"business": (5, merkle.root_hash(LEDGER.all("business", 5)))}
    challenge = new_challenge(random.Random(3), logs, nonce=1)
    assert challenge is not None
    answer = answer_challenge(replica, challenge)
    assert answer is not None
    if tamper == "leaf":
        answer = replace(answer, leaf=b"not the entry")
    elif tamper == "proof":
        answer = replace(answer, proof=(*answer.proof[:-1], bytes(32)))
    elif tamper == "seq":
        challenge = replace(challenge, seq=challenge.seq % 5 + 1)
    else:
        challenge = replace(challenge, root=bytes(32))
    assert not verify_storage_proof(challenge, answer)


def test_a_replica_that_lost_data_fails_its_challenge_and_refuses_to_cosign() -> None:
    node = citizen()
    feed(node, [FINALS[0], request(FINALS[1], 0)])
    node.replica.leaves["business"][0] = b"bit rot"
    logs = FINALS[1].block.logs()
    challenge = new_challenge(random.Random(1), {"business": logs["business"]}, nonce=9)
    assert challenge is not None
    challenge = replace(challenge, seq=1)
    [answer] = sent(feed(node, [challenge]))
    assert not verify_storage_proof(challenge, answer)  # type: ignore[arg-type]
    out = feed(node, [FINALS[2], request(FINALS[3], 2)])
    assert not cosignatures(out)
    assert "replica" in decisions(out, Alarm)[0].detail


def test_a_challenge_that_overtakes_the_cosign_request_is_answered_once_the_entries_are_held() -> (
    None
):
    node = citizen()
    logs = FINALS[1].block.logs()
    early = new_challenge(random.Random(5), {"business": logs["business"]}, nonce=11)
    assert early is not None
    early = replace(early, seq=logs["business"][0])  # an entry only block 2 brings
    assert not sent(feed(node, [early], src="supernode-3")), "not held yet: nothing to prove"
    out = feed(node, [request(FINALS[0], 0)], src="supernode-1")
    assert not sent(out, StorageProof), "block 1 does not bring it either"
    out = feed(node, [request(FINALS[1], 1)], src="supernode-1")
    [answer] = [s for s in out.sends if isinstance(s.message, StorageProof)]
    assert answer.to == "supernode-3"
    assert isinstance(answer.message, StorageProof)
    assert verify_storage_proof(early, answer.message)
    # Answered once: the next cosignature does not repeat it.
    assert not sent(feed(node, [request(FINALS[2], 2)], src="supernode-1"), StorageProof)


def test_a_citizen_keeps_only_the_latest_early_challenge_of_each_challenger() -> None:
    node = citizen()
    logs = FINALS[3].block.logs()
    for nonce in (1, 2):
        challenge = new_challenge(random.Random(nonce), logs, nonce=nonce)
        assert challenge is not None
        assert not sent(feed(node, [replace(challenge, seq=1)], src="supernode-2"))
    out = feed(node, [FINALS[0], FINALS[1], FINALS[2], request(FINALS[3], 0)])
    answers = [m for m in sent(out) if isinstance(m, StorageProof)]
    assert [a.nonce for a in answers] == [2]


def test_supernodes_count_cosignatures_until_w() -> None:
    node = supernode(log_source=LEDGER)
    node.start()
    feed(node, [FINALS[0]])  # adopted as final from a peer
    cosigns = [
        Vote.sign(
            c,
            chain_id=CHAIN,
            tier="citizen",
            kind="cosign",
            height=1,
            round=0,
            block_hash=FINALS[0].block.hash,
        )
        for c in C
    ]
    out = feed(node, [cosigns[0], cosigns[0]])
    assert not decisions(out, Witnessed)
    out = feed(node, [cosigns[1]])
    [witnessed] = decisions(out, Witnessed)
    assert witnessed.height == 1
    assert [v.signer for v in witnessed.qc.votes] == ["citizen-1", "citizen-2"]
    # A supernode's signature where citizens' count is wrong-tier and never counts.
    fake = Vote.sign(
        S[1],
        chain_id=CHAIN,
        tier="citizen",
        kind="cosign",
        height=1,
        round=0,
        block_hash=FINALS[0].block.hash,
    )
    out = feed(node, [fake])
    assert [e.kind for e in out.evidence] == ["wrong-tier"]


def test_a_restarted_citizen_still_refuses_what_it_refused() -> None:
    node = citizen()
    feed(node, [FINALS[0], request(FINALS[1], 0)])
    again = CitizenNode.restore(
        node.snapshot(),
        chain_id=CHAIN,
        membership=membership(),
        signer=signer("citizen-1"),
        source=LEDGER,
        replica=node.replica,
    )
    out = feed(
        again,
        [
            CosignRequest(
                final_block(block(height=2, prev_hash=FINALS[0].block.hash, tag="x")), {}, {}
            )
        ],
    )
    assert "split view" in decisions(out, Alarm)[0].detail


def test_proofs_broken_on_the_way_are_no_split_view() -> None:
    """Found by the adversary search: proofs are not signed, so a relay can break them."""
    node = citizen()
    feed(node, [request(FINALS[0], 0)])
    broken = replace(request(FINALS[1], 1), proofs={})
    out = feed(node, [broken], src="supernode-2")
    assert not decisions(out, Alarm)
    assert [v.height for v in cosignatures(out)] == [2]
