"""Where a ledger entry stands: which block holds it and how final it is."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.db import connections
from django.db.models import Count, OuterRef, QuerySet, Subquery

from chain import merkle
from chain.blocks.models import PROPOSED, Block, BlockLog
from chain.encoding import entry_leaf
from chain.ledger import proofs
from chain.ledger.databases import DEFAULT, log_database
from chain.ledger.models import LedgerEntry, LedgerHead
from chain.protocol import TIER_KINDS

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


def annotate_blocks(entries: QuerySet[LedgerEntry]) -> QuerySet[LedgerEntry]:
    """``entries``, each with ``block_height`` and ``block_level`` of the first block
    that includes it (both null while it is pending), read in the same query."""
    first = BlockLog.objects.filter(
        registry=OuterRef("registry"), size__gte=OuterRef("seq")
    ).order_by("size", "block_id")
    return entries.annotate(
        block_height=Subquery(first.values("block_id")[:1]),
        block_level=Subquery(first.values("block__level")[:1]),
    )


def with_blocks(entries: QuerySet[LedgerEntry], *fields: str) -> list[dict[str, Any]]:
    """``fields`` of each of ``entries``, with the first block that includes it.

    Each row also has ``block_height`` and ``block_level``, both null while the
    entry is pending. The level is read with the entries, so it is current.
    One query while the log is in the chain's database; two when its registry
    has a database of its own (the entries there, the blocks here).
    """
    if entries.db != DEFAULT:
        return _with_blocks_apart(entries, fields)
    return list(annotate_blocks(entries).values(*fields, "block_height", "block_level"))


def _with_blocks_apart(
    entries: QuerySet[LedgerEntry], fields: Sequence[str]
) -> list[dict[str, Any]]:
    rows = list(entries.values(*dict.fromkeys([*fields, "registry", "seq"])))
    seqs: dict[str, set[int]] = {}
    for row in rows:
        seqs.setdefault(row["registry"], set()).add(row["seq"])
    blocks = {
        (registry, seq): found
        for registry, wanted in seqs.items()
        for seq, found in first_blocks(registry, wanted).items()
    }
    found_rows = []
    for row in rows:
        height, level, _, _ = blocks.get((row["registry"], row["seq"]), (None, None, None, None))
        found_rows.append(
            {field: row[field] for field in fields} | {"block_height": height, "block_level": level}
        )
    return found_rows


def first_blocks(registry: str, seqs: Collection[int]) -> dict[int, tuple[int, str, int, bytes]]:
    """For each entry ``seq`` of ``registry`` that a block includes: the first such
    block's height and level and its log's size and root; one query of the
    chain's database, which holds the blocks wherever the log is."""
    if not seqs:
        return {}
    log, block = BlockLog._meta.db_table, Block._meta.db_table
    wanted = ", ".join(["(CAST(%s AS BIGINT))"] * len(seqs))
    with connections[DEFAULT].cursor() as cursor:
        cursor.execute(
            f"WITH wanted(seq) AS (VALUES {wanted}) "
            "SELECT w.seq, l.block_id, b.level, l.size, l.root FROM wanted w "
            f"JOIN {log} l ON l.id = (SELECT f.id FROM {log} f "
            "WHERE f.registry = %s AND f.size >= w.seq ORDER BY f.size, f.block_id LIMIT 1) "
            f"JOIN {block} b ON b.height = l.block_id",
            [*seqs, registry],
        )
        return {
            int(seq): (int(height), str(level), int(size), bytes(root))
            for seq, height, level, size, root in cursor.fetchall()
        }


def status_at(registry: str, seq: int, height: int | None, level: str | None) -> LedgerStatus:
    """The status of entry ``seq`` whose first including block (if any) is at ``height``."""
    if height is None or level is None:
        return LedgerStatus(registry, seq, None, PENDING)
    return LedgerStatus(registry, seq, height, "sealed" if level == PROPOSED else level)


def ledger_statuses(registry: str, seqs: Collection[int]) -> dict[int, LedgerStatus]:
    """Where each entry ``seq`` of ``registry`` stands, in one query (absent entries left out)."""
    if not seqs:
        return {}
    rows = with_blocks(LedgerEntry.objects.filter(registry=registry, seq__in=seqs), "seq")
    return {
        row["seq"]: status_at(registry, row["seq"], row["block_height"], row["block_level"])
        for row in rows
    }


@dataclass(frozen=True)
class Inclusion:
    """An entry's status and its RFC 9162 inclusion proof: against the log of the
    first block that includes it, or against the whole log while it is pending."""

    seq: int
    status: LedgerStatus
    leaf: bytes
    tree_size: int
    root: bytes
    audit_path: list[bytes]


def _inclusion_rows(registry: str, seqs: Collection[int]) -> list[tuple[Any, ...]]:
    # Hand-written SQL: the same as with_blocks(..., proof=True) with joins in
    # place of four correlated subqueries, and about ten times cheaper to
    # build than the ORM's (this runs on every /me read).
    if log_database(registry) != DEFAULT:
        return _inclusion_rows_apart(registry, seqs)
    entry, head = LedgerEntry._meta.db_table, LedgerHead._meta.db_table
    log, block = BlockLog._meta.db_table, Block._meta.db_table
    marks = ", ".join(["%s"] * len(seqs))
    with connections[DEFAULT].cursor() as cursor:
        cursor.execute(
            "SELECT e.seq, e.originator_id, e.originator_version, e.topic, e.recorded_at, "
            "e.payload_hash, l.block_id, b.level, l.size, l.root, h.size "
            f"FROM {entry} e "
            f"LEFT JOIN {log} l ON l.id = (SELECT f.id FROM {log} f "
            "WHERE f.registry = e.registry AND f.size >= e.seq "
            "ORDER BY f.size, f.block_id LIMIT 1) "
            f"LEFT JOIN {block} b ON b.height = l.block_id "
            f"LEFT JOIN {head} h ON h.registry = e.registry "
            f"WHERE e.registry = %s AND e.seq IN ({marks})",
            [registry, *seqs],
        )
        rows: list[tuple[Any, ...]] = cursor.fetchall()
        return rows


def _inclusion_rows_apart(registry: str, seqs: Collection[int]) -> list[tuple[Any, ...]]:
    # The registry's own database holds the entries and head, the chain's the
    # blocks: one query each, the rows laid out as _inclusion_rows lays them.
    entry, head = LedgerEntry._meta.db_table, LedgerHead._meta.db_table
    marks = ", ".join(["%s"] * len(seqs))
    with connections[log_database(registry)].cursor() as cursor:
        cursor.execute(
            "SELECT e.seq, e.originator_id, e.originator_version, e.topic, e.recorded_at, "
            f"e.payload_hash, h.size FROM {entry} e "
            f"LEFT JOIN {head} h ON h.registry = e.registry "
            f"WHERE e.registry = %s AND e.seq IN ({marks})",
            [registry, *seqs],
        )
        entries = cursor.fetchall()
    blocks = first_blocks(registry, [row[0] for row in entries])
    rows = []
    for *fields, head_size in entries:
        height, level, size, root = blocks.get(fields[0], (None, None, None, None))
        rows.append((*fields, height, level, size, root, head_size))
    return rows


def inclusions(registry: str, seqs: Collection[int]) -> dict[int, Inclusion]:
    """Status and inclusion proof of each entry ``seq`` of ``registry``, in two queries.

    One query reads the entries with their blocks (levels as they are now)
    and the log's current size; one reads every stored subtree hash that all
    the proofs (and the roots of pending entries) need. Entries the log does
    not have are left out.
    """
    if not seqs:
        return {}
    rows = _inclusion_rows(registry, seqs)
    # A pending entry is proven against the whole log as it stands now.
    trees = {row[0]: (row[8], row[9]) if row[8] is not None else (row[10], None) for row in rows}
    ranges = [(0, size) for size, root in trees.values() if root is None]
    ranges += [
        r for seq, (size, _) in trees.items() for r in merkle.inclusion_ranges(seq - 1, size)
    ]
    store = proofs.subtree_store(registry, ranges)
    found = {}
    for seq, originator, version, topic, recorded_at, payload_hash, height, level, *_ in rows:
        size, root = trees[seq]
        found[seq] = Inclusion(
            seq=seq,
            status=status_at(registry, seq, height, level),
            leaf=entry_leaf(
                registry=registry,
                seq=seq,
                # SQLite keeps a UUID as 32 hex digits, PostgreSQL as a UUID.
                originator_id=str(UUID(str(originator))),
                originator_version=version,
                topic=topic,
                recorded_at=recorded_at,
                payload_hash=bytes(payload_hash),
            ),
            tree_size=size,
            root=merkle.root_from_store(size, store) if root is None else bytes(root),
            audit_path=merkle.proof_from_store(merkle.inclusion_ranges(seq - 1, size), store),
        )
    return found


def signature_counts(block: Block) -> dict[str, int]:
    """Signatures of ``block`` per tier, of the kind that counts for that tier."""
    counts = dict.fromkeys(TIER_KINDS, 0)
    rows = block.signatures.values("tier", "kind").annotate(n=Count("id"))
    for row in rows:
        if TIER_KINDS.get(row["tier"]) == row["kind"]:
            counts[row["tier"]] = row["n"]
    return counts
