"""The court registry's REST API over real HTTP (DRF's APIClient)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.utils import timezone
from rest_framework.test import APIClient

from chain.ledger.models import LedgerEntry
from registries.business.models import CompanyRecord
from registries.common.codes import registry_code
from tests.registries.court.helpers import (
    CaseSetup,
    add_party,
    company,
    court,
    judge,
    judgment,
    open_case,
    person,
)
from tests.registries.identity import helpers as identity

pytestmark = pytest.mark.usefixtures("event_store")

BASE = "/api/v1/court/"
PROBLEM = "application/problem+json"


@pytest.fixture(autouse=True)
def _no_throttle_history() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


def today() -> Any:
    return timezone.localdate()


def client_for(code: str) -> APIClient:
    """A client with the token of the user whose username is ``code`` (made once)."""
    user, _ = get_user_model().objects.get_or_create(username=code)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {identity.api_token(user)}")
    return client


def case_url(number: str, tail: str = "") -> str:
    return f"{BASE}cases/{number}/{tail}"


def court_entries() -> int:
    return LedgerEntry.objects.filter(registry="court").count()


def assert_problem(response: Any, status: int, slug: str, detail: str = "") -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert body["type"] == f"https://riik.example/problems/{slug}"
    assert detail in body["detail"]
    return body


@pytest.fixture
def judged_case() -> tuple[CaseSetup, str, str]:
    """A public civil case with two persons and a judgment given five days ago."""
    case = open_case(opened_on=today() - timedelta(days=60))
    plaintiff, defendant = person(), person("Jüri", "Õunapuu")
    add_party(case, plaintiff, "plaintiff")
    add_party(case, defendant, "defendant")
    judgment(case, given_on=today() - timedelta(days=5), today=today())
    return case, plaintiff, defendant


# The public register ------------------------------------------------------------------------------


def test_the_case_register_is_public_and_searchable() -> None:
    civil = open_case(title="Claim for unpaid rent")
    criminal = open_case("criminal", title="Theft")
    anonymous = APIClient()
    body = anonymous.get(f"{BASE}cases/").json()
    assert {c["number"] for c in body["results"]} == {civil.number, criminal.number}
    first = body["results"][0]
    assert set(first) == {
        "number",
        "kind",
        "court_code",
        "title",
        "public",
        "status",
        "opened_on",
        "closed_on",
        "ledger",
    }
    assert first["ledger"]["registry"] == "court"
    for query, expected in [
        ({"q": civil.number}, [civil.number]),
        ({"q": "UNPAID"}, [civil.number]),
        ({"kind": "criminal"}, [criminal.number]),
        ({"status": "closed"}, []),
        ({"court_code": civil.court}, [civil.number]),
    ]:
        found = anonymous.get(f"{BASE}cases/", query).json()["results"]
        assert [c["number"] for c in found] == expected, query
    assert_problem(anonymous.get(f"{BASE}cases/", {"kind": "family"}), 400, "validation-error")


def test_a_public_civil_case_shows_parties_and_summaries_but_not_the_judges_code(
    judged_case: tuple[CaseSetup, str, str],
) -> None:
    case, plaintiff, defendant = judged_case
    body = APIClient().get(case_url(case.number)).json()
    assert body["full_record"] is False
    assert body["judge_code"] is None
    assert body["parties"] == [
        {"role": "plaintiff", "party_kind": "person", "code": plaintiff},
        {"role": "defendant", "party_kind": "person", "code": defendant},
    ]
    [given] = body["judgments"]
    assert given["summary"] == "The defendant shall pay 1 200 euros."
    assert given["appeal_deadline"] == str(today() + timedelta(days=25))
    assert [h["event"] for h in body["history"]] == [
        "Opened",
        "PartyAdded",
        "PartyAdded",
        "JudgmentRecorded",
    ]


def test_a_criminal_case_never_shows_the_personal_codes_of_its_parties() -> None:
    case = open_case("criminal", title="Theft", opened_on=today() - timedelta(days=30))
    accused = person("Kalle", "Kaval")
    organisation = company()
    add_party(case, accused, "accused")
    add_party(case, organisation, "accused")
    judgment(case, "conviction", given_on=today(), today=today(), summary="Guilty.")
    assert (
        client_for(accused)
        .post(
            case_url(case.number, "judgments/1/appeals/"), {"grounds": "Innocent."}, format="json"
        )
        .status_code
        == 201
    )
    for viewer in [APIClient(), client_for(person("Uudis", "Himuline"))]:
        body = viewer.get(case_url(case.number)).json()
        assert body["parties"] == [
            {"role": "accused", "party_kind": "person", "code": None},
            {"role": "accused", "party_kind": "organisation", "code": organisation},
        ]
        assert body["appeals"][0]["appellant_code"] is None
        assert body["judgments"][0]["summary"] == "Guilty."
        assert accused not in str(body)


def test_a_case_heard_in_camera_hides_summaries_and_personal_codes() -> None:
    case = open_case(public=False, opened_on=today() - timedelta(days=30))
    applicant = person()
    add_party(case, applicant, "applicant")
    judgment(case, "dismissal", given_on=today(), today=today(), summary="Secret reasons.")
    body = APIClient().get(case_url(case.number)).json()
    assert body["public"] is False
    assert body["parties"] == [{"role": "applicant", "party_kind": "person", "code": None}]
    assert body["judgments"][0]["summary"] is None
    assert body["judgments"][0]["kind"] == "dismissal"
    assert "Secret" not in str(body)


def test_the_cases_parties_and_the_courts_judges_see_the_full_record() -> None:
    case = open_case("criminal", title="Theft")
    accused = person()
    add_party(case, accused, "accused")
    for viewer in [accused, judge()]:
        body = client_for(viewer).get(case_url(case.number)).json()
        assert body["full_record"] is True
        assert body["judge_code"] == case.judge
        assert body["parties"][0]["code"] == accused
    registrar = identity.official("business", "registrar")
    assert client_for(registrar).get(case_url(case.number)).json()["full_record"] is False


def test_malformed_and_unknown_case_numbers() -> None:
    anonymous = APIClient()
    assert_problem(anonymous.get(case_url("2-25-0")), 400, "invalid-case-number", "2-25-1234")
    assert_problem(anonymous.get(case_url("2-25-99")), 404, "not-found", "no case with number")


def test_the_hearing_calendar_lists_the_days_scheduled_hearings() -> None:
    case = open_case(opened_on=today())
    starts = timezone.localtime().replace(hour=10, minute=0, second=0, microsecond=0)
    starts += timedelta(days=1)
    day = starts.date()
    judge_client = client_for(case.judge)
    for room, moment in [("Room 1", starts), ("Room 2", starts + timedelta(hours=2))]:
        response = judge_client.post(
            case_url(case.number, "hearings/"),
            {"starts_at": moment.isoformat(), "room": room},
            format="json",
        )
        assert response.status_code == 201, response.content
    judge_client.post(
        case_url(case.number, "hearings/2/cancellation/"), {"reason": "Ill."}, format="json"
    )
    listed = APIClient().get(f"{BASE}hearings/", {"date": str(day)}).json()["results"]
    assert [(h["case_number"], h["number"], h["room"]) for h in listed] == [
        (case.number, 1, "Room 1")
    ]
    assert (
        APIClient()
        .get(f"{BASE}hearings/", {"date": str(day + timedelta(days=1))})
        .json()["results"]
        == []
    )


# Judges' commands ---------------------------------------------------------------------------------


def test_a_judge_runs_a_case_from_opening_to_closing() -> None:
    who, where = judge(), court()
    judge_client = client_for(who)
    response = judge_client.post(
        f"{BASE}cases/",
        {"kind": "civil", "court_code": where, "title": "Damages for a broken fence"},
        format="json",
    )
    assert response.status_code == 201, response.content
    number = response.json()["number"]
    assert number == f"2-{today().year % 100:02d}-1"
    assert response["Location"].endswith(case_url(number))
    assert response.json()["judge_code"] == who

    plaintiff, defendant = person(), person("Jüri", "Aed")
    for code, role in [(plaintiff, "plaintiff"), (defendant, "defendant")]:
        response = judge_client.post(
            case_url(number, "parties/"), {"code": code, "role": role}, format="json"
        )
        assert response.status_code == 201, response.content
    starts = (timezone.now() + timedelta(days=3)).replace(microsecond=0)
    response = judge_client.post(
        case_url(number, "hearings/"),
        {"starts_at": starts.isoformat(), "room": "Room 201"},
        format="json",
    )
    assert response.status_code == 201
    moved = starts + timedelta(days=1)
    response = judge_client.post(
        case_url(number, "hearings/1/rescheduling/"),
        {"starts_at": moved.isoformat(), "room": "Room 5"},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["hearings"][0]["room"] == "Room 5"

    response = judge_client.post(
        case_url(number, "judgments/"),
        {"kind": "damages", "summary": "The defendant pays 300 euros."},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["judgments"][0]["given_on"] == str(today())
    assert_problem(
        judge_client.post(case_url(number, "judgments/1/finality/"), {}, format="json"),
        409,
        "conflict",
        "appeal deadline of judgment 1 runs until",
    )
    assert_problem(
        judge_client.post(case_url(number, "closure/"), {"outcome": "Done."}, format="json"),
        409,
        "conflict",
        "judgment 1 of",
    )

    response = client_for(defendant).post(
        case_url(number, "judgments/1/appeals/"), {"grounds": "Too much."}, format="json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["full_record"] is True
    assert response.json()["judgments"][0]["status"] == "appealed"

    assert_problem(
        judge_client.post(
            case_url(number, "appeals/1/decision/"),
            {"decision": "dismissed", "summary": "Stands."},
            format="json",
        ),
        403,
        "not-allowed",
        "against their own judgment",
    )
    response = client_for(judge()).post(
        case_url(number, "appeals/1/decision/"),
        {"decision": "dismissed", "summary": "Stands."},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["judgments"][0]["status"] == "final"
    response = judge_client.post(case_url(number, "closure/"), {"outcome": "Paid."}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "closed"

    before = court_entries()
    assert_problem(
        judge_client.post(
            case_url(number, "judgments/"), {"kind": "damages", "summary": "More."}, format="json"
        ),
        409,
        "conflict",
        f"record judgment: case {number} is closed",
    )
    assert court_entries() == before


def test_commands_need_a_judge() -> None:
    case = open_case()
    data = {"kind": "dismissal", "summary": "Dismissed."}
    assert_problem(
        APIClient().post(case_url(case.number, "judgments/"), data, format="json"),
        401,
        "not-authenticated",
    )
    registrar = client_for(identity.official("business", "registrar"))
    before = court_entries()
    assert_problem(
        registrar.post(case_url(case.number, "judgments/"), data, format="json"),
        403,
        "permission-denied",
        "only a judge of the court registry may do this",
    )
    assert_problem(
        registrar.post(
            f"{BASE}cases/",
            {"kind": "civil", "court_code": case.court, "title": "x"},
            format="json",
        ),
        403,
        "permission-denied",
    )
    assert court_entries() == before


def test_a_judge_of_another_case_may_not_record_its_judgment() -> None:
    case = open_case()
    before = court_entries()
    assert_problem(
        client_for(judge()).post(
            case_url(case.number, "judgments/"),
            {"kind": "dismissal", "summary": "Dismissed."},
            format="json",
        ),
        403,
        "not-allowed",
        f"only the judge assigned to case {case.number}",
    )
    assert court_entries() == before


def test_bad_input_is_a_problem_and_writes_nothing() -> None:
    case = open_case()
    judge_client = client_for(case.judge)
    before = court_entries()
    body = assert_problem(
        judge_client.post(
            case_url(case.number, "parties/"), {"code": "38001010000", "role": "plaintiff"}
        ),
        400,
        "invalid-command",
        "check digit",
    )
    assert list(body["errors"]) == ["code"]
    body = assert_problem(
        judge_client.post(
            case_url(case.number, "parties/"),
            {"code": identity.new_code(), "role": "plaintiff"},
            format="json",
        ),
        400,
        "unknown-party",
        "code: no person with personal code",
    )
    body = assert_problem(
        judge_client.post(
            case_url(case.number, "parties/"), {"code": person(), "role": "accused"}, format="json"
        ),
        400,
        "invalid-command",
        "a party of a civil case is one of",
    )
    body = assert_problem(
        judge_client.post(
            case_url(case.number, "judgments/"), {"kind": "verdict", "summary": 5}, format="json"
        ),
        400,
        "validation-error",
    )
    assert set(body["errors"]) == {"kind", "summary"}
    assert_problem(
        judge_client.post(
            case_url(case.number, "judgments/"),
            {"kind": "seizure-order", "summary": "Seized.", "cadastral_code": "1:2:3"},
            format="json",
        ),
        400,
        "invalid-command",
        "cadastral_code",
    )
    assert_problem(
        judge_client.post(
            case_url(case.number, "judgments/"),
            {
                "kind": "damages",
                "summary": "x",
                "given_on": str(today() + timedelta(days=1)),
            },
            format="json",
        ),
        400,
        "invalid-command",
        "is in the future",
    )
    assert_problem(
        judge_client.post(
            f"{BASE}cases/",
            {"kind": "civil", "court_code": registry_code(999_003, kind_digit=7), "title": "x"},
            format="json",
        ),
        400,
        "unknown-party",
        "court_code: no court with registry code",
    )
    assert court_entries() == before


# Appeals by parties -------------------------------------------------------------------------------


def test_only_a_party_appeals_and_only_within_the_deadline(
    judged_case: tuple[CaseSetup, str, str],
) -> None:
    case, plaintiff, _ = judged_case
    url = case_url(case.number, "judgments/1/appeals/")
    before = court_entries()
    assert_problem(APIClient().post(url, {"grounds": "x"}, format="json"), 401, "not-authenticated")
    assert_problem(
        client_for(person("Võõras", "Inimene")).post(url, {"grounds": "x"}, format="json"),
        403,
        "not-allowed",
        f"only a party of case {case.number} may appeal",
    )
    user = identity.user_for("not-a-code")
    outsider = APIClient()
    outsider.force_authenticate(user)
    assert_problem(
        outsider.post(url, {"grounds": "x"}, format="json"),
        403,
        "permission-denied",
        "personal code",
    )
    assert court_entries() == before

    late = open_case(opened_on=today() - timedelta(days=90))
    add_party(late, plaintiff, "plaintiff")
    judgment(late, "dismissal", given_on=today() - timedelta(days=31), today=today())
    assert_problem(
        client_for(plaintiff).post(
            case_url(late.number, "judgments/1/appeals/"), {"grounds": "Late."}, format="json"
        ),
        409,
        "conflict",
        "appeal deadline of judgment 1",
    )
    assert_problem(
        client_for(plaintiff).post(
            case_url(case.number, "judgments/9/appeals/"), {"grounds": "x"}, format="json"
        ),
        404,
        "not-found",
        "no judgment 9",
    )


def test_on_the_last_day_of_the_deadline_an_appeal_is_accepted() -> None:
    case = open_case(opened_on=today() - timedelta(days=90))
    plaintiff = person()
    add_party(case, plaintiff, "plaintiff")
    judgment(case, "dismissal", given_on=today() - timedelta(days=30), today=today())
    response = client_for(plaintiff).post(
        case_url(case.number, "judgments/1/appeals/"), {"grounds": "Just in time."}, format="json"
    )
    assert response.status_code == 201, response.content


# Cross-registry effects through the API -----------------------------------------------------------


def test_declaring_an_insolvency_final_liquidates_the_company_at_once() -> None:
    debtor = company()
    case = open_case(opened_on=today() - timedelta(days=90))
    add_party(case, person("Kati", "Laen"), "creditor")
    add_party(case, debtor, "debtor")
    judgment(
        case,
        "insolvency-declaration",
        company_code=debtor,
        given_on=today() - timedelta(days=31),
        today=today(),
        summary="Bankruptcy declared.",
    )
    response = client_for(case.judge).post(
        case_url(case.number, "judgments/1/finality/"), {}, format="json"
    )
    assert response.status_code == 200, response.content
    [enforcement] = response.json()["enforcement"]
    assert (enforcement["action"], enforcement["target"], enforcement["outcome"]) == (
        "enter_liquidation",
        debtor,
        "done",
    )
    assert enforcement["court_seq"] == response.json()["judgments"][0]["final_seq"]
    company_record = CompanyRecord.objects.get(registry_code=debtor)
    assert (company_record.status, company_record.liquidation_cause) == (
        "in_liquidation",
        enforcement["cause"],
    )
