"""Sealing new ledger entries into blocks.

``seal_pending`` is idempotent and safe to run from any number of workers: the
block height is the primary key, so of two sealers racing for one height the
second insert fails and that sealer simply stops. A block commits to every
registry log's (size, root); the entries of a registry that a block holds are
those after the previous block's size, so every entry lands in exactly one
block.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime

from django.conf import settings
from django.db import IntegrityError, transaction

from chain import merkle
from chain.blocks import memberstore
from chain.blocks.finality import Finalizer, finalizer
from chain.blocks.mode import consensus_mode
from chain.blocks.models import LEVEL_ORDER, Block, BlockLog
from chain.blocks.nodekeys import node_key
from chain.encoding import ZERO_HASH, block_hash, canonical, timestamp
from chain.ledger.heads import ledger_heads

log = logging.getLogger(__name__)


def current_logs() -> dict[str, tuple[int, bytes]]:
    """(size, root) of every registry log right now."""
    heads = {head.registry: head for head in ledger_heads()}
    logs = {}
    for registry in sorted(settings.RIIK_REGISTRIES):
        head = heads.get(registry)
        if head is None:
            logs[registry] = (0, merkle.EMPTY_ROOT)
        else:
            frontier = merkle.MerkleFrontier.from_bytes(head.size, bytes(head.frontier))
            logs[registry] = (head.size, frontier.root())
    return logs


def _propose(active: Finalizer | None = None) -> Block | None:
    with transaction.atomic():
        memberstore.serialize_with_sealing()
        last = Block.objects.order_by("-height").first()
        logs = current_logs()
        if last is None:
            if not any(size for size, _ in logs.values()):
                return None
            height, prev_hash = 1, ZERO_HASH
        else:
            sealed = {entry.registry: entry.size for entry in last.logs.all()}
            if all(size == sealed.get(registry, 0) for registry, (size, _) in logs.items()):
                return None
            height, prev_hash = last.height + 1, bytes(last.block_hash)
        # A genesis (or a consensus-mode switch) the finalizer records for this
        # block is sealed in it.
        (active or finalizer()).register(height)
        logs = current_logs()
        header = {
            "chain_id": settings.RIIK_CHAIN_ID,
            "height": height,
            "prev_hash": prev_hash,
            "sealed_at": timestamp(datetime.now(UTC)),
            "proposer": node_key().name,
            "logs": {r: {"size": size, "root": root} for r, (size, root) in logs.items()},
        }
        block = Block.objects.create(
            height=height,
            block_hash=block_hash(header),
            prev_hash=prev_hash,
            proposer=header["proposer"],
            sealed_at=header["sealed_at"],
            header=canonical(header).decode(),
        )
        BlockLog.objects.bulk_create(
            BlockLog(block=block, registry=r, size=size, root=root)
            for r, (size, root) in logs.items()
        )
        return block


def finalize_pending() -> int:
    """Finalize every sealed block that is not final yet (after a crash, say).

    A stepwise finalizer raises only the lowest such block, by one level: the
    members sign heights in order, so the next block waits for it. Returns
    the number of blocks that were below the finalizer's target level.
    """
    if not consensus_mode().host_seals:
        return 0  # the cluster's nodes finalize; their certificates come back as reports
    active = finalizer()
    below = LEVEL_ORDER[: LEVEL_ORDER.index(active.target_level)]
    # Blocks of an earlier consensus mode keep the level its members gave them.
    era = memberstore.era_start()
    pending = list(Block.objects.filter(level__in=below, height__gte=era).order_by("height"))
    for block in pending[:1] if active.stepwise else pending:
        active.finalize(block)
    return len(pending)


def finalize_all() -> None:
    """Take every sealed block to the finalizer's target level, however many calls it needs."""
    for _ in range(len(LEVEL_ORDER) * Block.objects.count()):
        if not finalize_pending():
            return


def seal_pending() -> Block | None:
    """Seal the entries no block holds yet into the next block and finalize it.

    Returns the new block, or None when there was nothing to seal or another
    sealer took this height. In a cluster (:mod:`chain.blocks.mode`) the
    witnesses build the blocks, so this host seals nothing.
    """
    if not consensus_mode().host_seals:
        return None
    active = finalizer()
    if finalize_pending() and active.stepwise:
        return None  # stepwise: this tick raised an older block; the next block waits for it
    try:
        block = _propose(active)
    except IntegrityError:
        log.info("another sealer took this height")
        return None
    if block is not None:
        if settings.RIIK_FAULT_PAUSE_AFTER_SEAL:
            # Fault injection for the reliability tests: a window in which a
            # worker can be killed between sealing and finalizing.
            time.sleep(settings.RIIK_FAULT_PAUSE_AFTER_SEAL)
        active.finalize(block)
        block.refresh_from_db()
    return block
