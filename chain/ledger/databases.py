"""Which database holds each registry log (placed by ``config.databases``, ADR 0069).

A log, its event table and its registry's read models share one database;
the chain's own log and the blocks are in the default one. Everything here
reads ``settings.RIIK_LOG_DATABASES``: an unplaced registry (a test's, a
bench's) is in the default database.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings

DEFAULT = "default"


def log_database(registry: str) -> str:
    """The alias of the database that holds ``registry``'s log."""
    placement: dict[str, str] = settings.RIIK_LOG_DATABASES
    return placement.get(registry, DEFAULT)


def by_database(registries: Iterable[str]) -> dict[str, list[str]]:
    """``registries`` grouped by the database that holds their logs (default first)."""
    grouped: dict[str, list[str]] = {DEFAULT: []}
    for registry in registries:
        grouped.setdefault(log_database(registry), []).append(registry)
    return {alias: names for alias, names in grouped.items() if names}


def log_databases() -> list[str]:
    """Every database that holds a log: the default one first."""
    return list(by_database(settings.RIIK_REGISTRIES))


def is_split() -> bool:
    """True when some log lives outside the default database."""
    return log_databases() != [DEFAULT]
