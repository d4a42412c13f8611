"""Where a ledger entry stands: which block holds it and how final it is."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count

from chain.blocks.finality import TIER_KINDS
from chain.blocks.models import PROPOSED, Block, BlockLog

PENDING = "pending"


@dataclass(frozen=True)
class LedgerStatus:
    """A record's place on the chain, as the admin and the API show it."""

    registry: str
    seq: int | None
    block_height: int | None
    level: str

    def as_dict(self) -> dict[str, object]:
        return {
            "registry": self.registry,
            "seq": self.seq,
            "block_height": self.block_height,
            "level": self.level,
        }


def including_log(registry: str, seq: int) -> BlockLog | None:
    """The log of the first block that includes entry ``seq`` of ``registry`` (with its block)."""
    return (
        BlockLog.objects.filter(registry=registry, size__gte=seq)
        .order_by("size", "block_id")
        .select_related("block")
        .first()
    )


def status_in(registry: str, seq: int | None, log: BlockLog | None) -> LedgerStatus:
    """Where entry ``seq`` stands, given the log of the first block that includes it."""
    if seq is None:
        return LedgerStatus(registry, None, None, PENDING)
    if log is None:
        return LedgerStatus(registry, seq, None, PENDING)
    level = log.block.level if log.block.level != PROPOSED else "sealed"
    return LedgerStatus(registry, seq, log.block_id, level)


def ledger_status(registry: str, seq: int | None) -> LedgerStatus:
    """The first block whose log of ``registry`` includes entry ``seq``."""
    return status_in(registry, seq, None if seq is None else including_log(registry, seq))


def signature_counts(block: Block) -> dict[str, int]:
    """Signatures of ``block`` per tier, of the kind that counts for that tier."""
    counts = dict.fromkeys(TIER_KINDS, 0)
    rows = block.signatures.values("tier", "kind").annotate(n=Count("id"))
    for row in rows:
        if TIER_KINDS.get(row["tier"]) == row["kind"]:
            counts[row["tier"]] = row["n"]
    return counts
