"""Every log's head and size, each read from the log's own database (ADR 0069)."""

from __future__ import annotations

from django.conf import settings

from chain.ledger.databases import by_database
from chain.ledger.models import LedgerEntry, LedgerHead


def ledger_heads() -> list[LedgerHead]:
    """The head of every log, each read from its log's database."""
    found: list[LedgerHead] = []
    for alias, registries in by_database(settings.RIIK_REGISTRIES).items():
        found.extend(LedgerHead.objects.using(alias).filter(registry__in=registries))
    return found


def entry_count() -> int:
    """How many entries every log holds together, counted in each log's database."""
    return sum(
        LedgerEntry.objects.using(alias).filter(registry__in=registries).count()
        for alias, registries in by_database(settings.RIIK_REGISTRIES).items()
    )
