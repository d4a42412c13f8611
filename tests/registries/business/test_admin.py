"""The ministry's admin: read-only company cards, changes only through command forms."""

from __future__ import annotations

from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import Client, override_settings

from chain.ledger.models import LedgerEntry
from registries.business.application import BusinessRegistry, Registration
from registries.business.models import CompanyRecord
from registries.business.projections import PROJECTIONS
from registries.common.commands import issue
from tests.registries.business.helpers import BOARD, FOUNDER, OTHER
from tests.registries.identity.helpers import official
from tests.registries.money import helpers as money

pytestmark = pytest.mark.usefixtures("event_store", "people")

ADMIN = "/admin/business/companyrecord/"


def staff_client(username: str, *codenames: str) -> Client:
    user = get_user_model().objects.create_user(username=username, password="x" * 20, is_staff=True)
    for codename in codenames:
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label="business", codename=codename)
        )
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def registrar() -> Client:
    """A business registrar (identity role), logged in to the admin by personal code."""
    return staff_client(official("business", "registrar"))


@pytest.fixture
def viewer() -> Client:
    """Staff who may look at companies but not issue commands."""
    return staff_client("viewer", "view_companyrecord")


def company(name: str = "Põhjarannik OÜ", registered_on: date = date(2020, 2, 1)) -> CompanyRecord:
    registration = Registration(
        name=name,
        legal_form="OÜ",
        share_capital_cents=250_000,
        founders=[FOUNDER],
        board=[BOARD],
        address="Narva mnt 7, 10117 Tallinn",
    )
    code = issue(
        BusinessRegistry,
        PROJECTIONS,
        lambda app: app.register_company(registration, "registrar", registered_on),
    )
    return CompanyRecord.objects.get(registry_code=code)


def entries() -> int:
    return LedgerEntry.objects.filter(registry="business").count()


def command_url(record: CompanyRecord, slug: str) -> str:
    return f"{ADMIN}{record.pk}/command/{slug}/"


def test_changelist_lists_companies_with_capital_and_ledger_columns(registrar: Client) -> None:
    record = company()
    response = registrar.get(ADMIN)
    assert response.status_code == 200
    html = response.content.decode()
    assert record.registry_code in html
    assert "Põhjarannik OÜ" in html
    assert "2\u202f500.00 €" in html
    assert f'<td class="field-ledger_seq">{record.ledger_seq}</td>' in html
    assert '<td class="field-ledger_level">pending</td>' in html
    assert "Register company" in html


def test_changelist_search_finds_name_in_any_case_code_and_board_member(
    registrar: Client,
) -> None:
    record = company()
    company("Lõunatuul OÜ")
    for term in ["PÕHJA", record.registry_code, BOARD]:
        html = registrar.get(ADMIN, {"q": term}).content.decode()
        assert "Põhjarannik OÜ" in html, term
    assert "Lõunatuul OÜ" not in registrar.get(ADMIN, {"q": "põhja"}).content.decode()


def test_change_page_is_read_only_and_shows_people_reports_and_history(
    registrar: Client,
) -> None:
    record = company()
    issue(
        BusinessRegistry,
        PROJECTIONS,
        lambda app: app.change_address(record.registry_code, "Lai 1, 10133 Tallinn", "registrar"),
    )
    response = registrar.get(f"{ADMIN}{record.pk}/change/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="name"' not in html  # no editable inputs
    assert 'name="_save"' not in html
    assert FOUNDER in html
    assert BOARD in html
    assert "<td>Registered</td>" in html
    assert "<td>AddressChanged</td>" in html
    for slug in ["address", "board", "capital", "annual-report", "liquidation"]:
        assert command_url(record, slug) in html
    assert command_url(record, "deletion") not in html  # only once in liquidation


def test_read_models_cannot_be_edited_or_deleted_directly(registrar: Client) -> None:
    record = company()
    before = entries()
    response = registrar.post(f"{ADMIN}{record.pk}/change/", {"name": "Muu OÜ"})
    assert response.status_code == 403
    assert registrar.post(f"{ADMIN}{record.pk}/delete/", {"post": "yes"}).status_code == 403
    record.refresh_from_db()
    assert record.name == "Põhjarannik OÜ"
    assert entries() == before


def test_registering_through_the_admin_form_creates_a_company(registrar: Client) -> None:
    assert registrar.get(f"{ADMIN}add/").status_code == 200
    response = registrar.post(
        f"{ADMIN}add/",
        {
            "name": "Kivisilla AS",
            "legal_form": "AS",
            "share_capital_euros": "25000.00",
            "founders": f"{FOUNDER}\n{OTHER}",
            "board": BOARD,
            "address": "Rüütli 1, 80010 Pärnu",
        },
    )
    record = CompanyRecord.objects.get(name="Kivisilla AS")
    assert response.status_code == 302
    assert response["Location"] == f"{ADMIN}{record.pk}/change/"
    assert record.share_capital_cents == 2_500_000
    assert sorted(p.personal_code for p in record.people.filter(role="founder")) == sorted(
        [FOUNDER, OTHER]
    )
    assert record.ledger_seq is not None


def test_a_refused_registration_shows_a_form_error_and_writes_nothing(
    registrar: Client,
) -> None:
    before = entries()
    response = registrar.post(
        f"{ADMIN}add/",
        {
            "name": "Kivisilla AS",
            "legal_form": "AS",
            "share_capital_euros": "100.00",
            "founders": FOUNDER,
            "board": BOARD,
            "address": "Rüütli 1, 80010 Pärnu",
        },
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors["share_capital_euros"] == [
        "the minimum share capital of AS is 25,000.00 euros (2500000 cents)"
    ]
    assert entries() == before
    assert not CompanyRecord.objects.exists()


def test_a_refused_command_shows_a_form_error_and_writes_nothing(registrar: Client) -> None:
    record = company()
    issue(
        BusinessRegistry,
        PROJECTIONS,
        lambda app: app.enter_liquidation(record.registry_code, "owners' decision", "registrar"),
    )
    before = entries()
    response = registrar.post(command_url(record, "board"), {"members": OTHER})
    assert response.status_code == 200
    assert "is in liquidation" in response.content.decode()
    assert response.context["form"].non_field_errors() == [
        f"change board: company {record.registry_code} is in liquidation"
    ]
    assert entries() == before


def test_an_invalid_personal_code_is_shown_on_its_field(registrar: Client) -> None:
    record = company()
    before = entries()
    response = registrar.post(command_url(record, "board"), {"members": "38005170110"})
    assert response.status_code == 200
    assert "check digit is wrong" in response.context["form"].errors["members"][0]
    assert entries() == before


def test_every_command_form_issues_its_command(registrar: Client) -> None:
    record = company()
    code = record.registry_code
    steps = [
        ("address", {"address": "Lai 1, 10133 Tallinn"}),
        ("board", {"members": f"{OTHER}, {BOARD}"}),
        ("capital", {"amount_euros": "1000.50"}),
        (
            "annual-report",
            {
                "year": "2023",
                "revenue_euros": "100000",
                "net_profit_euros": "-5.25",
                "employees": "4",
            },
        ),
        ("liquidation", {"reason": "Owners' decision"}),
        ("deletion", {"confirm": "on"}),
    ]
    for slug, data in steps:
        assert registrar.get(command_url(record, slug)).status_code == 200, slug
        response = registrar.post(command_url(record, slug), data)
        assert response.status_code == 302, (slug, response.content.decode()[:2000])
    record = CompanyRecord.objects.get(registry_code=code)
    assert record.address == "Lai 1, 10133 Tallinn"
    assert sorted(p.personal_code for p in record.people.filter(role="board")) == sorted(
        [OTHER, BOARD]
    )
    assert record.share_capital_cents == 250_000 + 100_050
    report = record.annual_reports.get()
    assert (report.year, report.revenue_cents, report.net_profit_cents) == (2023, 10_000_000, -525)
    assert record.status == "deleted"


def test_deletion_needs_the_confirmation_box(registrar: Client) -> None:
    record = company()
    before = entries()
    response = registrar.post(command_url(record, "deletion"), {})
    assert response.status_code == 200
    assert "confirm" in response.context["form"].errors
    assert entries() == before


def test_a_user_without_the_permission_cannot_reach_the_command_forms(viewer: Client) -> None:
    record = company()
    before = entries()
    page = viewer.get(f"{ADMIN}{record.pk}/change/")
    assert page.status_code == 200  # may look
    assert "/command/" not in page.content.decode()
    assert "Register company" not in viewer.get(ADMIN).content.decode()
    assert viewer.get(f"{ADMIN}add/").status_code == 403
    assert viewer.get(command_url(record, "address")).status_code == 403
    response = viewer.post(command_url(record, "address"), {"address": "Lai 1, Tallinn"})
    assert response.status_code == 403
    assert viewer.post(f"{ADMIN}add/", {"name": "Muu OÜ"}).status_code == 403
    assert entries() == before


def test_anonymous_visitors_are_sent_to_the_login_page() -> None:
    record = company()
    response = Client().get(command_url(record, "address"))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_an_unknown_command_or_company_is_404(registrar: Client) -> None:
    record = company()
    assert registrar.get(command_url(record, "merge")).status_code == 404
    assert registrar.get(f"{ADMIN}10000018/command/address/").status_code == 404


def test_the_change_page_names_the_founders_and_board_beside_their_codes(
    registrar: Client,
) -> None:
    record = company()
    html = registrar.get(f"{ADMIN}{record.pk}/change/").content.decode()
    assert f"{FOUNDER} Mari Tamm" in html
    assert f"{BOARD} Kati Kask" in html


def test_a_founder_short_of_the_state_fee_is_told_on_the_form_and_nothing_is_written(
    registrar: Client,
) -> None:
    pank = money.bank()
    state = money.treasury(pank)
    money.wallet(FOUNDER, pank, 100)
    before = entries()
    with override_settings(
        RIIK_CHARGE_STATE_FEES=True,
        RIIK_STATE_FEES_CENTS={"company-registration": 26_500},
        RIIK_STATE_TREASURY=state,
    ):
        response = registrar.post(
            f"{ADMIN}add/",
            {
                "name": "Kivisilla AS",
                "legal_form": "AS",
                "share_capital_euros": "25000.00",
                "founders": FOUNDER,
                "board": BOARD,
                "address": "Rüütli 1, 80010 Pärnu",
            },
        )
    assert response.status_code == 200
    assert "26400 cents short" in str(response.context["form"].errors)
    assert entries() == before
    assert not CompanyRecord.objects.exists()
    assert money.balance(FOUNDER) == 100
