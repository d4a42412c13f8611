"""``python -m bench``: run every figure, compare with the goals, write the results.

The parent process never sets Django up: each backend is measured by
``python -m bench.run_backend`` in a child process with its own
``RIIK_DATA_DIR`` (under ``var/bench``, wiped at start) and ``DATABASE_URL``
(SQLite file there, or the scratch PostgreSQL database ``riik_bench`` on the
server in ``RIIK_BENCH_POSTGRES_URL``). Figure 4 (pure Merkle hashing) runs
here.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from rich.console import Console

from bench import BENCH_DIR, DEFAULT_DATA_DIR, ROOT, report
from bench.machine import machine_info
from bench.plan import FULL, QUICK, Plan
from bench.postgres import SCRATCH_DB, ScratchDatabase, server_url
from bench.progress import progress_bar

BACKENDS = ("sqlite", "postgres")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Riik benchmarks: ledger overhead, chain verify, proof latency, Merkle roots.",
    )
    parser.add_argument("--quick", action="store_true", help="~1 minute smoke run (smaller sizes)")
    parser.add_argument(
        "--backends",
        default=",".join(BACKENDS),
        help="comma-separated subset of sqlite,postgres (default: both)",
    )
    parser.add_argument(
        "--data-dir", type=Path, default=DEFAULT_DATA_DIR, help="scratch data (wiped at start)"
    )
    parser.add_argument("--out", type=Path, default=BENCH_DIR / "results.json")
    parser.add_argument("--plots-dir", type=Path, default=BENCH_DIR / "plots")
    parser.add_argument(
        "--readme", type=Path, default=BENCH_DIR / "README.md", help="README to update"
    )
    parser.add_argument("--no-readme", action="store_true", help="do not touch the README")
    parser.add_argument("--no-plots", action="store_true")
    parser.add_argument("--companies", type=int, help="override: companies per application")
    parser.add_argument(
        "--scratch-db",
        default=SCRATCH_DB,
        help="name of the scratch PostgreSQL database (dropped and made again; one per "
        "person sharing a server)",
    )
    return parser


def run_child(backend: str, plan: Plan, data_dir: Path, database_url: str | None) -> dict[str, Any]:
    """Measure one backend in a child process; return its JSON."""
    out = data_dir / f"{backend}.json"
    command = [
        sys.executable, "-m", "bench.run_backend",
        "--backend", backend,
        "--data-dir", str(data_dir / backend),
        "--plan", plan.to_json(),
        "--out", str(out),
    ]  # fmt: skip
    if database_url:
        command += ["--database-url", database_url]
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "RIIK_DATA_DIR")}
    subprocess.run(command, cwd=ROOT, env=env, check=True)
    result: dict[str, Any] = json.loads(out.read_text())
    return result


def measure_root(plan: Plan) -> dict[str, Any]:
    from bench.baselines import root_comparison
    from bench.synthetic import SyntheticLog

    log = SyntheticLog(plan.root_leaves, seed="riik-bench-root")
    leaves = [log.leaf(i) for i in range(plan.root_leaves)]
    with progress_bar() as bar:
        task = bar.add_task("Merkle root: chain.merkle vs pymerkle", total=plan.root_repeats)
        return root_comparison(leaves, plan.root_repeats, lambda: bar.advance(task))


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    console = Console()
    if not console.is_terminal:
        console = Console(width=160)
    plan = (QUICK if args.quick else FULL).with_overrides(companies=args.companies)
    backends = [name.strip() for name in args.backends.split(",") if name.strip()]
    unknown = set(backends) - set(BACKENDS)
    if unknown:
        console.print(f"unknown backends: {', '.join(sorted(unknown))}")
        return 2
    started = time.perf_counter()
    data_dir = args.data_dir.resolve()
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True)

    machine = machine_info()
    notes: list[str] = []
    measured: dict[str, dict[str, Any]] = {}
    failed = False
    for backend in backends:
        console.rule(f"{backend} ({plan.mode} run)")
        scratch: ScratchDatabase | None = None
        database_url = None
        if backend == "postgres":
            scratch = ScratchDatabase(server_url(), args.scratch_db)
            try:
                database_url = scratch.create()
            except psycopg.Error as error:
                first = str(error).strip().splitlines()[0] if str(error).strip() else error
                note = f"PostgreSQL skipped: server {server_url()} unreachable ({first})"
                console.print(note)
                notes.append(note)
                machine["postgresql"] = "unreachable"
                continue
            machine["postgresql"] = scratch.version
        try:
            measured[backend] = run_child(backend, plan, data_dir, database_url)
        except subprocess.CalledProcessError as error:
            note = f"{backend}: measurement process failed (exit {error.returncode})"
            console.print(note)
            notes.append(note)
            failed = True
        finally:
            if scratch is not None:
                scratch.drop()

    console.rule("pure Merkle hashing")
    root = measure_root(plan)

    figures: list[dict[str, Any]] = []
    for backend in backends:
        if backend in measured:
            figures.extend(report.backend_figures(backend, measured[backend]))
    figures.append(report.root_figure(root))
    if plan.mode == "quick":
        notes.append(
            "quick run: smaller sizes (proofs up to "
            f"{max(plan.proof_sizes):,} entries); run `make bench` for the full figures"
        )
    for fig in figures:
        if fig["id"] == "inclusion_proof_ms" and fig["details"]["time_boxed"]:
            notes.append(
                f"{fig['backend']} proofs at {fig['size']:,}: time-boxed to "
                f"{plan.proof_budget_s:g} s, {fig['value']['samples']} of "
                f"{fig['details']['samples_planned']} samples timed"
            )
    results = {
        "schema": "riik-bench/1",
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
        "mode": plan.mode,
        "plan": json.loads(plan.to_json()),
        "machine": machine,
        "databases": {name: data["database"] for name, data in measured.items()},
        "steps_s": {name: data["steps_s"] for name, data in measured.items()},
        "figures": figures,
        "notes": notes,
        "runtime_s": time.perf_counter() - started,
    }
    # Merged by figure key: the figures of the other benches (finality,
    # writers, money, ...) and of backends not run this time are kept.
    sections = {name: value for name, value in results.items() if name != "figures"}
    report.merge_results(args.out, figures, **sections)
    written = [args.out]
    if not args.no_plots:
        written += report.write_plots(args.plots_dir, results)
    if not args.no_readme:
        report.update_readme(args.readme, results)
        written.append(args.readme)
    report.print_table(console, results)
    console.print(
        f"wrote {', '.join(_relative(path) for path in written)} in {results['runtime_s']:.0f} s"
    )
    return 1 if failed else 0


def _relative(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)
