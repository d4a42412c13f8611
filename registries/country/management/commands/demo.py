"""``manage.py demo``: seed a synthetic country and seal its blocks.

    python manage.py demo [--persons 100] [--companies 200] [--units 100] [--cases 30]
                          [--wallets 30] [--seed 42] [--if-empty]
    python manage.py demo --country estonia [--scale 0.01]

Every record is written through the registries' commands, so the demo data is
on the ledger exactly as real data would be. Each registry brings its own
seeder (``registries.<registry>.demo``); identity goes first, because the
others need its people, organisations and officials, and money goes second,
because registering companies, annual reports and title transfers charge
state fees from wallets it opens. Afterwards the read
models are caught up, every official's e-ID key file is printed (they sign in
to the admin with it, as with an ID card), then patients who are no officials,
each API token on a line of its own (:mod:`registries.country.console`); the
guides' cast is written to ``RIIK_DATA_DIR/demo.env``. Each registry's
seeding is sealed into a block of its own, and the rest into the last ones.

``--country estonia`` seeds a country of Estonia's size (:data:`COUNTRIES`)
times ``--scale``, in place of the counts; the time each registry took and
the commands per second are printed at the end, for extrapolating to scale 1
(bench/README.md, "The national seed").
"""

from __future__ import annotations

import random
import secrets
import sys
import time
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from chain.blocks.models import Block
from chain.blocks.sealing import finalize_all, seal_pending
from chain.ledger.models import LedgerEntry
from registries.business.demo import seed_companies
from registries.common.projections import catch_up_all
from registries.country.console import (
    cast,
    official_logins,
    patient_logins,
    print_logins,
    write_cast,
)
from registries.court.demo import seed_court
from registries.health.demo import seed_health
from registries.identity.demo import MIN_PERSONS, seed_identity
from registries.identity.models import PersonRecord
from registries.money.demo import seed_money
from registries.property.demo import seed_property

MAX_BLOCKS = 100_000

# The registries' sizes at scale 1: Estonia's population, business register,
# land register and court cases a year, and a year of health records (one
# visit, with its prescriptions, for most people).
COUNTRIES: dict[str, dict[str, int]] = {
    "estonia": {
        "persons": 1_300_000,
        "companies": 350_000,
        "units": 700_000,
        "cases": 100_000,
        "patients": 1_000_000,
        "wallets": 100_000,
    }
}


def _seal_stage() -> None:
    """Catch up the read models and seal what one stage wrote into a block of its own,
    so that the demo's chain has a history to page through and export in ranges."""
    catch_up_all()
    finalize_all()
    seal_pending()


class Command(BaseCommand):
    help = "Seed a synthetic country through the registries' commands and seal its blocks."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--persons", type=int, default=100, help="people in the identity registry"
        )
        parser.add_argument("--companies", type=int, default=200, help="companies to register")
        parser.add_argument("--units", type=int, default=100, help="land units to register")
        parser.add_argument("--cases", type=int, default=30, help="court cases to open")
        parser.add_argument("--patients", type=int, default=30, help="people with health records")
        parser.add_argument("--wallets", type=int, default=30, help="funded personal wallets")
        parser.add_argument("--seed", type=int, default=None, help="random seed (reproducible)")
        parser.add_argument(
            "--country",
            choices=sorted(COUNTRIES),
            default=None,
            help="seed a country of this size (times --scale) instead of the counts above",
        )
        parser.add_argument(
            "--scale", type=float, default=1.0, help="fraction of --country's size to seed"
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="do nothing if the registries already hold people",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["country"] is not None:
            if not 0 < options["scale"] <= 1:
                raise CommandError("--scale must be more than 0 and at most 1")
            for name, size in COUNTRIES[options["country"]].items():
                options[name] = max(1, round(size * options["scale"]))
        persons: int = options["persons"]
        companies: int = options["companies"]
        units: int = options["units"]
        cases: int = options["cases"]
        if min(persons, companies, units, cases) < 0:
            raise CommandError("--persons, --companies, --units and --cases must not be negative")
        catch_up_all()
        if options["if_empty"] and PersonRecord.objects.exists():
            self.stdout.write("The registries already hold data; nothing seeded (--if-empty).")
            return
        seed = options["seed"] if options["seed"] is not None else secrets.randbelow(2**31)
        rng = random.Random(seed)
        console = Console(file=getattr(self.stdout, "_out", sys.stdout), highlight=False)
        console.print(f"Seeding a synthetic country (seed {seed})")
        entries_before, started = LedgerEntry.objects.count(), time.monotonic()
        # What each registry's seeding took: (records, seconds), printed at the end.
        timings: dict[str, tuple[int, float]] = {}
        with Progress(
            SpinnerColumn(),
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=console,
        ) as progress:
            people = progress.add_task("identity: people", total=max(persons, MIN_PERSONS))
            clock = time.monotonic()
            identity = seed_identity(rng, lambda n: progress.advance(people, n), persons)
            timings["persons"] = (len(identity.people), time.monotonic() - clock)
            _seal_stage()
            # Money before the registrations that charge state fees: the payers'
            # wallets are opened and funded as they come (MoneySeed.ready_to_pay).
            money = progress.add_task("money: wallets", total=max(options["wallets"], 0))
            money_seed = seed_money(
                rng, lambda n: progress.advance(money, n), max(options["wallets"], 0), identity
            )
            firms = progress.add_task("business: companies", total=companies)
            clock = time.monotonic()
            company_codes = seed_companies(
                companies, rng, lambda n: progress.advance(firms, n), money_seed.ready_to_pay
            )
            timings["companies"] = (len(company_codes), time.monotonic() - clock)
            land = progress.add_task("property: land units", total=units)
            clock = time.monotonic()
            land_register = seed_property(
                rng, lambda n: progress.advance(land, n), units, identity, money_seed.ready_to_pay
            )
            timings["land units"] = (len(land_register.units), time.monotonic() - clock)
            _seal_stage()
            court = progress.add_task("court: cases", total=cases)
            seed_court(
                rng,
                lambda n: progress.advance(court, n),
                cases,
                identity,
                company_codes,
                land_register.units,
            )
            _seal_stage()
            health = progress.add_task("health: patients", total=options["patients"])
            patients = seed_health(
                rng, lambda n: progress.advance(health, n), max(options["patients"], 0), identity
            )
            _seal_stage()
            projections = progress.add_task("read models", total=None)
            applied = catch_up_all()
            progress.update(
                projections, total=1, completed=1, description=f"read models: {applied} events"
            )
        self._report_rate(console, LedgerEntry.objects.count() - entries_before, started, options)
        for what, (count, seconds) in timings.items():
            rate = count / seconds if seconds > 0 else 0.0
            console.print(f"Seeded {count} {what} in {seconds:.1f} s ({rate:.1f} {what}/s)")
        officials = official_logins(identity)
        print_logins(console, officials, patient_logins(identity, patients))
        for organisation, code in identity.representatives:
            console.print(f"{code} signs in for organisation {organisation} (its representative)")
        console.print(f"Private keys of the officials and key holders: {identity.keys_dir}")
        cast_file = write_cast(cast(identity, officials))
        console.print(f"The guides' examples use these people and places: . {cast_file}")
        self._seal(console)

    def _seal(self, console: Console) -> None:
        """Seal the pending ledger entries into blocks, each taken to its target level."""
        sealed = 0
        with console.status("Sealing blocks..."):
            # finalize_all: a stepwise devnet raises a block one level per call.
            while sealed < MAX_BLOCKS:
                finalize_all()
                if seal_pending() is None:
                    break
                sealed += 1
            finalize_all()
        height = Block.objects.order_by("-height").values_list("height", flat=True).first()
        console.print(f"Sealed {sealed} more block(s); the chain's newest block is {height}.")

    def _report_rate(
        self, console: Console, entries: int, started: float, options: dict[str, Any]
    ) -> None:
        """How fast the ledger grew, and what that means for the whole country."""
        seconds = time.monotonic() - started
        rate = entries / seconds if seconds > 0 else 0.0
        console.print(f"Seeded {entries} ledger entries in {seconds:.1f} s ({rate:.1f} entries/s)")
        if options["country"] is not None and rate > 0:
            # The rate measured here, assumed constant: the indexes grow (log n), so
            # scale 1 is rather slower than this line says.
            hours = entries / options["scale"] / rate / 3600
            console.print(f"At scale 1 ({options['country']}): about {hours:.1f} hours")
