"""Batched commands: many aggregates decided item by item, saved in ONE transaction.

A batch is one recorder transaction and one ledger append: its entries are
contiguous, share one ``recorded_at`` and verify; one refused item refuses the
whole batch, names the item, and writes nothing at all.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import override_settings

from chain.blocks.sealing import seal_pending
from chain.ledger.models import LedgerEntry
from registries.business.application import BusinessRegistry, Registration
from registries.business.projections import PROJECTIONS as BUSINESS
from registries.common.application import MAX_BATCH, ItemRefused, running
from registries.common.commands import issue
from registries.common.errors import Conflict, InvalidCommand, UnknownParty
from registries.identity.application import IdentityRegistry, NewPerson
from registries.money.domain import InsufficientFunds
from registries.property.application import NewLandUnit, PropertyRegistry
from tests.registries.identity import helpers as identity
from tests.registries.money.helpers import balance, bank, central_bank, treasury, wallet
from tests.registries.property import helpers as land

pytestmark = pytest.mark.usefixtures("event_store")

TODAY = date(2025, 6, 1)


def registration(name: str, founder: str, **changes: object) -> Registration:
    fields: dict[str, object] = {
        "name": name,
        "legal_form": "OÜ",
        "share_capital_cents": 250_000,
        "founders": [founder],
        "board": [founder],
        "address": "Narva mnt 7, 10117 Tallinn",
    }
    fields.update(changes)
    return Registration(**fields)  # type: ignore[arg-type]


def ledger(registry: str) -> list[LedgerEntry]:
    return list(LedgerEntry.objects.filter(registry=registry).order_by("seq"))


def events(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {table}")  # a fixed table name
        return int(cursor.fetchone()[0])


def business() -> BusinessRegistry:
    return running(BusinessRegistry)


def test_a_batch_of_companies_is_one_contiguous_ledger_append_that_verifies() -> None:
    founder = identity.person()
    before = ledger("business")
    codes = issue(
        BusinessRegistry,
        BUSINESS,
        lambda app: app.register_companies(
            [registration(f"Partii {n} OÜ", founder) for n in range(5)], "registrar", TODAY
        ),
    )
    assert len(codes) == len(set(codes)) == 5
    assert [business().company(code).name for code in codes] == [f"Partii {n} OÜ" for n in range(5)]
    added = ledger("business")[len(before) :]
    # Five companies and five name claims: ten entries, gapless, one transaction.
    start = before[-1].seq + 1 if before else 1
    assert [entry.seq for entry in added] == list(range(start, start + 10))
    assert len({entry.recorded_at for entry in added}) == 1
    assert seal_pending() is not None
    call_command("chain", "verify", "--no-progress")


def test_one_refused_item_refuses_the_batch_names_it_and_writes_nothing() -> None:
    founder = identity.person()
    stranger = identity.new_code(date(1991, 1, 1), "F")  # never registered
    entries, stored = LedgerEntry.objects.count(), events("business_events")
    batch = [
        registration("Esimene OÜ", founder),
        registration("Teine OÜ", founder),
        registration("Kolmas OÜ", stranger),
        registration("Neljas OÜ", founder),
    ]
    with pytest.raises(ItemRefused) as refused:
        business().register_companies(batch, "registrar", TODAY)
    assert refused.value.item == "companies.2"
    assert isinstance(refused.value.refusal, UnknownParty)
    assert str(refused.value).startswith("companies.2: founders: ")
    assert stranger in str(refused.value)
    assert refused.value.status == 400
    assert (LedgerEntry.objects.count(), events("business_events")) == (entries, stored)


def test_two_items_on_one_record_refuse_the_later_one_as_a_conflict() -> None:
    founder = identity.person()
    batch = [registration("Sama Nimi OÜ", founder), registration("Sama Nimi OÜ", founder)]
    with pytest.raises(ItemRefused) as refused:
        business().register_companies(batch, "registrar", TODAY)
    assert refused.value.item == "companies.1"
    assert refused.value.status == Conflict.status
    assert "companies.0" in str(refused.value)
    assert not ledger("business")


def test_an_item_taken_by_the_registry_already_is_named() -> None:
    founder = identity.person()
    business().register_company(registration("Vana OÜ", founder), "registrar", TODAY)
    batch = [registration("Uus OÜ", founder), registration("Vana OÜ", founder)]
    before = LedgerEntry.objects.count()
    with pytest.raises(ItemRefused) as refused:
        business().register_companies(batch, "registrar", TODAY)
    assert refused.value.item == "companies.1"
    assert isinstance(refused.value.refusal, Conflict)
    assert LedgerEntry.objects.count() == before


def test_an_empty_or_oversized_batch_is_invalid() -> None:
    with pytest.raises(InvalidCommand, match="companies: give at least one item"):
        business().register_companies([], "registrar", TODAY)
    founder = identity.person()
    too_many = [registration(f"Firma {n} OÜ", founder) for n in range(MAX_BATCH + 1)]
    with pytest.raises(InvalidCommand, match=f"at most {MAX_BATCH} items"):
        business().register_companies(too_many, "registrar", TODAY)


def test_a_batch_of_persons_registers_each_and_refuses_a_code_given_twice() -> None:
    app = running(IdentityRegistry)
    codes = [identity.new_code(date(2024, 3, day), "F") for day in (1, 2, 3)]
    people = [NewPerson(code, "Laps", "Tamm") for code in codes]
    before = ledger("identity")
    assert app.register_persons(people, "registrar", TODAY) == codes
    assert [app.person(code).first_name for code in codes] == ["Laps"] * 3
    added = ledger("identity")[len(before) :]
    start = before[-1].seq + 1 if before else 1
    assert [entry.seq for entry in added] == list(range(start, start + 6))

    again = identity.new_code(date(2024, 3, 9), "M")
    twice = [NewPerson(again, "Uku", "Kask"), NewPerson(codes[1], "Uku", "Kask")]
    with pytest.raises(ItemRefused, match=r"persons\.1: personal_code: ") as refused:
        app.register_persons(twice, "registrar", TODAY)
    assert refused.value.status == 409
    assert not app.person_exists(again)


def test_a_batch_of_land_units_refuses_an_unknown_owner_by_its_row() -> None:
    owner = identity.person()
    units = [
        NewLandUnit(land.cadastral_code(), 900, "residential", "Lai 1, Tallinn", [(owner, "1/1")])
        for _ in range(3)
    ]
    app = running(PropertyRegistry)
    assert app.register_land_units(units, "registrar") == [u.cadastral_code for u in units]
    nobody = identity.new_code(date(1960, 1, 1), "M")
    bad = [
        NewLandUnit(land.cadastral_code(), 900, "forest", "Metsa, Tartu", [(owner, "1/1")]),
        NewLandUnit(land.cadastral_code(), 900, "forest", "Metsa, Tartu", [(nobody, "1/1")]),
    ]
    before = LedgerEntry.objects.count()
    with pytest.raises(ItemRefused, match=r"land_units\.1: owners: ") as refused:
        app.register_land_units(bad, "registrar")
    assert isinstance(refused.value.refusal, UnknownParty)
    assert LedgerEntry.objects.count() == before


@pytest.fixture
def fees() -> Iterator[tuple[str, str]]:
    """(central bank, bank) with a 265 € registration fee charged to a treasury wallet."""
    central, pank = central_bank(), bank()
    with override_settings(
        RIIK_CHARGE_STATE_FEES=True,
        RIIK_STATE_FEES_CENTS={"company-registration": 26_500},
        RIIK_STATE_TREASURY=treasury(pank),
    ):
        yield central, pank


def test_a_batch_pays_every_fee_with_it_or_names_the_first_item_that_cannot(
    fees: tuple[str, str],
) -> None:
    central, pank = fees
    rich = wallet(identity.person(), pank, 60_000, central)  # two fees, not three
    batch = [registration("Raha 1 OÜ", rich), registration("Raha 2 OÜ", rich)]
    codes = issue(
        BusinessRegistry, BUSINESS, lambda app: app.register_companies(batch, "registrar", TODAY)
    )
    assert len(codes) == 2
    assert balance(rich) == 60_000 - 2 * 26_500

    poor = wallet(identity.person("Vaene", "Mees"), pank, 30_000, central)  # one fee
    walletless = identity.person("Kolmas", "Isik")
    entries = LedgerEntry.objects.count()
    batch = [
        registration("Raha 3 OÜ", poor),
        registration("Raha 4 OÜ", walletless),
        registration("Raha 5 OÜ", poor),
    ]
    with pytest.raises(ItemRefused) as refused:
        business().register_companies(batch, "registrar", TODAY)
    assert refused.value.item == "companies.1"
    assert LedgerEntry.objects.count() == entries
    # The first item alone could pay; the third is the second fee of the poor payer.
    batch[1] = registration("Raha 4 OÜ", poor)
    with pytest.raises(ItemRefused) as refused:
        business().register_companies(batch[:2], "registrar", TODAY)
    assert refused.value.item == "companies.1"
    assert isinstance(refused.value.refusal, InsufficientFunds)
    assert balance(poor) == 30_000
