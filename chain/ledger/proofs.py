"""Inclusion and consistency proofs of a registry log, from stored subtree hashes.

Every proof costs one query for O(log n) rows, whatever the log's size: the
ledger keeps the hash of every complete subtree (see
:class:`chain.ledger.models.LedgerSubtree`), and :mod:`chain.merkle` says
which of them a proof needs.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping

from django.db import connections

from chain import merkle
from chain.encoding import entry_leaf
from chain.ledger.databases import log_database
from chain.ledger.models import LedgerEntry, LedgerHead


class ProofError(ValueError):
    """A proof was asked for sizes or positions the log does not have."""


def subtree_fetcher(registry: str) -> merkle.Fetch:
    """A ``fetch`` for :mod:`chain.merkle` that reads one registry's stored subtrees."""

    def fetch(keys: Collection[tuple[int, int]]) -> Mapping[tuple[int, int], bytes]:
        if not keys:
            return {}
        # Joining a VALUES list (rather than ``(level, idx) IN (...)``) lets
        # SQLite use the primary key for every pair instead of scanning the log.
        pairs = ", ".join(["(%s, %s)"] * len(keys))
        params: list[str | int] = []
        for level, index in keys:
            params.extend((level, index))
        params.append(registry)
        with connections[log_database(registry)].cursor() as cursor:
            cursor.execute(
                f"WITH wanted(level, idx) AS (VALUES {pairs}) "
                "SELECT s.level, s.idx, s.hash FROM wanted JOIN ledger_subtree s "
                "ON s.registry = %s AND s.level = wanted.level AND s.idx = wanted.idx",
                params,
            )
            found = {(level, index): bytes(digest) for level, index, digest in cursor.fetchall()}
        missing = set(keys) - found.keys()
        if missing:
            raise ProofError(f"registry {registry}: subtree hashes missing: {sorted(missing)[:3]}")
        return found

    return fetch


def subtree_store(registry: str, ranges: Iterable[tuple[int, int]]) -> merkle.Fetch:
    """A ``fetch`` that answers from one query for the subtrees of every leaf range in ``ranges``.

    For many proofs at once: :func:`chain.merkle.proof_from_store` and
    :func:`chain.merkle.root_from_store` over any of these ranges then read
    nothing more.
    """
    keys = list(
        dict.fromkeys(key for start, end in ranges for key in merkle.perfect_subtrees(start, end))
    )
    found = subtree_fetcher(registry)(keys)
    return lambda wanted: found


def log_size(registry: str) -> int:
    """Current number of entries in a registry log."""
    head = LedgerHead.objects.filter(registry=registry).values_list("size", flat=True).first()
    return int(head or 0)


def inclusion_proof(registry: str, seq: int, tree_size: int) -> list[bytes]:
    """Audit path of entry ``seq`` in the log's tree of ``tree_size`` entries."""
    if not 1 <= seq <= tree_size <= log_size(registry):
        raise ProofError(f"registry {registry}: no entry {seq} in a tree of size {tree_size}")
    return merkle.proof_from_store(
        merkle.inclusion_ranges(seq - 1, tree_size), subtree_fetcher(registry)
    )


def consistency_proof(registry: str, old_size: int, new_size: int) -> list[bytes]:
    """Proof that the log at ``old_size`` is a prefix of the log at ``new_size``."""
    if not 0 <= old_size <= new_size <= log_size(registry):
        raise ProofError(f"registry {registry}: no tree sizes {old_size} and {new_size}")
    return merkle.proof_from_store(
        merkle.consistency_ranges(old_size, new_size), subtree_fetcher(registry)
    )


def tree_root(registry: str, tree_size: int) -> bytes:
    """Root of the log's tree at ``tree_size``."""
    if not 0 <= tree_size <= log_size(registry):
        raise ProofError(f"registry {registry}: no tree of size {tree_size}")
    return merkle.root_from_store(tree_size, subtree_fetcher(registry))


def leaves(registry: str, start: int, end: int) -> list[bytes]:
    """Raw leaf data of entries ``start + 1 .. end`` (a replica's copy of the log)."""
    if start == end >= 0:
        return []  # nothing new: most logs at most blocks, so no query
    if not 0 <= start <= end <= log_size(registry):
        raise ProofError(f"registry {registry}: no entries {start + 1}..{end}")
    return read_leaves(registry, start, end)


def read_leaves(registry: str, start: int, end: int) -> list[bytes]:
    """Raw leaf data of the stored entries ``start + 1 .. end``, for a caller that took
    the range from the log's head (the cluster host): no check of the log's size."""
    # Plain tuples, not model instances: a citizen fetching a block's leaves
    # spent more time building rows than reading them.
    rows = (
        LedgerEntry.objects.filter(registry=registry, seq__gt=start, seq__lte=end)
        .order_by("seq")
        .values_list(
            "seq", "originator_id", "originator_version", "topic", "recorded_at", "payload_hash"
        )
    )
    return [
        entry_leaf(
            registry=registry,
            seq=seq,
            originator_id=str(originator_id),
            originator_version=version,
            topic=topic,
            recorded_at=recorded_at,
            payload_hash=bytes(payload_hash),
        )
        for seq, originator_id, version, topic, recorded_at, payload_hash in rows
    ]
