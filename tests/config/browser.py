"""Headless Chromium for the admin's browser tests: a page 1400 px wide, e-ID sign-in."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
CHROMIUM = shutil.which("chromium") or (
    "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None
)
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
LOGIN = "/admin/login/"


@pytest.fixture
def page(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A headless Chromium page, 1400 px wide, in English."""
    if CHROMIUM is None:
        pytest.skip("no Chromium (apt-get install chromium)")
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "1")
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        context = browser.new_context(locale="en-GB", viewport={"width": 1400, "height": 900})
        yield context.new_page()
        browser.close()


def key_file(directory: Path, key: Ed25519PrivateKey) -> Path:
    """The key as ``riik_client keygen`` writes it: PKCS#8 PEM."""
    path = directory / "key.pem"
    path.write_bytes(key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
    return path


def sign_in_in_browser(
    page: Any, url: str, code: str, role: str, key: Ed25519PrivateKey, directory: Path
) -> None:
    """Fill the admin's login page and sign with the key file, as an official would."""
    page.goto(f"{url}{LOGIN}")
    page.fill("#id_personal_code", code)
    page.select_option("#id_role", role)
    page.set_input_files("#id_key_file", str(key_file(directory, key)))
    page.click("#e-id-submit")
    # The page signs in script, then posts: wait for the answer (the admin, or a
    # refusal on the login page), not for the first quiet moment in between.
    page.wait_for_function(
        "!location.pathname.endsWith('/login/') || "
        "document.querySelector('#sign-in-refused, #sign-in-problem:not([hidden])') !== null"
    )
    page.wait_for_load_state("networkidle")
