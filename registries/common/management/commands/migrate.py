"""``manage.py migrate`` that migrates every configured database.

With registries in databases of their own (``DATABASE_URL_<REGISTRY>``,
ADR 0069) one ``migrate`` brings all of them up to date: the default database
first (the chain's blocks, users, tokens), then each registry database, where
the router (``config.databases``) lets only that registry's tables, the
ledger tables and the tracking positions in. ``--database`` still migrates one.
Everything else is Django's command.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import CommandParser
from django.core.management.commands import migrate
from django.db import DEFAULT_DB_ALIAS


class Command(migrate.Command):
    """Django's migrate, run for every database unless ``--database`` names one."""

    def add_arguments(self, parser: CommandParser) -> None:
        """Django's arguments; ``--database`` defaults to every database."""
        super().add_arguments(parser)
        parser.set_defaults(database=None)

    def execute(self, *args: Any, **options: Any) -> str | None:
        """Migrate the named database, or the default one and then every other
        (each with its own system checks, as Django's command runs them)."""
        if options.get("database") is not None:
            return super().execute(*args, **options)
        aliases = [DEFAULT_DB_ALIAS, *(a for a in settings.DATABASES if a != DEFAULT_DB_ALIAS)]
        for alias in aliases:
            if len(aliases) > 1 and options.get("verbosity", 1) >= 1:
                self.stdout.write(self.style.MIGRATE_HEADING(f"Database {alias}:"))
            super().execute(*args, **{**options, "database": alias})
        return None
