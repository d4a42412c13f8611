"""``python -m bench.finality``: finality latency, embedded (devnet) and on a real cluster.

Writes business commands at a steady rate and measures, for each command,
the time from "command accepted" to "a final block holds its ledger entry":

* **embedded**: ``RIIK_CONSENSUS=devnet`` in this process, a seal (and the
  devnet consensus of every member) every ``--seal-interval`` seconds, as the
  beat of an embedded server does; every signature check of the state
  machines is counted and timed, so the share of finality spent verifying
  signatures is measured, not estimated;
* **cluster** (needs ``CELERY_BROKER_URL``): 4 supernodes, 4 witnesses and
  2 citizens as separate worker processes (:class:`chain.blocks.cluster.launcher.LocalCluster`),
  the registry host's worker on this run's database; finality is seen when
  the host has stored the block's supernode certificate.

Each run also compares the rate at which events became final with the rate
at which they were written (goal >= 0.95: consensus is never the
bottleneck), both counted over the steady part of the writing window (its
last three quarters). The figures are merged into ``bench/results.json`` (replacing
earlier finality figures) and plotted to ``bench/plots/finality_latency.png``.
Scratch data goes to ``var/bench/finality`` (wiped at start); each mode is
measured in a child process with its own scratch database.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from bench import BENCH_DIR, DEFAULT_DATA_DIR, ROOT
from bench.progress import progress_bar
from bench.stats import latency_summary, rounded

P50_GOAL_S = 1.0
RATE_GOAL = 0.95


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.finality", description=__doc__)
    parser.add_argument("--seconds", type=float, default=30.0, help="writing time per run")
    parser.add_argument("--rate", type=float, default=5.0, help="commands per second")
    parser.add_argument("--seal-interval", type=float, default=0.5, help="embedded seal period")
    parser.add_argument("--no-cluster", action="store_true", help="embedded run only")
    parser.add_argument("--no-embedded", action="store_true", help="cluster run only")
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR / "finality")
    parser.add_argument("--out", type=Path, default=BENCH_DIR / "results.json")
    parser.add_argument("--plots-dir", type=Path, default=BENCH_DIR / "plots")
    parser.add_argument("--only", choices=["embedded", "cluster"], help=argparse.SUPPRESS)
    parser.add_argument("--child-out", type=Path, help=argparse.SUPPRESS)
    return parser


def _setup(data_dir: Path) -> None:
    """Django on a fresh scratch database of this child process."""
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True)
    os.environ["RIIK_DATA_DIR"] = str(data_dir)
    os.environ["DATABASE_URL"] = f"sqlite:///{data_dir / 'host.sqlite3'}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def _final_size() -> int:
    from chain.blocks.models import FINAL, WITNESSED, BlockLog

    sizes = BlockLog.objects.filter(
        registry="business", block__level__in=[FINAL, WITNESSED]
    ).values_list("size", flat=True)
    return max(sizes, default=0)


def _ledger_size() -> int:
    from chain.ledger.models import LedgerHead

    head = LedgerHead.objects.filter(registry="business").first()
    return head.size if head else 0


def _drive(seconds: float, rate: float, between: Callable[[], None], label: str) -> dict[str, Any]:
    """Write at ``rate`` for ``seconds``, calling ``between`` while waiting; time finality."""
    from tests.factories import register_company

    pending: list[tuple[int, float]] = []  # (ledger size after the command, accepted at)
    latencies: list[float] = []
    samples: list[tuple[float, int, int]] = []  # (time, written size, final size)
    start_size = _ledger_size()
    started = time.monotonic()
    stop_writing = started + seconds
    finished_at = started
    total = int(seconds * rate)
    with progress_bar() as bar:
        task = bar.add_task(f"{label}: commands final", total=total)
        written = 0
        while written < total or pending:
            now = time.monotonic()
            if written < total and now >= started + written / rate:
                register_company()
                pending.append((_ledger_size(), time.monotonic()))
                written += 1
            between()
            final = _final_size()
            seen = time.monotonic()
            samples.append((seen, _ledger_size(), final))
            while pending and pending[0][0] <= final:
                latencies.append(seen - pending.pop(0)[1])
                finished_at = seen
                bar.advance(task)
            if now > stop_writing + 120:
                break  # finality stalled: report what was measured
            time.sleep(0.01)
    events = _ledger_size() - start_size
    # Throughput in the steady part of the writing window (after a quarter
    # of it): events written there against events that became final there.
    window = [x for x in samples if started + seconds / 4 <= x[0] <= stop_writing]
    if len(window) >= 2:
        span = window[-1][0] - window[0][0]
        written_rate = (window[-1][1] - window[0][1]) / span
        final_rate = (window[-1][2] - window[0][2]) / span
    else:
        written_rate = final_rate = 0.0
    return {
        "commands": written,
        "events": events,
        "not_final": len(pending),
        "latency": latency_summary(latencies) if latencies else {},
        "write_events_per_s": written_rate,
        "final_events_per_s": final_rate,
        "rate_ratio": final_rate / written_rate if written_rate else 0.0,
        "drain_s": finished_at - stop_writing,
    }


def measure_embedded(args: argparse.Namespace) -> dict[str, Any]:
    """Devnet consensus in this process, sealed every ``seal_interval`` seconds."""
    from django.test import override_settings

    from chain.blocks.models import Block
    from chain.blocks.sealing import seal_pending
    from chain.consensus.crypto import SignatureVerifier

    spent = {"checks": 0, "seconds": 0.0, "sealing": 0.0}
    original = SignatureVerifier.verify_statement

    def timed(self: SignatureVerifier, *a: Any, **kw: Any) -> bool:
        before = self.checks
        t0 = time.perf_counter()
        try:
            return original(self, *a, **kw)
        finally:
            if self.checks != before:  # a real check, not a memo hit
                spent["checks"] += 1
                spent["seconds"] += time.perf_counter() - t0

    last_seal = [0.0]

    def seal() -> None:
        if time.monotonic() - last_seal[0] >= args.seal_interval:
            last_seal[0] = time.monotonic()
            t0 = time.perf_counter()
            seal_pending()
            spent["sealing"] += time.perf_counter() - t0

    SignatureVerifier.verify_statement = timed  # type: ignore[method-assign]
    try:
        with override_settings(RIIK_CONSENSUS="devnet"):
            result = _drive(args.seconds, args.rate, seal, "embedded")
    finally:
        SignatureVerifier.verify_statement = original  # type: ignore[method-assign]
    blocks = Block.objects.count()
    result["blocks"] = blocks
    result["signature_checks_per_block"] = spent["checks"] / blocks if blocks else 0.0
    result["signature_share_of_finality_time"] = (
        spent["seconds"] / spent["sealing"] if spent["sealing"] else 0.0
    )
    return result


def measure_cluster(args: argparse.Namespace) -> dict[str, Any]:
    """4 supernodes, 4 witnesses, 2 citizens as worker processes on the broker."""
    from django.conf import settings

    from chain.blocks.cluster.launcher import LocalCluster
    from chain.blocks.cluster.nodedb import node_summaries
    from chain.blocks.models import Block

    cluster = LocalCluster(
        base=Path(settings.RIIK_DATA_DIR) / "cluster",
        prefix=f"riik-bench-{uuid.uuid4().hex[:8]}",
        supernodes=4,
        witnesses=4,
        citizens=2,
        host_env={"DATABASE_URL": os.environ["DATABASE_URL"]},
    )
    cluster.prepare()
    cluster.start_all()
    try:
        deadline = time.monotonic() + 90
        nodes = cluster.node_list()
        while len(node_summaries(n.database_url for n in nodes)) < len(nodes):
            if time.monotonic() > deadline:
                raise RuntimeError("cluster nodes did not start within 90 s")
            time.sleep(0.5)
        result = _drive(args.seconds, args.rate, lambda: None, "cluster")
    finally:
        cluster.stop(timeout=5)
    result["blocks"] = Block.objects.count()
    return result


def finality_figures(measured: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """``results.json`` figures of the measured modes, with their goals judged."""
    figures = []
    for mode, data in measured.items():
        latency = data["latency"]
        p50 = latency.get("p50_ms", float("inf")) / 1000
        figures.append(
            {
                "id": "finality_latency",
                "figure": 5,
                "backend": mode,
                "title": f"Finality latency, command accepted -> final ({mode})",
                "goal": "p50 < 1 s" if mode == "cluster" else None,
                "pass": p50 < P50_GOAL_S if mode == "cluster" else None,
                "value": latency,
                "details": {k: v for k, v in data.items() if k != "latency"},
            }
        )
        figures.append(
            {
                "id": "finality_rate",
                "figure": 5,
                "backend": mode,
                "title": f"Finalized events/s vs written events/s ({mode})",
                "goal": f">= {RATE_GOAL}",
                "pass": data["rate_ratio"] >= RATE_GOAL,
                "ratio": data["rate_ratio"],
                "ratio_of": "finalized events/s / written events/s, same run",
                "value": {
                    "final_events_per_s": data["final_events_per_s"],
                    "write_events_per_s": data["write_events_per_s"],
                },
            }
        )
    return figures


def _plot(directory: Path, measured: dict[str, dict[str, Any]]) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    directory.mkdir(parents=True, exist_ok=True)
    modes = list(measured)
    fig, ax = plt.subplots(figsize=(6, 3.5))
    for offset, key in ((-0.2, "p50_ms"), (0.2, "p99_ms")):
        ax.bar(
            [i + offset for i in range(len(modes))],
            [measured[m]["latency"].get(key, 0) / 1000 for m in modes],
            width=0.4,
            label=key.replace("_ms", ""),
        )
    ax.axhline(P50_GOAL_S, color="grey", linestyle="--", label="cluster p50 goal")
    ax.set_xticks(range(len(modes)), modes)
    ax.set_ylabel("seconds, command accepted -> final")
    ax.set_title("Finality latency")
    ax.legend()
    fig.tight_layout()
    path = directory / "finality_latency.png"
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def _child(mode: str, args: argparse.Namespace) -> dict[str, Any] | None:
    """Measure one mode in a child process with its own scratch data and database."""
    out = args.data_dir / f"{mode}.json"
    command = [
        sys.executable, "-m", "bench.finality", "--only", mode,
        "--seconds", str(args.seconds), "--rate", str(args.rate),
        "--seal-interval", str(args.seal_interval),
        "--data-dir", str(args.data_dir / mode), "--child-out", str(out),
    ]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "RIIK_DATA_DIR")}
    done = subprocess.run(command, cwd=ROOT, env=env, check=False)
    if done.returncode != 0:
        print(f"{mode}: measurement process failed (exit {done.returncode})", file=sys.stderr)
        return None
    result: dict[str, Any] = json.loads(out.read_text())
    return result


def main(argv: Sequence[str] | None = None) -> int:
    """Run the finality benchmark and merge its figures into the results file."""
    args = _parser().parse_args(argv)
    args.data_dir = args.data_dir.resolve()
    if args.only:
        _setup(args.data_dir)
        measure = measure_embedded if args.only == "embedded" else measure_cluster
        args.child_out.write_text(json.dumps(measure(args)))
        return 0
    shutil.rmtree(args.data_dir, ignore_errors=True)
    args.data_dir.mkdir(parents=True)
    modes = [] if args.no_embedded else ["embedded"]
    if not args.no_cluster:
        if os.environ.get("CELERY_BROKER_URL"):
            modes.append("cluster")
        else:
            print("cluster skipped: CELERY_BROKER_URL is not set", file=sys.stderr)
    measured: dict[str, dict[str, Any]] = {}
    for mode in modes:
        result = _child(mode, args)
        if result is not None:
            measured[mode] = result
    results: dict[str, Any] = json.loads(args.out.read_text()) if args.out.exists() else {}
    kept = [f for f in results.get("figures", []) if not f["id"].startswith("finality_")]
    results["figures"] = kept + finality_figures(measured)
    results.setdefault("plan", {})["finality"] = {
        "seconds": args.seconds,
        "rate": args.rate,
        "seal_interval": args.seal_interval,
    }
    from bench.report import write_results

    write_results(args.out, results)
    _plot(args.plots_dir, measured)
    print(json.dumps(rounded(measured), indent=2, sort_keys=True))
    return 0 if len(measured) == len(modes) else 1


if __name__ == "__main__":
    sys.exit(main())
