"""Whose money a ledger entry of the money registry is about (for ``/me`` receipts).

A wallet's entries are its holder's (a person: a company's or bank's wallet
has no personal subject); the supply's entries are no one's.
"""

from __future__ import annotations

from chain.api.hooks import register_subjects
from chain.verify import EntryRow
from registries.common.codes import PERSON
from registries.money.models import WalletRecord


def money_subjects(row: EntryRow) -> list[str]:
    """The person holding the wallet whose event the entry is."""
    return list(
        WalletRecord.objects.filter(aggregate_id=row.originator_id, holder_kind=PERSON).values_list(
            "holder", flat=True
        )
    )


def connect() -> None:
    """Plug the money registry's subjects into the chain API."""
    register_subjects("money", money_subjects)
