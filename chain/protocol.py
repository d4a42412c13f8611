"""The protocol's vocabulary: tiers, vote kinds, quorums and the chain log's topics.

The one definition that sealing, the consensus state machines, the membership
log and the standalone verifier all use, so that a certificate the nodes
accept is exactly one the verifier accepts. Pure: no Django, no I/O, stdlib
only (the verifier copies this file as it is).
"""

from __future__ import annotations

from typing import Final, Literal

__all__ = [
    "ACTIVATION_DELAY",
    "CHAIN_LOG",
    "CITIZEN_TIER",
    "COSIGN_KIND",
    "EVIDENCE_TOPIC",
    "FINALIZE_KIND",
    "FINALIZE_ROUND",
    "FIXED_ROUNDS",
    "KINDS",
    "MEMBERSHIP_TOPIC",
    "PRECOMMIT_KIND",
    "PREVOTE_KIND",
    "PROPOSAL_KIND",
    "ROTATE_TOPIC",
    "STORAGE_FAILURE_TOPIC",
    "SUPERNODE_TIER",
    "TIERS",
    "TIER_KINDS",
    "WITNESS_TIER",
    "Kind",
    "Tier",
    "activation_height",
    "epoch_start",
    "max_faulty",
    "quorum",
]

Tier = Literal["witness", "supernode", "citizen"]
Kind = Literal["proposal", "prevote", "precommit", "finalize", "cosign", "membership"]

WITNESS_TIER: Final = "witness"
"""Tier 2: the elected board of enterprise witnesses (``committed``)."""
SUPERNODE_TIER: Final = "supernode"
"""Tier 1: the government supernodes (``final``)."""
CITIZEN_TIER: Final = "citizen"
"""Tier 3: citizen nodes that cosign checkpoints (``witnessed``)."""
TIERS: Final[tuple[Tier, ...]] = (WITNESS_TIER, SUPERNODE_TIER, CITIZEN_TIER)

PROPOSAL_KIND: Final = "proposal"
PREVOTE_KIND: Final = "prevote"
PRECOMMIT_KIND: Final = "precommit"
FINALIZE_KIND: Final = "finalize"
COSIGN_KIND: Final = "cosign"
KINDS: Final[tuple[Kind, ...]] = (
    PROPOSAL_KIND,
    PREVOTE_KIND,
    PRECOMMIT_KIND,
    FINALIZE_KIND,
    COSIGN_KIND,
    "membership",
)

TIER_KINDS: Final[dict[str, str]] = {
    WITNESS_TIER: PRECOMMIT_KIND,
    SUPERNODE_TIER: FINALIZE_KIND,
    CITIZEN_TIER: COSIGN_KIND,
}
"""The signature kind that counts for each tier's certificate of a block."""

FINALIZE_ROUND: Final = 0
"""The round of every ``finalize`` and ``cosign`` vote.

A supernode signs at most one block per height, whatever round its BFT
decided in, so the round adds nothing; fixing it at 0 makes every honest
supernode's finalize vote for a block sign the same bytes, so they form one
certificate (the block record's ``round`` in a bundle is this round).
"""

FIXED_ROUNDS: Final[dict[str, int]] = {
    FINALIZE_KIND: FINALIZE_ROUND,
    COSIGN_KIND: FINALIZE_ROUND,
    "membership": 0,
}
"""The kinds signed in one fixed round only; a vote of another round never counts.

Precommits (and prevotes) carry the BFT round they were cast in instead.
"""

CHAIN_LOG: Final = "consensus"
"""The registry name of the chain's own log (listed in ``RIIK_REGISTRIES``)."""
EVIDENCE_TOPIC: Final = "chain.consensus.evidence:Equivocation"
"""Topic of an equivocation record in the chain log."""
MEMBERSHIP_TOPIC: Final = "chain.consensus.membership:ChangeCertificate"
"""Topic of a certified membership change in the chain log."""
ROTATE_TOPIC: Final = "chain.consensus.membership:RotateKey"
"""Topic of a single supernode's key rotation in the chain log (before ADR 0044)."""
STORAGE_FAILURE_TOPIC: Final = "chain.consensus.storage:FailedChallenge"
"""Topic of a failed storage challenge of a citizen replica in the chain log."""


def max_faulty(size: int) -> int:
    """Faulty members a BFT group of ``size`` tolerates: ``f`` with ``size >= 3f + 1``."""
    return max(0, (size - 1) // 3)


def quorum(size: int) -> int:
    """Votes needed among ``size`` members: ``size - f`` (``2f + 1`` when ``size = 3f + 1``)."""
    return size - max_faulty(size)


ACTIVATION_DELAY: Final = 1
"""``k``: a membership change applies from the first block of an epoch at least
``k`` blocks after the block that certifies it, and a late entry (sealed after
that block) from the first epoch start at least ``k`` blocks after the block
that seals it (:func:`activation_height`; docs/consensus.md, Membership)."""


def epoch_start(height: int, epoch_length: int) -> int:
    """The first block of the first epoch that starts at or after ``height``.

    Epochs are ``epoch_length`` blocks from block 1: they start at blocks
    ``1, 1 + epoch_length, 1 + 2 * epoch_length, ...``.
    """
    return ((max(height, 1) - 2) // epoch_length + 1) * epoch_length + 1


def activation_height(from_height: int, sealed_at: int | None, epoch_length: int) -> int:
    """The first block a certified membership change applies to.

    Its certified ``from_height`` when its entry is sealed in a block no later
    than that (``sealed_at`` None: not known here, taken as on time). An entry
    sealed later reached the chain after blocks that were decided without it:
    those are never judged again, and the change is deferred to the first
    epoch start at least :data:`ACTIVATION_DELAY` blocks after its sealing
    block. Every node and the verifiers read ``sealed_at`` from the same final
    chain, so they all switch lists at the same block.
    """
    if sealed_at is None or sealed_at <= from_height:
        return from_height
    return epoch_start(sealed_at + ACTIVATION_DELAY, epoch_length)
