"""The courts' admin: read-only cases, changes only through judges' command forms."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.utils import timezone

from chain.ledger.models import LedgerEntry
from registries.business.models import CompanyRecord
from registries.court.models import CaseRecord, CovertAccessRecord, JudgmentRecord
from tests.registries.court.helpers import (
    add_party,
    company,
    court,
    judge,
    judgment,
    open_case,
    person,
)
from tests.registries.identity.helpers import official, user_for

pytestmark = pytest.mark.usefixtures("event_store")

CASES = "/admin/court/caserecord/"


def logged_in(username: str) -> Client:
    client = Client()
    client.force_login(user_for(username, staff=True))
    return client


def court_entries() -> int:
    return LedgerEntry.objects.filter(registry="court").count()


def command_url(number: str, slug: str) -> str:
    return f"{CASES}{number}/command/{slug}/"


def test_judges_list_search_and_filter_cases_with_their_ledger_columns() -> None:
    rent = open_case(title="Claim for unpaid rent")
    theft = open_case("criminal", title="Theft of a bicycle")
    accused = person("Kalle", "Kaval")
    add_party(theft, accused, "accused")
    client = logged_in(judge())
    html = client.get(CASES).content.decode()
    assert rent.number in html
    assert theft.number in html
    seq = CaseRecord.objects.get(number=rent.number).ledger_seq
    assert f'<td class="field-ledger_seq">{seq}</td>' in html
    assert '<td class="field-ledger_level">pending</td>' in html
    assert "Open case" in html
    for term, shown, hidden in [
        (rent.number, rent.number, theft.number),
        (accused, theft.number, rent.number),
        ("BICYCLE", theft.number, rent.number),
    ]:
        html = client.get(CASES, {"q": term}).content.decode()
        assert shown in html, term
        assert hidden not in html, term
    html = client.get(CASES, {"kind__exact": "criminal"}).content.decode()
    assert theft.number in html
    assert rent.number not in html


def test_a_case_page_is_read_only_with_tables_history_and_the_judges_commands() -> None:
    case = open_case()
    plaintiff = person()
    add_party(case, plaintiff, "plaintiff")
    judgment(case, given_on=timezone.localdate(), today=timezone.localdate())
    client = logged_in(case.judge)
    html = client.get(f"{CASES}{case.number}/change/").content.decode()
    for text in [
        plaintiff,
        "The defendant shall pay 1 200 euros.",
        "JudgmentRecorded",
        "Record judgment",
        "Declare judgment final",
        "Close case",
        "no appeals",
    ]:
        assert text in html, text
    assert 'name="_save"' not in html
    assert "Decide appeal" not in html  # nothing pending


def test_staff_who_are_not_judges_see_nothing_unless_granted_and_never_act() -> None:
    case = open_case()
    viewer = user_for(official("business", "registrar"), staff=True)
    client = Client()
    client.force_login(viewer)
    assert client.get(CASES).status_code == 403
    viewer.user_permissions.add(
        Permission.objects.get(content_type__app_label="court", codename="view_caserecord")
    )
    html = client.get(f"{CASES}{case.number}/change/").content.decode()
    assert case.number in html
    assert "Record judgment" not in html
    assert client.get(command_url(case.number, "record-judgment")).status_code == 403
    assert client.get(f"{CASES}add/").status_code == 403


def test_a_judge_opens_a_case_through_the_form() -> None:
    who, where = judge(), court()
    client = logged_in(who)
    response = client.post(
        f"{CASES}add/",
        {"kind": "administrative", "court_code": where, "title": "Building permit", "public": "on"},
    )
    record = CaseRecord.objects.get()
    assert response.status_code == 302
    assert response["Location"].endswith(f"{CASES}{record.number}/change/")
    assert (record.kind, record.judge_code, record.court_code) == ("administrative", who, where)
    assert record.number.startswith("3-")


def test_commands_run_through_forms_and_refusals_show_on_the_form() -> None:
    case = open_case(opened_on=timezone.localdate() - timedelta(days=60))
    client = logged_in(case.judge)
    debtor, creditor = company(), person()
    for code, role in [(creditor, "creditor"), (debtor, "debtor")]:
        response = client.post(command_url(case.number, "add-party"), {"code": code, "role": role})
        assert response.status_code == 302, response.content.decode()

    before = court_entries()
    response = client.post(
        command_url(case.number, "add-party"), {"code": "38001010000", "role": "creditor"}
    )
    assert response.status_code == 200
    assert "check digit" in response.content.decode()
    assert court_entries() == before

    given = timezone.localdate() - timedelta(days=31)
    response = client.post(
        command_url(case.number, "record-judgment"),
        {
            "kind": "insolvency-declaration",
            "summary": "Bankruptcy declared.",
            "given_on": str(given),
            "company_code": debtor,
        },
    )
    assert response.status_code == 302, response.content.decode()
    response = client.post(command_url(case.number, "declare-final"), {"judgment": "1"})
    assert response.status_code == 302, response.content.decode()
    assert JudgmentRecord.objects.get(case_id=case.number).status == "final"
    assert CompanyRecord.objects.get(registry_code=debtor).status == "in_liquidation"
    html = client.get(f"{CASES}{case.number}/change/").content.decode()
    assert "enter_liquidation" in html
    assert "done" in html

    other = logged_in(judge())
    before = court_entries()
    response = other.post(command_url(case.number, "close"), {"outcome": "Done."})
    assert response.status_code == 200
    assert f"only the judge assigned to case {case.number}" in response.content.decode()
    assert court_entries() == before
    response = client.post(command_url(case.number, "close"), {"outcome": "Done."})
    assert response.status_code == 302
    assert CaseRecord.objects.get(number=case.number).status == "closed"
    assert client.get(command_url(case.number, "record-judgment")).status_code == 404


def test_hearings_are_scheduled_and_cancelled_through_forms() -> None:
    case = open_case()
    client = logged_in(case.judge)
    tomorrow = timezone.localdate() + timedelta(days=1)
    response = client.post(
        command_url(case.number, "schedule-hearing"),
        {"starts_at": f"{tomorrow}T10:00", "room": "Room 3"},
    )
    assert response.status_code == 302, response.content.decode()
    hearing = CaseRecord.objects.get(number=case.number).hearings.get()
    assert timezone.localtime(hearing.starts_at).hour == 10
    response = client.post(
        command_url(case.number, "cancel-hearing"), {"hearing": "1", "reason": "Judge ill."}
    )
    assert response.status_code == 302
    hearing.refresh_from_db()
    assert (hearing.status, hearing.cancel_reason) == ("cancelled", "Judge ill.")


def test_the_judge_of_a_criminal_case_authorises_covert_access_through_the_form() -> None:
    case = open_case("criminal", title="Fraud")
    accused, stranger = person("Jüri", "Mets"), person("Kati", "Kask")
    add_party(case, accused, "accused")
    client = logged_in(case.judge)
    url = command_url(case.number, "authorise-covert-access")
    assert url in client.get(f"{CASES}{case.number}/change/").content.decode()
    before = court_entries()
    response = client.post(url, {"persons": stranger, "registries": ["health"]})
    assert response.status_code == 200
    assert "not a party" in response.content.decode()
    assert court_entries() == before
    response = client.post(url, {"persons": accused, "registries": ["health", "court"]})
    assert response.status_code == 302, response.content.decode()
    assert CovertAccessRecord.objects.filter(case_number=case.number).count() == 2
    civil = open_case()
    page = logged_in(civil.judge).get(f"{CASES}{civil.number}/change/").content.decode()
    assert command_url(civil.number, "authorise-covert-access") not in page
