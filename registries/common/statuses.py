"""Where a page of records stands on the chain, read in one query for the whole page.

A list page (API or admin) shows each record's block and level. Asked row by
row that is one query per record, so a page of 100 costs 100 queries;
:func:`attach_ledger_statuses` reads the statuses of the page's records at
once and leaves each on its record, where :func:`record_ledger_status` finds it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from chain.blocks.status import LedgerStatus, ledger_status, ledger_statuses

_CACHED = "_ledger_status"


def attach_ledger_statuses(records: Iterable[Any]) -> None:
    """Read where each of ``records`` stands, one query per registry, and keep it on the record."""
    wanted: dict[str, list[Any]] = defaultdict(list)
    for record in records:
        if (
            getattr(record, "ledger_seq", None) is not None
            and getattr(record, _CACHED, None) is None
        ):
            wanted[record.ledger_registry].append(record)
    for registry, linked in wanted.items():
        statuses = ledger_statuses(registry, {record.ledger_seq for record in linked})
        for record in linked:
            if record.ledger_seq in statuses:
                setattr(record, _CACHED, statuses[record.ledger_seq])


def record_ledger_status(record: Any) -> LedgerStatus:
    """Where ``record``'s latest event stands: as attached for its page, else read now."""
    cached: LedgerStatus | None = getattr(record, _CACHED, None)
    if cached is None:
        cached = ledger_status(record.ledger_registry, record.ledger_seq)
        setattr(record, _CACHED, cached)
    return cached


class PageStatusesMixin:
    """A DRF list view whose page's ledger statuses are read in one query."""

    def paginate_queryset(self, queryset: Any) -> list[Any] | None:
        """The page, with each record's ledger status attached."""
        page: list[Any] | None = super().paginate_queryset(queryset)  # type: ignore[misc]
        if page is not None:
            attach_ledger_statuses(page)
        return page
