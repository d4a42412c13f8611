"""Organisation tokens for organisations that are not companies: a representative
recorded by the identity registrar (a hospital's chief executive, a court's
chairman) signs in for it; the token acts only as the organisation, only while
the representation lasts, and never with the person's official powers."""

from __future__ import annotations

from datetime import timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.utils import timezone
from rest_framework.test import APIClient

from chain.ledger.models import LedgerEntry
from registries.common.models import AccessToken, SignInFailure
from tests.registries.access.citizens import (
    PROBLEM,
    acting_for,
    citizen,
    no_longer_acting_for,
    not_a_representative,
    problem,
    sign_in_response,
    signed_in,
)
from tests.registries.court import helpers as court
from tests.registries.identity.helpers import appoint, organisation, run

pytestmark = pytest.mark.usefixtures("event_store")


def representative(kind: str, name: str, title: str) -> tuple[str, Ed25519PrivateKey, str]:
    """A person with an e-ID key recorded as the representative of a new organisation:
    (personal code, key, registry code)."""
    code, key = citizen("Peeter", "Juht")
    where = organisation(kind, name)
    run(lambda app: app.appoint_representative(code, where, title, "registrar"))
    return code, key, where


@pytest.fixture
def hospital_head() -> tuple[str, Ed25519PrivateKey, str]:
    return representative("hospital", "Põhja Haigla", "chief executive")


# Sign-in ------------------------------------------------------------------------------------------


def test_hospital_representative_signs_in_for_the_hospital(
    hospital_head: tuple[str, Ed25519PrivateKey, str],
) -> None:
    code, key, hospital = hospital_head
    response = sign_in_response(APIClient(), code, key, organisation=hospital)
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["personal_code"], body["organisation"], body["role"]) == (code, hospital, "")
    token = AccessToken.objects.get()
    assert (token.organisation, token.signed_in_by, token.role) == (hospital, code, "")
    assert token.user.get_username() == f"org-{hospital}"

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {body['token']}")
    card = client.get("/api/v1/me/organisation/")
    assert card.status_code == 200, card.content
    shown = card.json()
    assert (shown["registry_code"], shown["name"], shown["kind"]) == (
        hospital,
        "Põhja Haigla",
        "hospital",
    )
    (head,) = shown["representatives"]
    assert (head["first_name"], head["last_name"], head["title"]) == (
        "Peeter",
        "Juht",
        "chief executive",
    )
    assert head["chain"]["seq"] is not None
    assert shown["chain"]["registry"] == "identity"
    # The card names the representatives, not their personal codes.
    assert code not in card.content.decode()


def test_court_representative_signs_in_for_the_court() -> None:
    code, key, where = representative("court", "Tartu Maakohus", "chairman of the court")
    client = signed_in(code, key, organisation=where)
    assert client.get("/api/v1/me/organisation/").json()["kind"] == "court"


def test_a_person_who_does_not_represent_the_organisation_is_refused(
    hospital_head: tuple[str, Ed25519PrivateKey, str],
) -> None:
    _, _, hospital = hospital_head
    outsider, key = citizen("Võõras", "Inimene")
    body = not_a_representative(outsider, key, hospital)
    assert body["status"] == 403
    assert body["type"].endswith("/permission-denied")
    assert not AccessToken.objects.exists()
    assert SignInFailure.objects.filter(personal_code=outsider).count() == 1


def test_a_representative_of_one_organisation_is_refused_for_another(
    hospital_head: tuple[str, Ed25519PrivateKey, str],
) -> None:
    code, key, _ = hospital_head
    other = organisation("pharmacy", "Raeapteek")
    not_a_representative(code, key, other)
    assert not AccessToken.objects.exists()


# On use -------------------------------------------------------------------------------------------


def test_token_stops_working_when_the_representative_is_removed(
    hospital_head: tuple[str, Ed25519PrivateKey, str],
) -> None:
    code, key, hospital = hospital_head
    client = acting_for(code, key, hospital)
    run(lambda app: app.remove_representative(code, hospital, "registrar"))
    no_longer_acting_for(client, hospital)
    problem(client.get("/api/v1/me/court-cases/"), 401, "no longer represents")
    not_a_representative(code, key, hospital)


def test_token_stops_working_when_the_representative_dies(
    hospital_head: tuple[str, Ed25519PrivateKey, str],
) -> None:
    code, key, hospital = hospital_head
    client = signed_in(code, key, organisation=hospital)
    run(lambda app: app.record_death(code, timezone.localdate(), "registrar"))
    problem(client.get("/api/v1/me/organisation/"), 401, "no longer represents")


def test_hospital_token_never_acts_as_the_doctor_who_signed_in() -> None:
    code, key, hospital = representative("hospital", "Põhja Haigla", "chief physician")
    appoint(code, "health", "doctor", hospital)
    patient, _ = citizen("Kati", "Haige")
    client = signed_in(code, key, organisation=hospital)
    before = LedgerEntry.objects.count()
    # Neither the patient's record nor a doctor's entry: the hospital is not a doctor.
    problem(client.get(f"/api/v1/health/patients/{patient}/"), 403, "sign in as a person")
    response = client.post(
        f"/api/v1/health/patients/{patient}/encounters/",
        {"diagnoses": ["J06.9"], "notes": "Cold."},
        format="json",
    )
    assert response.status_code == 403, response.content
    assert response["Content-Type"] == PROBLEM
    # Nor an identity registrar's command, nor the person's own data.
    problem(
        client.post(
            f"/api/v1/identity/organisations/{hospital}/representatives/",
            {"personal_code": patient, "title": "director"},
            format="json",
        ),
        403,
        "registrar",
    )
    problem(client.get("/api/v1/me/person/"), 403, "only a person")
    assert LedgerEntry.objects.count() == before


def test_court_token_never_acts_as_the_judge_who_signed_in() -> None:
    code, key, where = representative("court", "Harju Maakohus", "chairman of the court")
    appoint(code, "court", "judge", where)
    case = court.open_case(judge_code=code, court_code=where)
    client = signed_in(code, key, organisation=where)
    before = LedgerEntry.objects.count()
    problem(
        client.post(
            f"/api/v1/court/cases/{case.number}/judgments/",
            {"kind": "dismissal", "summary": "Dismissed."},
            format="json",
        ),
        403,
        "only a judge of the court registry may do this",
    )
    assert LedgerEntry.objects.count() == before


def test_hospital_appeals_a_judgment_against_it() -> None:
    code, key, hospital = representative("hospital", "Põhja Haigla", "chief executive")
    today = timezone.localdate()
    case = court.open_case(opened_on=today - timedelta(days=60))
    court.add_party(case, court.person("Kati", "Kaebaja"), "plaintiff")
    court.add_party(case, hospital, "defendant")
    court.judgment(case, given_on=today - timedelta(days=5), today=today)
    client = signed_in(code, key, organisation=hospital)
    response = client.post(
        f"/api/v1/court/cases/{case.number}/judgments/1/appeals/",
        {"grounds": "The treatment followed the guidelines."},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["appeals"][0]["appellant_code"] == hospital


def test_a_company_known_only_to_the_identity_registry_has_no_representatives() -> None:
    # A company acts only through its board in the business registry.
    code, key = citizen("Mati", "Mees")
    company = organisation("company", "Pagar OÜ")
    not_a_representative(code, key, company)


def test_hospital_token_files_no_annual_report(
    hospital_head: tuple[str, Ed25519PrivateKey, str],
) -> None:
    code, key, hospital = hospital_head
    company = court.company()
    client = signed_in(code, key, organisation=hospital)
    report = {"year": 2025, "revenue_cents": 1, "net_profit_cents": 0, "employees": 1}
    before = LedgerEntry.objects.count()
    problem(
        client.post(f"/api/v1/business/companies/{company}/annual-reports/", report, format="json"),
        403,
        f"a token for organisation {hospital} acts only for that organisation",
    )
    problem(
        client.post(
            f"/api/v1/business/companies/{hospital}/annual-reports/", report, format="json"
        ),
        404,
        f"no company with registry code {hospital}",
    )
    assert LedgerEntry.objects.count() == before
