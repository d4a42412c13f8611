"""Synthetic registry logs for the proof-latency figure (pure: no Django).

A synthetic log of ``size`` entries has deterministic leaves; appending their
hashes to a :class:`chain.merkle.MerkleFrontier` yields exactly the
``(level, idx, hash)`` rows that the ledger writer stores in
``ledger_subtree``, and the frontier ends up as the ``ledger_head`` row.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

from chain import merkle


class SyntheticLog:
    """A deterministic log of ``size`` leaves and its stored Merkle subtrees."""

    def __init__(self, size: int, seed: str = "riik-bench") -> None:
        if size < 0:
            raise ValueError(f"negative log size {size}")
        self.size = size
        self.seed = seed.encode()
        self.frontier = merkle.MerkleFrontier()

    def leaf(self, index: int) -> bytes:
        """Leaf data of entry ``index`` (0-based): 32 bytes that look like an envelope hash."""
        return hashlib.sha256(self.seed + index.to_bytes(8, "big")).digest()

    def leaf_hash(self, index: int) -> bytes:
        return merkle.leaf_hash(self.leaf(index))

    def subtrees(self) -> Iterator[tuple[int, int, bytes]]:
        """Every stored subtree ``(level, idx, hash)``, in append order.

        Consumes the log: the frontier afterwards holds the final right edge.
        """
        if self.frontier.size:
            raise RuntimeError("subtrees() was already consumed")
        append = self.frontier.append
        leaf_hash = merkle.leaf_hash
        seed = self.seed
        sha256 = hashlib.sha256
        for index in range(self.size):
            yield from append(leaf_hash(sha256(seed + index.to_bytes(8, "big")).digest()))

    def chunks(self, rows: int) -> Iterator[list[tuple[int, int, bytes]]]:
        """:meth:`subtrees` in lists of at most ``rows`` rows, for bulk inserts."""
        chunk: list[tuple[int, int, bytes]] = []
        for row in self.subtrees():
            chunk.append(row)
            if len(chunk) >= rows:
                yield chunk
                chunk = []
        if chunk:
            yield chunk

    @staticmethod
    def row_count(size: int) -> int:
        """Rows :meth:`subtrees` yields: every leaf and every completed node."""
        return 2 * size - size.bit_count()


def proof_reads(index: int, size: int) -> int:
    """Subtree rows read by one stored-subtree inclusion proof of leaf ``index``."""
    keys = {
        key
        for start, end in merkle.inclusion_ranges(index, size)
        for key in merkle.perfect_subtrees(start, end)
    }
    return len(keys)
