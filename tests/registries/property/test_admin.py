"""The ministry's admin for the land register: read-only title registers, command forms."""

from __future__ import annotations

import pytest
from django.contrib.admin.utils import quote
from django.test import Client

from registries.property.models import LandUnitRecord
from tests.registries.identity import helpers as identity
from tests.registries.property.helpers import (
    bank,
    cadastral_code,
    notary,
    owner,
    register_unit,
    run,
    signature_of,
    signed_transfer,
    written,
)

pytestmark = pytest.mark.usefixtures("event_store")

UNITS = "/admin/property/landunitrecord/"


def logged_in(username: str) -> Client:
    client = Client()
    client.force_login(identity.user_for(username, staff=True))
    return client


@pytest.fixture
def registrar() -> Client:
    """Staff whose username is their code and who is appointed property registrar."""
    return logged_in(identity.official("property", "registrar"))


@pytest.fixture
def clerk() -> Client:
    """Staff with another registry's role: a business registrar."""
    return logged_in(identity.official("business", "registrar"))


def change_url(code: str) -> str:
    return f"{UNITS}{quote(code)}/change/"


def command_url(code: str, slug: str) -> str:
    return f"{UNITS}{quote(code)}/command/{slug}/"


def test_land_units_are_listed_with_ledger_columns_search_and_filters(registrar: Client) -> None:
    mari, lender = owner(), bank()
    first = register_unit([(mari, "1/1")], code="78401:101:0001", address="Pärnu mnt 10, Tallinn")
    second = register_unit([(lender, "1/1")], code="79501:202:0002", address="Rüütli 1, Tartu")
    run(lambda a: a.note_seizure(second, "order 1", "case 1", "court:1", "court"))
    html = registrar.get(UNITS).content.decode()
    assert first in html
    assert second in html
    assert '<td class="field-ledger_level">pending</td>' in html
    assert "Register land unit" in html
    for term, found, missing in [
        ("78401", first, second),
        ("PÄRNU", first, second),
        (lender, second, first),
        (mari, first, second),
    ]:
        html = registrar.get(UNITS, {"q": term}).content.decode()
        assert found in html, term
        assert missing not in html, term
    html = registrar.get(UNITS, {"under_seizure__exact": "1"}).content.decode()
    assert second in html
    assert first not in html


def test_the_title_register_page_is_read_only_and_shows_all_parts(registrar: Client) -> None:
    seller, buyer, lender, clerk = owner(), owner("Jaan"), bank(), notary()
    code = register_unit([(seller, "1/1")])
    run(lambda a: a.add_restriction(code, "servitude", "Right of way to the shore", "", "r"))
    run(lambda a: a.add_mortgage(code, 15_000_000, lender, "r"))
    transfer = signed_transfer(code, clerk, [seller], [(buyer, "1/1")])
    run(lambda a: a.transfer_ownership(code, transfer, "r"))
    response = registrar.get(change_url(code))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="_save"' not in html
    for text in [
        "I Description",
        "II Owners",
        "III Restrictions and encumbrances",
        "IV Mortgages",
        "Right of way to the shore",
        "150\u202f000.00 €",
        buyer,
        signature_of(transfer).hex(),
        "<td>OwnershipTransferred</td>",
        "<td>MortgageRegistered</td>",
    ]:
        assert text in html, text
    for slug in ["description", "transfer", "restriction", "remove-restriction", "mortgage"]:
        assert command_url(code, slug) in html, slug


def test_read_models_cannot_be_edited_or_deleted_directly(registrar: Client) -> None:
    code = register_unit()
    before = written()
    assert registrar.post(change_url(code), {"address": "X"}).status_code == 403
    assert registrar.post(f"{UNITS}{quote(code)}/delete/", {"post": "yes"}).status_code == 403
    assert written() == before


def test_registering_a_land_unit_through_the_form(registrar: Client) -> None:
    mari, jaan = owner(), owner("Jaan")
    code = cadastral_code()
    data = {
        "cadastral_code": code,
        "area_m2": "2400",
        "purpose": "residential",
        "address": "Kase 4, Tartu",
        "owners": f"{mari} 1/2\n{jaan} 1/2\n",
    }
    response = registrar.post(f"{UNITS}add/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert response["Location"] == change_url(code)
    shares = dict(LandUnitRecord.objects.get(pk=code).owners.values_list("owner_code", "share"))
    assert shares == {mari: "1/2", jaan: "1/2"}


def test_a_refused_registration_shows_the_message_on_its_field(registrar: Client) -> None:
    mari = owner()
    before = written()
    data = {
        "cadastral_code": "78401:101:001",
        "area_m2": "2400",
        "purpose": "forest",
        "address": "Mets",
        "owners": f"{mari} 1/2",
    }
    response = registrar.post(f"{UNITS}add/", data)
    assert response.status_code == 200
    assert (
        "parcel number must be exactly 4 digits"
        in response.context["form"].errors["cadastral_code"][0]
    )
    response = registrar.post(f"{UNITS}add/", {**data, "cadastral_code": cadastral_code()})
    assert "add up to 1/2, not exactly one" in response.context["form"].errors["owners"][0]
    response = registrar.post(f"{UNITS}add/", {**data, "owners": "just-one-word"})
    assert "Line 1" in response.context["form"].errors["owners"][0]
    assert written() == before


def test_every_command_form_issues_its_command(registrar: Client) -> None:
    seller, buyer, lender, clerk = owner(), owner("Jaan"), bank(), notary()
    code = register_unit([(seller, "1/1")])
    steps = [
        ("description", {"area_m2": "1300", "purpose": "commercial", "address": "Pikk 2"}),
        ("restriction", {"kind": "servitude", "description": "Pipeline", "beneficiary": ""}),
        ("remove-restriction", {"number": "1"}),
        ("mortgage", {"amount_euros": "120000.50", "creditor": lender}),
        ("mortgage", {"amount_euros": "5000", "creditor": lender}),
        ("release-mortgage", {"rank": "1"}),
    ]
    for slug, data in steps:
        assert registrar.get(command_url(code, slug)).status_code == 200, slug
        response = registrar.post(command_url(code, slug), data)
        assert response.status_code == 302, (slug, response.content.decode()[:3000])
    record = LandUnitRecord.objects.get(pk=code)
    assert (record.area_m2, record.purpose, record.address) == (1300, "commercial", "Pikk 2")
    assert list(record.mortgages.values_list("rank", "amount_cents", "active")) == [
        (1, 12_000_050, False),
        (2, 500_000, True),
    ]
    transfer = signed_transfer(code, clerk, [seller], [(buyer, "1/1")], price_cents=9_900_000)
    data = {
        "sellers": seller,
        "buyers": f"{buyer} 1/1",
        "price_euros": "99000.00",
        "unit_version": str(transfer.unit_version),
        "notary": clerk.code,
        "signature": signature_of(transfer).hex(),
    }
    response = registrar.post(command_url(code, "transfer"), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert list(record.owners.values_list("owner_code", flat=True)) == [buyer]


def test_a_bad_endorsement_in_the_transfer_form_writes_nothing(registrar: Client) -> None:
    seller, buyer, clerk = owner(), owner("Jaan"), notary()
    code = register_unit([(seller, "1/1")])
    transfer = signed_transfer(code, clerk, [seller], [(buyer, "1/1")], price_cents=100)
    data = {
        "sellers": seller,
        "buyers": f"{buyer} 1/1",
        "price_euros": "2.00",  # not the price the notary signed
        "unit_version": "1",
        "notary": clerk.code,
        "signature": signature_of(transfer).hex(),
    }
    before = written()
    response = registrar.post(command_url(code, "transfer"), data)
    assert response.status_code == 200
    assert "not the signature of notary" in response.context["form"].errors["signature"][0]
    assert written() == before


def test_seizure_notes_have_no_form_and_hide_the_transfer(registrar: Client) -> None:
    code = register_unit()
    run(lambda a: a.add_restriction(code, "servitude", "Way", "", "r"))
    run(lambda a: a.note_seizure(code, "order 7", "case 7", "court:7", "court"))
    html = registrar.get(change_url(code)).content.decode()
    assert "court:7" in html
    assert command_url(code, "transfer") not in html
    assert registrar.get(command_url(code, "transfer")).status_code == 404
    # The remove form offers the servitude, never the seizure note.
    form = registrar.get(command_url(code, "remove-restriction")).context["form"]
    assert [number for number, _ in form.fields["number"].choices] == [1]


def test_only_property_registrars_see_and_use_the_commands(clerk: Client) -> None:
    code = register_unit()
    before = written()
    assert clerk.get(UNITS).status_code == 403
    assert clerk.get(change_url(code)).status_code == 403
    assert clerk.get(f"{UNITS}add/").status_code == 403
    response = clerk.post(
        command_url(code, "description"),
        {"area_m2": "1", "purpose": "forest", "address": "Mets"},
    )
    assert response.status_code == 403
    assert written() == before
