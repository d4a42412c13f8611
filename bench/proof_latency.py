"""Figure 3: inclusion-proof latency from stored subtrees at 10k, 100k, 1M entries.

Needs Django set up. Each size is its own synthetic registry log
(``bench_10k`` ...), written straight into ``ledger_subtree`` and
``ledger_head`` (proofs read nothing else, so no ``ledger_entry`` rows are
needed); then ``chain.ledger.proofs.inclusion_proof(registry, seq, size)`` is
timed for random ``seq``. The baseline is pymerkle's ``prove_inclusion`` on an
in-memory tree of the same leaves, in the same process.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from typing import Any

from django.db import connection, transaction

from bench import baselines
from bench.plan import Plan
from bench.stats import latency_summary, mean
from bench.synthetic import SyntheticLog, proof_reads
from chain import merkle
from chain.ledger import proofs
from chain.ledger.models import LedgerHead

CHUNK = 50_000


def label(size: int) -> str:
    if size >= 1_000_000 and size % 1_000_000 == 0:
        return f"{size // 1_000_000}m"
    if size >= 1_000 and size % 1_000 == 0:
        return f"{size // 1_000}k"
    return str(size)


def store_log(registry: str, log: SyntheticLog, tick: Callable[[int], None]) -> float:
    """Bulk-insert the log's subtrees and head; return the seconds it took."""
    start = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        raw = cursor.cursor  # the driver's own cursor, under Django's wrapper
        if connection.vendor == "postgresql":
            with raw.copy("COPY ledger_subtree (registry, level, idx, hash) FROM STDIN") as copy:
                for chunk in log.chunks(CHUNK):
                    for level, index, digest in chunk:
                        copy.write_row((registry, level, index, digest))
                    tick(len(chunk))
        else:
            for chunk in log.chunks(CHUNK):
                raw.executemany(
                    "INSERT INTO ledger_subtree (registry, level, idx, hash) VALUES (?, ?, ?, ?)",
                    [(registry, level, index, digest) for level, index, digest in chunk],
                )
                tick(len(chunk))
        LedgerHead.objects.create(
            registry=registry,
            size=log.size,
            entry_hash=bytes(32),
            frontier=log.frontier.to_bytes(),
        )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE ledger_subtree")
    return time.perf_counter() - start


MIN_SAMPLES = 100


def time_proofs(registry: str, size: int, seqs: list[int], budget_s: float) -> list[float]:
    """Latency of each proof; stops early (after ``MIN_SAMPLES``) once ``budget_s`` is spent."""
    for seq in seqs[:10]:
        proofs.inclusion_proof(registry, seq, size)
    clock = time.perf_counter
    timings: list[float] = []
    gc.collect()
    deadline = clock() + budget_s
    for seq in seqs:
        start = clock()
        proofs.inclusion_proof(registry, seq, size)
        end = clock()
        timings.append(end - start)
        if end > deadline and len(timings) >= MIN_SAMPLES:
            break
    return timings


def run_size(
    plan: Plan, size: int, tick_rows: Callable[[int], None], tick_step: Callable[[], None]
) -> dict[str, Any]:
    registry = f"bench_{label(size)}"
    log = SyntheticLog(size, seed=f"riik-bench-{size}")
    insert_s = store_log(registry, log, tick_rows)
    root = log.frontier.root()
    seqs = baselines.random_seqs(size, plan.proof_samples, plan.seed + size)
    for seq in [*seqs[:5], 1, size]:  # correct before timed
        proof = proofs.inclusion_proof(registry, seq, size)
        if not merkle.verify_inclusion(log.leaf_hash(seq - 1), seq - 1, size, proof, root):
            raise AssertionError(f"{registry}: proof of seq {seq} does not verify")
    timings = time_proofs(registry, size, seqs, plan.proof_budget_s)
    tick_step()
    reads = [proof_reads(seq - 1, size) for seq in seqs]
    result: dict[str, Any] = {
        "size": size,
        "registry": registry,
        "subtree_rows": SyntheticLog.row_count(size),
        "insert_s": insert_s,
        "latency": latency_summary(timings),
        "samples_planned": len(seqs),
        "time_boxed": len(timings) < len(seqs),
        "subtree_rows_read_mean": mean(reads),
        "subtree_rows_read_max": max(reads),
        "queries_per_proof": 2,
        "rows_read_mean": mean(reads) + 1,
    }
    if size in plan.pymerkle_proof_sizes:
        gc.collect()
        start = time.perf_counter()
        tree = baselines.build_tree([log.leaf(i) for i in range(size)])
        build_s = time.perf_counter() - start
        if tree.get_root() != root:
            raise AssertionError("pymerkle disagrees with chain.merkle on the root")
        result["pymerkle"] = {
            "build_s": build_s,
            "latency": baselines.proof_latency(tree, size, seqs),
        }
        del tree
        gc.collect()
    tick_step()
    return result


def run(
    plan: Plan, tick_rows: Callable[[int], None], tick_step: Callable[[], None]
) -> list[dict[str, Any]]:
    return [run_size(plan, size, tick_rows, tick_step) for size in plan.proof_sizes]
