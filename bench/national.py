"""Estonia on one machine: seed the national dataset at a few scales and measure (``make
bench-national``; kept out of CI, it takes minutes to hours).

    python -m bench.national --scales 0.0002,0.001 [--samples 200] [--scratch-name NAME]

For each scale a scratch PostgreSQL database (``--scratch-name``, default
``riik_bench_national``, on the server in ``RIIK_BENCH_POSTGRES_URL``) is
created, migrated and seeded by ``manage.py demo --country estonia --scale S``
(the real applications, recorders and ledger), timed. Then
:mod:`bench.national_measure` reads it (API read, write, search, list and admin
pages, inclusion proofs) and ``manage.py chain export`` is run for its peak
memory. The figures go into ``bench/results.json`` under ``national`` (the rest
of the file is left as is) and each figure against the dataset size into
``bench/plots/national.png``. bench/README.md explains.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.postgres import ScratchDatabase, server_url
from bench.progress import err_console
from bench.report import merge_results

ROOT = Path(__file__).resolve().parent.parent
SCALE_1_ENTRIES_NOTE = "extrapolated linearly from the measured seed rate (an optimistic bound)"


# Runs a command and writes the peak memory (KiB) of its process tree to a file: a
# fresh parent, so RUSAGE_CHILDREN holds that command alone.
_PEAK = (
    "import resource, subprocess, sys; subprocess.run(sys.argv[2:], check=True); "
    "open(sys.argv[1], 'w').write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))"
)


def _run(args: list[str], env: dict[str, str], peak_file: Path) -> tuple[float, int, str]:
    """Run a child; its wall time (s), its peak memory (KiB) and its standard output."""
    start = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", _PEAK, str(peak_file), *args],
        cwd=ROOT, env=env, check=True, capture_output=True, text=True,
    )  # fmt: skip
    return time.monotonic() - start, int(peak_file.read_text()), done.stdout


def run_scale(
    scale: float, samples: int, scratch: ScratchDatabase, data_dir: Path
) -> dict[str, Any]:
    """Seed one scale into a fresh database and measure it."""
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True)
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "RIIK_DATA_DIR")},
        "DATABASE_URL": scratch.create(),
        "RIIK_DATA_DIR": str(data_dir),
        "PYTHONPATH": str(ROOT),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "RIIK_LOG_LEVEL": "WARNING",
    }
    python = [sys.executable]
    peak = data_dir / "peak_kib"
    _run([*python, "manage.py", "migrate", "-v0"], env, peak)
    err_console.print(f"scale {scale}: seeding")
    seed_s, seed_kib, output = _run(
        [
            *python,
            "manage.py",
            "demo",
            "--country",
            "estonia",
            "--scale",
            str(scale),
            "--seed",
            "1",
        ],
        env,
        peak,
    )
    rate = re.search(r"Seeded (\d+) ledger entries in ([\d.]+) s", output)
    entries = int(rate.group(1)) if rate else 0
    seeding_s = float(rate.group(2)) if rate else seed_s
    err_console.print(f"scale {scale}: {entries} entries in {seeding_s:.0f} s; measuring")
    figures_file = data_dir / "figures.json"
    _run([*python, "-m", "bench.national_measure", "--out", str(figures_file),
          "--samples", str(samples)], env, peak)  # fmt: skip
    figures: dict[str, Any] = json.loads(figures_file.read_text())
    export_s, export_kib, _ = _run(
        [*python, "manage.py", "chain", "export", "--out", str(data_dir / "bundle.jsonl"),
         "--no-progress"],
        env,
        peak,
    )  # fmt: skip
    per_second = entries / seeding_s if seeding_s else 0.0
    return {
        "scale": scale,
        "seed": {
            "entries": entries,
            "seconds": seeding_s,
            "entries_per_s": per_second,
            "peak_rss_mib": seed_kib / 1024,
            "scale_1_hours": entries / scale / per_second / 3600 if per_second else None,
        },
        **figures,
        "chain_export": {
            "seconds": export_s,
            "peak_rss_mib": export_kib / 1024,
            "bundle_mib": (data_dir / "bundle.jsonl").stat().st_size / 2**20,
        },
    }


def plot(path: Path, runs: list[dict[str, Any]]) -> None:
    """Each figure against the number of ledger entries."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = [run["ledger_entries"] for run in runs]
    panels: list[tuple[str, list[tuple[str, list[float]]]]] = [
        ("p95 latency (ms)", [
            ("API read", [r["api_read"]["p95_ms"] for r in runs]),
            ("write", [r["write"]["p95_ms"] for r in runs]),
            ("search by name", [r["search_name"]["p95_ms"] for r in runs]),
            ("search by code", [r["search_code"]["p95_ms"] for r in runs]),
        ]),
        ("list pages p95 (ms)", [
            (name, [r["lists"][name]["p95_ms"] for r in runs]) for name in runs[0]["lists"]
        ]),
        ("inclusion proof p99 (ms)", [("proof", [r["inclusion_proof"]["p99_ms"] for r in runs])]),
        ("chain export peak memory (MiB)", [
            ("export", [r["chain_export"]["peak_rss_mib"] for r in runs])
        ]),
    ]  # fmt: skip
    fig, axes = plt.subplots(2, 2, figsize=(11, 8))
    for ax, (title, lines) in zip(axes.flat, panels, strict=True):
        for label, values in lines:
            ax.plot(sizes, values, "o-", label=label)
        ax.set_title(title)
        ax.set_xlabel("ledger entries")
        ax.set_xscale("log")
        ax.set_ylim(bottom=0)
        ax.legend(fontsize="small")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; 0 when it ran, 1 when a step failed."""
    parser = argparse.ArgumentParser(prog="python -m bench.national")
    parser.add_argument("--scales", default="0.0002,0.001", help="comma-separated scales")
    parser.add_argument("--samples", type=int, default=200, help="requests per latency figure")
    parser.add_argument("--scratch-name", default="riik_bench_national")
    parser.add_argument("--keep", action="store_true", help="keep the last scale's database")
    parser.add_argument("--data-dir", type=Path, default=ROOT / "var" / "bench" / "national")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results.json")
    parser.add_argument("--plots-dir", type=Path, default=ROOT / "bench" / "plots")
    args = parser.parse_args(argv)
    scratch = ScratchDatabase(server_url(), name=args.scratch_name)
    load_before = os.getloadavg()[0]
    runs = []
    try:
        for scale in (float(s) for s in args.scales.split(",")):
            runs.append(run_scale(scale, args.samples, scratch, args.data_dir))
    except subprocess.CalledProcessError as error:
        err_console.print(f"national benchmark failed: {error}\n{error.stderr}")
        return 1
    finally:
        if not args.keep:
            scratch.drop()
    merge_results(
        args.out,
        national={
            "database": "PostgreSQL, one process, Django test client (no network, no throttle)",
            "load_average_1m": {"before": load_before, "after": os.getloadavg()[0]},
            "scale_1_note": SCALE_1_ENTRIES_NOTE,
            "runs": runs,
        },
    )
    plot(args.plots_dir / "national.png", runs)
    for run in runs:
        err_console.print(json.dumps(run, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
