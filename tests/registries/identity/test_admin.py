"""The ministry's admin for identity: read-only records, changes only through command forms."""

from __future__ import annotations

import base64
from datetime import date

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.contrib.auth.models import Permission
from django.test import Client

from chain.ledger.models import LedgerEntry
from registries.common.codes import registry_code
from registries.identity import services
from registries.identity.models import (
    AppointmentRecord,
    OrganisationRecord,
    PersonRecord,
    RepresentativeRecord,
)
from registries.identity.services import is_representative
from tests.registries.identity.helpers import (
    appoint,
    new_code,
    official,
    organisation,
    person,
    raw_public,
    run,
    user_for,
)

pytestmark = pytest.mark.usefixtures("event_store")

PERSONS = "/admin/identity/personrecord/"
ORGANISATIONS = "/admin/identity/organisationrecord/"
OFFICIALS = "/admin/identity/appointmentrecord/"


def logged_in(username: str, *, superuser: bool = False) -> Client:
    client = Client()
    client.force_login(user_for(username, staff=True, superuser=superuser))
    return client


@pytest.fixture
def registrar() -> Client:
    """Staff whose username is their code and who is appointed identity registrar."""
    return logged_in(official("identity", "registrar"))


@pytest.fixture
def clerk() -> Client:
    """Staff without any role: a business registrar."""
    return logged_in(official("business", "registrar"))


def entries() -> int:
    return LedgerEntry.objects.filter(registry="identity").count()


def record(code: str) -> PersonRecord:
    return PersonRecord.objects.get(personal_code=code)


def command_url(code: str, slug: str) -> str:
    return f"{PERSONS}{code}/command/{slug}/"


def test_persons_list_with_ledger_columns_and_search(registrar: Client) -> None:
    mari = person("Mari", "Tamm")
    person("Jüri", "Õunapuu")
    html = registrar.get(PERSONS).content.decode()
    assert mari in html
    assert f'<td class="field-ledger_seq">{record(mari).ledger_seq}</td>' in html
    assert '<td class="field-ledger_level">pending</td>' in html
    assert "Register person" in html
    for term in [mari, "TAMM", "mari tamm"]:
        html = registrar.get(PERSONS, {"q": term}).content.decode()
        assert "Tamm" in html, term
        assert "Õunapuu" not in html, term
    assert "Õunapuu" in registrar.get(PERSONS, {"q": "õuna"}).content.decode()


def test_person_page_is_read_only_shows_keys_roles_history_and_no_aggregate_id(
    registrar: Client,
) -> None:
    code = official("court", "judge")
    run(lambda app: app.register_key(code, raw_public(Ed25519PrivateKey.generate()), "r"))
    response = registrar.get(f"{PERSONS}{code}/change/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="_save"' not in html
    assert 'name="first_name"' not in html
    assert "<td>Registered</td>" in html
    assert "<td>Appointed</td>" in html
    assert "<td>KeyRegistered</td>" in html
    assert "<td>judge</td>" in html
    assert str(record(code).aggregate_id) not in html
    for slug in ["name", "death", "rotate-key", "revoke-key", "appoint"]:
        assert command_url(code, slug) in html
    assert command_url(code, "register-key") not in html  # it has an active key


def test_person_page_shows_the_persons_representations(registrar: Client) -> None:
    code = person("Peeter", "Peaarst")
    assert (
        "represents no organisation" in registrar.get(f"{PERSONS}{code}/change/").content.decode()
    )
    hospital = organisation("hospital", "Põhja Haigla")
    court = organisation("court", "Harju Maakohus")
    run(lambda app: app.appoint_representative(code, hospital, "chief executive", "r"))
    run(lambda app: app.appoint_representative(code, court, "chairman", "r"))
    run(lambda app: app.remove_representative(code, court, "r"))
    html = registrar.get(f"{PERSONS}{code}/change/").content.decode()
    assert "Representative of organisations" in html
    for shown in [hospital, "Põhja Haigla", "chief executive", court, "Harju Maakohus"]:
        assert f"<td>{shown}</td>" in html, shown
    assert "<td>current</td>" in html
    assert "<td>ended</td>" in html
    assert "represents no organisation" not in html


def test_read_models_cannot_be_edited_or_deleted_directly(registrar: Client) -> None:
    code = person()
    before = entries()
    assert registrar.post(f"{PERSONS}{code}/change/", {"first_name": "X"}).status_code == 403
    assert registrar.post(f"{PERSONS}{code}/delete/", {"post": "yes"}).status_code == 403
    assert entries() == before


def test_registering_a_person_through_the_form(registrar: Client) -> None:
    code = new_code(date(1990, 12, 31), "F")
    response = registrar.post(
        f"{PERSONS}add/", {"personal_code": code, "first_name": "Kätlin", "last_name": "Kask"}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert response["Location"] == f"{PERSONS}{code}/change/"
    assert (record(code).born, record(code).sex) == (date(1990, 12, 31), "F")


def test_an_invalid_code_is_shown_on_its_field_and_writes_nothing(registrar: Client) -> None:
    code = new_code()
    wrong = code[:-1] + str((int(code[-1]) + 1) % 10)
    before = entries()
    response = registrar.post(
        f"{PERSONS}add/", {"personal_code": wrong, "first_name": "Mari", "last_name": "Tamm"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["personal_code"] == [
        f"personal code {wrong}: check digit is wrong"
    ]
    assert entries() == before


def test_every_person_command_form_issues_its_command(registrar: Client) -> None:
    code = person("Mari", "Tamm")
    first, second = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    notary_office = organisation("notary_office", "Notar Tamm OÜ")
    steps = [
        ("name", {"first_name": "Mari", "last_name": "Kask"}),
        ("register-key", {"public_key": raw_public(first).hex()}),
        ("rotate-key", {"public_key": base64.b64encode(raw_public(second)).decode()}),
        (
            "appoint",
            {"registry": "property", "role": "notary", "organisation_code": notary_office},
        ),
    ]
    for slug, data in steps:
        assert registrar.get(command_url(code, slug)).status_code == 200, slug
        response = registrar.post(command_url(code, slug), data)
        assert response.status_code == 302, (slug, response.content.decode()[:3000])
    assert record(code).last_name == "Kask"
    assert services.current_public_key(code) == raw_public(second)
    assert services.has_role(code, "property", "notary")
    old_key = record(code).keys.get(status="rotated").key_id
    response = registrar.post(
        command_url(code, "revoke-key"), {"key_id": old_key, "reason": "lost"}
    )
    assert response.status_code == 302
    assert services.public_key_at(code, old_key) is None
    response = registrar.post(command_url(code, "death"), {"died_on": "2025-01-02"})
    assert response.status_code == 302
    assert not services.has_role(code, "property", "notary")
    assert record(code).died_on == date(2025, 1, 2)
    # The dead have no command buttons that need a living person.
    html = registrar.get(f"{PERSONS}{code}/change/").content.decode()
    assert command_url(code, "name") not in html
    assert registrar.get(command_url(code, "name")).status_code == 404


def test_a_refused_command_shows_the_registrys_message_and_writes_nothing(
    registrar: Client,
) -> None:
    code = person()
    before = entries()
    response = registrar.post(
        command_url(code, "appoint"), {"registry": "business", "role": "judge"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["role"] == [
        "a judge acts in the court registry, not in the business registry"
    ]
    response = registrar.post(command_url(code, "register-key"), {"public_key": "nope"})
    assert "32 bytes" in response.context["form"].errors["public_key"][0]
    assert entries() == before


def test_organisations_register_and_search(registrar: Client) -> None:
    code = registry_code(777, 1)
    response = registrar.post(
        f"{ORGANISATIONS}add/", {"registry_code": code, "name": "Raeapteek OÜ", "kind": "pharmacy"}
    )
    assert response.status_code == 302
    assert OrganisationRecord.objects.get(registry_code=code).kind == "pharmacy"
    html = registrar.get(ORGANISATIONS, {"q": "RAEAPTEEK"}).content.decode()
    assert code in html
    html = registrar.get(f"{ORGANISATIONS}{code}/change/").content.decode()
    assert "<td>Registered</td>" in html


def test_officials_are_appointed_and_dismissed_through_forms(registrar: Client) -> None:
    code = person("Jaan", "Sepp")
    response = registrar.post(
        f"{OFFICIALS}add/", {"personal_code": code, "registry": "health", "role": "doctor"}
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    appointment = AppointmentRecord.objects.get(person__personal_code=code)
    html = registrar.get(OFFICIALS, {"q": "sepp"}).content.decode()
    assert code in html
    assert "doctor" in html
    page = registrar.get(f"{OFFICIALS}{appointment.pk}/change/").content.decode()
    dismissal = f"{OFFICIALS}{appointment.pk}/command/dismissal/"
    assert dismissal in page
    before = entries()
    response = registrar.post(dismissal, {})
    assert "confirm" in response.context["form"].errors
    assert entries() == before
    assert registrar.post(dismissal, {"confirm": "on"}).status_code == 302
    appointment.refresh_from_db()
    assert not appointment.active
    assert not services.has_role(code, "health", "doctor")


def test_staff_without_the_identity_registrar_role_cannot_see_or_act(clerk: Client) -> None:
    code = person()
    before = entries()
    assert clerk.get(PERSONS).status_code == 403
    assert clerk.get(f"{PERSONS}{code}/change/").status_code == 403
    assert clerk.get(f"{PERSONS}add/").status_code == 403
    assert clerk.get(command_url(code, "name")).status_code == 403
    response = clerk.post(command_url(code, "name"), {"first_name": "A", "last_name": "B"})
    assert response.status_code == 403
    assert clerk.get(OFFICIALS).status_code == 403
    assert entries() == before


def test_staff_with_only_the_view_permission_may_look_but_not_act() -> None:
    code = person()
    user = user_for("viewer", staff=True)
    user.user_permissions.add(
        Permission.objects.get(content_type__app_label="identity", codename="view_personrecord")
    )
    viewer = Client()
    viewer.force_login(user)
    page = viewer.get(f"{PERSONS}{code}/change/")
    assert page.status_code == 200
    assert "/command/" not in page.content.decode()
    assert "Register person" not in viewer.get(PERSONS).content.decode()
    assert viewer.get(f"{PERSONS}add/").status_code == 403


def test_a_superuser_issues_no_identity_command() -> None:
    # The first registrars come from the operator's bootstrap (manage.py bootstrap_registrar).
    admin = logged_in("admin", superuser=True)
    response = admin.post(
        f"{PERSONS}add/",
        {"personal_code": new_code(), "first_name": "Esimene", "last_name": "Ametnik"},
    )
    assert response.status_code == 403
    assert not PersonRecord.objects.exists()


def test_anonymous_visitors_are_sent_to_the_login_page() -> None:
    code = person()
    response = Client().get(command_url(code, "name"))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_the_admin_index_shows_the_identity_registry_to_its_registrars(
    registrar: Client, clerk: Client
) -> None:
    html = registrar.get("/admin/").content.decode()
    assert "Identity registry" in html
    for link in [PERSONS, ORGANISATIONS, OFFICIALS]:
        assert f'href="{link}"' in html
    assert "Identity registry" not in clerk.get("/admin/").content.decode()


REPRESENTATIVES = "/admin/identity/representativerecord/"


def test_representatives_are_appointed_on_the_organisation_page_and_removed_by_form(
    registrar: Client,
) -> None:
    hospital = organisation("hospital", "Põhja Haigla")
    code = person("Peeter", "Peaarst")
    page = registrar.get(f"{ORGANISATIONS}{hospital}/change/").content.decode()
    appoint = f"{ORGANISATIONS}{hospital}/command/representative/"
    assert appoint in page
    assert "no representatives" in page
    before = entries()
    response = registrar.post(appoint, {"personal_code": code, "title": "   "})
    assert response.status_code == 200
    assert "title" in response.context["form"].errors
    assert entries() == before
    response = registrar.post(appoint, {"personal_code": code, "title": "chief executive"})
    assert response.status_code == 302, response.content.decode()[:3000]
    assert is_representative(hospital, code)
    page = registrar.get(f"{ORGANISATIONS}{hospital}/change/").content.decode()
    assert "Peeter Peaarst" in page
    assert "chief executive" in page

    representation = RepresentativeRecord.objects.get(person__personal_code=code)
    html = registrar.get(REPRESENTATIVES, {"q": "peaarst"}).content.decode()
    assert code in html
    assert "Põhja Haigla" in html
    removal = f"{REPRESENTATIVES}{representation.pk}/command/removal/"
    assert (
        removal in registrar.get(f"{REPRESENTATIVES}{representation.pk}/change/").content.decode()
    )
    assert "confirm" in registrar.post(removal, {}).context["form"].errors
    assert registrar.post(removal, {"confirm": "on"}).status_code == 302
    representation.refresh_from_db()
    assert not representation.active
    assert not is_representative(hospital, code)


def test_a_company_page_offers_no_representative_form_and_the_add_form_refuses_it(
    registrar: Client,
) -> None:
    company = organisation("company", "Pagar OÜ")
    code = person()
    page = registrar.get(f"{ORGANISATIONS}{company}/change/").content.decode()
    assert "/command/representative/" not in page
    assert "represented by its management board" in page
    before = entries()
    response = registrar.post(
        f"{REPRESENTATIVES}add/",
        {"organisation_code": company, "personal_code": code, "title": "director"},
    )
    assert response.status_code == 200
    assert "represented by its management board" in str(
        response.context["form"].errors["organisation_code"]
    )
    assert entries() == before
    court = organisation("court", "Tartu Maakohus")
    response = registrar.post(
        f"{REPRESENTATIVES}add/",
        {"organisation_code": court, "personal_code": code, "title": "chairman of the court"},
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert is_representative(court, code)


def test_staff_without_the_identity_registrar_role_cannot_appoint_representatives(
    clerk: Client,
) -> None:
    court = organisation("court")
    code = person()
    before = entries()
    assert clerk.get(REPRESENTATIVES).status_code == 403
    response = clerk.post(
        f"{ORGANISATIONS}{court}/command/representative/",
        {"personal_code": code, "title": "chairman of the court"},
    )
    assert response.status_code == 403
    assert entries() == before


@pytest.mark.parametrize("page", [OFFICIALS, REPRESENTATIVES])
def test_appointments_and_representatives_are_found_by_either_code_and_show_their_tenure(
    registrar: Client, page: str
) -> None:
    hospital = organisation("hospital", "Põhja Haigla")
    code = person("Peeter", "Peaarst")
    other = person("Ülle", "Õde")
    for who in (code, other):
        if page == OFFICIALS:
            appoint(who, "health", "doctor", hospital)
        else:
            run(lambda app, w=who: app.appoint_representative(w, hospital, "head", "r"))
    for term, shown in [(code, {code}), (hospital, {code, other}), ("peaarst", {code})]:
        html = registrar.get(page, {"q": term}).content.decode()
        assert {c for c in (code, other) if c in html} == shown, term
    pk = (
        (AppointmentRecord if page == OFFICIALS else RepresentativeRecord)
        .objects.get(person__personal_code=code)
        .pk
    )
    html = registrar.get(f"{page}{pk}/change/").content.decode()
    assert "On the chain" in html
    assert "Peeter Peaarst" in html
    assert 'name="_save"' not in html


def test_a_registrar_withdraws_an_erasure_request_from_the_persons_page(
    registrar: Client,
) -> None:
    code = person()
    page = registrar.get(f"{PERSONS}{code}/change/").content.decode()
    assert command_url(code, "withdraw-erasure") not in page  # nothing asked for yet
    response = registrar.post(command_url(code, "request-erasure"), {"reason": "GDPR art. 17"})
    assert response.status_code == 302, response.content.decode()[:3000]
    page = registrar.get(f"{PERSONS}{code}/change/").content.decode()
    assert command_url(code, "withdraw-erasure") in page  # the asker may withdraw it too
    before = entries()
    response = registrar.post(command_url(code, "withdraw-erasure"), {"reason": "by mistake"})
    assert response.status_code == 302, response.content.decode()[:3000]
    assert entries() == before + 1
    assert (record(code).erasure_requested_by, record(code).erasure_reason) == ("", "")
    assert registrar.get(command_url(code, "withdraw-erasure")).status_code == 404
