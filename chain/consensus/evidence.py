"""Votes that must not count, and the evidence they leave.

Pure: no Django, no I/O.

* **Equivocation**: two valid signatures by one member for the same chain,
  tier, kind, height and round but different statements (different blocks,
  or one proposal block with two valid rounds). This is the only
  evidence that proves something about the signer (nobody else can produce
  its signatures), so it is the evidence the caller stores on the chain.
  The first vote may have counted (as in Tendermint, the protocol tolerates
  up to f equivocators); the second never counts.
* **Invalid signature**, **wrong tier** and **replay** (a vote signed for
  another chain, or for another height, round or block than the certificate
  or proposal it arrives in) are refused. They prove nothing about the
  named signer, whose name anyone can write: the record names the peer that
  delivered the message instead, for monitoring and peer scoring.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from chain.consensus.membership import Membership, ValidatorSet, VoteCheck
from chain.consensus.messages import Kind, QuorumCertificate, Tier, Vote

__all__ = [
    "CertificateCheck",
    "Evidence",
    "EvidenceKind",
    "VoteBook",
    "check_certificate",
    "conflict",
    "refusal",
    "verify_evidence",
]

EvidenceKind = Literal["equivocation", "invalid-signature", "wrong-tier", "replay"]

_REASONS: dict[VoteCheck, EvidenceKind] = {
    VoteCheck.BAD_SIGNATURE: "invalid-signature",
    VoteCheck.UNKNOWN_KEY: "invalid-signature",
    VoteCheck.UNKNOWN_SIGNER: "invalid-signature",
    VoteCheck.UNSUPPORTED_ALG: "invalid-signature",
    VoteCheck.WRONG_TIER: "wrong-tier",
    # A vote signed for another chain can only have been replayed from it.
    VoteCheck.WRONG_CHAIN: "replay",
}


@dataclass(frozen=True, slots=True)
class Evidence:
    """Why a vote did not count; for an equivocation, the two conflicting signed votes."""

    kind: EvidenceKind
    vote: Vote
    conflicting: Vote | None = None
    sender: str | None = None
    """The peer that delivered the vote (not necessarily its claimed signer)."""
    detail: str = ""

    @property
    def attributable(self) -> bool:
        """True when the evidence proves misbehaviour of ``vote.signer`` (equivocation)."""
        return self.kind == "equivocation"

    @property
    def key(self) -> tuple[str, str, str, str, int, int]:
        """What one piece of evidence is about: (kind, signer, tier, kind, height, round)."""
        vote = self.vote
        return (self.kind, vote.signer, vote.tier, vote.kind, vote.height, vote.round)

    def to_record(self) -> dict[str, Any]:
        """JSON-native record, as stored on the chain."""
        return {
            "kind": self.kind,
            "vote": self.vote.to_record(),
            "conflicting": None if self.conflicting is None else self.conflicting.to_record(),
            "sender": self.sender,
            "detail": self.detail,
        }


def refusal(check: VoteCheck, vote: Vote, sender: str | None, detail: str = "") -> Evidence:
    """The evidence record of a vote refused by a validator-set check."""
    return Evidence(_REASONS[check], vote, None, sender, detail or check.value)


def conflict(first: Vote, second: Vote, sender: str | None = None) -> Evidence | None:
    """Equivocation evidence when two valid votes fill the same slot differently."""
    if first.slot != second.slot or first.statement == second.statement:
        return None
    return Evidence("equivocation", first, second, sender, "two different votes in one slot")


class VoteBook:
    """Valid votes, at most one per (chain, tier, kind, height, round, signer).

    :meth:`add` keeps the first vote of a slot; a later different vote is
    refused and returned as equivocation evidence, a later equal one is a
    harmless duplicate.
    """

    __slots__ = ("_votes",)

    def __init__(self) -> None:
        self._votes: dict[tuple[str, str, str, int, int, str], Vote] = {}

    def add(self, vote: Vote, sender: str | None = None) -> tuple[bool, Evidence | None]:
        """Record ``vote`` (already verified); return (new, evidence)."""
        existing = self._votes.get(vote.slot)
        if existing is None:
            self._votes[vote.slot] = vote
            return True, None
        return False, conflict(existing, vote, sender)

    def get(self, slot: tuple[str, str, str, int, int, str]) -> Vote | None:
        """The vote recorded for ``slot``."""
        return self._votes.get(slot)

    def __len__(self) -> int:
        return len(self._votes)

    def votes(self) -> list[Vote]:
        """All recorded votes, in arrival order."""
        return list(self._votes.values())


@dataclass(frozen=True, slots=True)
class CertificateCheck:
    """What a certificate proves: ``valid`` when enough distinct members signed it."""

    valid: bool
    signers: tuple[str, ...]
    votes: tuple[Vote, ...]
    """The counted votes (one per signer), in certificate order."""
    refused: tuple[Evidence, ...]


def check_certificate(
    qc: QuorumCertificate,
    validators: ValidatorSet,
    *,
    tier: Tier,
    kind: Kind,
    height: int,
    block_hash: bytes | None,
    round: int | None = None,
    sender: str | None = None,
) -> CertificateCheck:
    """Check that ``qc`` is a quorum of ``validators`` for exactly the given statement.

    A vote inside it that was signed for anything else (another chain,
    height, round or block) is a replay and never counts, nor does an
    invalid, unknown or wrong-tier signature; each member counts once.
    """
    expected_round = qc.round if round is None else round
    header_ok = (
        qc.tier == tier
        and qc.kind == kind
        and qc.height == height
        and qc.round == expected_round
        and qc.block_hash == block_hash
    )
    counted: dict[str, Vote] = {}
    refused: list[Evidence] = []
    for vote in qc.votes:
        if (
            vote.tier != tier
            or vote.kind != kind
            or vote.height != height
            or vote.round != expected_round
            or vote.block_hash != block_hash
            or vote.chain_id != validators.chain_id
        ):
            refused.append(
                Evidence("replay", vote, None, sender, "vote signed for another statement")
            )
            continue
        if vote.signer in counted:
            continue
        result = validators.check(vote)
        if result is not VoteCheck.OK:
            refused.append(refusal(result, vote, sender))
            continue
        counted[vote.signer] = vote
    valid = header_ok and len(counted) >= validators.quorum
    return CertificateCheck(valid, tuple(counted), tuple(counted.values()), tuple(refused))


def verify_evidence(evidence: Evidence, membership: Membership) -> bool:
    """True when an equivocation record really proves its signer equivocated.

    Both votes must verify against the signer's tier at their height, fill
    the same slot and say different things. Other kinds prove nothing about
    a signer and return False.
    """
    if evidence.kind != "equivocation" or evidence.conflicting is None:
        return False
    first, second = evidence.vote, evidence.conflicting
    if first.slot != second.slot or first.statement == second.statement:
        return False
    if first.chain_id != membership.chain_id:
        return False
    return all(membership.check_vote(vote, vote.tier) is VoteCheck.OK for vote in (first, second))
