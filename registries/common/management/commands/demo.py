"""``manage.py demo``: seed a synthetic country and seal its blocks.

    python manage.py demo --companies 200 [--seed 42] [--if-empty]

Every record is written through the registries' commands, so the demo data is
on the ledger exactly as real data would be. Afterwards the read models are
caught up, a ``registrar`` official (staff, ``business.act_as_registrar``) is
made ready for the admin and the API, and the pending ledger entries are
sealed into blocks. Each registry brings its own seeder
(``registries.<registry>.demo``).
"""

from __future__ import annotations

import os
import random
import secrets
import sys
from argparse import ArgumentParser
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.management.base import BaseCommand, CommandError
from rest_framework.authtoken.models import Token
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

from registries.business.demo import seed_companies
from registries.business.models import CompanyRecord
from registries.common.projections import catch_up_all

REGISTRAR = "registrar"
# (app label, codename) of what the demo registrar may do and see.
REGISTRAR_PERMISSIONS = [("business", "act_as_registrar"), ("business", "view_companyrecord")]
MAX_BLOCKS = 100_000


class Command(BaseCommand):
    help = "Seed a synthetic country (companies, ...) through the registries' commands."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--companies", type=int, default=200, help="how many companies to register"
        )
        parser.add_argument("--seed", type=int, default=None, help="random seed (reproducible)")
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="do nothing if the business registry already has companies",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        count: int = options["companies"]
        if count < 0:
            raise CommandError("--companies must not be negative")
        catch_up_all()
        if options["if_empty"] and CompanyRecord.objects.exists():
            self.stdout.write("The registries already hold data; nothing seeded (--if-empty).")
            return
        seed = options["seed"] if options["seed"] is not None else secrets.randbelow(2**31)
        rng = random.Random(seed)
        console = Console(file=getattr(self.stdout, "_out", sys.stdout), highlight=False)
        console.print(f"Seeding a synthetic country (seed {seed})")
        with Progress(
            SpinnerColumn(),
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=console,
        ) as progress:
            task = progress.add_task("business: companies", total=count)
            seed_companies(count, rng, lambda n: progress.advance(task, n))
            projections = progress.add_task("read models", total=None)
            applied = catch_up_all()
            progress.update(
                projections,
                total=1,
                completed=1,
                description=f"read models: {applied} events applied",
            )
        self._registrar(console)
        self._seal(console)

    def _registrar(self, console: Console) -> None:
        """The demo official: staff, registrar permission, password and API token."""
        user_model = get_user_model()
        user, created = user_model.objects.get_or_create(
            username=REGISTRAR, defaults={"is_staff": True}
        )
        if not user.is_staff:
            user.is_staff = True
            user.save(update_fields=["is_staff"])
        for app_label, codename in REGISTRAR_PERMISSIONS:
            user.user_permissions.add(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )
        password = os.environ.get("RIIK_DEMO_PASSWORD", "")
        if password:
            user.set_password(password)
            user.save(update_fields=["password"])
            console.print(f"User [bold]{REGISTRAR}[/]: password from RIIK_DEMO_PASSWORD")
        elif created or not user.has_usable_password():
            password = secrets.token_urlsafe(12)
            user.set_password(password)
            user.save(update_fields=["password"])
            console.print(
                f"User [bold]{REGISTRAR}[/]: password [bold]{password}[/] (shown only now)"
            )
        else:
            console.print(f"User [bold]{REGISTRAR}[/]: exists, password unchanged")
        token, _ = Token.objects.get_or_create(user=user)
        console.print(f"API token of {REGISTRAR}: [bold]{token.key}[/]")

    def _seal(self, console: Console) -> None:
        """Seal the pending ledger entries into blocks, if the sealer is installed."""
        try:
            from chain.blocks.sealing import seal_pending
        except ModuleNotFoundError as error:
            if error.name != "chain.blocks.sealing":
                raise
            console.print("Block sealing is not available yet; ledger entries stay pending.")
            return
        sealed = 0
        with console.status("Sealing blocks..."):
            while sealed < MAX_BLOCKS and seal_pending() is not None:
                sealed += 1
        console.print(f"Sealed {sealed} block(s).")
