"""The admin's rough edges, checked in headless Chromium at 1400 px with DOM assertions."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.utils import timezone

from registries.common.projections import catch_up_all
from registries.court.models import JudgmentRecord
from registries.identity.vocabulary import key_id_of
from tests.config.browser import page, sign_in_in_browser
from tests.factories import register_company
from tests.registries.court.helpers import judgment, open_case
from tests.registries.health.helpers import doctor, encounter, patient
from tests.registries.identity import helpers as identity

pytestmark = pytest.mark.usefixtures("event_store")
__all__ = ["page"]  # the browser fixture


def with_key(registry: str, role: str) -> tuple[str, Ed25519PrivateKey]:
    """An official with a registered e-ID key."""
    code = identity.official(registry, role)
    key = Ed25519PrivateKey.generate()
    identity.run(lambda app: app.register_key(code, identity.raw_public(key), "registrar"))
    return code, key


def boxes_overlap(first: dict[str, float], second: dict[str, float]) -> bool:
    return not (
        first["x"] + first["width"] <= second["x"]
        or second["x"] + second["width"] <= first["x"]
        or first["y"] + first["height"] <= second["y"]
        or second["y"] + second["height"] <= first["y"]
    )


def test_a_judge_sees_only_what_they_may_do_and_when_a_judgment_can_become_final(
    live_server: Any, page: Any, tmp_path: Path
) -> None:
    today = timezone.localdate()
    on_the_case, key = with_key("court", "judge")
    case = open_case(judge_code=on_the_case, opened_on=today - timedelta(days=10))
    number = judgment(case, given_on=today, today=today)
    sign_in_in_browser(page, live_server.url, on_the_case, "court/judge", key, tmp_path)
    page.goto(f"{live_server.url}/admin/court/caserecord/{case.number}/change/")
    buttons = page.locator(".object-tools a.record-command")
    assert "Record judgment" in buttons.all_text_contents()
    later = page.locator(".object-tools .record-command.unavailable").all_text_contents()
    deadline = case_deadline(case.number, number)
    assert (
        f"Declare judgment final: available from {deadline + timedelta(days=1):%Y-%m-%d} "
        "(after the appeal period)"
    ) in later
    # The buttons do not cover the record's title.
    title = page.locator("#content > h2").bounding_box()
    tools = page.locator(".object-tools").bounding_box()
    assert title is not None
    assert tools is not None
    assert not boxes_overlap(title, tools)
    # The judgment form names judgment kinds in words.
    page.goto(f"{live_server.url}/admin/court/caserecord/{case.number}/command/record-judgment/")
    assert "Declaration of insolvency" in page.locator("#id_kind").inner_text()
    assert "insolvency-declaration" not in page.locator("#id_kind").inner_text()


def case_deadline(case_number: str, judgment_number: int) -> date:
    deadline: date = JudgmentRecord.objects.get(
        case_id=case_number, number=judgment_number
    ).appeal_deadline
    return deadline


def test_a_judge_not_on_the_case_sees_no_record_judgment_button(
    live_server: Any, page: Any, tmp_path: Path
) -> None:
    case = open_case()
    other, key = with_key("court", "judge")
    sign_in_in_browser(page, live_server.url, other, "court/judge", key, tmp_path)
    page.goto(f"{live_server.url}/admin/court/caserecord/{case.number}/change/")
    texts = page.locator(".object-tools .record-command").all_text_contents()
    assert "Record judgment" not in texts
    assert "Close case" not in texts


def test_a_forbidden_page_says_which_role_it_needs(
    live_server: Any, page: Any, tmp_path: Path
) -> None:
    code, key = with_key("court", "judge")
    sign_in_in_browser(page, live_server.url, code, "court/judge", key, tmp_path)
    response = page.goto(f"{live_server.url}/admin/business/companyrecord/")
    assert response.status == 403
    assert page.locator("#forbidden").inner_text() == "You may not open this page"
    assert page.locator("#forbidden-needed").inner_text() == (
        "It needs one of these roles: Business: registrar."
    )
    assert page.locator("#forbidden-role").inner_text() == "You are signed in as Court: judge."
    assert page.locator("a[href^='/admin/login/']").count() == 1


def test_annual_report_level_column_and_key_page(
    live_server: Any, page: Any, tmp_path: Path
) -> None:
    code, key = with_key("business", "registrar")
    company = register_company()  # registered this year: no financial year has ended since
    catch_up_all()
    sign_in_in_browser(page, live_server.url, code, "business/registrar", key, tmp_path)
    page.goto(f"{live_server.url}/admin/business/companyrecord/{company}/change/")
    later = page.locator(".object-tools .record-command.unavailable").all_text_contents()
    next_year = timezone.localdate().year + 1
    assert (
        f"File annual report: available from {next_year}-01-01 "
        "(once the current financial year has ended)"
    ) in later
    page.goto(f"{live_server.url}/admin/business/companyrecord/")
    level = page.locator("th.column-ledger_level")
    box = level.bounding_box()
    assert box is not None
    assert box["x"] + box["width"] <= 1400
    assert level.is_visible()


def test_a_person_page_is_found_by_personal_code_and_shows_the_public_key_and_its_id(
    live_server: Any, page: Any, tmp_path: Path
) -> None:
    code, key = with_key("identity", "registrar")
    public = identity.raw_public(key)
    sign_in_in_browser(page, live_server.url, code, "identity/registrar", key, tmp_path)
    page.goto(f"{live_server.url}/admin/identity/personrecord/?q={code}")
    page.locator("#result_list tbody tr a").first.click()
    page.wait_for_load_state("networkidle")
    assert f"/admin/identity/personrecord/{code}/change/" in page.url
    keys = page.locator(".field-keys_table")
    assert key_id_of(public) in keys.inner_text()
    assert page.locator(".field-keys_table code.public-key").inner_text() == public.hex()
    page.click("a.historylink")
    page.wait_for_load_state("networkidle")
    assert f"/admin/identity/personrecord/{code}/history/" in page.url
    assert code in page.locator("#content").inner_text()


def test_a_health_registrar_finds_a_patients_record_by_personal_code(
    live_server: Any, page: Any, tmp_path: Path
) -> None:
    code, key = with_key("health", "registrar")
    someone = patient()
    encounter(doctor(), someone)
    encounter(doctor(), patient("Jaan", "Kask"))
    sign_in_in_browser(page, live_server.url, code, "health/registrar", key, tmp_path)
    page.goto(f"{live_server.url}/admin/health/patientrecord/")
    assert page.locator("#result_list tbody tr").count() == 2
    page.fill("#searchbar", someone)
    page.press("#searchbar", "Enter")
    page.wait_for_load_state("networkidle")
    assert page.locator("#result_list tbody tr").count() == 1
