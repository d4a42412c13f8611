"""State fees paid in money in the same ledger transaction as the registry command.

Registering a company, filing an annual report and a title transfer charge
the fee from the applicant's wallet to the treasury's: the command's events
and the wallets' commit together (one ``recorded_at``, one block), or, when
the payer is short, nothing of either is written.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from django.test import override_settings

from chain.blocks.models import Block
from chain.blocks.sealing import seal_pending
from registries.business.application import BusinessRegistry, Registration
from registries.business.domain import AnnualReport
from registries.business.projections import PROJECTIONS as BUSINESS
from registries.common.commands import issue
from registries.money.domain import InsufficientFunds
from tests.registries.identity import helpers as identity
from tests.registries.money.helpers import balance as balance_of
from tests.registries.money.helpers import (
    bank,
    central_bank,
    ledger_of,
    treasury,
    wallet,
)
from tests.registries.property import helpers as land

pytestmark = pytest.mark.usefixtures("event_store")

REGISTRATION, TRANSFER, REPORT = 26_500, 3_500, 1_000
TABLE = {"company-registration": REGISTRATION, "title-transfer": TRANSFER, "annual-report": REPORT}


@pytest.fixture
def state() -> Iterator[tuple[str, str, str]]:
    """(central bank, bank, treasury) with fees on and the treasury's wallet open."""
    central, pank = central_bank(), bank()
    state_treasury = treasury(pank)
    with override_settings(
        RIIK_CHARGE_STATE_FEES=True, RIIK_STATE_FEES_CENTS=TABLE, RIIK_STATE_TREASURY=state_treasury
    ):
        yield central, pank, state_treasury


def register(founder: str) -> str:
    registration = Registration(
        name=f"Fee Test {founder} OÜ",
        legal_form="OÜ",
        share_capital_cents=250_000,
        founders=[founder],
        board=[founder],
        address="Narva mnt 1, Tallinn",
    )
    return str(
        issue(
            BusinessRegistry,
            BUSINESS,
            lambda app: app.register_company(registration, "registrar", date(2024, 1, 5)),
        )
    )


def test_registering_a_company_pays_the_fee_in_the_same_ledger_transaction(
    state: tuple[str, str, str],
) -> None:
    central, pank, state_treasury = state
    founder = wallet(identity.person(), pank, 100_000, central)
    money_before = len(ledger_of("money"))
    register(founder)
    assert balance_of(founder) == 100_000 - REGISTRATION
    assert balance_of(state_treasury) == REGISTRATION
    business = ledger_of("business")
    paid = ledger_of("money")[money_before:]
    assert len(paid) == 2  # the founder's PaymentSent, the treasury's PaymentReceived
    # One transaction: every entry of it carries the same time, and one block seals it.
    assert {at for _, at in paid} == {business[-1][1]}
    block = seal_pending()
    assert block is not None
    logs = {log.registry: log.size for log in Block.objects.get(pk=block.pk).logs.all()}
    assert logs["money"] == paid[-1][0]
    assert logs["business"] == business[-1][0]


def test_a_founder_short_of_the_fee_registers_nothing_and_pays_nothing(
    state: tuple[str, str, str],
) -> None:
    central, pank, state_treasury = state
    founder = wallet(identity.person(), pank, REGISTRATION - 1, central)
    before = (ledger_of("business"), ledger_of("money"))
    with pytest.raises(InsufficientFunds, match="1 cents short"):
        register(founder)
    assert (ledger_of("business"), ledger_of("money")) == before
    assert balance_of(founder) == REGISTRATION - 1
    assert balance_of(state_treasury) == 0


def test_an_annual_report_is_paid_from_the_companys_wallet(state: tuple[str, str, str]) -> None:
    central, pank, state_treasury = state
    founder = wallet(identity.person(), pank, REGISTRATION, central)
    code = register(founder)
    wallet(code, pank, 5_000, central)
    report = AnnualReport(year=2025, revenue_cents=10, net_profit_cents=1, employees=1)
    issue(
        BusinessRegistry,
        BUSINESS,
        lambda app: app.file_annual_report(code, report, "registrar", date(2026, 3, 1)),
    )
    assert balance_of(code) == 5_000 - REPORT
    assert balance_of(state_treasury) == REGISTRATION + REPORT


def test_a_title_transfer_is_paid_by_the_buyer(state: tuple[str, str, str]) -> None:
    central, pank, state_treasury = state
    seller, buyer = land.owner(), wallet(identity.person("Ants", "Ostja"), pank, 10_000, central)
    code = land.register_unit([(seller, "1/1")])
    transfer = land.signed_transfer(code, land.notary(), [seller], [(buyer, "1/1")])
    land.run(lambda app: app.transfer_ownership(code, transfer, "registrar"))
    assert balance_of(buyer) == 10_000 - TRANSFER
    assert balance_of(state_treasury) == TRANSFER
    assert set(land.app().land_unit(code).owners) == {buyer}


def test_no_fee_is_charged_while_fees_are_off(state: tuple[str, str, str]) -> None:
    central, pank, _ = state
    founder = wallet(identity.person(), pank, 1_000, central)
    with override_settings(RIIK_CHARGE_STATE_FEES=False):
        register(founder)
    assert balance_of(founder) == 1_000
