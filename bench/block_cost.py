"""``python -m bench.block_cost``: devnet seal + finalize time per block as the chain grows.

Issue 17, goal 1: per-block work must not grow with the chain's length. A
child process sets Django up on a scratch SQLite database in the devnet
consensus mode (4 witnesses, 4 supernodes, 3 citizens, storage challenges
as configured) and grows the ``business`` log straight through the ledger's
appender (:func:`chain.ledger.appender.append_entries`, rows bulk-inserted
in batches: no event store, no registry), to each size of the plan. At
each size one block lets the citizens' replicas catch up (not timed), then
``--blocks`` blocks of ``--per-block`` new entries are each sealed and
finalized (:func:`chain.blocks.sealing.seal_pending`, every tier), timed,
and their queries counted (``CaptureQueriesContext``). Each is paired with
a block of ``--per-block`` entries of the ``court`` log, kept at the
smallest size, sealed right after it: the load of a shared machine weighs
on both alike, and their difference is what the grown log costs.

The baseline, measured in the same run on the same leaves, is what every
replica did for every log on every block before ADR 0060: recompute the
log's root from all its leaves (``merkle.root_hash``). A straight line
fitted through the differences against log2(size) extrapolates them to
30 M entries; the goal is that a block there costs at most ``GOAL_RATIO``
times the paired reference block. Figures are merged into ``bench/results.json``
(replacing earlier ``block_*`` figures) and plotted to
``bench/plots/block_cost.png``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import BENCH_DIR, DEFAULT_DATA_DIR, ROOT
from bench.stats import median, rounded
from chain import merkle
from chain.encoding import timestamp

SIZES = (10_000, 50_000, 100_000, 200_000, 400_000)
QUICK_SIZES = (1_000, 3_000)
EXTRAPOLATE_TO = 30_000_000
GOAL_RATIO = 1.5
"""A block at 30 M entries (extrapolated) may cost this times one at the smallest size."""
QUERIES_BEFORE = 210
"""Queries of one devnet block before ADR 0060, as issue 17 measured them."""
BATCH = 20_000
"""Ledger entries inserted per transaction while growing a log."""
REGISTRY = "business"
REFERENCE = "court"
"""A log kept at the smallest size, whose blocks are timed beside the grown log's."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.block_cost", description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--quick", action="store_true", help="small sizes, a smoke run")
    parser.add_argument("--blocks", type=int, default=15, help="timed blocks per size")
    parser.add_argument("--per-block", type=int, default=20, help="new entries per timed block")
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR / "block_cost")
    parser.add_argument("--out", type=Path, default=BENCH_DIR / "results.json")
    parser.add_argument("--plots-dir", type=Path, default=BENCH_DIR / "plots")
    parser.add_argument("--child-out", type=Path, help=argparse.SUPPRESS)
    return parser


def _setup(data_dir: Path) -> None:
    """Django in the devnet mode on a fresh scratch database of this child process."""
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True)
    os.environ["RIIK_DATA_DIR"] = str(data_dir)
    os.environ["DATABASE_URL"] = f"sqlite:///{data_dir / 'host.sqlite3'}"
    os.environ["RIIK_CONSENSUS"] = "devnet"
    os.environ["RIIK_DEVNET_STEPWISE"] = "0"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def grow(registry: str, target: int) -> None:
    """Append synthetic entries to ``registry``'s log until it holds ``target`` (batched)."""
    from django.db import transaction

    from chain.ledger.appender import LogHead, StoredEventRef, append_entries
    from chain.ledger.models import LedgerEntry, LedgerHead, LedgerSubtree

    row = LedgerHead.objects.filter(registry=registry).first()
    head = (
        LogHead.empty()
        if row is None
        else LogHead(
            row.size,
            bytes(row.entry_hash),
            merkle.MerkleFrontier.from_bytes(row.size, bytes(row.frontier)),
        )
    )
    while head.size < target:
        count = min(BATCH, target - head.size)
        events = [
            StoredEventRef(str(uuid.uuid4()), 1, "bench.Synthetic", os.urandom(16))
            for _ in range(count)
        ]
        entries, subtrees = append_entries(registry, head, events, timestamp(datetime.now(UTC)))
        with transaction.atomic():
            LedgerEntry.objects.bulk_create(
                (LedgerEntry(**entry.__dict__) for entry in entries), batch_size=2000
            )
            LedgerSubtree.objects.bulk_create(
                (
                    LedgerSubtree(registry=registry, level=level, idx=index, hash=digest)
                    for level, index, digest in subtrees
                ),
                batch_size=2000,
            )
            LedgerHead.objects.update_or_create(
                registry=registry,
                defaults={
                    "size": head.size,
                    "entry_hash": head.entry_hash,
                    "frontier": head.frontier.to_bytes(),
                },
            )


def _seal() -> float:
    """Seal and finalize one block; its wall time in seconds."""
    from chain.blocks.models import WITNESSED
    from chain.blocks.sealing import seal_pending

    start = time.perf_counter()
    block = seal_pending()
    elapsed = time.perf_counter() - start
    if block is None or block.level != WITNESSED:
        raise AssertionError(f"block not witnessed: {block and block.level}")
    return elapsed


def _whole_log_root_s(registry: str, size: int) -> float:
    """The baseline: seconds to recompute the log's root from all its leaves."""
    from chain.ledger import proofs

    leaves = proofs.leaves(registry, 0, size)
    start = time.perf_counter()
    root = merkle.root_hash(leaves)
    elapsed = time.perf_counter() - start
    if root != proofs.tree_root(registry, size):
        raise AssertionError("the whole-log root disagrees with the stored subtrees")
    return elapsed


def _timed_block(registry: str, per_block: int, queries: list[int]) -> float:
    """Append ``per_block`` entries to ``registry`` and seal them: the block's seconds."""
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    from chain.ledger import proofs

    grow(registry, proofs.log_size(registry) + per_block)
    # The captured queries are a slice of the connection's bounded log: a
    # log that wrapped around would yield none.
    reset_queries()
    with CaptureQueriesContext(connection) as captured:
        elapsed = _seal()
    queries.append(len(captured.captured_queries))
    return elapsed


def measure(sizes: Sequence[int], blocks: int, per_block: int) -> list[dict[str, Any]]:
    """Per-block seal+finalize time and queries at each size (Django set up, devnet mode).

    Each timed block of the grown log is paired with a block of the
    reference log (``REFERENCE``, kept at the smallest size) sealed right
    after it, so the load of a shared machine weighs on both alike.
    """
    from django.db import connection

    from chain.ledger import proofs

    grow(REFERENCE, sizes[0])
    points = []
    for size in sizes:
        grow(REGISTRY, size)
        _seal()  # the citizens' replicas catch up with the grown log: not a steady block
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # not in a timed block
        timings: list[float] = []
        references: list[float] = []
        queries: list[int] = []
        for _ in range(blocks):
            timings.append(_timed_block(REGISTRY, per_block, queries))
            references.append(_timed_block(REFERENCE, per_block, []))
        grown = proofs.log_size(REGISTRY)
        points.append(
            {
                "size": grown,
                "block_s": median(timings),
                "block_s_all": timings,
                "reference_s": median(references),
                "excess_s": median([t - r for t, r in zip(timings, references, strict=True)]),
                # The typical block; one of every five also stores storage
                # challenges (RIIK_DEVNET_CHALLENGE_EVERY): in queries_all.
                "queries_per_block": median(queries),
                "queries_all": queries,
                "whole_log_root_s": _whole_log_root_s(REGISTRY, grown),
            }
        )
    return points


def _fit(xs: Sequence[float], ys: Sequence[float]) -> tuple[float, float]:
    """Least-squares line through the points: (intercept, slope)."""
    n = len(xs)
    mean_x, mean_y = sum(xs) / n, sum(ys) / n
    spread = sum((x - mean_x) ** 2 for x in xs)
    slope = (
        0.0
        if spread == 0
        else sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / spread
    )
    return mean_y - slope * mean_x, slope


def block_cost_figures(points: Sequence[dict[str, Any]], per_block: int) -> list[dict[str, Any]]:
    """The figures of a run, with goals and pass/miss judged from the measured points.

    A block's reads grow with log2 of the log's size (proofs of O(log n)
    subtree hashes, B-tree depth), so the growth is the slope of the line
    through each size's excess over the paired reference block against
    log2(size), and a block at 30 M entries is the reference block plus
    that growth over the doublings between. A straight line against the
    size itself is reported as well (``extrapolated_linear_s``): over a
    range 75 times the measured one it mostly extrapolates the noise.
    """
    sizes = [float(p["size"]) for p in points]
    excess = [p["excess_s"] for p in points]
    _, per_doubling = _fit([math.log2(size) for size in sizes], excess)
    _, slope = _fit(sizes, excess)
    base_intercept, base_slope = _fit(sizes, [p["whole_log_root_s"] for p in points])
    reference = median([p["reference_s"] for p in points])
    doublings = math.log2(EXTRAPOLATE_TO / sizes[0])
    projected = reference + max(per_doubling, 0.0) * doublings
    ratio = projected / reference
    queries = [p["queries_per_block"] for p in points]
    return [
        {
            "id": "block_cost",
            "figure": 6,
            "backend": "sqlite",
            "title": "Devnet seal + finalize time per block vs chain size",
            "goal": f"block at {EXTRAPOLATE_TO:,} entries (extrapolated) <= {GOAL_RATIO} x "
            f"block at {points[0]['size']:,}",
            "pass": ratio <= GOAL_RATIO,
            "ratio": ratio,
            "ratio_of": "per-block time extrapolated to 30 M entries along log2(size) / "
            "paired reference block",
            "value": {
                "points": points,
                "per_block_entries": per_block,
                "reference_block_s": reference,
                "growth_ms_per_doubling": per_doubling * 1e3,
                "extrapolated_block_s": projected,
                "slope_us_per_entry": slope * 1e6,
                "extrapolated_linear_s": reference + max(slope, 0.0) * (EXTRAPOLATE_TO - sizes[0]),
            },
            "baseline": {
                "name": "a whole-log root, as each replica recomputed per log and block before",
                "slope_us_per_entry": base_slope * 1e6,
                "extrapolated_s": base_intercept + base_slope * EXTRAPOLATE_TO,
            },
        },
        {
            "id": "block_queries",
            "figure": 6,
            "backend": "sqlite",
            "title": "Queries per devnet block (seal + finalize)",
            "goal": f"the same at every size and below {QUERIES_BEFORE} (before)",
            "pass": len(set(queries)) == 1 and queries[0] < QUERIES_BEFORE,
            "value": {"before": QUERIES_BEFORE, "after": queries[-1], "per_size": queries},
        },
    ]


def _plot(directory: Path, points: Sequence[dict[str, Any]]) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    directory.mkdir(parents=True, exist_ok=True)
    sizes = [p["size"] for p in points]
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.plot(sizes, [p["block_s"] * 1000 for p in points], "o-", label="seal + finalize, per block")
    ax.plot(
        sizes,
        [p["reference_s"] * 1000 for p in points],
        "^:",
        label=f"paired block of a {points[0]['size']:,}-entry log",
    )
    ax.plot(
        sizes,
        [p["whole_log_root_s"] * 1000 for p in points],
        "s--",
        label="baseline: one whole-log root",
    )
    ax.set_xlabel("entries in the log")
    ax.set_ylabel("ms")
    ax.set_title("Per-block cost vs chain size (devnet)")
    ax.legend()
    fig.tight_layout()
    path = directory / "block_cost.png"
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def main(argv: Sequence[str] | None = None) -> int:
    """Run the block-cost benchmark in a child process and merge its figures (exit 1 when
    the measurement process failed)."""
    args = _parser().parse_args(argv)
    args.data_dir = args.data_dir.resolve()
    sizes = list(QUICK_SIZES) if args.quick else sorted(args.sizes)
    if args.child_out:
        _setup(args.data_dir / "db")
        points = measure(sizes, args.blocks, args.per_block)
        args.child_out.write_text(json.dumps(points))
        return 0
    shutil.rmtree(args.data_dir, ignore_errors=True)
    args.data_dir.mkdir(parents=True)
    out = args.data_dir / "points.json"
    command = [
        sys.executable, "-m", "bench.block_cost", "--sizes", *map(str, sizes),
        "--blocks", str(args.blocks), "--per-block", str(args.per_block),
        "--data-dir", str(args.data_dir), "--child-out", str(out),
    ]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "RIIK_DATA_DIR")}
    if subprocess.run(command, cwd=ROOT, env=env, check=False).returncode != 0:
        print("block cost: measurement process failed", file=sys.stderr)
        return 1
    points = json.loads(out.read_text())
    figures = block_cost_figures(points, args.per_block)
    from bench.report import merge_results

    merge_results(
        args.out,
        figures,
        plan={"block_cost": {"sizes": sizes, "blocks": args.blocks, "per_block": args.per_block}},
    )
    _plot(args.plots_dir, points)
    print(json.dumps(rounded(figures), indent=2, sort_keys=True))
    return 0  # a missed goal is a result, not an error


if __name__ == "__main__":
    sys.exit(main())
