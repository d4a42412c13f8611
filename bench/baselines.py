"""pymerkle baselines (benchmark-only dependency; GPL, so never imported by the product).

pymerkle's ``InmemoryTree`` with its default settings hashes exactly as RFC
9162 does (0x00 leaf prefix, 0x01 node prefix, SHA-256), so its roots equal
``chain.merkle``'s and the comparison is like for like.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from typing import Any

from pymerkle import InmemoryTree

from bench.stats import latency_summary, median
from chain import merkle


def build_tree(leaves: Sequence[bytes]) -> Any:
    """A pymerkle in-memory tree over raw leaf data."""
    tree = InmemoryTree()
    append = tree.append_entry
    for data in leaves:
        append(data)
    return tree


def pymerkle_root(leaves: Sequence[bytes]) -> bytes:
    root: bytes = build_tree(leaves).get_root()
    return root


def proof_latency(tree: Any, size: int, seqs: Sequence[int]) -> dict[str, float]:
    """Latency of ``prove_inclusion`` (1-based index) for each of ``seqs``."""
    prove = tree.prove_inclusion
    for seq in seqs[:50]:
        prove(seq, size)
    timings = []
    clock = time.perf_counter
    for seq in seqs:
        start = clock()
        prove(seq, size)
        timings.append(clock() - start)
    return latency_summary(timings)


def root_comparison(
    leaves: Sequence[bytes], repeats: int, tick: Callable[[], None] | None = None
) -> dict[str, Any]:
    """Time chain.merkle.root_hash against pymerkle (build + root), alternating."""
    ours: list[float] = []
    theirs: list[float] = []
    clock = time.perf_counter
    expected = merkle.root_hash(leaves)
    for _ in range(repeats):
        start = clock()
        root = merkle.root_hash(leaves)
        ours.append(clock() - start)
        start = clock()
        other = pymerkle_root(leaves)
        theirs.append(clock() - start)
        if root != expected or other != expected:
            raise AssertionError("chain.merkle and pymerkle disagree on the root")
        if tick is not None:
            tick()
    return {
        "leaves": len(leaves),
        "repeats": repeats,
        "chain_merkle_s": ours,
        "pymerkle_s": theirs,
        "chain_merkle_median_s": median(ours),
        "pymerkle_median_s": median(theirs),
    }


def random_seqs(size: int, count: int, seed: int) -> list[int]:
    """``count`` random 1-based sequence numbers of a log of ``size`` entries."""
    rng = random.Random(seed)
    return [rng.randint(1, size) for _ in range(count)]
