"""The supernode quorum that authorises the central bank's acts (tier 1).

An issuance or redemption is valid only with a certificate: signatures of a
quorum of the supernodes whose keys are valid at the next block, over
:func:`act_vote` (a vote of its own kind, ``money-act``, round 0, on the
digest of :func:`~registries.money.domain.act_message`). The keys come from
the chain's certified membership (:mod:`chain.blocks.memberstore`), the count
from the one certificate rule (:func:`chain.certificates.count_certificate`,
:func:`~chain.certificates.quorum_at`).

:func:`collect` gathers the votes where the consensus mode
(:mod:`chain.blocks.mode`) says the supernode keys are: signed with the keys
this node holds in ``local`` mode (its own: the single supernode is the
quorum) and in a ``devnet`` (every supernode key); in a ``cluster``, whose
host holds none, proposed to the supernode nodes over the broker
(:func:`chain.blocks.cluster.acts.certify_act`), each of which checks the act
and votes or refuses. Either way :func:`verify` counts the certificate again
when the act is recorded (docs/money.md).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction

from chain.blocks.cluster.acts import ActQuorumError, certify_act
from chain.blocks.finality import finalizer
from chain.blocks.memberstore import is_recorded, last_block, recorded_log, serialize_with_sealing
from chain.blocks.mode import consensus_mode
from chain.blocks.nodekeys import held_keys, node_key
from chain.certificates import Signature, count_certificate, quorum_at
from chain.encoding import vote_message
from chain.keys import NodeKey
from chain.memberlog import MemberLog
from registries.common.texts import N_, Message
from registries.money.domain import ActNotCertified, ActRefusedBySupernodes, QuorumUnavailable

SUPERNODE = "supernode"
KIND = "money-act"
ROUND = 0


@dataclass(frozen=True)
class Certificate:
    """A quorum's votes on an act, at the height whose supernode keys signed it."""

    height: int
    votes: list[dict[str, Any]]


def act_vote(digest: bytes, height: int, chain_id: str, vote_round: int = ROUND) -> bytes:
    """The bytes a supernode signs to certify the act with this digest."""
    return vote_message(
        chain_id=chain_id,
        tier=SUPERNODE,
        kind=KIND,
        height=height,
        round=vote_round,
        block_hash=digest,
    )


def act_digest(message: bytes) -> bytes:
    """SHA-256 of the act's canonical bytes: what the votes name."""
    return hashlib.sha256(message).digest()


def _membership() -> tuple[MemberLog, int]:
    """The recorded membership (this node's genesis recorded first on a new chain)
    and the height of the next block, whose supernode keys certify an act now."""
    with transaction.atomic():
        serialize_with_sealing()
        height = last_block() + 1
        if not is_recorded():
            finalizer().register(height)
        return recorded_log(), height


def _held(log: MemberLog, height: int) -> list[NodeKey]:
    if consensus_mode().single_supernode:
        own = node_key()
        valid = (own.name, own.key_id) in log.keys_at(SUPERNODE, height)
        return [own] if valid else []
    return held_keys(log, SUPERNODE, height)


def collect(message: bytes) -> Certificate:
    """The supernodes' votes on the act ``message``.

    In a cluster, a quorum of the supernode nodes' votes, or a refusal saying
    what was missing: :class:`QuorumUnavailable` (503) when supernodes did
    not answer in time, :class:`ActRefusedBySupernodes` (409) when too many
    refused; nothing is recorded. Otherwise the votes of the supernode keys
    this node holds; fewer than a quorum (a devnet missing key files) is
    refused by :func:`verify` when the act is recorded, not here.
    """
    if not consensus_mode().host_holds_supernode_keys:
        return _certified_by_the_cluster(message)
    log, height = _membership()
    digest = act_digest(message)
    vote = act_vote(digest, height, settings.RIIK_CHAIN_ID)
    votes = [
        {
            "signer": key.name,
            "key_id": key.key_id.hex(),
            "round": ROUND,
            "signature": key.sign(vote).hex(),
        }
        for key in _held(log, height)
    ]
    return Certificate(height, votes)


def _certified_by_the_cluster(message: bytes) -> Certificate:
    try:
        certified = certify_act(KIND, message)
    except ActQuorumError as error:
        terms = {
            "count": error.votes,
            "needed": error.needed,
            "reasons": "; ".join(f"{name}: {why}" for name, why in sorted(error.refusals.items())),
        }
        if error.refused:
            raise ActRefusedBySupernodes(
                Message(
                    N_(
                        "certificate: refused by the supernodes ({count} of the {needed} votes "
                        "a quorum needs): {reasons}"
                    ),
                    terms,
                )
            ) from None
        raise QuorumUnavailable(
            Message(
                N_(
                    "certificate: no supernode quorum within {timeout} s ({count} of the "
                    "{needed} votes a quorum needs; no answer from {silent}; refused: {reasons})"
                ),
                {
                    **terms,
                    "timeout": f"{error.timeout:g}",
                    "silent": ", ".join(error.silent) or "-",
                    "reasons": terms["reasons"] or "-",
                },
            )
        ) from None
    return Certificate(certified.height, certified.votes)


def verify(message: bytes, certificate: Certificate) -> None:
    """Refuse unless a supernode quorum valid at the certificate's height signed ``message``.

    The height must be one whose keys are still valid for the next block: a
    certificate of superseded keys does not authorise a new act.
    """
    log, height = _membership()
    current = log.keys_at(SUPERNODE, height)
    if log.keys_at(SUPERNODE, certificate.height) != current:
        raise ActNotCertified(
            Message(
                N_(
                    "certificate: signed by the supernodes of height {height}; collect it again "
                    "from the supernodes of height {current}"
                ),
                {"height": certificate.height, "current": height},
            )
        )
    digest = act_digest(message)
    tally = count_certificate(
        _signatures(certificate.votes),
        current,
        lambda vote_round: act_vote(digest, certificate.height, settings.RIIK_CHAIN_ID, vote_round),
        fixed_round=ROUND,
    )
    needed = quorum_at(current)
    if len(tally.signers) < needed:
        raise ActNotCertified(
            Message(
                N_(
                    "certificate: {count} valid supernode signatures of the {needed} a quorum needs"
                ),
                {"count": len(tally.signers), "needed": needed},
            )
        )


def _signatures(votes: Sequence[Mapping[str, Any]]) -> list[Signature]:
    try:
        return [
            Signature(
                str(vote["signer"]),
                bytes.fromhex(str(vote["key_id"])),
                int(vote["round"]),
                bytes.fromhex(str(vote["signature"])),
            )
            for vote in votes
        ]
    except (KeyError, TypeError, ValueError):
        raise ActNotCertified(
            N_("certificate: each vote has a signer, a hex key_id, a round and a hex signature")
        ) from None
