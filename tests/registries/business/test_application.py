"""The business registry's commands against a real event store and ledger."""

from __future__ import annotations

import io
import random
from datetime import date
from pathlib import Path
from uuid import UUID

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection

from chain.blocks.models import Block
from chain.ledger.models import LedgerEntry
from registries.access.roles import user_has_role
from registries.business.application import BusinessRegistry, Registration
from registries.business.demo import seed_companies
from registries.business.domain import AnnualReport, company_id
from registries.business.models import CompanyRecord
from registries.business.projections import PROJECTIONS, CompanyProjection
from registries.common.application import running
from registries.common.codes import validate_registry_code
from registries.common.commands import issue
from registries.common.errors import Conflict, InvalidCommand, NotFound
from registries.common.projections import catch_up
from registries.identity.models import AppointmentRecord
from tests.registries.business.helpers import BOARD, FOUNDER

pytestmark = pytest.mark.usefixtures("event_store", "people")

TODAY = date(2025, 6, 1)


def registration(name: str = "Põhjarannik OÜ", **changes: object) -> Registration:
    fields: dict[str, object] = {
        "name": name,
        "legal_form": "OÜ",
        "share_capital_cents": 250_000,
        "founders": [FOUNDER],
        "board": [BOARD],
        "address": "Narva mnt 7, 10117 Tallinn",
    }
    fields.update(changes)
    return Registration(**fields)  # type: ignore[arg-type]


def app() -> BusinessRegistry:
    return running(BusinessRegistry)


def stored_events() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM business_events")
        return int(cursor.fetchone()[0])


def ledger_entries() -> int:
    return LedgerEntry.objects.filter(registry="business").count()


def test_register_returns_a_valid_8_digit_registry_code() -> None:
    code = app().register_company(registration(), "registrar", TODAY)
    assert len(code) == 8
    assert validate_registry_code(code) == code
    company = app().company(code)
    assert company.name == "Põhjarannik OÜ"
    assert company.id == company_id(code)


def test_duplicate_name_in_other_case_and_spacing_is_refused_and_writes_nothing() -> None:
    app().register_company(registration("Põhjarannik OÜ"), "registrar", TODAY)
    events, entries = stored_events(), ledger_entries()
    with pytest.raises(Conflict, match="already"):
        app().register_company(registration("  PÕHJARANNIK   oü "), "registrar", TODAY)
    assert stored_events() == events
    assert ledger_entries() == entries


def test_a_refused_registration_writes_nothing() -> None:
    events, entries = stored_events(), ledger_entries()
    with pytest.raises(InvalidCommand, match="legal form"):
        app().register_company(registration("Põhjarannik"), "registrar", TODAY)
    assert (stored_events(), ledger_entries()) == (events, entries)


def test_a_name_can_be_reused_after_its_company_is_deleted() -> None:
    first = app().register_company(registration("Kivisilla OÜ"), "registrar", TODAY)
    with pytest.raises(Conflict):
        app().register_company(registration("Kivisilla OÜ"), "registrar", TODAY)
    app().enter_liquidation(first, "owners' decision", "registrar")
    app().delete_company(first, "registrar")
    second = app().register_company(registration("kivisilla oü"), "registrar", TODAY)
    assert second != first


def test_unknown_and_malformed_codes_are_refused() -> None:
    with pytest.raises(NotFound, match="no company with registry code 10000018"):
        app().company("10000018")
    with pytest.raises(InvalidCommand, match="check digit"):
        app().company("10000019")


def test_every_event_has_exactly_one_ledger_entry_with_gapless_seq() -> None:
    code = app().register_company(registration(), "registrar", date(2020, 1, 15))
    app().change_address(code, "Rüütli 1, 80010 Pärnu", "registrar")
    app().increase_capital(code, 100_000, "registrar")
    app().file_annual_report(code, AnnualReport(2024, 10_000_00, 1_000_00, 4), "registrar", TODAY)
    with pytest.raises(Conflict):
        app().file_annual_report(code, AnnualReport(2024, 1, 1, 1), "registrar", TODAY)
    app().enter_liquidation(code, "owners' decision", "registrar")
    app().delete_company(code, "registrar")

    entries = list(
        LedgerEntry.objects.filter(registry="business")
        .order_by("seq")
        .values_list("seq", "originator_id", "originator_version")
    )
    assert [seq for seq, _, _ in entries] == list(range(1, len(entries) + 1))
    with connection.cursor() as cursor:
        cursor.execute("SELECT originator_id, originator_version FROM business_events")
        events = {(UUID(str(o)), int(v)) for o, v in cursor.fetchall()}
    assert {(UUID(str(o)), v) for _, o, v in entries} == events
    assert len(entries) == len(events) == stored_events()
    # Company: 6 events; its name index entry: claimed and released.
    assert len(entries) == 8


def test_issue_catches_up_the_read_models_at_once() -> None:
    code = issue(
        BusinessRegistry,
        PROJECTIONS,
        lambda registry: registry.register_company(registration(), "registrar", TODAY),
    )
    record = CompanyRecord.objects.get(registry_code=code)
    assert (
        record.ledger_seq
        == LedgerEntry.objects.get(registry="business", originator_id=record.aggregate_id).seq
    )
    issue(BusinessRegistry, PROJECTIONS, lambda r: r.increase_capital(code, 5_000, "registrar"))
    record.refresh_from_db()
    assert record.share_capital_cents == 255_000
    assert catch_up(CompanyProjection) == 0  # nothing left: exactly once


def test_seeding_companies_gives_a_varied_registry() -> None:
    steps: list[int] = []
    seed_companies(12, random.Random(7), steps.append)
    catch_up(CompanyProjection)
    assert sum(steps) == 12
    assert CompanyRecord.objects.count() == 12
    assert all(
        c.name.split()[-1] in {"OÜ", "AS", "MTÜ", "TÜ", "UÜ"} for c in CompanyRecord.objects.all()
    )


def test_demo_command_seeds_logs_in_its_officials_and_is_idempotent_with_if_empty() -> None:
    call_command("demo", persons=5, companies=5, seed=3, stdout=io.StringIO())
    assert CompanyRecord.objects.count() == 5
    registrars = list(
        AppointmentRecord.objects.filter(registry="business", role="registrar").values_list(
            "person__personal_code", flat=True
        )
    )
    assert registrars
    for code in registrars:
        user = get_user_model().objects.get(username=code)
        assert user.is_staff
        assert user_has_role(user, "business", "registrar")
        # Officials sign in with their e-ID key file (ADR 0059), never a password.
        assert not user.has_usable_password()
        assert (Path(settings.RIIK_DATA_DIR) / "demo-keys" / f"{code}.pem").is_file()
    assert Block.objects.filter(level="final").exists()
    entries = ledger_entries()
    call_command("demo", persons=5, companies=5, seed=3, if_empty=True, stdout=io.StringIO())
    assert CompanyRecord.objects.count() == 5
    assert ledger_entries() == entries


def test_companies_get_codes_starting_with_1_and_associations_with_8() -> None:
    company = app().register_company(registration(), "registrar", TODAY)
    association = app().register_company(
        registration("Rannarahva Selts MTÜ", legal_form="MTÜ", share_capital_cents=0),
        "registrar",
        TODAY,
    )
    assert company[0] == "1"
    assert association[0] == "8"
    assert validate_registry_code(association) == association


def test_liquidation_ordered_by_another_registry_names_its_cause_once() -> None:
    code = app().register_company(registration(), "registrar", TODAY)
    cause = "court:judgment:0b5e9f1c-7d6a-4a53-9c53-3f1d2a0c9e11:3"
    before = ledger_entries()
    app().enter_liquidation(code, "insolvency judgment 2-25-101", "court-process", cause=cause)
    app().enter_liquidation(code, "insolvency judgment 2-25-101", "court-process", cause=cause)
    assert ledger_entries() == before + 1, "the repeated order with the same cause writes nothing"
    issue(BusinessRegistry, PROJECTIONS, lambda registry: None)
    record = CompanyRecord.objects.get(registry_code=code)
    assert (record.status, record.liquidation_cause) == ("in_liquidation", cause)
