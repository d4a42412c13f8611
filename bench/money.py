"""``python -m bench.money``: payments/s through the ledger, and how fast they become final.

Three measurements of the money registry (docs/money.md, "Towards a national
retail rate"), each backend in a child process on a scratch database of its
own (SQLite always; PostgreSQL when ``DATABASE_URL`` names a server: the
scratch database ``riik_bench_money`` is made and dropped there):

* **payments/s, ledger vs bare eventsourcing** (goal >= 0.85): the same
  ``MoneyRegistry.pay`` code on the ledger recorders and on the library's
  stock recorders (the same database for PostgreSQL, a file of its own for
  SQLite), in interleaved rounds over a ring of funded wallets (each
  payment saves the payer's and the payee's wallet: two events, and two
  ledger entries with the ledger);
* **the curve**: payments/s with 1, 2 and 4 writer threads, each paying
  within its own ring of wallets (no shared wallet: what sharding by wallet
  gives one ledger log on this machine);
* **finality at saturation** (SQLite, ``RIIK_CONSENSUS=devnet``, a chain of
  its own): one thread pays as fast as it can while the main thread seals a
  block every :data:`SEAL_INTERVAL` and runs the devnet consensus of every
  member on it; finalized payments/s against written payments/s over the
  steady part of the run (its last three quarters);
* **delivery-versus-payment settlement latency** (each backend, devnet, a
  chain of its own): one thread files notary-endorsed purchases of land units
  back to back (the price, the state fee and the title change in one
  transaction: ``PropertyRegistry.buy``, what the purchase e-service runs)
  while the main thread seals a block every :data:`SEAL_INTERVAL`; per
  purchase the time from the request to its settled state (the command
  returned, read models caught up) and to its block being final. The bare
  payment (``MoneyRegistry.pay`` of the same price, the same wallets) is
  measured the same way in the same run, in alternating phases.

The figures are merged into ``bench/results.json`` (replacing earlier
``money_`` figures) with the machine, and plotted to
``bench/plots/money_payments.png``. ``--quick`` is a smoke run.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from datetime import date, timedelta
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from bench import BENCH_DIR, DEFAULT_DATA_DIR, ROOT
from bench.stats import latency_summary, median, rounded

RATIO_GOAL = 0.85
SCRATCH = "riik_bench_money"
WALLET_CENTS = 100_000
"""Each ring wallet's funds: 1,000 EUR, under the holding limit, so no waterfall runs."""
THREADS = (1, 2, 4)
SEAL_INTERVAL = 0.5
"""Seconds between blocks in the finality run, as an embedded server's beat seals."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.money", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smoke run (smaller sizes)")
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR / "money")
    parser.add_argument("--out", type=Path, default=BENCH_DIR / "results.json")
    parser.add_argument("--plots-dir", type=Path, default=BENCH_DIR / "plots")
    parser.add_argument(
        "--only",
        choices=["sqlite", "postgres", "finality", "dvp-sqlite", "dvp-postgres"],
        help=argparse.SUPPRESS,
    )
    parser.add_argument("--database-url", help=argparse.SUPPRESS)
    parser.add_argument("--child-out", type=Path, help=argparse.SUPPRESS)
    return parser


def _sizes(quick: bool) -> dict[str, Any]:
    return {
        "wallets": 40 if quick else 100,
        "payments_per_round": 100 if quick else 400,
        "rounds": 3 if quick else 6,
        "curve_payments": 100 if quick else 400,
        "finality_seconds": 8.0 if quick else 30.0,
        "settlement_phases": 2 if quick else 4,
        "snapshot_histories": (100, 300) if quick else (100, 400, 1000),
        "settlements_per_phase": 40 if quick else 150,
    }


# -- the child: Django on one scratch database ----------------------------------------------------


def _setup(data_dir: Path, database_url: str | None) -> None:
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True)
    os.environ["RIIK_DATA_DIR"] = str(data_dir)
    os.environ.pop("RIIK_KEYS_DIR", None)
    os.environ.pop("CELERY_BROKER_URL", None)
    os.environ["RIIK_LOG_LEVEL"] = "WARNING"
    os.environ["DATABASE_URL"] = database_url or f"sqlite:///{data_dir / 'money.sqlite3'}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


class _Books:
    """A bank, the central bank and rings of funded persons' wallets in one money application."""

    def __init__(self, app: Any, bank: str, central: str) -> None:
        self.app = app
        self.bank = bank
        self.central = central
        self.serial = 0

    def ring(self, persons: Sequence[str]) -> list[str]:
        """Open the persons' wallets and fund each (issued to the bank, paid on)."""
        from registries.money.domain import ISSUE, Payment
        from registries.money.quorum import collect

        for code in persons:
            self.app.open_wallet(code, self.bank, "bench")
        total = WALLET_CENTS * len(persons)
        act_id = f"bench-{self.app.name}-{len(persons)}-{self.serial}"
        certificate = collect(self.app.act_message(ISSUE, act_id, self.bank, total))
        self.app.record_act(ISSUE, act_id, self.bank, total, certificate, self.central, "bench")
        for code in persons:
            self.serial += 1
            self.app.pay(Payment(f"fund-{self.serial:08d}", self.bank, code, WALLET_CENTS))
        return list(persons)

    def pay_round(
        self, ring: Sequence[str], count: int, latencies: list[float] | None = None
    ) -> float:
        """``count`` one-cent payments around the ring; return the seconds they took."""
        from registries.money.domain import Payment

        clock = time.perf_counter
        gc.collect()
        start = clock()
        for number in range(count):
            payer = ring[number % len(ring)]
            payee = ring[(number + 1) % len(ring)]
            self.serial += 1
            t0 = clock()
            self.app.pay(Payment(f"bench-{self.serial:08d}", payer, payee, 1))
            if latencies is not None:
                latencies.append(clock() - t0)
        return clock() - start


_persons = itertools.count()


def _population(count: int) -> list[str]:
    """``count`` new living persons in the identity registry."""
    from registries.common.codes import personal_code
    from registries.common.commands import issue
    from registries.identity.application import IdentityRegistry
    from registries.identity.projections import PROJECTIONS

    codes = []
    for _ in range(count):
        number = next(_persons)
        born = date(1940, 1, 1) + timedelta(days=number // 500)
        code = personal_code(born, "MF"[number % 2], number % 500)
        issue(IdentityRegistry, PROJECTIONS, partial(_register_person, code=code, number=number))
        codes.append(code)
    return codes


def _register_person(app: Any, *, code: str, number: int) -> str:
    # Names are letters only: the number spelled with a letter per digit.
    last = "Maksja-" + "".join(chr(ord("a") + int(digit)) for digit in str(number))
    registered: str = app.register_person(code, "Raha", last, "bench")
    return registered


def _register_organisation(app: Any, *, code: str, name: str, kind: str) -> str:
    registered: str = app.register_organisation(code, name, kind, "bench")
    return registered


def _banks() -> tuple[str, str]:
    from registries.common.codes import registry_code
    from registries.common.commands import issue
    from registries.identity.application import IdentityRegistry
    from registries.identity.projections import PROJECTIONS

    bank, central = registry_code(901, kind_digit=7), registry_code(902, kind_digit=7)
    for code, name, kind in (
        (bank, "Bench Pank AS", "bank"),
        (central, "Keskpank", "central_bank"),
    ):
        issue(
            IdentityRegistry,
            PROJECTIONS,
            partial(_register_organisation, code=code, name=name, kind=kind),
        )
    return bank, central


def _applications(data_dir: Path) -> dict[str, Any]:
    from eventsourcing.application import Application

    from bench.throughput import bare_env
    from registries.common.application import running
    from registries.money.application import MoneyRegistry

    class BareMoneyRegistry(MoneyRegistry):
        """The money registry's commands on eventsourcing's stock persistence (no ledger)."""

        name = "baremoney"

        def __init__(self, env: dict[str, str]) -> None:
            # Skip RegistryApplication.__init__, which selects the ledger recorders.
            Application.__init__(self, env=env)

    env = bare_env(data_dir)
    if "SQLITE_DBNAME" in env:
        env["SQLITE_DBNAME"] = str(data_dir / "bare-money.sqlite3")
    return {"ledger": running(MoneyRegistry), "bare": BareMoneyRegistry(env)}


def measure_overhead(sizes: dict[str, Any], data_dir: Path) -> dict[str, Any]:
    """Payments/s, ledger vs bare, in interleaved rounds (A B, B A, ...)."""
    bank, central = _banks()
    persons = _population(sizes["wallets"])
    apps = _applications(data_dir)
    books = {name: _Books(app, bank, central) for name, app in apps.items()}
    for app in apps.values():
        app.open_wallet(bank, bank, "bench")
    rings = {name: book.ring(persons) for name, book in books.items()}
    for name, book in books.items():
        book.pay_round(rings[name], sizes["wallets"])  # warm-up
    rates: dict[str, list[float]] = {name: [] for name in apps}
    latencies: dict[str, list[float]] = {name: [] for name in apps}
    parts = {name: _time_parts(app) for name, app in apps.items()}
    count = sizes["payments_per_round"]
    for number in range(sizes["rounds"]):
        for name in ("ledger", "bare") if number % 2 == 0 else ("bare", "ledger"):
            elapsed = books[name].pay_round(rings[name], count, latencies[name])
            rates[name].append(count / elapsed)
    recorders = {
        name: type(app.recorder).__module__ + "." + type(app.recorder).__qualname__
        for name, app in apps.items()
    }
    # The ledger application is the process's own (its pool serves the rest of the run).
    apps["bare"].close()
    ledger, bare = median(rates["ledger"]), median(rates["bare"])
    return {
        "payments_per_round": count,
        "rounds": sizes["rounds"],
        "wallets": sizes["wallets"],
        "recorders": recorders,
        "ledger_payments_per_s": ledger,
        "bare_payments_per_s": bare,
        "ratio": ledger / bare,
        "round_rates": rates,
        "latency": {name: latency_summary(values) for name, values in latencies.items()},
        "parts_ms": {
            name: {part: median(values) * 1000 for part, values in timed.items()}
            for name, timed in parts.items()
        },
    }


def _time_parts(app: Any) -> dict[str, list[float]]:
    """Time each payment's two parts on this application object from now on: deciding it
    on freshly loaded wallets (``settle_all``: the reads) and saving them (``save``: the
    sealing, the inserts and the commit). Returns the lists the timings go to."""
    timed: dict[str, list[float]] = {"load": [], "save": []}
    clock = time.perf_counter

    def wrap(method: Any, part: str) -> Any:
        def timed_call(*args: Any, **kwargs: Any) -> Any:
            t0 = clock()
            try:
                return method(*args, **kwargs)
            finally:
                timed[part].append(clock() - t0)

        return timed_call

    app.settle_all = wrap(app.settle_all, "load")
    app.save = wrap(app.save, "save")
    return timed


def measure_curve(sizes: dict[str, Any]) -> list[dict[str, Any]]:
    """Payments/s through the ledger with 1, 2, 4 threads, each in a ring of its own."""
    from registries.common.application import running
    from registries.money.application import MoneyRegistry

    app = running(MoneyRegistry)
    bank, central = _bank_code(), _central()
    per_ring = 10
    points = []
    serial = 10_000
    for threads in THREADS:
        rings = []
        for _ in range(threads):
            book = _Books(app, bank, central)
            book.serial = serial
            serial += 1_000_000
            rings.append((book, book.ring(_population(per_ring))))
        share = sizes["curve_payments"] // threads
        errors: list[BaseException] = []
        workers = [
            threading.Thread(target=_pay_in_thread, args=(book, ring, share, errors))
            for book, ring in rings
        ]
        start = time.perf_counter()
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        elapsed = time.perf_counter() - start
        done = share * threads
        points.append(
            {
                "threads": threads,
                "payments": done,
                "payments_per_s": done / elapsed,
                "errors": [repr(error) for error in errors[:3]],
            }
        )
    return points


def measure_snapshots(sizes: dict[str, Any]) -> list[dict[str, Any]]:
    """Loading a busy wallet with snapshots (the product) vs replaying all its events.

    Two wallets pay one cent back and forth until each has the history asked
    for; at each length the payer's wallet is loaded ``LOADS`` times by the
    running application (snapshots every ``WALLET_SNAPSHOT_INTERVAL`` versions)
    and by the same class without snapshotting on the same database,
    alternately; medians per load.
    """
    from registries.common.application import running
    from registries.money.application import MoneyRegistry
    from registries.money.domain import Payment, wallet_id

    class ReplayingMoneyRegistry(MoneyRegistry):
        """The money registry reading every wallet from its first event (no snapshots)."""

        name = "money"  # the same event store
        snapshotting_intervals = {}

    app = running(MoneyRegistry)
    replaying = ReplayingMoneyRegistry()
    bank, central = _bank_code(), _central()
    book = _Books(app, bank, central)
    book.serial = 90_000_000
    payer, payee = book.ring(_population(2))
    ident = wallet_id(payer)
    points = []
    for history in sizes["snapshot_histories"]:
        version: int = app.repository.get(ident).version
        for number in range(max(0, history - version)):
            book.serial += 1
            source, target = (payer, payee) if number % 2 == 0 else (payee, payer)
            app.pay(Payment(f"snap-{book.serial:08d}", source, target, 1))
        times: dict[str, list[float]] = {"snapshots": [], "replay": []}
        for _ in range(LOADS):
            for name, reader in (("snapshots", app), ("replay", replaying)):
                t0 = time.perf_counter()
                reader.repository.get(ident)
                times[name].append(time.perf_counter() - t0)
        snapshot_ms, replay_ms = median(times["snapshots"]) * 1000, median(times["replay"]) * 1000
        points.append(
            {
                "events": app.repository.get(ident).version,
                "load_ms_snapshots": snapshot_ms,
                "load_ms_replay": replay_ms,
                "speedup": replay_ms / snapshot_ms,
            }
        )
    replaying.close()
    return points


LOADS = 30
"""Loads of the busy wallet per history length and reader in the snapshot measurement."""


def _pay_in_thread(book: _Books, ring: list[str], count: int, errors: list[BaseException]) -> None:
    """A writer thread of the curve: its errors are reported with the point, never lost."""
    from django.db import connections

    try:
        book.pay_round(ring, count)
    except BaseException as error:
        errors.append(error)
    finally:
        connections.close_all()


def _central() -> str:
    from registries.identity.models import OrganisationRecord

    code: str = OrganisationRecord.objects.get(kind="central_bank").registry_code
    return code


def measure_finality(sizes: dict[str, Any]) -> dict[str, Any]:
    """Devnet consensus at saturation: one thread pays flat out, another seals."""
    from django.db import connections
    from django.test import override_settings

    from chain.blocks.models import FINAL, WITNESSED, Block, BlockLog
    from chain.blocks.sealing import seal_pending
    from chain.ledger.models import LedgerHead
    from registries.common.application import running
    from registries.money.application import MoneyRegistry

    def final_size() -> int:
        sizes_ = BlockLog.objects.filter(
            registry="money", block__level__in=[FINAL, WITNESSED]
        ).values_list("size", flat=True)
        return max(sizes_, default=0)

    def ledger_size() -> int:
        head = LedgerHead.objects.filter(registry="money").first()
        return head.size if head else 0

    app = running(MoneyRegistry)
    with override_settings(RIIK_CONSENSUS="devnet"):
        seal_pending()
        bank, central = _banks()
        app.open_wallet(bank, bank, "bench")
        book = _Books(app, bank, central)
        ring = book.ring(_population(20))
        seal_pending()
        stop = threading.Event()
        written = [0]
        blocks_before = Block.objects.count()

        def pay() -> None:
            try:
                while not stop.is_set():
                    book.pay_round(ring, 10)
                    written[0] += 10
            finally:
                connections.close_all()

        writer = threading.Thread(target=pay)
        samples: list[tuple[float, int, int]] = []
        seconds = sizes["finality_seconds"]
        started = time.monotonic()
        writer.start()
        try:
            while time.monotonic() < started + seconds:
                # The beat of an embedded server: a block (and the devnet's
                # consensus on it) every SEAL_INTERVAL while the writer saturates.
                time.sleep(SEAL_INTERVAL)
                seal_pending()
                samples.append((time.monotonic(), ledger_size(), final_size()))
        finally:
            stop.set()
            writer.join()
        window = [s for s in samples if s[0] >= started + seconds / 4]
        blocks = Block.objects.count() - blocks_before
    if len(window) < 2:
        return {"error": "too few blocks in the steady window", "blocks": blocks}
    span = window[-1][0] - window[0][0]
    # Two money entries per payment (the payer's and the payee's event).
    write = (window[-1][1] - window[0][1]) / 2 / span
    final = (window[-1][2] - window[0][2]) / 2 / span
    return {
        "seconds": seconds,
        "blocks": blocks,
        "payments_written": written[0],
        "write_payments_per_s": write,
        "final_payments_per_s": final,
        "ratio": final / write if write else 0.0,
        "payments_per_block": written[0] / blocks if blocks else 0.0,
    }


SETTLEMENT_PRICE = 500
"""A purchase's price in the settlement run (cents): many purchases fit in one wallet."""
SETTLEMENT_FEE = 100
"""The title transfer's state fee in the settlement run (cents), charged with the price."""


def _notary() -> tuple[str, Any]:
    """A property notary (appointed with four eyes) with a registered e-ID key."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    from registries.common.commands import issue
    from registries.identity.application import IdentityRegistry
    from registries.identity.projections import PROJECTIONS
    from registries.identity.vocabulary import needs_confirmation

    (code,) = _population(1)
    key = Ed25519PrivateKey.generate()
    raw = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)

    def run(command: Any) -> Any:
        return issue(IdentityRegistry, PROJECTIONS, command)

    run(lambda app: app.appoint_official(code, "property", "notary", None, "bench"))
    if needs_confirmation("property", "notary"):
        run(lambda app: app.confirm_appointment(code, "property", "notary", None, "bench 2"))
    run(lambda app: app.register_key(code, raw, "bench"))
    return code, key


def _sales(count: int, ring: Sequence[str], notary: tuple[str, Any]) -> list[tuple[str, Any]]:
    """``count`` land units, the n-th owned by ``ring[n]`` and endorsed for sale to the next."""
    from django.conf import settings

    from registries.common.application import running
    from registries.common.commands import issue
    from registries.property.application import PropertyRegistry, Transfer
    from registries.property.endorsement import transfer_message
    from registries.property.projections import PROJECTIONS

    notary_code, key = notary
    sales = []
    for number in range(count):
        seller, buyer = ring[number % len(ring)], ring[(number + 1) % len(ring)]
        code = f"78401:{100 + number // 10_000:03d}:{number % 10_000:04d}"
        issue(
            PropertyRegistry,
            PROJECTIONS,
            partial(_register_unit, code=code, owner=seller),
        )
        version = int(running(PropertyRegistry).land_unit(code).version)
        message = transfer_message(
            cadastral_code=code,
            sellers=[seller],
            buyers=[(buyer, "1/1")],
            price_cents=SETTLEMENT_PRICE,
            unit_version=version,
            chain_id=settings.RIIK_CHAIN_ID,
        )
        transfer = Transfer(
            sellers=[seller],
            buyers=[(buyer, "1/1")],
            price_cents=SETTLEMENT_PRICE,
            unit_version=version,
            notary=notary_code,
            signature=key.sign(message),
        )
        sales.append((code, transfer))
    return sales


def _register_unit(app: Any, *, code: str, owner: str) -> str:
    registered: str = app.register_land_unit(
        code, 1_000, "residential", "Lossi plats 1a, 10130 Tallinn", [(owner, "1/1")], "bench"
    )
    return registered


def measure_settlement(sizes: dict[str, Any]) -> dict[str, Any]:
    """DvP settlement latency at saturation (devnet), and the bare payment's, same run.

    Phases alternate (purchases, payments, payments, purchases, ...); in each
    one thread settles flat out while this thread seals a block every
    :data:`SEAL_INTERVAL` and runs the devnet consensus on it. A request is
    *settled* when its command returned (its read models caught up, as the
    e-service answers) and *final* when the block holding its last ledger
    entry is final: the first seal after which the log's final size covers it.
    """
    from django.db import connections
    from django.test import override_settings

    from chain.blocks.models import FINAL, WITNESSED, BlockLog
    from chain.blocks.sealing import seal_pending
    from chain.ledger.models import LedgerHead
    from registries.common.application import running
    from registries.common.codes import registry_code
    from registries.common.commands import issue
    from registries.identity.application import IdentityRegistry
    from registries.identity.projections import PROJECTIONS as IDENTITY
    from registries.money.application import MoneyRegistry
    from registries.money.domain import Payment
    from registries.money.projections import PROJECTIONS as MONEY
    from registries.property.application import PropertyRegistry
    from registries.property.projections import PROJECTIONS as PROPERTY

    def head(registry: str) -> int:
        found = LedgerHead.objects.filter(registry=registry).first()
        return found.size if found else 0

    def final(registry: str) -> int:
        sizes_ = BlockLog.objects.filter(
            registry=registry, block__level__in=[FINAL, WITNESSED]
        ).values_list("size", flat=True)
        return max(sizes_, default=0)

    count = sizes["settlements_per_phase"]
    phases = sizes["settlement_phases"]
    treasury = registry_code(903, kind_digit=7)
    with override_settings(RIIK_CONSENSUS="devnet"):
        seal_pending()
        bank, central = _banks()
        issue(
            IdentityRegistry,
            IDENTITY,
            partial(_register_organisation, code=treasury, name="Riigikassa", kind="state_agency"),
        )
        money = running(MoneyRegistry)
        money.open_wallet(bank, bank, "bench")
        money.open_wallet(treasury, bank, "bench")
        book = _Books(money, bank, central)
        ring = book.ring(_population(40))
        notary = _notary()
        sales = _sales(count * phases, ring, notary)
        seal_pending()
    serial = itertools.count()

    def purchase(index: int) -> str:
        code, transfer = sales[index]
        issue(
            PropertyRegistry,
            PROPERTY,
            lambda app: app.buy(code, transfer, f"dvp-{index:06d}", [], transfer.buyers[0][0]),
        )
        return "property"

    def payment(index: int) -> str:
        payer, payee = ring[index % len(ring)], ring[(index + 1) % len(ring)]
        pid = f"bare-{next(serial):06d}"
        issue(
            MoneyRegistry, MONEY, lambda app: app.pay(Payment(pid, payer, payee, SETTLEMENT_PRICE))
        )
        return "money"

    settled: dict[str, list[float]] = {"dvp": [], "payment": []}
    finalized: dict[str, list[float]] = {"dvp": [], "payment": []}
    rates: dict[str, list[float]] = {"dvp": [], "payment": []}
    next_sale = itertools.count()
    with override_settings(
        RIIK_CONSENSUS="devnet",
        RIIK_CHARGE_STATE_FEES=True,
        RIIK_STATE_FEES_CENTS={"title-transfer": SETTLEMENT_FEE},
        RIIK_STATE_TREASURY=treasury,
    ):
        for number in range(phases):
            kinds = ("dvp", "payment") if number % 2 == 0 else ("payment", "dvp")
            for kind in kinds:
                indices = (
                    [next(next_sale) for _ in range(count)] if kind == "dvp" else list(range(count))
                )
                command = purchase if kind == "dvp" else payment
                # (request time, settled time, log, ledger size after it)
                done: list[tuple[float, float, str, int]] = []
                failures: list[BaseException] = []

                def settle(
                    command: Any = command,
                    indices: list[int] = indices,
                    done: list[tuple[float, float, str, int]] = done,
                    failures: list[BaseException] = failures,
                ) -> None:
                    try:
                        for index in indices:
                            t0 = time.perf_counter()
                            log = command(index)
                            t1 = time.perf_counter()
                            done.append((t0, t1, log, head(log)))
                    except BaseException as error:
                        failures.append(error)
                    finally:
                        connections.close_all()

                writer = threading.Thread(target=settle)
                seals: list[tuple[float, int, int]] = []
                started = time.perf_counter()
                writer.start()
                while writer.is_alive():
                    time.sleep(SEAL_INTERVAL)
                    seal_pending()
                    seals.append((time.perf_counter(), final("property"), final("money")))
                writer.join()
                if failures:
                    raise failures[0]
                rates[kind].append(len(done) / (done[-1][1] - started))
                for _ in range(20):  # the tail: seal until every request is final
                    last = seals[-1] if seals else (0.0, 0, 0)
                    if last[1] >= head("property") and last[2] >= head("money"):
                        break
                    time.sleep(SEAL_INTERVAL)
                    seal_pending()
                    seals.append((time.perf_counter(), final("property"), final("money")))
                for t0, t1, log, size in done:
                    settled[kind].append(t1 - t0)
                    column = 1 if log == "property" else 2
                    when = next((s[0] for s in seals if s[column] >= size), None)
                    if when is not None:
                        finalized[kind].append(when - t0)
    return {
        "seal_interval_s": SEAL_INTERVAL,
        "per_phase": count,
        "phases": phases,
        "price_cents": SETTLEMENT_PRICE,
        "fee_cents": SETTLEMENT_FEE,
        "settled": {kind: latency_summary(values) for kind, values in settled.items()},
        "finalized": {kind: latency_summary(values) for kind, values in finalized.items()},
        "per_s": {kind: median(values) for kind, values in rates.items()},
        "unfinalized": {kind: len(settled[kind]) - len(finalized[kind]) for kind in settled},
    }


def _bank_code() -> str:
    from registries.identity.models import OrganisationRecord

    code: str = OrganisationRecord.objects.get(kind="bank").registry_code
    return code


def child(mode: str, data_dir: Path, database_url: str | None, quick: bool) -> dict[str, Any]:
    """The measurements of one backend (``sqlite``, ``postgres``), or the devnet's
    finality on a fresh SQLite chain of its own (``finality``)."""
    _setup(data_dir, database_url)
    from bench.run_backend import _database_version
    from registries.common.application import stop_all

    sizes = _sizes(quick)
    result: dict[str, Any] = {"backend": mode, "database": _database_version()}
    started = time.perf_counter()
    if mode == "finality":
        result["finality"] = measure_finality(sizes)
    elif mode.startswith("dvp-"):
        result["settlement"] = measure_settlement(sizes)
    else:
        result["overhead"] = measure_overhead(sizes, data_dir)
        result["curve"] = measure_curve(sizes)
        result["snapshots"] = measure_snapshots(sizes)
    result["seconds"] = time.perf_counter() - started
    stop_all()
    return result


# -- the parent: children, figures, plot ----------------------------------------------------------


def _scratch(url: str, create: bool) -> str:
    """Make (or drop) the scratch database on the server of ``url``; return its URL.

    Its name is ``RIIK_BENCH_SCRATCH_DB`` (default ``riik_bench_money``), so a
    shared server's user can keep to a database of their own.
    """
    import psycopg

    scratch = os.environ.get("RIIK_BENCH_SCRATCH_DB", SCRATCH)
    if not scratch.isidentifier():
        raise ValueError(f"RIIK_BENCH_SCRATCH_DB: {scratch!r} is not a plain database name")
    parts = urlsplit(url)
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {scratch} WITH (FORCE)")
        if create:
            connection.execute(f"CREATE DATABASE {scratch}")
    return urlunsplit(parts._replace(path=f"/{scratch}"))


def _run_child(backend: str, args: argparse.Namespace, url: str | None) -> dict[str, Any] | None:
    out = args.data_dir / f"{backend}.json"
    command = [
        sys.executable, "-m", "bench.money", "--only", backend,
        "--data-dir", str(args.data_dir / backend), "--child-out", str(out),
    ]  # fmt: skip
    if url:
        command += ["--database-url", url]
    if args.quick:
        command.append("--quick")
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "RIIK_DATA_DIR")}
    done = subprocess.run(command, cwd=ROOT, env=env, check=False)
    if done.returncode != 0:
        print(f"{backend}: measurement process failed (exit {done.returncode})", file=sys.stderr)
        return None
    result: dict[str, Any] = json.loads(out.read_text())
    return result


def money_figures(measured: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """``results.json`` figures of the measured backends, with their goals judged."""
    figures: list[dict[str, Any]] = []
    for backend, data in measured.items():
        overhead = data["overhead"]
        figures.append(
            {
                "id": "money_payments_ratio",
                "figure": 9,
                "backend": backend,
                "title": "Payments/s through the ledger vs bare eventsourcing",
                "goal": f">= {RATIO_GOAL}",
                "pass": overhead["ratio"] >= RATIO_GOAL,
                "ratio": overhead["ratio"],
                "ratio_of": "ledger payments/s / bare eventsourcing payments/s, same run",
                "value": {
                    "ledger_payments_per_s": overhead["ledger_payments_per_s"],
                    "bare_payments_per_s": overhead["bare_payments_per_s"],
                },
                "details": {k: v for k, v in overhead.items() if k not in ("ratio",)},
            }
        )
        figures.append(
            {
                "id": "money_payments_curve",
                "figure": 9,
                "backend": backend,
                "title": "Payments/s through the ledger by writer threads (disjoint wallets)",
                "goal": None,
                "pass": None,
                "value": data["curve"],
            }
        )
        figures.append(
            {
                "id": "money_wallet_snapshots",
                "figure": 9,
                "backend": backend,
                "title": "Loading a busy wallet: snapshots vs replaying every event",
                "goal": None,
                "pass": None,
                "ratio_of": "load ms replaying all events / load ms from the latest snapshot",
                "value": data["snapshots"],
            }
        )
        settlement = data["settlement"]
        dvp, bare = settlement["finalized"]["dvp"], settlement["finalized"]["payment"]
        figures.append(
            {
                "id": "money_dvp_settlement",
                "figure": 9,
                "backend": f"{backend} devnet",
                "title": "Delivery-versus-payment settlement latency at saturation",
                "goal": None,
                "pass": None,
                "value": {
                    "settled_p50_ms": settlement["settled"]["dvp"]["p50_ms"],
                    "settled_p99_ms": settlement["settled"]["dvp"]["p99_ms"],
                    "finalized_p50_ms": dvp["p50_ms"],
                    "finalized_p99_ms": dvp["p99_ms"],
                    "baseline_payment_settled_p50_ms": settlement["settled"]["payment"]["p50_ms"],
                    "baseline_payment_settled_p99_ms": settlement["settled"]["payment"]["p99_ms"],
                    "baseline_payment_finalized_p50_ms": bare["p50_ms"],
                    "baseline_payment_finalized_p99_ms": bare["p99_ms"],
                },
                "ratio": settlement["settled"]["dvp"]["p50_ms"]
                / settlement["settled"]["payment"]["p50_ms"],
                "ratio_of": "DvP settled p50 / bare payment settled p50, same run",
                "details": settlement,
            }
        )
        finality = data.get("finality")
        if finality is not None and "ratio" in finality:
            figures.append(
                {
                    "id": "money_finality_rate",
                    "figure": 9,
                    "backend": f"{backend} devnet",
                    "title": "Finalized payments/s vs written payments/s at saturation (devnet)",
                    "goal": None,
                    "pass": None,
                    "ratio": finality["ratio"],
                    "ratio_of": "finalized payments/s / written payments/s, same run",
                    "value": finality,
                }
            )
    return figures


def plot(directory: Path, measured: dict[str, dict[str, Any]]) -> Path:
    """Payments/s per backend (ledger, bare, finalized) and the threads curve, as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    directory.mkdir(parents=True, exist_ok=True)
    fig, (bars, curve) = plt.subplots(1, 2, figsize=(10, 3.8))
    backends = list(measured)
    for offset, (key, label) in (
        (-0.2, ("ledger_payments_per_s", "ledger")),
        (0.2, ("bare_payments_per_s", "bare eventsourcing")),
    ):
        bars.bar(
            [i + offset for i in range(len(backends))],
            [measured[b]["overhead"][key] for b in backends],
            width=0.4,
            label=label,
        )
    for index, backend in enumerate(backends):
        finality = measured[backend].get("finality") or {}
        if "final_payments_per_s" in finality:
            bars.plot(
                [index], [finality["final_payments_per_s"]], "k*", markersize=10,
                label="finalized (devnet, saturated)",
            )  # fmt: skip
    bars.set_xticks(range(len(backends)), backends)
    bars.set_ylabel("payments/s")
    bars.set_title("One writer: ledger vs bare, and finality")
    bars.legend(fontsize="small")
    for backend in backends:
        points = measured[backend]["curve"]
        curve.plot(
            [p["threads"] for p in points],
            [p["payments_per_s"] for p in points],
            marker="o",
            label=backend,
        )
    curve.set_xticks(list(THREADS))
    curve.set_xlabel("writer threads, each on its own wallets")
    curve.set_ylabel("payments/s (one ledger log)")
    curve.set_title("Scaling on this machine")
    curve.legend()
    fig.tight_layout()
    path = directory / "money_payments.png"
    fig.savefig(path, dpi=100)
    plt.close(fig)
    plot_settlement(directory, measured)
    return path


def plot_settlement(directory: Path, measured: dict[str, dict[str, Any]]) -> Path:
    """DvP vs bare payment latency (p50 bars, p99 ticks), settled and finalized, as a PNG."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), sharey=False)
    backends = list(measured)
    for axis, state in zip(axes, ("settled", "finalized"), strict=True):
        for offset, (kind, label) in (
            (-0.2, ("dvp", "purchase (DvP)")),
            (0.2, ("payment", "bare payment")),
        ):
            xs = [i + offset for i in range(len(backends))]
            p50 = [measured[b]["settlement"][state][kind]["p50_ms"] for b in backends]
            p99 = [measured[b]["settlement"][state][kind]["p99_ms"] for b in backends]
            axis.bar(xs, p50, width=0.4, label=f"{label} p50")
            axis.plot(xs, p99, "k_", markersize=18, label="p99 (ticks)" if offset < 0 else None)
        axis.set_xticks(range(len(backends)), backends)
        axis.set_ylabel("ms from the request")
        axis.set_title(
            f"to {state}"
            + (f" (a block every {SEAL_INTERVAL} s, devnet)" if state == "finalized" else "")
        )
        axis.legend(fontsize="small")
    fig.tight_layout()
    path = directory / "money_settlement.png"
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def main(argv: Sequence[str] | None = None) -> int:
    """Measure each backend in a child process and merge the figures into the results."""
    args = _parser().parse_args(argv)
    args.data_dir = args.data_dir.resolve()
    if args.only:
        result = child(args.only, args.data_dir, args.database_url, args.quick)
        args.child_out.write_text(json.dumps(result))
        return 0
    shutil.rmtree(args.data_dir, ignore_errors=True)
    args.data_dir.mkdir(parents=True)
    backends: list[tuple[str, str | None]] = [("sqlite", None)]
    server = os.environ.get("DATABASE_URL", "")
    if server.startswith("postgres"):
        backends.append(("postgres", server))
    else:
        print("postgres skipped: DATABASE_URL does not name a PostgreSQL server", file=sys.stderr)
    measured: dict[str, dict[str, Any]] = {}
    for backend, url in backends:
        scratch = _scratch(url, create=True) if url else None
        try:
            outcome = _run_child(backend, args, scratch)
        finally:
            if url:
                _scratch(url, create=False)
        # The settlement run on a fresh chain of its own (devnet from genesis).
        scratch = _scratch(url, create=True) if url else None
        try:
            settlement = _run_child(f"dvp-{backend}", args, scratch)
        finally:
            if url:
                _scratch(url, create=False)
        if outcome is not None and settlement is not None:
            measured[backend] = {**outcome, "settlement": settlement["settlement"]}
    devnet = _run_child("finality", args, None)
    if devnet is not None and "sqlite" in measured:
        measured["sqlite"]["finality"] = devnet["finality"]
    from bench.machine import machine_info
    from bench.report import merge_results

    machine = machine_info()
    if "postgres" in measured:
        machine["postgresql"] = measured["postgres"]["database"]
    merge_results(
        args.out,
        money_figures(measured),
        plan={"money": {"quick": args.quick, **_sizes(args.quick)}},
        money_machine=machine,
        databases={f"money {name}": data["database"] for name, data in measured.items()},
    )
    if measured:
        plot(args.plots_dir, measured)
    print(json.dumps(rounded(measured), indent=2, sort_keys=True))
    return 0 if len(measured) == len(backends) and devnet is not None else 1


if __name__ == "__main__":
    sys.exit(main())
