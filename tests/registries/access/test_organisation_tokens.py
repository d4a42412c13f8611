"""Organisation tokens: a management-board member signs in for their company,
and the token acts only as that company, only while they sit on its board."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.utils import timezone
from rest_framework.test import APIClient

from chain.ledger.models import LedgerEntry
from registries.business.application import BusinessRegistry, Registration
from registries.business.domain import company_id
from registries.business.projections import PROJECTIONS
from registries.common.application import running
from registries.common.commands import issue
from registries.common.models import AccessToken, SignInFailure
from tests.registries.access.citizens import (
    acting_for,
    citizen,
    no_longer_acting_for,
    not_a_representative,
    problem,
    sign_in_response,
    signed_in,
)
from tests.registries.court import helpers as court

pytestmark = pytest.mark.usefixtures("event_store")

REPORT = {"year": 2025, "revenue_cents": 1_000_000, "net_profit_cents": 20_000, "employees": 3}


def business(command: Any) -> Any:
    """Issue a business registry command and catch up its read models."""
    return issue(BusinessRegistry, PROJECTIONS, command)


def company_with_board(*board: str) -> str:
    """A company registered in 2024 whose board (and founders) are ``board``."""
    registration = Registration(
        name=f"Pagar {len(LedgerEntry.objects.all())} OÜ",
        legal_form="OÜ",
        share_capital_cents=250_000,
        founders=list(board),
        board=list(board),
        address="Tallinn, Lossi plats 1a",
    )
    return str(
        business(lambda app: app.register_company(registration, "registrar", date(2024, 3, 1)))
    )


@pytest.fixture
def member() -> tuple[str, Ed25519PrivateKey, str]:
    """A board member with an e-ID key, and their company: (code, key, registry code)."""
    code, key = citizen("Juhan", "Juhataja")
    return code, key, company_with_board(code)


# Sign-in ------------------------------------------------------------------------------------------


def test_board_member_signs_in_for_the_company_and_the_token_acts_as_it(
    member: tuple[str, Ed25519PrivateKey, str],
) -> None:
    code, key, company = member
    response = sign_in_response(APIClient(), code, key, organisation=company)
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["personal_code"], body["organisation"], body["role"]) == (code, company, "")
    token = AccessToken.objects.get()
    assert (token.organisation, token.signed_in_by) == (company, code)
    assert token.user.get_username() == f"org-{company}"

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {body['token']}")
    card = client.get("/api/v1/me/organisation/")
    assert card.status_code == 200, card.content
    assert card.json()["registry_code"] == company


def test_a_person_not_on_the_board_is_refused_and_the_failure_counted(
    member: tuple[str, Ed25519PrivateKey, str],
) -> None:
    _, _, company = member
    outsider, key = citizen("Võõras", "Inimene")
    not_a_representative(outsider, key, company)
    assert not AccessToken.objects.exists()
    assert SignInFailure.objects.filter(personal_code=outsider).count() == 1


def test_a_founder_who_left_the_board_is_refused(
    member: tuple[str, Ed25519PrivateKey, str],
) -> None:
    code, key, company = member
    successor, _ = citizen("Uus", "Juht")
    business(lambda app: app.change_board(company, [successor], "registrar"))
    not_a_representative(code, key, company)


def test_malformed_or_unknown_organisation_and_role_with_organisation_are_refused(
    member: tuple[str, Ed25519PrivateKey, str],
) -> None:
    code, key, company = member
    problem(sign_in_response(APIClient(), code, key, organisation="1234"), 400, "organisation")
    not_a_representative(code, key, "10000018")
    problem(
        sign_in_response(APIClient(), code, key, role="court/judge", organisation=company),
        400,
        "either with a role or for an organisation, not both",
    )
    assert not AccessToken.objects.exists()


# On use -------------------------------------------------------------------------------------------


def test_token_stops_working_when_the_person_leaves_the_board(
    member: tuple[str, Ed25519PrivateKey, str],
) -> None:
    code, key, company = member
    client = acting_for(code, key, company)
    successor, _ = citizen("Uus", "Juht")
    business(lambda app: app.change_board(company, [successor], "registrar"))
    no_longer_acting_for(client, company)
    before = LedgerEntry.objects.count()
    problem(
        client.post(f"/api/v1/business/companies/{company}/annual-reports/", REPORT, format="json"),
        401,
        "no longer represents organisation",
    )
    assert LedgerEntry.objects.count() == before


def test_organisation_token_never_acts_as_the_person(
    member: tuple[str, Ed25519PrivateKey, str],
) -> None:
    code, key, company = member
    client = signed_in(code, key, organisation=company)
    for url in ("/api/v1/identity/persons/me/", "/api/v1/me/companies/"):
        response = client.get(url)
        assert response.status_code in (403, 404), (url, response.content)
        assert code.encode() not in response.content
    # The person's own case: an organisation token does not appeal as the person.
    case = court.open_case(opened_on=timezone.localdate() - timedelta(days=60))
    court.add_party(case, code, "defendant")
    court.judgment(
        case, given_on=timezone.localdate() - timedelta(days=5), today=timezone.localdate()
    )
    problem(
        client.post(
            f"/api/v1/court/cases/{case.number}/judgments/1/appeals/",
            {"grounds": "x"},
            format="json",
        ),
        403,
        f"only a party of case {case.number} may appeal",
    )
    # And a citizen token of the same person does not act for the company.
    citizen_client = signed_in(code, key)
    problem(citizen_client.get("/api/v1/me/organisation/"), 403, "signed in for an organisation")


# Acting as the company --------------------------------------------------------------------------


def test_company_appeals_its_own_judgment_but_not_another_companys(
    member: tuple[str, Ed25519PrivateKey, str],
) -> None:
    code, key, company = member
    today = timezone.localdate()
    case = court.open_case(opened_on=today - timedelta(days=60))
    court.add_party(case, court.person("Kati", "Laen"), "plaintiff")
    court.add_party(case, company, "defendant")
    court.judgment(case, given_on=today - timedelta(days=5), today=today)
    other_case = court.open_case(opened_on=today - timedelta(days=60))
    court.add_party(other_case, court.company(), "defendant")
    court.judgment(other_case, given_on=today - timedelta(days=5), today=today)
    client = signed_in(code, key, organisation=company)

    before = LedgerEntry.objects.count()
    problem(
        client.post(
            f"/api/v1/court/cases/{other_case.number}/judgments/1/appeals/",
            {"grounds": "Not ours."},
            format="json",
        ),
        403,
        f"only a party of case {other_case.number} may appeal",
    )
    assert LedgerEntry.objects.count() == before

    response = client.post(
        f"/api/v1/court/cases/{case.number}/judgments/1/appeals/",
        {"grounds": "The claim is time-barred."},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    (appeal,) = body["appeals"]
    assert appeal["appellant_code"] == company
    assert body["judgments"][0]["status"] == "appealed"


def test_company_files_its_own_annual_report_but_not_another_companys(
    member: tuple[str, Ed25519PrivateKey, str],
) -> None:
    code, key, company = member
    other_member, _ = citizen("Teine", "Juht")
    other = company_with_board(other_member)
    client = signed_in(code, key, organisation=company)

    before = LedgerEntry.objects.count()
    problem(
        client.post(f"/api/v1/business/companies/{other}/annual-reports/", REPORT, format="json"),
        403,
        f"a token for organisation {company} acts only for that organisation",
    )
    assert LedgerEntry.objects.count() == before

    response = client.post(
        f"/api/v1/business/companies/{company}/annual-reports/", REPORT, format="json"
    )
    assert response.status_code == 201, response.content
    assert [r["year"] for r in response.json()["annual_reports"]] == [2025]
    events: list[Any] = list(running(BusinessRegistry).events.get(company_id(company)))
    # The event names the company as the actor, not the board member who signed in.
    assert events[-1].actor == company


def test_organisation_token_cannot_issue_registrar_commands_for_its_own_company(
    member: tuple[str, Ed25519PrivateKey, str],
) -> None:
    code, key, company = member
    client = signed_in(code, key, organisation=company)
    before = LedgerEntry.objects.count()
    problem(
        client.post(
            f"/api/v1/business/companies/{company}/address/",
            {"address": "Tartu, Raekoja plats 1"},
            format="json",
        ),
        403,
        "only a registrar of the business registry may do this",
    )
    assert LedgerEntry.objects.count() == before
