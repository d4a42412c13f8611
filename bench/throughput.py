"""Figure 1: commands/s through the ledger recorders vs bare eventsourcing.

Needs Django set up (imported by :mod:`bench.run_backend` only).

Both applications run the business registry's own command code
(:class:`BusinessRegistry`), so the aggregates, events, reads and
transcoding are the same; the only difference is the application recorder:

* **ledger**: ``BusinessRegistry`` as the product runs it, on
  ``chain.ledger.sqlite`` / ``chain.ledger.postgres`` (events and ledger rows
  in one transaction, in the Django database);
* **bare**: the same class constructed directly through
  ``eventsourcing.application.Application.__init__`` on the library's stock
  ``eventsourcing.sqlite`` (a separate file in the bench data dir) or
  ``eventsourcing.postgres`` (the same scratch database, table prefix
  ``barebusiness``), with otherwise identical settings.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any
from uuid import uuid4

from eventsourcing.application import Application

from bench.plan import Plan
from bench.stats import latency_summary, median
from chain.ledger.persistence import event_store_env
from registries.business.application import BusinessRegistry, Registration
from registries.common.application import running
from registries.common.codes import personal_code
from registries.identity.application import IdentityRegistry
from registries.identity.services import person_exists

TODAY = date(2026, 1, 15)
ACTOR = "bench"


class BareBusinessRegistry(BusinessRegistry):
    """The business registry's commands on eventsourcing's stock persistence (no ledger)."""

    name = "barebusiness"

    def __init__(self, env: dict[str, str] | None = None) -> None:
        # Skip RegistryApplication.__init__, which selects the ledger recorders.
        Application.__init__(self, env=env)


def bare_env(data_dir: Path) -> dict[str, str]:
    """The ledger application's environment with the stock persistence module."""
    env = event_store_env(create_tables=True)
    if "SQLITE_DBNAME" in env:
        env["PERSISTENCE_MODULE"] = "eventsourcing.sqlite"
        env["SQLITE_DBNAME"] = str(data_dir / "bare-eventsourcing.sqlite3")
    else:
        env["PERSISTENCE_MODULE"] = "eventsourcing.postgres"
    return env


def registered_founder() -> str:
    """The founder of the bench's companies, in the population register (as founders must be)."""
    founder = personal_code(date(1970, 1, 1), "F", 1)
    if not person_exists(founder):
        running(IdentityRegistry).register_person(founder, "Pink", "Rebane", ACTOR)
    return founder


def registrations(count: int, start: int, founder: str) -> list[Registration]:
    """``count`` valid, distinct company registrations founded by ``founder``."""
    items = []
    for number in range(start, start + count):
        items.append(
            Registration(
                name=f"Pink {number} {uuid4().hex[:8]} OÜ",
                legal_form="OÜ",
                share_capital_cents=250_000,
                founders=[founder],
                board=[founder],
                address=f"Tallinn, Narva mnt {number % 200 + 1}",
            )
        )
    return items


def run_batch(app: BusinessRegistry, batch: list[Registration]) -> tuple[float, list[float]]:
    """Register each company and change its address; return (seconds, per-command seconds)."""
    latencies: list[float] = []
    clock = time.perf_counter
    gc.collect()
    start = clock()
    for number, registration in enumerate(batch):
        t0 = clock()
        code = app.register_company(registration, ACTOR, TODAY)
        t1 = clock()
        app.change_address(code, f"Tartu, Raekoja plats {number % 50 + 1}", ACTOR)
        t2 = clock()
        latencies.append(t1 - t0)
        latencies.append(t2 - t1)
    return clock() - start, latencies


def run(plan: Plan, data_dir: Path, tick: Callable[[int], None]) -> dict[str, Any]:
    """Interleave ledger and bare rounds; ``tick(commands)`` reports progress."""
    apps: dict[str, BusinessRegistry] = {
        "ledger": BusinessRegistry(),
        "bare": BareBusinessRegistry(bare_env(data_dir)),
    }
    recorders = {
        name: type(app.recorder).__module__ + "." + type(app.recorder).__qualname__
        for name, app in apps.items()
    }
    serial = 0
    founder = registered_founder()
    try:
        for app in apps.values():
            run_batch(app, registrations(plan.warmup, serial, founder))
            serial += plan.warmup
        per_round = max(1, plan.companies // plan.rounds)
        rates: dict[str, list[float]] = {name: [] for name in apps}
        latencies: dict[str, list[float]] = {name: [] for name in apps}
        for number in range(plan.rounds):
            order = ("ledger", "bare") if number % 2 == 0 else ("bare", "ledger")
            for name in order:
                batch = registrations(per_round, serial, founder)
                serial += per_round
                elapsed, timings = run_batch(apps[name], batch)
                rates[name].append(2 * per_round / elapsed)
                latencies[name].extend(timings)
                tick(2 * per_round)
    finally:
        for app in apps.values():
            app.close()
    return {
        "companies_per_round": per_round,
        "rounds": plan.rounds,
        "commands_per_app": 2 * per_round * plan.rounds,
        "recorders": recorders,
        "ledger": {
            "rounds_commands_per_s": rates["ledger"],
            "median_commands_per_s": median(rates["ledger"]),
            "latency": latency_summary(latencies["ledger"]),
        },
        "bare": {
            "rounds_commands_per_s": rates["bare"],
            "median_commands_per_s": median(rates["bare"]),
            "latency": latency_summary(latencies["bare"]),
        },
        "ratio": median(rates["ledger"]) / median(rates["bare"]),
    }
