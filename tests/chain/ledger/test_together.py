"""Several registries' events and ledger entries in one transaction (chain.ledger.together)."""

from __future__ import annotations

from pathlib import Path

import pytest
from eventsourcing.persistence import IntegrityError

from chain.ledger.models import LedgerEntry
from chain.ledger.together import SeparateDatabases
from registries.common.application import RegistryApplication, running, save_together
from registries.money.application import MoneyRegistry
from registries.money.domain import Wallet, wallet_id
from registries.property.application import PropertyRegistry
from registries.property.domain import LandUnit
from tests.registries.money import helpers as money
from tests.registries.property import helpers as land

pytestmark = pytest.mark.usefixtures("event_store")


def a_new_unit(owner: str) -> LandUnit:
    return LandUnit.register(
        cadastral_code=land.cadastral_code(),
        area_m2=100,
        purpose="residential",
        address="Lai 1, Tallinn",
        owners=[(owner, "1/1")],
        actor="registrar",
    )


def counts() -> tuple[int, int]:
    return (
        LedgerEntry.objects.filter(registry="property").count(),
        LedgerEntry.objects.filter(registry="money").count(),
    )


def test_a_version_race_on_one_registry_writes_nothing_in_either() -> None:
    pank = money.bank()
    holder = money.wallet(land.owner(), pank)
    stale = running(MoneyRegistry).find(Wallet, wallet_id(holder))
    assert stale is not None
    # Another command saves the wallet first.
    money.run(lambda app: app.set_linked_bank(holder, pank, money.bank("Teine Pank AS"), "b"))
    stale.set_linked_bank(money.bank("Kolmas Pank AS"), "banker")  # on the old version
    assert stale.pending_events
    unit = a_new_unit(holder)
    before = counts()
    with pytest.raises(IntegrityError):
        save_together((running(PropertyRegistry), [unit]), (running(MoneyRegistry), [stale]))
    assert counts() == before
    assert unit.id not in running(PropertyRegistry).repository


def test_both_registries_commit_with_one_recorded_at() -> None:
    owner = land.owner()
    money.wallet(owner, money.bank())
    wallet = running(MoneyRegistry).find(Wallet, wallet_id(owner))
    assert wallet is not None
    wallet.set_linked_bank(money.bank("Neljas Pank AS"), "banker")
    save_together(
        (running(PropertyRegistry), [a_new_unit(owner)]), (running(MoneyRegistry), [wallet])
    )
    last = {
        registry: LedgerEntry.objects.filter(registry=registry).order_by("-seq")[0].recorded_at
        for registry in ("property", "money")
    }
    assert last["property"] == last["money"]


def test_registries_in_different_databases_are_refused(tmp_path: Path) -> None:
    class Elsewhere(RegistryApplication):
        name = "property"

    elsewhere = Elsewhere(
        env={
            "PERSISTENCE_MODULE": "chain.ledger.sqlite:LedgerSQLiteFactory",
            "SQLITE_DBNAME": str(tmp_path / "elsewhere.sqlite3"),
        },
        create_tables=True,
    )
    owner = land.owner()
    money.wallet(owner, money.bank())
    wallet = running(MoneyRegistry).find(Wallet, wallet_id(owner))
    assert wallet is not None
    wallet.set_linked_bank(money.bank("Viies Pank AS"), "banker")
    before = counts()
    try:
        with pytest.raises(SeparateDatabases):
            save_together((elsewhere, [a_new_unit(owner)]), (running(MoneyRegistry), [wallet]))
    finally:
        elsewhere.close()
    assert counts() == before
