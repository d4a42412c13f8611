"""Figure 6: commands/s of 1, 2, 4 and 8 writer processes, ledger vs bare eventsourcing.

``python -m bench.writers [--database-url URL] [--writers 1,2,4,8] [--seconds S]``

Every writer is a process of its own (as gunicorn and Celery workers are)
with both applications of figure 1 (:mod:`bench.throughput`): the
``BusinessRegistry`` on the ledger recorder and the same class on
eventsourcing's stock PostgreSQL recorder, in the same database. For each
writer count, every round runs the ledger and then the bare application (the
order alternates by round) for ``--seconds`` in all writers at once, started
together by a barrier; a round's figure is the commands all writers finished
in that window per second. The ratio is median ledger / median bare.

The figures (``writers_commands_per_s``, one per count) are merged into
``bench/results.json`` and plotted in ``bench/plots/writers.png``.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import shutil
import sqlite3
import sys
import threading
import time
from collections.abc import Sequence
from multiprocessing.synchronize import Barrier
from pathlib import Path
from typing import Any

import psycopg

from bench import BENCH_DIR, DEFAULT_DATA_DIR
from bench.stats import median

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/writers"
GOAL_RATIO = 0.85
KINDS = ("ledger", "bare")


def _configure(database_url: str | None, data_dir: Path) -> None:
    # No URL: the embedded SQLite file under ``data_dir``.
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    else:
        os.environ.pop("DATABASE_URL", None)
    os.environ["RIIK_DATA_DIR"] = str(data_dir)
    os.environ.pop("RIIK_KEYS_DIR", None)
    os.environ.pop("CELERY_BROKER_URL", None)
    os.environ["RIIK_LOG_LEVEL"] = "WARNING"
    # Each writer is one thread: one pooled connection per application is all
    # it uses. The default pools (4 + 4) opened 72 connections at 8 writers,
    # most of a shared server's max_connections.
    os.environ["RIIK_DB_POOL_SIZE"] = "1"
    os.environ["RIIK_DB_POOL_OVERFLOW"] = "0"
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"


def _prepare(database_url: str, data_dir: Path) -> str:
    """Migrate the database and create the bare tables; return the server's version."""
    _configure(database_url, data_dir)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, connections

    from bench.throughput import BareBusinessRegistry, bare_env, registered_founder

    call_command("migrate", verbosity=0, interactive=False)
    BareBusinessRegistry(bare_env(data_dir)).close()
    registered_founder()  # once, before the writers start: founders must be registered
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        (version,) = cursor.fetchone()
    connections.close_all()
    return str(version)


def _writer(
    number: int,
    rounds: int,
    seconds: float,
    database_url: str,
    data_dir: Path,
    barrier: Barrier,
    results: Any,
) -> None:
    """One writer process: warm up both applications, then run each timed window."""
    _configure(database_url, data_dir)
    import django

    django.setup()
    from bench.throughput import (
        ACTOR,
        TODAY,
        BareBusinessRegistry,
        bare_env,
        registered_founder,
        registrations,
    )
    from registries.business.application import BusinessRegistry

    # The tables exist (_prepare): writers issuing the same DDL at once fail.
    env = {**bare_env(data_dir), "CREATE_TABLE": "n"}
    apps = {"ledger": BusinessRegistry(), "bare": BareBusinessRegistry(env)}
    serial = number * 10_000_000
    founder = registered_founder()  # registered by _prepare: only looked up here
    try:
        for app in apps.values():
            for registration in registrations(5, serial, founder):
                app.register_company(registration, ACTOR, TODAY)
            serial += 5
        for round_number in range(rounds):
            order = KINDS if round_number % 2 == 0 else KINDS[::-1]
            for kind in order:
                app = apps[kind]
                barrier.wait()
                deadline = time.perf_counter() + seconds
                commands = 0
                while time.perf_counter() < deadline:
                    (registration,) = registrations(1, serial, founder)
                    serial += 1
                    code = app.register_company(registration, ACTOR, TODAY)
                    app.change_address(code, f"Tartu, Raekoja plats {serial % 50 + 1}", ACTOR)
                    commands += 2
                results.put((round_number, kind, commands))
    finally:
        for app in apps.values():
            app.close()


class WaitSampler(threading.Thread):
    """Samples ``pg_stat_activity`` while the writers run (every ``interval`` s).

    A sample is one backend in a transaction on a business events table; it
    is told apart by the table of its last statement (``barebusiness_events``
    is the bare application). Counted per application: backends waiting for
    a lock, and backends idle in a transaction (waiting for their client,
    which, for the one holding the table lock, stalls every other writer).
    """

    QUERY = (
        "SELECT state, wait_event_type, query FROM pg_stat_activity "
        "WHERE datname = current_database() AND pid <> pg_backend_pid() "
        "AND state IN ('active', 'idle in transaction')"
    )

    def __init__(self, database_url: str, interval: float = 0.02) -> None:
        super().__init__(daemon=True)
        self.database_url = database_url
        self.interval = interval
        self.stopped = threading.Event()
        self.counts = {
            kind: {"samples": 0, "lock_waits": 0, "idle_in_transaction": 0} for kind in KINDS
        }

    def run(self) -> None:
        with psycopg.connect(self.database_url, autocommit=True) as conn:
            while not self.stopped.wait(self.interval):
                for state, wait_type, query in conn.execute(self.QUERY).fetchall():
                    text = str(query)
                    if "barebusiness" in text:
                        counts = self.counts["bare"]
                    elif "business_events" in text or "ledger_" in text:
                        counts = self.counts["ledger"]
                    else:
                        continue
                    counts["samples"] += 1
                    counts["lock_waits"] += wait_type == "Lock"
                    counts["idle_in_transaction"] += state == "idle in transaction"

    def shares(self) -> dict[str, dict[str, float]]:
        """Per application: the share of samples waiting on a lock and idle in a transaction."""
        return {
            kind: {
                "samples": counts["samples"],
                "lock_wait_share": counts["lock_waits"] / max(1, counts["samples"]),
                "idle_in_transaction_share": counts["idle_in_transaction"]
                / max(1, counts["samples"]),
            }
            for kind, counts in self.counts.items()
        }


def measure(
    writers: int, rounds: int, seconds: float, database_url: str, data_dir: Path
) -> dict[str, Any]:
    """Run ``writers`` processes for ``rounds`` interleaved rounds; commands/s per round."""
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(writers)
    results = context.Queue()
    processes = [
        context.Process(
            target=_writer,
            args=(number, rounds, seconds, database_url, data_dir, barrier, results),
        )
        for number in range(writers)
    ]
    for process in processes:
        process.start()
    sampler = WaitSampler(database_url)
    sampler.start()
    totals: dict[tuple[int, str], int] = {}
    for _ in range(writers * rounds * len(KINDS)):
        round_number, kind, commands = results.get(timeout=600)
        totals[round_number, kind] = totals.get((round_number, kind), 0) + commands
    sampler.stopped.set()
    sampler.join()
    for process in processes:
        # Every round is counted by now; a writer still closing its pools
        # after this long (a loaded machine) is stopped, not waited for.
        process.join(timeout=300)
        if process.exitcode is None:
            process.terminate()
            process.join()
        elif process.exitcode != 0:
            raise RuntimeError(f"writer process exited with {process.exitcode}")
    rates = {kind: [totals[number, kind] / seconds for number in range(rounds)] for kind in KINDS}
    return {
        "writers": writers,
        "rounds": rounds,
        "seconds_per_round": seconds,
        "ledger_rounds_commands_per_s": rates["ledger"],
        "bare_rounds_commands_per_s": rates["bare"],
        "ledger_median_commands_per_s": median(rates["ledger"]),
        "bare_median_commands_per_s": median(rates["bare"]),
        "ratio": median(rates["ledger"]) / median(rates["bare"]),
        "pg_stat_activity": sampler.shares(),
    }


def _sqlite_writer(companies: int, rounds: int, data_dir: Path, results: Any) -> None:
    """Figure 1's interleaved rounds (:func:`bench.throughput.run`) on a fresh SQLite file."""
    _configure(None, data_dir)
    import django

    django.setup()
    from django.core.management import call_command

    from bench import throughput
    from bench.plan import QUICK

    call_command("migrate", verbosity=0, interactive=False)
    plan = QUICK.with_overrides(companies=companies, rounds=rounds)
    results.put(throughput.run(plan, data_dir, lambda commands: None))


def measure_sqlite(companies: int, rounds: int, data_dir: Path) -> dict[str, Any]:
    """One SQLite writer (the embedded default), ledger vs bare, in a process of its own."""
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True)
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    process = context.Process(target=_sqlite_writer, args=(companies, rounds, data_dir, results))
    process.start()
    measured: dict[str, Any] = results.get(timeout=900)
    process.join(timeout=60)
    return {
        "writers": 1,
        "rounds": measured["rounds"],
        "companies_per_round": measured["companies_per_round"],
        "ledger_rounds_commands_per_s": measured["ledger"]["rounds_commands_per_s"],
        "bare_rounds_commands_per_s": measured["bare"]["rounds_commands_per_s"],
        "ledger_median_commands_per_s": measured["ledger"]["median_commands_per_s"],
        "bare_median_commands_per_s": measured["bare"]["median_commands_per_s"],
        "ratio": measured["ratio"],
    }


def figures(
    measured: Sequence[dict[str, Any]], server: str, backend: str = "postgres"
) -> list[dict[str, Any]]:
    """``results.json`` figures, one per writer count, with the goal judged."""
    return [
        {
            "id": "writers_commands_per_s",
            "figure": 6,
            "backend": backend,
            "writers": data["writers"],
            "title": f"Commands/s with {data['writers']} writer processes: ledger vs bare",
            "value": {"median_commands_per_s": data["ledger_median_commands_per_s"]},
            "baseline": {
                "name": "bare eventsourcing, stock recorder, same database and run",
                "median_commands_per_s": data["bare_median_commands_per_s"],
            },
            "ratio": data["ratio"],
            "ratio_of": "ledger / bare (medians of per-round throughput of all writers)",
            "goal": f">= {GOAL_RATIO}",
            "pass": data["ratio"] >= GOAL_RATIO,
            "details": {**data, "database": server},
        }
        for data in measured
    ]


def plot(
    directory: Path,
    measured: Sequence[dict[str, Any]],
    sqlite_measured: Sequence[dict[str, Any]] = (),
) -> Path:
    """Ledger and bare commands/s and their ratio against the writer count."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    directory.mkdir(parents=True, exist_ok=True)
    counts = [data["writers"] for data in measured]
    fig, (rates, ratios) = plt.subplots(1, 2, figsize=(9, 3.5))
    for kind in KINDS:
        rates.plot(counts, [d[f"{kind}_median_commands_per_s"] for d in measured], "o-", label=kind)
    rates.set_xscale("log", base=2)
    rates.set_xticks(counts, [str(c) for c in counts])
    rates.set_xlabel("writer processes")
    rates.set_ylabel("commands/s (median round)")
    rates.set_title("PostgreSQL, all writers together")
    rates.legend()
    ratios.plot(counts, [d["ratio"] for d in measured], "o-", label="PostgreSQL ledger / bare")
    for data in sqlite_measured:
        ratios.plot([data["writers"]], [data["ratio"]], "s", label="SQLite ledger / bare")
    ratios.axhline(GOAL_RATIO, color="grey", linestyle="--", label=f"goal {GOAL_RATIO}")
    ratios.set_xscale("log", base=2)
    ratios.set_xticks(counts, [str(c) for c in counts])
    ratios.set_ylim(0, 1.2)
    ratios.set_xlabel("writer processes")
    ratios.set_title("ratio (shared 2-core machine)")
    ratios.legend()
    fig.tight_layout()
    path = directory / "writers.png"
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.writers", description=__doc__)
    parser.add_argument(
        "--database-url",
        default=os.environ.get("RIIK_BENCH_WRITERS_URL", DEFAULT_DATABASE_URL),
        help="an existing PostgreSQL database (its business logs are written to)",
    )
    parser.add_argument("--writers", default="1,2,4,8", help="comma-separated process counts")
    parser.add_argument("--rounds", type=int, default=24)
    parser.add_argument("--seconds", type=float, default=0.5, help="per round and application")
    parser.add_argument(
        "--sqlite-companies",
        type=int,
        default=1200,
        help="SQLite, one writer: companies per application (0: skip SQLite)",
    )
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR / "writers")
    parser.add_argument("--out", type=Path, default=BENCH_DIR / "results.json")
    parser.add_argument("--plots-dir", type=Path, default=BENCH_DIR / "plots")
    parser.add_argument("--no-merge", action="store_true", help="print, do not touch --out")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Measure every writer count and merge the figures into the results file."""
    args = _parser().parse_args(argv)
    data_dir = args.data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    server = _prepare(args.database_url, data_dir)
    measured = []
    for count in (int(part) for part in args.writers.split(",")):
        data = measure(count, args.rounds, args.seconds, args.database_url, data_dir)
        print(
            f"{count} writers: ledger {data['ledger_median_commands_per_s']:.0f} cmd/s, "
            f"bare {data['bare_median_commands_per_s']:.0f} cmd/s, ratio {data['ratio']:.3f}",
            file=sys.stderr,
        )
        measured.append(data)
    sqlite_measured = []
    if args.sqlite_companies:
        sqlite_measured.append(
            measure_sqlite(args.sqlite_companies, args.rounds, data_dir / "sqlite")
        )
        print(f"sqlite, 1 writer: ratio {sqlite_measured[0]['ratio']:.3f}", file=sys.stderr)
    if args.no_merge:
        print(json.dumps({"postgres": measured, "sqlite": sqlite_measured}, indent=2))
        return 0
    from bench.machine import machine_info
    from bench.report import merge_results

    merge_results(
        args.out,
        figures(measured, f"PostgreSQL {server}")
        + figures(sqlite_measured, f"SQLite {sqlite3.sqlite_version}", "sqlite"),
        plan={
            "writers": {
                "counts": [data["writers"] for data in measured],
                "rounds": args.rounds,
                "sqlite_companies": args.sqlite_companies,
                "seconds": args.seconds,
                "machine": {**machine_info(), "postgresql": server},
                "load_average_at_end": os.getloadavg(),
            }
        },
    )
    plot(args.plots_dir, measured, sqlite_measured)
    return 0


if __name__ == "__main__":
    sys.exit(main())
