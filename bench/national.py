"""Estonia on one machine: seed the national dataset at a few scales and measure (``make
bench-national``; kept out of CI, it takes from minutes to hours).

    python -m bench.national --scales 0.0005,0.002 [--samples 200] [--database-prefix P]
        [--reuse] [--keep] [--users 10,25,50] [--seconds 20]

Each scale S has its own PostgreSQL database ``<prefix>_s<S x 10000>`` (default
prefix ``riik_bench_national``, on the server in ``RIIK_BENCH_POSTGRES_URL``) and
its own data directory (its keys and pepper live there). The database is
created, migrated and seeded by ``manage.py demo --country estonia --scale S``
(the real applications, recorders and ledger), timed; with ``--reuse`` a
database seeded before (its data directory holds the seeder's output) is
measured as it is, since seeding takes hours. Then:

- :mod:`bench.national_measure` reads it in one process (API read, write,
  searches, list and admin pages with their query counts, inclusion proofs);
- gunicorn serves it under locust's signed-in citizens (10, 25, 50 users;
  :func:`bench.citizen_load.serve_and_load`) with blocks sealed beside it;
- ``manage.py chain export`` is run for its peak memory.

The figures, each goal's pass/miss at the largest scale measured and its
extrapolation to Estonia's size (a power-law fit through the measured points,
labelled as such) go into ``bench/results.json`` under ``national`` (the rest of
the file is left as is); each figure against the ledger's size into
``bench/plots/national_*.png``. bench/README.md explains.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.citizen_load import GOAL_USERS, THREADS, WORKERS, load_env, seed_citizens, serve_and_load
from bench.machine import describe, machine_info
from bench.postgres import ScratchDatabase, database_url, server_url, server_version
from bench.progress import err_console
from bench.report import merge_results

ROOT = Path(__file__).resolve().parent.parent
EXTRAPOLATION_NOTE = (
    "extrapolated, not measured: a power law y = c * entries^k fitted (least squares on "
    "logs) through the measured scales, evaluated at the entries scale 1 would write "
    "(the largest scale's entries / its scale)"
)


# Runs a command and writes the peak memory (KiB) of its process tree to a file: a
# fresh parent, so RUSAGE_CHILDREN holds that command alone.
_PEAK = (
    "import resource, subprocess, sys; subprocess.run(sys.argv[2:], check=True); "
    "open(sys.argv[1], 'w').write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))"
)
# Bumped when what a run measures changes: query counts are compared only between runs of
# one version (version 2: the admin counts a list once; runs without it are version 1).
BENCH_VERSION = 2
_SEEDED = re.compile(r"Seeded (\d+) ledger entries in ([\d.]+) s")


def _run(args: list[str], env: dict[str, str], peak_file: Path) -> tuple[float, int, str]:
    """Run a child; its wall time (s), its peak memory (KiB) and its standard output."""
    start = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", _PEAK, str(peak_file), *args],
        cwd=ROOT, env=env, check=True, capture_output=True, text=True,
    )  # fmt: skip
    return time.monotonic() - start, int(peak_file.read_text()), done.stdout


def database_name(prefix: str, scale: float) -> str:
    """The database (and data directory) of one scale: 0.002 -> ``<prefix>_s0020``."""
    return f"{prefix}_s{round(scale * 10_000):04d}"


@dataclass
class Load:
    """The gunicorn load step of a run: user counts and seconds per step."""

    users: str
    seconds: float


def seed(scale: float, env: dict[str, str], data_dir: Path) -> None:
    """Migrate and seed one scale; its output and peak memory are kept in ``data_dir``."""
    peak = data_dir / "peak_kib"
    _run([sys.executable, "manage.py", "migrate", "-v0"], env, peak)
    err_console.print(f"scale {scale}: seeding")
    _, seed_kib, output = _run(
        [sys.executable, "manage.py", "demo", "--country", "estonia", "--scale", str(scale),
         "--seed", "1"],
        env, peak,
    )  # fmt: skip
    (data_dir / "seed_peak_kib").write_text(str(seed_kib))
    (data_dir / "seed.out").write_text(output)


def seed_figures(scale: float, data_dir: Path) -> dict[str, Any]:
    """The seeding's figures from the seeder's own report in ``data_dir``."""
    rate = _SEEDED.search((data_dir / "seed.out").read_text())
    if rate is None:
        raise RuntimeError(f"{data_dir / 'seed.out'} holds no 'Seeded ... ledger entries' line")
    entries, seconds = int(rate.group(1)), float(rate.group(2))
    per_second = entries / seconds if seconds else 0.0
    return {
        "entries": entries,
        "seconds": seconds,
        "entries_per_s": per_second,
        "peak_rss_mib": int((data_dir / "seed_peak_kib").read_text()) / 1024,
        "scale_1_hours": entries / scale / per_second / 3600 if per_second else None,
    }


def run_scale(
    scale: float, samples: int, url: str, data_dir: Path, load: Load | None
) -> dict[str, Any]:
    """Measure one seeded scale: in-process figures, gunicorn under load, export memory."""
    env = {
        **load_env(url, data_dir),
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    peak = data_dir / "peak_kib"
    seeding = seed_figures(scale, data_dir)
    err_console.print(f"scale {scale}: {seeding['entries']} entries seeded; measuring")
    figures_file = data_dir / "figures.json"
    _run([sys.executable, "-m", "bench.national_measure", "--out", str(figures_file),
          "--samples", str(samples)], env, peak)  # fmt: skip
    figures: dict[str, Any] = json.loads(figures_file.read_text())
    if load is not None:
        citizens = data_dir / "citizens.json"
        if not citizens.exists():  # a reused database has its citizens already
            seed_citizens(env, 60, citizens)
        figures["load"] = serve_and_load(
            env, citizens, load.users, load.seconds, WORKERS, THREADS, data_dir / "steps.json"
        )
    err_console.print(f"scale {scale}: chain export")
    export_s, export_kib, _ = _run(
        [sys.executable, "manage.py", "chain", "export", "--out", str(data_dir / "bundle.jsonl"),
         "--no-progress"],
        env,
        peak,
    )  # fmt: skip
    bundle = data_dir / "bundle.jsonl"
    bundle_mib = bundle.stat().st_size / 2**20
    bundle.unlink()
    return {
        "scale": scale,
        "bench_version": BENCH_VERSION,
        "measured_at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "load_average_1m": os.getloadavg()[0],
        "seed": seeding,
        **figures,
        "chain_export": {"seconds": export_s, "peak_rss_mib": export_kib / 1024,
                         "bundle_mib": bundle_mib},
    }  # fmt: skip


# Figures against their goals: name, how to read it from a run, the goal's bound
# (the figure must stay under it) and what the bound is.
Reader = Callable[[dict[str, Any]], float | None]


def figure(*keys: str) -> Reader:
    """A reader of ``run[k1][k2]...``; None where a run lacks it (a run recorded before
    that figure was measured)."""

    def read(run: dict[str, Any]) -> float | None:
        value: Any = run
        for key in keys:
            if not isinstance(value, dict) or key not in value:
                return None
            value = value[key]
        return float(value)

    return read


def _slowest_page(run: dict[str, Any]) -> float:
    return float(max(page["p95_ms"] for page in run["lists"].values()))


def _at_50(kind: str) -> Reader:
    def read(run: dict[str, Any]) -> float | None:
        step = next((s for s in run.get("load", []) if s["users"] == GOAL_USERS), None)
        if step is None or step[kind]["errors"]:
            return None  # no step at 50 users, or errors: no figure that could pass
        return float(step[kind]["p95_ms"])

    return read


GOALS: list[tuple[str, Reader, float, str]] = [
    ("gunicorn read p95 at 50 users (ms)", _at_50("read"), 50.0, "< 50 ms"),
    ("gunicorn write p95 at 50 users (ms)", _at_50("write"), 200.0, "< 200 ms"),
    ("API read p95, in-process (ms)", figure("api_read", "p95_ms"), 50.0, "< 50 ms"),
    ("write p95, in-process (ms)", figure("write", "p95_ms"), 200.0, "< 200 ms"),
    ("search by name p95 (ms)", figure("search_name", "p95_ms"), 20.0, "< 20 ms"),
    ("search by code p95 (ms)", figure("search_code", "p95_ms"), 20.0, "< 20 ms"),
    ("admin company search p95 (ms)", figure("admin_search_name", "p95_ms"), 300.0,
     "< 300 ms"),
    ("admin person search p95 (ms)", figure("admin_search_person", "p95_ms"), 300.0,
     "< 300 ms"),
    ("slowest list/admin page p95 (ms)", _slowest_page, 300.0, "< 300 ms"),
    ("inclusion proof p99 (ms)", figure("inclusion_proof", "p99_ms"), 2.0, "< 2 ms"),
]  # fmt: skip


def power_fit(sizes: list[float], values: list[float]) -> tuple[float, float] | None:
    """``(c, k)`` of ``value = c * size**k`` by least squares on logs; None under 2 points."""
    points = [(math.log(s), math.log(v)) for s, v in zip(sizes, values, strict=True) if v > 0]
    if len({x for x, _ in points}) < 2:
        return None
    mean_x = sum(x for x, _ in points) / len(points)
    mean_y = sum(y for _, y in points) / len(points)
    k = sum((x - mean_x) * (y - mean_y) for x, y in points) / sum(
        (x - mean_x) ** 2 for x, _ in points
    )
    return math.exp(mean_y - k * mean_x), k


def national_entries(runs: list[dict[str, Any]]) -> int:
    """The ledger entries scale 1 would hold: the largest run's, divided by its scale."""
    largest = max(runs, key=lambda run: run["ledger_entries"])
    return round(int(largest["ledger_entries"]) / float(largest["scale"]))


def goal_results(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each goal at the largest scale measured (pass/miss) and extrapolated to scale 1."""
    ordered = sorted(runs, key=lambda run: run["ledger_entries"])
    target = national_entries(runs)
    results = []
    for name, read, bound, goal in GOALS:
        measured = [(run["ledger_entries"], read(run)) for run in ordered]
        known = [(size, value) for size, value in measured if value is not None]
        largest = known[-1] if known else (ordered[-1]["ledger_entries"], None)
        fit = power_fit([s for s, _ in known], [v for _, v in known]) if known else None
        at_national = fit[0] * target ** fit[1] if fit else None
        results.append({
            "figure": name,
            "goal": goal,
            "measured": dict(measured),
            "at_entries": largest[0],
            "pass": None if largest[1] is None else largest[1] < bound,
            "extrapolated_to_entries": target,
            "extrapolated": at_national,
            "extrapolated_exponent": fit[1] if fit else None,
            "extrapolated_pass": None if at_national is None else at_national < bound,
        })  # fmt: skip
    version = max(run.get("bench_version", 1) for run in ordered)
    comparable = [run for run in ordered if run.get("bench_version", 1) == version]
    queries = {
        page: [run["lists"][page]["queries"] for run in comparable]
        for page in comparable[0]["lists"]
    }
    results.append({
        "figure": "queries per list/admin page",
        "goal": "the same at every size (among runs of this bench version)",
        "at_entries": [run["ledger_entries"] for run in comparable],
        "measured": queries,
        "pass": all(len(set(counts)) == 1 for counts in queries.values()),
    })  # fmt: skip
    memory = [run["chain_export"]["peak_rss_mib"] for run in ordered]
    growth = memory[-1] / memory[0]
    results.append({
        "figure": "chain export peak memory (MiB)",
        "goal": "constant: the largest scale's peak within 1.25 x the smallest's",
        "measured": {run["ledger_entries"]: m for run, m in zip(ordered, memory, strict=True)},
        "ratio": growth,
        "pass": growth <= 1.25 if len(memory) > 1 else None,
    })  # fmt: skip
    return results


def _plot(
    path: Path,
    title: str,
    ylabel: str,
    sizes: list[int],
    lines: list[tuple[str, list[float | None]]],
    goal: float | None,
    target: int,
) -> None:
    """One figure against the ledger's size (log x): measured lines, each line's power-law
    extrapolation to ``target`` entries dashed and labelled, and the goal as a grey line."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7.5, 4.6))
    for label, values in lines:
        known = [(s, v) for s, v in zip(sizes, values, strict=True) if v is not None]
        if not known:
            continue
        drawn = ax.plot([s for s, _ in known], [v for _, v in known], "o-", label=label)
        fit = power_fit([s for s, _ in known], [v for _, v in known])
        if fit is not None and target > known[-1][0]:
            last = known[-1][0]
            xs = [last * (target / last) ** (i / 20) for i in range(21)]
            ax.plot(xs, [fit[0] * x ** fit[1] for x in xs], "--",
                    color=drawn[0].get_color(), alpha=0.6)  # fmt: skip
    if target > max(sizes):
        ax.axvline(target, color="black", linestyle=":", linewidth=1)
        ax.text(target, ax.get_ylim()[1], " Estonia (extrapolated, dashed)", fontsize="small",
                ha="right", va="top", rotation=90)  # fmt: skip
    if goal is not None:
        ax.axhline(goal, color="grey", linestyle="--", linewidth=1, label=f"goal {goal:g}")
    ax.set_title(title)
    ax.set_xlabel("ledger entries (log)")
    ax.set_ylabel(ylabel)
    ax.set_xscale("log")
    ax.set_ylim(bottom=0)
    ax.legend(fontsize="small")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90, metadata={"Software": None})
    plt.close(fig)


def plot(directory: Path, runs: list[dict[str, Any]]) -> list[Path]:
    """Every figure against the number of ledger entries, one file per kind of figure."""
    runs = sorted(runs, key=lambda run: run["ledger_entries"])
    sizes = [run["ledger_entries"] for run in runs]
    target = national_entries(runs)

    def series(read: Reader) -> list[float | None]:
        return [read(run) for run in runs]

    def p95(name: str) -> Reader:
        return figure(name, "p95_ms")

    def on_page(page: str, key: str) -> Reader:
        return figure("lists", page, key)

    charts: list[tuple[str, str, str, list[tuple[str, list[float | None]]], float | None]] = [
        ("national_api.png", "API p95, in-process (Django test client)", "p95 (ms)",
         [("company card", series(p95("api_read"))), ("write", series(p95("write")))], 50.0),
        ("national_search.png", "Company search p95, in-process", "p95 (ms)",
         [("by a name's word (trigram)", series(p95("search_name"))),
          ("by exact registry code", series(p95("search_code")))], 20.0),
        ("national_pages.png", "List and admin pages p95 (first page, 50 rows)", "p95 (ms)",
         [(page, series(on_page(page, "p95_ms")))
          for page in runs[0]["lists"]]
         + [("admin company search", series(p95("admin_search_name"))),
            ("admin person search", series(p95("admin_search_person")))], 300.0),
        ("national_queries.png", "SQL queries per page (goal: the same at every size)",
         "queries", [(page, series(on_page(page, "queries")))
                     for page in runs[0]["lists"]], None),
        ("national_load.png", f"gunicorn under locust, p95 at {GOAL_USERS} signed-in users",
         "p95 (ms)", [("reads (goal 50 ms)", series(_at_50("read"))),
                      ("writes (goal 200 ms)", series(_at_50("write")))], None),
        ("national_proof.png", "Inclusion proof p99 (business log)", "p99 (ms)",
         [("proof", series(figure("inclusion_proof", "p99_ms")))], 2.0),
        ("national_memory.png", "Peak memory (RSS of the process tree)", "MiB",
         [("chain export", series(figure("chain_export", "peak_rss_mib"))),
          ("seeding (demo)", series(figure("seed", "peak_rss_mib")))], None),
        ("national_seed.png", "Seeding rate (demo --country estonia)", "ledger entries/s",
         [("entries/s", series(figure("seed", "entries_per_s")))], None),
    ]  # fmt: skip
    paths = []
    for name, title, ylabel, lines, goal in charts:
        _plot(directory / name, title, ylabel, sizes, lines, goal, target)
        paths.append(directory / name)
    return paths


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; 0 when it ran, 1 when a step failed."""
    parser = argparse.ArgumentParser(prog="python -m bench.national")
    parser.add_argument("--scales", default="0.0005,0.002", help="comma-separated scales")
    parser.add_argument("--samples", type=int, default=200, help="requests per latency figure")
    parser.add_argument("--database-prefix", default="riik_bench_national")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="measure a scale's database as it is when it was seeded before (its data "
        "directory holds seed.out); seed the others",
    )
    parser.add_argument("--keep", action="store_true", help="keep the databases after")
    parser.add_argument(
        "--merge",
        action="store_true",
        help="keep the runs of other scales already in results.json (a run recorded before a "
        "figure was measured lacks it)",
    )
    parser.add_argument("--users", default=f"10,25,{GOAL_USERS}", help="locust user steps")
    parser.add_argument("--seconds", type=float, default=20.0, help="seconds per locust step")
    parser.add_argument("--no-load", action="store_true", help="skip gunicorn under locust")
    parser.add_argument("--data-dir", type=Path, default=ROOT / "var" / "bench" / "national")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results.json")
    parser.add_argument("--plots-dir", type=Path, default=ROOT / "bench" / "plots")
    args = parser.parse_args(argv)
    load = None if args.no_load else Load(args.users, args.seconds)
    server = server_url()
    load_before = os.getloadavg()[0]
    runs = []
    made: list[ScratchDatabase] = []
    try:
        for scale in (float(s) for s in args.scales.split(",")):
            name = database_name(args.database_prefix, scale)
            data_dir = args.data_dir / name
            if args.reuse and (data_dir / "seed.out").exists():
                url = database_url(server, name)
            else:
                scratch = ScratchDatabase(server, name=name)
                made.append(scratch)
                url = scratch.create()
                data_dir.mkdir(parents=True, exist_ok=True)
                seed(scale, {**load_env(url, data_dir),
                             "DJANGO_SETTINGS_MODULE": "config.settings"}, data_dir)  # fmt: skip
            runs.append(run_scale(scale, args.samples, url, data_dir, load))
    except (subprocess.CalledProcessError, RuntimeError) as error:
        stderr = getattr(error, "stderr", "")
        err_console.print(f"national benchmark failed: {error}\n{stderr}")
        return 1
    finally:
        if not args.keep:
            for scratch in made:
                scratch.drop()
    results = json.loads(args.out.read_text()) if args.out.exists() else {}
    if args.merge:
        measured = {run["scale"] for run in runs}
        earlier = results.get("national", {}).get("runs", [])
        for run in earlier:
            if run["scale"] not in measured:
                run.setdefault("measured_at", "by an earlier run (no date recorded)")
                runs.append(run)
    runs.sort(key=lambda run: run["ledger_entries"])
    national = {
        "machine": describe({**machine_info(), "postgresql": server_version(server)}),
        "shared": "2 cores shared with other engineers' work: see load_average_1m",
        "database": "PostgreSQL, one database per scale",
        "in_process": "one process, Django test client (no network, no throttle)",
        "load": f"gunicorn config.wsgi {WORKERS} workers x {THREADS} threads, locust "
        f"signed-in citizens {args.users}, {args.seconds:g} s per step, blocks sealed beside",
        "load_average_1m": {"before": load_before, "after": os.getloadavg()[0]},
        "extrapolation_note": EXTRAPOLATION_NOTE,
        "goals": goal_results(runs),
        "runs": runs,
    }
    merge_results(args.out, national=national)
    for path in plot(args.plots_dir, runs):
        err_console.print(f"plot: {path}")
    for goal in national["goals"]:
        err_console.print(json.dumps(goal))
    return 0


if __name__ == "__main__":
    sys.exit(main())
