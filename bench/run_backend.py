"""One backend's measurements, in a process of their own.

``python -m bench.run_backend --backend sqlite|postgres --data-dir DIR
[--database-url URL] --plan JSON --out FILE``

Django picks its database at setup, so the parent (:mod:`bench.cli`) runs
this once per backend with ``RIIK_DATA_DIR`` and ``DATABASE_URL`` set here,
before ``django.setup()``. It migrates the (empty) database, runs figures 1-3
and writes their raw measurements as JSON to ``--out``.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any


def _configure(data_dir: Path, database_url: str | None) -> None:
    os.environ["RIIK_DATA_DIR"] = str(data_dir)
    os.environ.pop("RIIK_KEYS_DIR", None)
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    else:
        os.environ.pop("DATABASE_URL", None)
    # Everything in-process and quiet: no broker, no chatty logs.
    os.environ.pop("CELERY_BROKER_URL", None)
    os.environ["RIIK_LOG_LEVEL"] = "WARNING"
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"


def _database_version() -> str:
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            (version,) = cursor.fetchone()
        return f"PostgreSQL {version}"
    return f"SQLite {sqlite3.sqlite_version}"


def measure(backend: str, data_dir: Path, plan_json: str) -> dict[str, Any]:
    import django

    django.setup()
    from django.core.management import call_command

    from bench import proof_latency, throughput, verify_rate
    from bench.plan import Plan
    from bench.progress import err_console, progress_bar
    from registries.common.application import stop_all

    plan = Plan.from_json(plan_json)
    call_command("migrate", verbosity=0, interactive=False)
    result: dict[str, Any] = {"backend": backend, "database": _database_version(), "steps_s": {}}
    steps = result["steps_s"]
    with progress_bar() as bar:
        start = time.perf_counter()
        per_round = max(1, plan.companies // plan.rounds)
        task = bar.add_task(
            f"{backend}: commands, ledger vs bare", total=2 * 2 * per_round * plan.rounds
        )
        result["throughput"] = throughput.run(plan, data_dir, lambda n: bar.advance(task, n))
        steps["throughput"] = time.perf_counter() - start
        err_console.log(f"{backend}: commands done in {steps['throughput']:.1f} s")

        start = time.perf_counter()
        task = bar.add_task(f"{backend}: chain verify vs raw hashlib", total=plan.verify_repeats)
        result["verify"] = verify_rate.run(plan, lambda: bar.advance(task))
        steps["verify"] = time.perf_counter() - start
        err_console.log(f"{backend}: verify done in {steps['verify']:.1f} s")

        start = time.perf_counter()
        from bench.synthetic import SyntheticLog

        rows = bar.add_task(
            f"{backend}: synthetic logs (subtree rows)",
            total=sum(SyntheticLog.row_count(size) for size in plan.proof_sizes),
        )
        sizes = bar.add_task(f"{backend}: proofs and pymerkle", total=2 * len(plan.proof_sizes))
        result["proofs"] = proof_latency.run(
            plan, lambda n: bar.advance(rows, n), lambda: bar.advance(sizes)
        )
        steps["proofs"] = time.perf_counter() - start
        err_console.log(f"{backend}: proofs done in {steps['proofs']:.1f} s")
    stop_all()
    from django.db import connections

    connections.close_all()
    return result


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run_backend")
    parser.add_argument("--backend", choices=["sqlite", "postgres"], required=True)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--database-url")
    parser.add_argument("--plan", required=True, help="bench.plan.Plan as JSON")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    if args.backend == "postgres" and not args.database_url:
        parser.error("--database-url is required for postgres")
    args.data_dir.mkdir(parents=True, exist_ok=True)
    _configure(args.data_dir.resolve(), args.database_url)
    result = measure(args.backend, args.data_dir.resolve(), args.plan)
    args.out.write_text(json.dumps(result, indent=2, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
