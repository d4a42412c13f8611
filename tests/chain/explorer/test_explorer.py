"""The web explorer end to end in headless Chromium (Debian's ``chromium`` package).

The browser verifies a receipt with WebCrypto; a corrupted proof or signature
is injected between the server and the page (as a dishonest server would) and
must be caught by the page itself.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from chain import notes
from chain.blocks.models import Supernode
from chain.blocks.sealing import seal_pending
from chain.keys import NodeKey
from registries.business.application import BusinessRegistry
from registries.common.application import running
from tests.factories import register_company

playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
CHROMIUM = shutil.which("chromium") or (
    "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None
)
pytestmark = [
    pytest.mark.usefixtures("event_store"),
    pytest.mark.skipif(CHROMIUM is None, reason="no Chromium (apt-get install chromium)"),
]
STRANGER = NodeKey.generate("supernode-1")
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]


@pytest.fixture
def page(live_server: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    code = register_company()
    seal_pending()
    running(BusinessRegistry).change_address(code, "Pärnu, Rüütli 5", "registrar")
    register_company()
    seal_pending()
    # Playwright's sync API runs an event loop in this thread; the database work
    # above is done, and the live server answers from its own thread.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "1")
    with playwright_api.sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"),  # a fresh --user-data-dir
            executable_path=CHROMIUM,
            headless=True,
            args=FLAGS,
        )
        page = context.new_page()
        # The page is served with a strict Content-Security-Policy: every test
        # here also checks that the page works under it, without a violation.
        violations: list[str] = []
        page.on(
            "console",
            lambda message: (
                violations.append(message.text)
                if "Content Security Policy" in message.text
                else None
            ),
        )
        page.goto(f"{live_server.url}/explorer/")
        yield page
        context.close()
    assert violations == []


def _corrupt(change: Callable[[dict[str, Any]], None]) -> Callable[[Any], None]:
    """A route handler that alters the receipt on its way to the page."""

    def handler(route: Any) -> None:
        response = route.fetch()
        receipt = response.json()
        change(receipt)
        route.fulfill(response=response, body=json.dumps(receipt))

    return handler


def _verify(page: Any, seq: int, trusted_keys: str = "") -> str:
    page.fill("#seq", str(seq))
    page.click("#lookup button[type=submit]")
    page.wait_for_selector("#record:not([hidden])")
    page.wait_for_function(
        "document.querySelector('#record-fields dd')?.textContent.endsWith(' seq " + str(seq) + "')"
    )
    page.fill("#trusted-keys", trusted_keys)
    page.click("#verify")
    page.wait_for_function(
        "/^(VERIFIED|FAILED)/.test(document.querySelector('#verdict').textContent)"
    )
    return str(page.text_content("#verdict"))


def test_blocks_show_their_level_and_signatures_by_tier(page: Any) -> None:
    page.wait_for_function("document.querySelectorAll('#blocks tbody tr').length === 2")
    assert page.text_content("#blocks tbody tr:first-child td:nth-child(2)") == "final"
    page.click("#blocks tbody tr[data-height='1']")
    page.wait_for_selector("#block-section:not([hidden]) .tier[data-tier=supernode]")
    assert page.text_content(".tier[data-tier=supernode] h3") == "supernode: 1 signatures"
    assert page.text_content(".tier[data-tier=witness] h3") == "witness: 0 signatures"


def test_verify_in_the_browser_accepts_a_good_receipt(page: Any) -> None:
    verdict = _verify(page, 3)
    assert verdict.startswith("VERIFIED: registry business seq 3 is in block 2"), verdict
    checks = page.text_content("#checks")
    assert "inclusion proof" in checks
    assert "valid supernode Ed25519 signatures" in checks


def test_verify_in_the_browser_rejects_a_corrupted_proof(page: Any) -> None:
    def flip_proof(receipt: dict[str, Any]) -> None:
        first = receipt["inclusion"]["proof"][0]
        receipt["inclusion"]["proof"][0] = ("0" if first[0] != "0" else "1") + first[1:]

    page.route("**/receipt/", _corrupt(flip_proof))
    verdict = _verify(page, 3)
    assert (
        verdict == "FAILED: registry business seq 3: inclusion proof does not reach block 2's root"
    )


def test_verify_in_the_browser_rejects_a_forged_supernode_signature(page: Any) -> None:
    def forge(receipt: dict[str, Any]) -> None:
        signature = receipt["block"]["certificate"][0]["signature"]
        receipt["block"]["certificate"][0]["signature"] = signature[::-1]

    page.route("**/receipt/", _corrupt(forge))
    verdict = _verify(page, 1)
    assert verdict == "FAILED: block 1: missing supernode quorum (0 of 1 valid signatures)"


def test_the_page_checks_against_pinned_keys_not_the_servers(page: Any) -> None:
    # The citizen pinned another supernode-1 key: the keys served with the receipt
    # do not count, so the real certificate no longer verifies.
    verdict = _verify(page, 1, STRANGER.verifier_key())
    assert verdict == "FAILED: block 1: missing supernode quorum (0 of 1 valid signatures)"
    trusted = Supernode.objects.get()
    verdict = _verify(page, 1, notes.verifier_key(trusted.name, bytes(trusted.public_key)))
    assert verdict.startswith("VERIFIED"), verdict
