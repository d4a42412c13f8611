"""Officials sign in to the admin with their e-ID key, for one role (ADR 0059)."""

from __future__ import annotations

from collections.abc import Iterator
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import Client, override_settings

from registries.access.admin_signin import REPRESENTATIVE
from registries.identity.vocabulary import key_id_of
from tests.config.browser import page, sign_in_in_browser
from tests.registries.access.citizens import citizen
from tests.registries.identity.helpers import raw_public, run, user_for
from tests.registries.money.helpers import central_bank, official_of

pytestmark = pytest.mark.usefixtures("event_store")

LOGIN = "/admin/login/"
__all__ = ["page"]  # the browser fixture
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


def test_a_central_bank_official_signs_in_as_its_representative_and_acts_in_no_other_role() -> None:
    central = central_bank()
    official = official_of(central)
    run(lambda app: app.appoint_official(official.code, "business", "registrar", None, "registrar"))
    client = Client()
    response = sign_in(client, official.code, official.key, REPRESENTATIVE)
    assert response.status_code == 302
    assert client.get("/admin/money/walletrecord/").status_code == 200
    # Signed in for the central bank, she is no business registrar in this session.
    assert client.get("/admin/business/companyrecord/").status_code == 403


def test_a_person_who_represents_no_organisation_is_told_so_and_not_signed_in() -> None:
    code, key = citizen("Mari", "Maasikas")
    client = Client()
    response = sign_in(client, code, key, REPRESENTATIVE)
    assert response.status_code == 200
    assert "You represent no organisation" in unescape(response.content.decode())
    assert client.get("/admin/").status_code == 302


# In the browser: the page signs the challenge with the key file (WebCrypto).


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


def test_an_official_signed_in_in_one_role_signs_in_again_in_another() -> None:
    code, key = appointed("business", "registrar")
    run(lambda app: app.appoint_official(code, "property", "registrar", None, "registrar"))
    client = Client()
    assert sign_in(client, code, key, "business/registrar").status_code == 302
    assert client.get("/admin/property/landunitrecord/").status_code == 403
    assert sign_in(client, code, key, "property/registrar").status_code == 302
    assert client.get("/admin/property/landunitrecord/").status_code == 200
    assert client.get("/admin/business/companyrecord/").status_code == 403
