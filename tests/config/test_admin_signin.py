"""Officials sign in to the admin with their e-ID key, for one role (ADR 0059)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import Client, override_settings

from registries.identity.domain import key_id_of
from tests.registries.access.citizens import citizen
from tests.registries.identity.helpers import raw_public, run, user_for

pytestmark = pytest.mark.usefixtures("event_store")

LOGIN = "/admin/login/"
CHALLENGE = "/api/v1/identity/sign-in/challenge/"


@pytest.fixture(autouse=True)
def _no_throttle_history() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


def appointed(registry: str, role: str) -> tuple[str, Ed25519PrivateKey]:
    """A person with an e-ID key, appointed ``role`` of ``registry``."""
    code, key = citizen("Jaan", "Kask")
    run(lambda app: app.appoint_official(code, registry, role, None, "registrar"))
    return code, key


def sign_in(client: Client, code: str, key: Ed25519PrivateKey, role: str) -> Any:
    """Post the admin's login form as the page's script does."""
    challenge = client.post(CHALLENGE, {"personal_code": code}, content_type="application/json")
    assert challenge.status_code == 201, challenge.content
    body = challenge.json()
    data = {
        "personal_code": code,
        "role": role,
        "nonce": body["nonce"],
        "signature": key.sign(body["message"].encode()).hex(),
    }
    return client.post(LOGIN, data)


def test_a_newly_appointed_official_signs_in_at_once_bound_to_the_chosen_role() -> None:
    code, key = appointed("business", "registrar")
    run(lambda app: app.appoint_official(code, "property", "registrar", None, "registrar"))
    client = Client()
    response = sign_in(client, code, key, "business/registrar")
    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    user = get_user_model().objects.get(username=code)
    assert user.is_staff
    assert not user.has_usable_password()
    index = client.get("/admin/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "/admin/business/" in index
    # The session acts as a business registrar only, though she is a property registrar too.
    assert "/admin/property/" not in index
    assert client.get("/admin/property/landunitrecord/").status_code == 403


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("wrong key", "the signature does not match the person's current e-ID key"),
        ("revoked key", "the signature does not match the person's current e-ID key"),
        ("no role", "you hold no current appointment as court/judge"),
    ],
)
def test_a_refused_sign_in_says_why_and_signs_nobody_in(case: str, message: str) -> None:
    code, key = appointed("business", "registrar")
    role = "business/registrar"
    if case == "wrong key":
        key = Ed25519PrivateKey.generate()
    elif case == "revoked key":
        key_id = key_id_of(raw_public(key))
        run(lambda app: app.revoke_key(code, key_id, "lost", "registrar"))
    else:
        role = "court/judge"
    client = Client()
    response = sign_in(client, code, key, role)
    assert response.status_code == 200
    assert message in unescape(response.content.decode())
    assert client.get("/admin/").status_code == 302


def test_passwords_are_refused_and_not_offered_by_default() -> None:
    user_for("root", superuser=True)
    client = Client()
    page = client.get(LOGIN).content.decode()
    assert 'id="password-form"' not in page
    assert 'type="file"' in page
    response = client.post(LOGIN, {"username": "root", "password": "x" * 20})
    assert "Password sign-in is off" in response.content.decode()
    assert client.get("/admin/").status_code == 302


@override_settings(RIIK_ADMIN_PASSWORDS=True)
def test_break_glass_passwords_sign_in_a_superuser_but_never_an_official() -> None:
    code, _ = appointed("business", "registrar")
    official = get_user_model().objects.create_user(username=code, password="y" * 20)
    official.is_staff = True
    official.save()
    user_for("root", superuser=True)
    client = Client()
    assert 'id="password-form"' in client.get(LOGIN).content.decode()
    refused = client.post(LOGIN, {"username": code, "password": "y" * 20})
    assert "not a password" in refused.content.decode()
    assert client.post(LOGIN, {"username": "root", "password": "x" * 20}).status_code == 302


# In the browser: the page signs the challenge with the key file (WebCrypto).

playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
CHROMIUM = shutil.which("chromium") or (
    "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None
)
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]


@pytest.fixture
def page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A headless Chromium page, 1400 px wide, in English."""
    if CHROMIUM is None:
        pytest.skip("no Chromium (apt-get install chromium)")
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "1")
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        context = browser.new_context(locale="en-GB", viewport={"width": 1400, "height": 900})
        yield context.new_page()
        browser.close()


def key_file(tmp_path: Path, key: Ed25519PrivateKey) -> Path:
    """The key as ``riik_client keygen`` writes it: PKCS#8 PEM."""
    path = tmp_path / "key.pem"
    path.write_bytes(key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
    return path


def sign_in_in_browser(
    page: Any, url: str, code: str, role: str, key: Ed25519PrivateKey, tmp_path: Path
) -> None:
    """Fill the login page and sign with the key file, as an official would."""
    page.goto(f"{url}{LOGIN}")
    page.fill("#id_personal_code", code)
    page.select_option("#id_role", role)
    page.set_input_files("#id_key_file", str(key_file(tmp_path, key)))
    page.click("#e-id-submit")
    page.wait_for_load_state("networkidle")


def test_an_official_signs_in_in_the_browser_with_the_key_file(
    live_server: Any, page: Any, tmp_path: Path
) -> None:
    code, key = appointed("business", "registrar")
    sign_in_in_browser(page, live_server.url, code, "business/registrar", key, tmp_path)
    page.wait_for_url(f"{live_server.url}/admin/")
    assert page.locator("#official-name").text_content() == "Jaan Kask"
    assert page.locator("a[href='/admin/business/']").count() >= 1
    assert page.locator("a[href='/admin/property/']").count() == 0


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("wrong key", "the signature does not match the person's current e-ID key"),
        ("revoked key", "the signature does not match the person's current e-ID key"),
        ("no role", "you hold no current appointment as court/judge"),
    ],
)
def test_the_browser_shows_why_a_sign_in_is_refused(
    live_server: Any, page: Any, tmp_path: Path, case: str, message: str
) -> None:
    code, key = appointed("business", "registrar")
    role = "business/registrar"
    if case == "wrong key":
        key = Ed25519PrivateKey.generate()
    elif case == "revoked key":
        key_id = key_id_of(raw_public(key))
        run(lambda app: app.revoke_key(code, key_id, "lost", "registrar"))
    else:
        role = "court/judge"
    sign_in_in_browser(page, live_server.url, code, role, key, tmp_path)
    assert page.locator("#sign-in-refused").inner_text() == message
    assert page.url.startswith(f"{live_server.url}{LOGIN}")
    assert page.locator("#official-name").count() == 0
