"""The money demo: a central bank, two banks with issued reserves, funded wallets."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from registries.identity.models import OrganisationRecord, RepresentativeRecord
from registries.money.models import ActRecord, SupplyRecord, WalletRecord

pytestmark = pytest.mark.usefixtures("event_store")


def test_the_demo_seeds_banks_and_funded_wallets_whose_books_balance() -> None:
    call_command(
        "demo",
        persons=5,
        companies=1,
        units=1,
        cases=0,
        patients=0,
        wallets=4,
        seed=5,
        stdout=io.StringIO(),
    )
    central = OrganisationRecord.objects.get(kind="central_bank")
    assert RepresentativeRecord.objects.filter(organisation_code=central.registry_code).exists()
    assert ActRecord.objects.count() == 2
    wallets = list(WalletRecord.objects.all())
    assert sum(w.holder_kind == "person" for w in wallets) == 4
    assert all(w.balance_cents > 0 for w in wallets)
    assert SupplyRecord.objects.get().total_cents == sum(w.balance_cents for w in wallets)
