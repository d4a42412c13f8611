"""The business registry's aggregate rules, checked without any database."""

from __future__ import annotations

from datetime import date

import pytest

from registries.business.domain import (
    ACTIVE,
    DELETED,
    IN_LIQUIDATION,
    AnnualReport,
    Company,
    CompanyName,
    company_name_id,
    normalised_name,
)
from registries.common.codes import personal_code, registry_code
from registries.common.errors import Conflict, InvalidCommand

FOUNDER = personal_code(date(1980, 5, 17), "M", 12)
BOARD = personal_code(date(1975, 2, 3), "F", 7)
OTHER = personal_code(date(1990, 12, 31), "F", 250)
TODAY = date(2025, 6, 1)


def register(**changes: object) -> Company:
    fields: dict[str, object] = {
        "registry_code": registry_code(123),
        "name": "Põhjarannik OÜ",
        "legal_form": "OÜ",
        "share_capital_cents": 250_000,
        "founders": [FOUNDER],
        "board": [BOARD],
        "address": "Narva mnt 7, 10117 Tallinn",
        "registered_on": date(2020, 3, 1),
        "actor": "registrar",
    }
    fields.update(changes)
    return Company.register(**fields)  # type: ignore[arg-type]


def report(year: int) -> AnnualReport:
    return AnnualReport(year=year, revenue_cents=1_000_00, net_profit_cents=100_00, employees=3)


def test_a_valid_registration_records_an_active_company() -> None:
    company = register()
    assert company.status == ACTIVE
    assert company.name == "Põhjarannik OÜ"
    assert [type(e).__name__ for e in company.collect_events()] == ["Registered"]


def test_the_name_must_show_the_legal_form() -> None:
    with pytest.raises(InvalidCommand, match="must show its legal form"):
        register(name="Põhjarannik")
    with pytest.raises(InvalidCommand, match=r"legal form \(AS\)"):
        register(name="Põhjarannik OÜ", legal_form="AS", share_capital_cents=2_500_000)


def test_the_legal_form_may_appear_in_any_case_and_spacing() -> None:
    assert register(name="  Põhjarannik   oü ").name == "Põhjarannik oü"


def test_an_unknown_legal_form_is_refused() -> None:
    with pytest.raises(InvalidCommand, match="legal_form"):
        register(name="Põhjarannik GmbH", legal_form="GmbH")


def test_an_as_needs_the_minimum_share_capital() -> None:
    with pytest.raises(InvalidCommand, match=r"minimum share capital of AS is 25,000\.00 euros"):
        register(name="Põhjarannik AS", legal_form="AS", share_capital_cents=2_499_999)
    assert register(name="Põhjarannik AS", legal_form="AS", share_capital_cents=2_500_000)


def test_an_invalid_founder_personal_code_is_refused_with_the_reason() -> None:
    bad_check = FOUNDER[:-1] + str((int(FOUNDER[-1]) + 1) % 10)
    with pytest.raises(InvalidCommand, match=r"founders: .*check digit is wrong"):
        register(founders=[bad_check])


def test_an_invalid_board_personal_code_is_refused_with_the_reason() -> None:
    with pytest.raises(InvalidCommand, match=r"board: .*exactly 11 digits"):
        register(board=["1234"])


def test_founders_and_board_must_not_be_empty_or_repeat_a_person() -> None:
    with pytest.raises(InvalidCommand, match="founders: at least 1"):
        register(founders=[])
    with pytest.raises(InvalidCommand, match="listed twice"):
        register(board=[BOARD, BOARD])


def test_board_change_on_a_company_in_liquidation_is_refused() -> None:
    company = register()
    company.enter_liquidation("owners' decision", "registrar")
    assert company.status == IN_LIQUIDATION
    with pytest.raises(Conflict, match="in liquidation"):
        company.change_board([OTHER], "registrar")


def test_board_change_to_the_same_board_is_refused() -> None:
    with pytest.raises(InvalidCommand, match="same as the current"):
        register().change_board([BOARD], "registrar")


def test_annual_report_for_the_same_year_twice_is_refused() -> None:
    company = register()
    company.file_annual_report(report(2023), "registrar", TODAY)
    with pytest.raises(Conflict, match="2023 has already been filed"):
        company.file_annual_report(report(2023), "registrar", TODAY)


def test_annual_report_for_an_unfinished_year_is_refused() -> None:
    with pytest.raises(InvalidCommand, match="finished financial year"):
        register().file_annual_report(report(TODAY.year), "registrar", TODAY)


def test_capital_increase_must_be_positive() -> None:
    company = register()
    with pytest.raises(InvalidCommand, match="positive"):
        company.increase_capital(0, "registrar")
    company.increase_capital(50_000, "registrar")
    assert company.share_capital_cents == 300_000


def test_deletion_requires_liquidation_first() -> None:
    company = register()
    with pytest.raises(Conflict, match="must be in liquidation"):
        company.delete("registrar")
    company.enter_liquidation("bankruptcy", "registrar")
    company.delete("registrar")
    assert company.status == DELETED


def test_liquidation_needs_a_reason() -> None:
    with pytest.raises(InvalidCommand, match="reason"):
        register().enter_liquidation("   ", "registrar")


def test_a_claimed_name_cannot_be_claimed_again_until_released() -> None:
    name = CompanyName.claim_new("Põhjarannik OÜ", "10001231")
    with pytest.raises(Conflict, match="already used"):
        name.claim("PÕHJARANNIK  OÜ", "10004567")
    name.release()
    name.claim("PÕHJARANNIK  OÜ", "10004567")
    assert name.company_code == "10004567"


def test_names_differing_only_in_case_and_spacing_share_one_index_entry() -> None:
    assert normalised_name(" Põhjarannik   OÜ") == normalised_name("põhjarannik oü")
    assert company_name_id("Põhjarannik OÜ") == company_name_id("PÕHJARANNIK  oü")
