"""The front door: a start page in Estonian and English; an admin branded Riik, greeting by name."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from tests.registries.identity.helpers import official, user_for

DOORS = ["/api/v1/me/", "/admin/", "/explorer/", "/api/docs/"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "heading", "officials"),
    [
        ("et", "Riik: riigi registrid", "Ametnikud, kohtunikud ja notarid"),
        ("en", "Riik: the state's registers", "Officials, judges and notaries"),
    ],
)
def test_the_start_page_sends_each_user_to_their_place_in_their_language(
    client: Client, language: str, heading: str, officials: str
) -> None:
    response = client.get("/", HTTP_ACCEPT_LANGUAGE=language)
    page = response.content.decode()
    assert response.status_code == 200
    assert response["Content-Language"] == language
    assert f'<html lang="{language}">' in page
    assert heading in page
    assert officials in page
    for door in DOORS:
        assert f'href="{door}"' in page
    assert "No block has been sealed yet." in page or "Ühtegi plokki pole veel suletud." in page


@pytest.mark.django_db
def test_the_language_switch_keeps_the_choice(client: Client) -> None:
    response = client.post("/i18n/setlang/", {"language": "et", "next": "/"})
    assert response.status_code == 302
    assert "Riik: riigi registrid" in client.get("/").content.decode()


@pytest.mark.usefixtures("event_store")
def test_the_admin_is_branded_riik_and_greets_the_official_by_name() -> None:
    code = official("business", "registrar")  # registered as Jaan Kask
    client = Client()
    client.force_login(user_for(code, staff=True))
    page = client.get("/admin/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Riik registers" in page
    assert "Django administration" not in page
    assert '<strong id="official-name">Jaan Kask</strong>' in page
    assert code not in page.split('id="official-name"')[1].split("</strong>")[0]
    estonian = client.get("/admin/", HTTP_ACCEPT_LANGUAGE="et").content.decode()
    assert "Riigi registrid" in estonian
    assert "Tere," in estonian


playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
CHROMIUM = shutil.which("chromium") or (
    "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None
)
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]


@pytest.fixture
def browser(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    if CHROMIUM is None:
        pytest.skip("no Chromium (apt-get install chromium)")
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "1")
    with playwright_api.sync_playwright() as playwright:
        yield playwright, tmp_path


def _page(browser: Any, locale: str) -> Any:
    playwright, tmp_path = browser
    context = playwright.chromium.launch_persistent_context(
        str(tmp_path / f"profile-{locale}"),
        executable_path=CHROMIUM,
        headless=True,
        args=FLAGS,
        locale=locale,
    )
    return context.new_page()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("locale", "heading", "admin_link"),
    [
        ("et-EE", "Riik: riigi registrid", "Logi sisse haldusliidesesse"),
        ("en-GB", "Riik: the state's registers", "Sign in to the administration"),
    ],
)
def test_a_browser_gets_the_start_page_in_its_language_and_finds_the_admin(
    live_server: Any, browser: Any, locale: str, heading: str, admin_link: str
) -> None:
    page = _page(browser, locale)
    page.goto(f"{live_server.url}/")
    assert page.locator("h1").inner_text() == heading
    assert page.locator("html").get_attribute("lang") == locale[:2]
    assert page.locator("ul.doors > li").count() == 4
    page.get_by_role("link", name=admin_link).click()
    page.wait_for_url("**/admin/login/**")
    assert page.locator("#site-name").inner_text() == (
        "Riigi registrid" if locale.startswith("et") else "Riik registers"
    )
