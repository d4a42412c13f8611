"""The registry host stores what the cluster's nodes report.

A witness reports a committed block, a supernode a final one (with its
signed checkpoints), a citizen its cosignatures (witnessed), any node
attributable evidence of equivocation, and a supernode the outcome of a
storage challenge (``chain.tasks.cluster_report``). Every certificate is
checked against the member lists the host knows
(:func:`chain.blocks.cluster.host.host_membership`) before anything is
stored, so a forged or replayed report changes nothing; blocks, their
signatures and levels, checkpoints and evidence are stored idempotently.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

from django.db import transaction

from chain.blocks import memberstore
from chain.blocks.checkpoints import add_block_signatures
from chain.blocks.cluster import transport
from chain.blocks.cluster.host import host_membership, register_members
from chain.blocks.models import (
    COMMITTED,
    FINAL,
    LEVEL_ORDER,
    WITNESSED,
    Block,
    BlockLog,
    BlockSignature,
    ConsensusEvidence,
)
from chain.blocks.storage import record_storage_check
from chain.consensus.evidence import check_certificate
from chain.consensus.membership import Membership, VoteCheck
from chain.consensus.messages import (
    FINALIZE_ROUND,
    FinalBlock,
    QuorumCertificate,
    Vote,
)
from chain.consensus.messages import Block as HeaderBlock
from chain.consensus.node import ALL, SUPERNODES
from chain.encoding import canonical
from chain.ledger import chainlog
from chain.protocol import EVIDENCE_TOPIC

__all__ = ["merge_checkpoints", "record_report"]

log = logging.getLogger(__name__)


def _store_votes(block: Block, qc: QuorumCertificate) -> None:
    # One INSERT; a vote stored already (another node's report) is skipped
    # by the one_vote_per_node constraint.
    BlockSignature.objects.bulk_create(
        (
            BlockSignature(
                block=block,
                tier=vote.tier,
                kind=vote.kind,
                round=vote.round,
                signer=vote.signer,
                key_id=vote.key_id.hex(),
                alg=vote.alg,
                signature=vote.signature,
            )
            for vote in qc.votes
        ),
        ignore_conflicts=True,
    )


def _store_block(header_block: HeaderBlock) -> Block:
    """A block as the nodes agreed on it.

    ``Block.round`` is the round its supernode and citizen signatures name
    (:data:`FINALIZE_ROUND`); the witnesses' precommits keep their own BFT
    round in :class:`BlockSignature`.
    """
    header = dict(header_block.header)
    block = Block.objects.create(
        height=header_block.height,
        block_hash=header_block.hash,
        prev_hash=bytes.fromhex(header["prev_hash"]),
        proposer=header_block.proposer,
        sealed_at=header["sealed_at"],
        header=canonical(header).decode(),
        round=FINALIZE_ROUND,
    )
    BlockLog.objects.bulk_create(
        BlockLog(block=block, registry=r, size=size, root=root)
        for r, (size, root) in header_block.logs().items()
    )
    return block


def _raise(block: Block, level: str) -> None:
    if LEVEL_ORDER.index(block.level) < LEVEL_ORDER.index(level):
        block.level = level
        block.save(update_fields=["level"])


def record_report(sender: str, kind: str, payload: Mapping[str, Any]) -> None:
    """Store what a node reported: a committed, final or witnessed block (idempotent).

    Every certificate is checked against the genesis membership before
    anything is stored: a forged report changes nothing.
    """
    if sender not in transport.groups()[ALL]:
        log.warning("report from unknown node %r dropped", sender)
        return
    if kind == "final" and _defer_checkpoints(sender, payload):
        return
    # Read only when a certificate is checked: most reports of a block repeat
    # one another node already made (stored already), and need no lists.
    membership = cache(lambda: host_membership(transport.genesis_path()))
    with transaction.atomic():
        if kind in ("committed", "final"):
            # A block stored here is ordered with membership changes.
            memberstore.serialize_with_sealing()
        if kind == "committed":
            _record_committed(membership, payload)
        elif kind == "final":
            _record_final(membership, payload)
        elif kind == "witnessed":
            _record_witnessed(membership, payload)
        elif kind == "evidence":
            _record_evidence(membership(), sender, payload)
        elif kind == "storage":
            record_storage_check(membership(), sender, payload)


def _record_committed(membership: Callable[[], Membership], payload: Mapping[str, Any]) -> None:
    header_block = HeaderBlock.from_record(payload["block"])
    height = header_block.height
    if Block.objects.filter(height=height, block_hash=header_block.hash).exists():
        return  # another witness reported it first (or it is final already)
    register_members()
    qc = QuorumCertificate.from_record(payload["qc"])
    result = check_certificate(
        qc,
        membership().validator_set("witness", height),
        tier="witness",
        kind="precommit",
        height=height,
        block_hash=header_block.hash,
    )
    if not result.valid:
        log.warning("invalid commit certificate for height %d dropped", height)
        return
    block = Block.objects.select_for_update().filter(height=height).first()
    if block is None:
        block = _store_block(header_block)
    elif bytes(block.block_hash) != header_block.hash:
        return  # the supernodes made another block final at this height
    _store_votes(block, qc)
    _raise(block, COMMITTED)


def _record_final(membership: Callable[[], Membership], payload: Mapping[str, Any]) -> None:
    final = FinalBlock.from_record(payload["final"])
    height = final.height
    stored = (
        Block.objects.select_for_update()
        .filter(height=height, block_hash=final.block.hash, level__in=[FINAL, WITNESSED])
        .first()
    )
    if stored is not None:
        # Another supernode reported it first: this one's checkpoint
        # signatures still count towards the published quorum.
        _store_checkpoints(stored, payload)
        return
    register_members()
    result = check_certificate(
        final.qc,
        membership().validator_set("supernode", height),
        tier="supernode",
        kind="finalize",
        height=height,
        round=FINALIZE_ROUND,
        block_hash=final.block.hash,
    )
    if not result.valid or final.block.height != height:
        log.warning("invalid final certificate for height %d dropped", height)
        return
    block = Block.objects.select_for_update().filter(height=height).first()
    if block is not None and bytes(block.block_hash) != final.block.hash:
        if LEVEL_ORDER.index(block.level) >= LEVEL_ORDER.index(FINAL):
            log.error("two final blocks at height %d", height)
            return
        # A committed witness block the supernodes did not make final (takeover).
        block.signatures.all().delete()
        block.logs.all().delete()
        block.checkpoints.all().delete()
        block.delete()
        block = None
    if block is None:
        block = _store_block(final.block)
    _store_votes(block, final.qc)
    _raise(block, FINAL)
    _store_checkpoints(block, payload)


def _checkpoint_notes(payload: Mapping[str, Any]) -> dict[str, str]:
    checkpoints = payload.get("checkpoints", {})
    if not isinstance(checkpoints, Mapping):
        return {}
    return {
        registry: note
        for registry, note in checkpoints.items()
        if isinstance(registry, str) and isinstance(note, str)
    }


def _store_checkpoints(block: Block, payload: Mapping[str, Any]) -> None:
    """Merge the reporting supernode's checkpoint signatures into the block's notes
    (only lines that verify against a key valid at the block's height)."""
    add_block_signatures(block, _checkpoint_notes(payload))


_DEFERRED: dict[tuple[int, bytes], dict[str, dict[str, str]]] = {}
"""Checkpoint notes of final blocks stored already, by (height, hash) and reporting
supernode, waiting for :func:`merge_checkpoints` (this host process's memory)."""

_SINCE: dict[tuple[int, bytes], float] = {}
"""When (monotonic) the first deferred notes of each block came."""

MERGE_WAIT = 0.5
"""Seconds a block's deferred notes wait for the other supernodes' before a tick
merges them anyway: a supernode that is down or slow delays its block's
published checkpoint that long at most, and a tick that comes between two
reports of one block does not cost a merge of its own."""


def _defer_checkpoints(sender: str, payload: Mapping[str, Any]) -> bool:
    """Keep a final report's checkpoint notes for one merge per block when the block
    is stored final already (True); False when the report must store it.

    Every supernode reports a final block with its own checkpoint lines; one
    transaction per report (lock the block, read its logs, the keys and the
    notes, write them back) cost the host's single worker about a third of its
    report time. The notes wait here until every other supernode's are in, or
    a tick :data:`MERGE_WAIT` after the first (:func:`merge_checkpoints`), and
    are checked line by line then, exactly as one report's. A report whose block is not stored
    takes the full path (the certificate is checked and the block stored).
    """
    try:
        final = FinalBlock.from_record(payload["final"])
    except (KeyError, TypeError, ValueError):  # MessageFormatError included
        return False  # the full path drops it as it always did
    # Asked every time, not remembered: one small read, and the database, not
    # this process's memory, says what is stored.
    stored = Block.objects.filter(
        height=final.height, block_hash=final.block.hash, level__in=[FINAL, WITNESSED]
    ).exists()
    if not stored:
        return False
    key = (final.height, final.block.hash)
    waiting = _DEFERRED.setdefault(key, {})
    _SINCE.setdefault(key, time.monotonic())
    # One entry per sender: a supernode (or a relay replaying it) reporting again
    # replaces its own notes, so the memory held is bounded by the members.
    waiting[sender] = _checkpoint_notes(payload)
    if len(waiting) >= len(transport.groups()[SUPERNODES]) - 1:
        merge_checkpoints(wait=0.0)  # every supernode but the one that stored the block
    return True


def merge_checkpoints(wait: float = MERGE_WAIT) -> int:
    """Merge the deferred checkpoint notes of every block whose first came ``wait``
    seconds ago or more, in one transaction, one
    :func:`~chain.blocks.checkpoints.add_block_signatures` per block; how many
    blocks. The host's clock calls it on every tick."""
    now = time.monotonic()
    pending = {key: by_sender for key, by_sender in _DEFERRED.items() if now - _SINCE[key] >= wait}
    if not pending:
        return 0
    with transaction.atomic():
        for (height, block_hash), by_sender in pending.items():
            block = Block.objects.filter(height=height, block_hash=block_hash).first()
            if block is not None:
                add_block_signatures(block, *by_sender.values())
    for key in pending:  # only once merged: a failed merge is tried again
        del _DEFERRED[key], _SINCE[key]
    return len(pending)


def _record_evidence(membership: Membership, sender: str, payload: Mapping[str, Any]) -> None:
    """Store an equivocation once both of its votes verify and really conflict.

    It becomes an entry of the chain's own log (:mod:`chain.ledger.chainlog`)
    and a :class:`ConsensusEvidence` row for the admin, in one transaction.
    """
    if payload.get("kind") != "equivocation" or payload.get("conflicting") is None:
        return
    vote = Vote.from_record(payload["vote"])
    other = Vote.from_record(payload["conflicting"])
    if (
        vote.slot != other.slot
        or vote.block_hash == other.block_hash
        or membership.check_vote(vote, vote.tier) is not VoteCheck.OK
        or membership.check_vote(other, other.tier) is not VoteCheck.OK
    ):
        log.warning("unproven evidence from %s dropped", sender)
        return
    record = {
        "kind": "equivocation",
        "vote": vote.to_record(),
        "conflicting": other.to_record(),
        "reported_by": sender,
    }
    slot = (vote.signer, vote.tier, vote.kind, vote.height, vote.round)
    if ConsensusEvidence.objects.filter(
        kind="equivocation",
        signer=vote.signer,
        tier=vote.tier,
        vote_kind=vote.kind,
        height=vote.height,
        round=vote.round,
    ).exists():
        return  # another node reported it first
    register_members()  # the bundle header must list the keys that check it
    # On the chain first (hash-chained, sealed, exported), then the admin's row.
    entry = chainlog.append(chainlog.event_id("equivocation", *slot), EVIDENCE_TOPIC, record)
    ConsensusEvidence.objects.create(
        kind="equivocation",
        signer=vote.signer,
        tier=vote.tier,
        vote_kind=vote.kind,
        height=vote.height,
        round=vote.round,
        reported_by=sender,
        record=canonical(record).decode(),
        recorded_at=entry.recorded_at,
        entry_seq=entry.seq,
    )


def _record_witnessed(membership: Callable[[], Membership], payload: Mapping[str, Any]) -> None:
    qc = QuorumCertificate.from_record(payload["qc"])
    height = int(payload["height"])
    block = Block.objects.select_for_update().filter(height=height).first()
    if block is None or block.level != FINAL:
        return  # not final here yet (reported again later), or witnessed already
    result = check_certificate(
        qc,
        membership().validator_set("citizen", height),
        tier="citizen",
        kind="cosign",
        height=height,
        round=FINALIZE_ROUND,
        block_hash=bytes(block.block_hash),
    )
    if not result.valid:
        return
    _store_votes(block, qc)
    _raise(block, WITNESSED)
