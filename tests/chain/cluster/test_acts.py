"""What a supernode checks before it certifies an act the host proposes, and what the
host counts of the answers (chain.blocks.cluster.acts, pure: no database, no broker).

The attacker of DESIGN §9 can inject and replay messages on the broker and
relay (rewrite) them: each test names one of its moves and shows it gets no vote,
or a vote that counts for nothing.
"""

from __future__ import annotations

import hashlib

import pytest

from chain.blocks.cluster import acts
from chain.consensus.crypto import Signer
from chain.consensus.membership import RevokeKey
from chain.memberlog import MemberLog
from chain.verify.money import ACT_KIND, act_message
from tests.chain.test_memberlog import CHAIN, SUPERNODES, entry, started

HOST = Signer.from_seed("host", b"acts")
NOW = 1_000_000.0


class Memory:
    """A supernode's act memory in a dict (the node keeps it in its database)."""

    def __init__(self) -> None:
        self.acts: dict[tuple[str, str], bytes] = {}

    def signed(self, kind: str, act_id: str) -> bytes | None:
        return self.acts.get((kind, act_id))

    def remember(self, kind: str, act_id: str, digest: bytes, height: int) -> None:
        self.acts[kind, act_id] = digest


def act(act_id: str = "eur-1", cents: int = 500_000, chain_id: str = CHAIN) -> bytes:
    return act_message(
        chain_id=chain_id, act="issue", act_id=act_id, wallet="10000001", amount_cents=cents
    )


def proposal(
    message: bytes | None = None, height: int = 5, kind: str = ACT_KIND
) -> acts.ActProposal:
    unsigned = acts.ActProposal(
        CHAIN, kind, height, act() if message is None else message, int(NOW * 1000) + 5000, "q"
    )
    return unsigned.signed_by(HOST.sign)


def vote_on(
    offer: acts.ActProposal,
    log: MemberLog | None = None,
    signer: Signer = SUPERNODES[0],
    memory: Memory | None = None,
    next_height: int = 5,
    tier: str = "supernode",
) -> acts.ActAnswer:
    return acts.answer(
        offer,
        tier=tier,
        log=log or started(),
        signer=signer,
        next_height=next_height,
        memory=memory or Memory(),
    )


def counts(answer: acts.ActAnswer, message: bytes, height: int, log: MemberLog) -> bool:
    """The host's count of one answer on its own act and height."""
    digest = hashlib.sha256(message).digest()
    return answer.vote is not None and acts._counted(
        answer.vote,
        answer.signer,
        log.keys_at("supernode", height),
        lambda r: acts.act_vote(ACT_KIND, digest, height, CHAIN, r),
    )


def test_a_supernode_votes_for_a_well_formed_act_of_the_host_and_the_host_counts_it() -> None:
    offer = proposal()
    assert acts.authentic(offer, HOST.public_key, NOW) == ""
    answer = vote_on(offer)
    assert answer.reason == ""
    assert counts(answer, act(), 5, started())


def test_a_proposal_not_signed_by_the_host_is_not_answered() -> None:
    forged = proposal().signed_by(Signer.from_seed("host", b"intruder").sign)
    assert "not signed by the host's key" in acts.authentic(forged, HOST.public_key, NOW)
    assert "knows no host key" in acts.authentic(proposal(), None, NOW)


def test_a_relay_rewriting_the_act_or_the_reply_queue_breaks_the_hosts_signature() -> None:
    offer = proposal()
    for moved in (
        acts.ActProposal(**{**offer.__dict__, "message": act(cents=9_999_999)}),
        acts.ActProposal(**{**offer.__dict__, "reply_to": "attacker"}),
        acts.ActProposal(**{**offer.__dict__, "height": 6}),
    ):
        assert acts.authentic(moved, HOST.public_key, NOW) != ""


def test_a_proposal_replayed_after_it_expired_is_not_answered() -> None:
    assert acts.authentic(proposal(), HOST.public_key, NOW + 6) == "the proposal has expired"


def test_a_vote_on_a_rewritten_digest_counts_for_nothing_at_the_host() -> None:
    # The relay swaps the act on its way to the supernode (here: a proposal the
    # host never made); the vote it gets names another digest.
    answer = vote_on(proposal(act(cents=1)))
    assert answer.vote is not None
    assert not counts(answer, act(), 5, started())


def test_a_vote_replayed_from_an_old_height_counts_for_nothing() -> None:
    answer = vote_on(proposal(height=2), next_height=2)
    assert counts(answer, act(), 2, started())
    assert not counts(answer, act(), 5, started())


def test_a_vote_of_a_revoked_key_counts_for_nothing_and_its_holder_refuses() -> None:
    log = started()
    revoked = SUPERNODES[3]
    log.apply(entry(RevokeKey("supernode", revoked.name, revoked.key_id), 3, SUPERNODES, 4))
    refused = vote_on(proposal(height=5), log=log, signer=revoked)
    assert refused.vote is None
    assert refused.reason == f"{revoked.name} is no supernode at height 5"
    # A vote it made anyway (a Byzantine holder of the old key) is not counted.
    old = vote_on(proposal(height=5), signer=revoked)
    assert not counts(old, act(), 5, log)


@pytest.mark.parametrize(
    ("message", "kind", "reason"),
    [
        (act(), "finalize", "supernodes certify no act of kind 'finalize'"),
        (b"not json", ACT_KIND, "the act is not JSON"),
        (act() + b" ", ACT_KIND, "the act is not a canonical JSON object"),
        (act(chain_id="riik-other"), ACT_KIND, "the act names chain 'riik-other'"),
        (act(cents=0), ACT_KIND, "not a positive whole number of cents"),
        (act(act_id=""), ACT_KIND, "the act id is not a reference of 1-64 characters"),
        (
            act().replace(b'"issue"', b'"print"'),
            ACT_KIND,
            "'print' is no act of the central bank",
        ),
    ],
)
def test_a_supernode_refuses_an_act_that_is_malformed_or_of_another_kind(
    message: bytes, kind: str, reason: str
) -> None:
    answer = vote_on(proposal(message, kind=kind))
    assert answer.vote is None
    assert reason in answer.reason


def test_a_supernode_refuses_a_height_far_from_its_next_block() -> None:
    answer = vote_on(proposal(height=5), next_height=5 + acts.HEIGHT_WINDOW + 1)
    assert answer.vote is None
    assert "more than 16 blocks from supernode-1's next block" in answer.reason


def test_a_witness_certifies_no_act() -> None:
    assert vote_on(proposal(), tier="witness").reason == "supernode-1 is no supernode"


def test_a_supernode_never_signs_two_different_acts_under_one_act_id() -> None:
    memory = Memory()
    assert vote_on(proposal(act(cents=100)), memory=memory).vote is not None
    # The host asking again (a retry, a later height) gets the vote again.
    assert vote_on(proposal(act(cents=100), height=6), memory=memory).vote is not None
    other = vote_on(proposal(act(cents=200)), memory=memory)
    assert other.vote is None
    assert other.reason == "act eur-1 was certified with other terms: an act id is used once"


def test_the_quorum_error_says_whether_asking_again_can_help() -> None:
    silent = acts.ActQuorumError(1, 3, {"supernode-2": "why"}, ["supernode-3", "supernode-4"])
    assert not silent.refused
    assert "no answer from supernode-3, supernode-4; supernode-2: why" in str(silent)
    refused = acts.ActQuorumError(1, 3, {"supernode-2": "a", "supernode-3": "b"}, ["supernode-4"])
    assert refused.refused
    assert str(refused).startswith("refused by the supernodes (1 of 3 votes)")
