"""``python -m bench.batched``: finalized events/s with batched commands, in the devnet.

Issue 17 asks, with batched commands, for at least 3,500 finalized events/s
on one machine (Hyperledger Fabric's EuroSys 2018 figure, reached there on a
cluster). This bench writes ``register_companies`` batches of ``--batch``
companies (each batch one transaction and one ledger append of ``2 x batch``
entries: a company and its name's claim) back to back for ``--seconds``,
with ``RIIK_CONSENSUS=devnet`` in this process and a sealer thread every
``--seal-interval`` seconds (as :mod:`bench.finality` does for single
commands), and counts the events that became final per second over the
steady part of the window, with their finality latency.

The baseline, in the same process: the same batches on eventsourcing's stock
recorder (no ledger, no consensus), for half the time before and half after
(a shared machine's load drifts). It also measures, on the product's
recorders, how many persons, companies and land units a second are
registered one command at a time and in batches (what the national seeder
gains).

Runs on a SQLite file, or on the PostgreSQL database in ``--database-url``
(its tables are created by ``migrate``; use a database of its own). Figures go
into ``bench/results.json`` (``batched_finality``, ``batched_registrations``;
other figures are kept) and ``bench/plots/batched.png``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from bench import BENCH_DIR, DEFAULT_DATA_DIR
from bench.finality import _drive, _is_postgres, _setup
from bench.machine import machine_info
from bench.stats import rounded

GOAL_EVENTS_PER_S = 3_500.0
"""Issue 17: finalized events/s with batched commands."""

REGISTRATION_SAMPLE = 200
"""Records of each kind registered one at a time, and again in batches, for the seed rates."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.batched", description=__doc__)
    parser.add_argument("--seconds", type=float, default=30.0, help="writing time of the run")
    parser.add_argument("--batch", type=int, default=500, help="companies per batched command")
    parser.add_argument("--seal-interval", type=float, default=0.5, help="devnet seal period")
    parser.add_argument("--database-url", default="", help="PostgreSQL (default: a SQLite file)")
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR / "batched")
    parser.add_argument("--out", type=Path, default=BENCH_DIR / "results.json")
    parser.add_argument("--plots-dir", type=Path, default=BENCH_DIR / "plots")
    return parser


def _batches(app: Any, founder: str, size: int) -> Callable[[], object]:
    """A writer of one ``register_companies`` batch of ``size`` fresh companies per call."""
    from bench.throughput import ACTOR, TODAY, registrations

    count = [0]

    def write() -> object:
        batch = registrations(size, count[0], founder)
        count[0] += size
        return app.register_companies(batch, ACTOR, TODAY)

    return write


def _bare_events_per_s(seconds: float, size: int, data_dir: Path, founder: str) -> float:
    """The baseline: the same batches on eventsourcing's stock recorder, back to back."""
    from bench.throughput import BareBusinessRegistry, bare_env

    app = BareBusinessRegistry(env=bare_env(data_dir))
    write = _batches(app, founder, size)
    done = 0
    started = time.monotonic()
    while time.monotonic() < started + seconds:
        write()
        done += 1
    elapsed = time.monotonic() - started
    app.close()
    return 2 * size * done / elapsed  # a company and its name's claim per item


def measure_finality(args: argparse.Namespace) -> dict[str, Any]:
    """Batches written at saturation in the devnet; the bare batch rate around it."""
    import threading

    from django.db import connection
    from django.test import override_settings

    from bench.throughput import registered_founder
    from chain.blocks.models import Block
    from chain.blocks.sealing import seal_pending
    from registries.business.application import BusinessRegistry
    from registries.common.application import running

    founder = registered_founder()
    before = _bare_events_per_s(args.seconds / 2, args.batch, args.data_dir, founder)
    done = threading.Event()
    sealer_cpu = [0.0]

    def sealer() -> None:
        with override_settings(RIIK_CONSENSUS="devnet"):
            try:
                while not done.wait(args.seal_interval):
                    cpu = time.thread_time()
                    seal_pending()
                    sealer_cpu[0] += time.thread_time() - cpu
            finally:
                connection.close()

    write = _batches(running(BusinessRegistry), founder, args.batch)
    thread = threading.Thread(target=sealer, name="sealer")
    try:
        with override_settings(RIIK_CONSENSUS="devnet"):
            thread.start()
            result = _drive(args.seconds, 0, write, f"batches of {args.batch}")
    finally:
        done.set()
        thread.join()
    after = _bare_events_per_s(args.seconds / 2, args.batch, args.data_dir, founder)
    final = result["final_events"]
    result["blocks"] = Block.objects.count()
    result["batch"] = args.batch
    result["bare_events_per_s_rounds"] = [before, after]
    result["bare_events_per_s"] = (before + after) / 2
    result["cpu_ms_per_final_event"] = {
        "writer": 1000 * result["writer_cpu_s"] / final if final else 0.0,
        "sealer": 1000 * sealer_cpu[0] / final if final else 0.0,
    }
    return result


def _rate(count: int, run: Callable[[], object]) -> float:
    started = time.perf_counter()
    run()
    return count / (time.perf_counter() - started)


def measure_registrations(batch: int) -> dict[str, dict[str, float]]:
    """Persons, companies and land units a second: one command each vs in batches.

    The same product recorders and ledger; each kind is registered
    :data:`REGISTRATION_SAMPLE` times one by one, then as many in batches of
    ``batch`` (fees off, as everywhere in the benches).
    """
    from bench.throughput import ACTOR, TODAY, registered_founder, registrations
    from registries.business.application import BusinessRegistry
    from registries.common.application import running
    from registries.common.codes import personal_code
    from registries.identity.application import IdentityRegistry, NewPerson
    from registries.property.application import NewLandUnit, PropertyRegistry

    founder = registered_founder()
    n = REGISTRATION_SAMPLE
    people = [
        NewPerson(personal_code(date(2000, 1, 1 + i // 1000), "MF"[i % 2], i % 1000), "A", "B")
        for i in range(2 * n)
    ]
    units = [
        NewLandUnit(f"78401:{101 + i // 9999:03d}:{i % 9999 + 1:04d}", 900, "residential",
                    "Pikk 1, Tallinn", [(founder, "1/1")])
        for i in range(2 * n)
    ]  # fmt: skip
    companies = registrations(2 * n, 10_000_000, founder)
    identity, business = running(IdentityRegistry), running(BusinessRegistry)
    land = running(PropertyRegistry)

    def one_by_one(kind: str) -> Callable[[], object]:
        def run() -> None:
            for p, c, u in zip(people[:n], companies[:n], units[:n], strict=True):
                if kind == "persons":
                    identity.register_person(p.code, p.first_name, p.last_name, ACTOR, TODAY)
                elif kind == "companies":
                    business.register_company(c, ACTOR, TODAY)
                else:
                    land.register_land_unit(
                        u.cadastral_code, u.area_m2, u.purpose, u.address, u.owners, ACTOR
                    )

        return run

    def batched(kind: str) -> Callable[[], object]:
        def run() -> None:
            for start in range(n, 2 * n, batch):
                part = slice(start, min(start + batch, 2 * n))
                if kind == "persons":
                    identity.register_persons(people[part], ACTOR, TODAY)
                elif kind == "companies":
                    business.register_companies(companies[part], ACTOR, TODAY)
                else:
                    land.register_land_units(units[part], ACTOR)

        return run

    rates = {}
    for kind in ("persons", "companies", "land_units"):
        single = _rate(n, one_by_one(kind))
        batched_rate = _rate(n, batched(kind))
        rates[kind] = {
            "single_per_s": single,
            "batched_per_s": batched_rate,
            "ratio": batched_rate / single,
        }
    return rates


def figures(
    measured: dict[str, Any], rates: dict[str, dict[str, float]], database: str
) -> list[dict[str, Any]]:
    """``results.json`` figures: the finalized rate against the goal and the bare rate."""
    backend = f"embedded, {database}"
    value = measured["final_events_per_s"]
    bare = measured["bare_events_per_s"]
    return [
        {
            "id": "batched_finality",
            "figure": 5,
            "backend": backend,
            "title": f"Finalized events/s with batched commands ({measured['batch']} a batch)",
            "goal": f">= {GOAL_EVENTS_PER_S:,.0f} events/s",
            "pass": value >= GOAL_EVENTS_PER_S,
            "value": value,
            "baseline": bare,
            "ratio": value / bare if bare else 0.0,
            "ratio_of": "finalized events/s / bare eventsourcing batch events/s, same run",
            "details": {k: v for k, v in measured.items() if k != "latency"}
            | {"latency": measured["latency"]},
        },
        {
            "id": "batched_registrations",
            "figure": 5,
            "backend": backend,
            "title": "Registrations/s, one command each vs batched (the seeder's gain)",
            "goal": None,
            "pass": None,
            "value": rates,
        },
    ]


def _plot(directory: Path, measured: dict[str, Any], rates: dict[str, Any], db: str) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    bars = {
        "bare eventsourcing\n(same batches)": measured["bare_events_per_s"],
        "written\n(ledger)": measured["write_events_per_s"],
        "finalized\n(devnet)": measured["final_events_per_s"],
    }
    left.bar(list(bars), list(bars.values()), color=["#999", "#4a7", "#27a"])
    left.axhline(GOAL_EVENTS_PER_S, color="#c33", linestyle="--", label="goal 3,500 events/s")
    left.set_ylabel("events/s")
    left.set_title(f"Batches of {measured['batch']} companies, {db}")
    left.legend()
    kinds = list(rates)
    x = range(len(kinds))
    right.bar(
        [i - 0.2 for i in x], [rates[k]["single_per_s"] for k in kinds], 0.4, label="one each"
    )
    right.bar(
        [i + 0.2 for i in x], [rates[k]["batched_per_s"] for k in kinds], 0.4, label="batched"
    )
    right.set_xticks(list(x), [k.replace("_", " ") for k in kinds])
    right.set_ylabel("registrations/s")
    right.set_title("Registrations/s (product recorders and ledger)")
    right.legend()
    fig.tight_layout()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"batched{'_postgres' if db == 'postgres' else ''}.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def main(argv: Sequence[str] | None = None) -> int:
    """Run the batched-commands benchmark and merge its figures into the results file."""
    args = _parser().parse_args(argv)
    args.data_dir = args.data_dir.resolve()
    _setup(args.data_dir, args.database_url)
    database = "postgres" if _is_postgres(args.database_url) else "sqlite"
    measured = measure_finality(args)
    rates = measure_registrations(args.batch)
    from registries.common.application import stop_all

    stop_all()
    results: dict[str, Any] = json.loads(args.out.read_text()) if args.out.exists() else {}
    new = figures(measured, rates, database)
    replaced = {(f["id"], f["backend"]) for f in new}
    kept = [f for f in results.get("figures", []) if (f["id"], f["backend"]) not in replaced]
    results["figures"] = kept + new
    results.setdefault("plan", {})[f"batched_{database}"] = {
        "seconds": args.seconds,
        "batch": args.batch,
        "seal_interval": args.seal_interval,
        "machine": machine_info(),
    }
    from bench.report import write_results

    write_results(args.out, results)
    _plot(args.plots_dir, measured, rates, database)
    print(json.dumps(rounded({"finality": measured, "registrations": rates}), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
