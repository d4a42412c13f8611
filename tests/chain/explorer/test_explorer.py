"""The web explorer end to end in headless Chromium (Debian's ``chromium`` package).

The browser verifies a receipt with WebCrypto; a corrupted proof or signature
is injected between the server and the page (as a dishonest server would) and
must be caught by the page itself. The block list pages (two blocks a page
here), a record is found by its public identifier, and the chart draws a point
per final block.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from chain import notes
from chain.blocks.models import Supernode
from chain.blocks.sealing import seal_pending
from chain.explorer import views
from chain.keys import NodeKey
from chain.ledger.models import LedgerEntry
from registries.business.application import BusinessRegistry
from registries.business.models import CompanyRecord
from registries.common.application import running
from registries.common.projections import catch_up_all
from tests.factories import FOUNDER, register_company

playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
expect = playwright_api.expect
CHROMIUM = shutil.which("chromium") or (
    "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None
)
pytestmark = [
    pytest.mark.usefixtures("event_store"),
    pytest.mark.skipif(CHROMIUM is None, reason="no Chromium (apt-get install chromium)"),
]
STRANGER = NodeKey.generate("supernode-1")
# The explorer's CSP allows no eval, so tests wait with Playwright's own assertions
# (its wait_for_function polls a string predicate through eval, refused by the page).
WAIT_MS = 30_000
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]


@pytest.fixture
def page(live_server: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    code = register_company()
    seal_pending()
    running(BusinessRegistry).change_address(code, "Pärnu, Rüütli 5", "registrar")
    register_company()
    seal_pending()
    catch_up_all()  # the read models the lookup by registry code reads
    monkeypatch.setattr(views, "PAGE_SIZE", 2)
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
    expect(page.locator("#record-fields dd").first).to_have_text(
        re.compile(rf" seq {seq}$"), timeout=WAIT_MS
    )
    page.fill("#trusted-keys", trusted_keys)
    page.click("#verify")
    expect(page.locator("#verdict")).to_have_text(
        re.compile(r"^(VERIFIED|FAILED)"), timeout=WAIT_MS
    )
    return str(page.text_content("#verdict"))


def test_blocks_show_their_level_and_signatures_by_tier(page: Any) -> None:
    expect(page.locator("#blocks tbody tr")).to_have_count(2, timeout=WAIT_MS)
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


def _rows(page: Any, selector: str, attribute: str) -> list[str]:
    return list(
        page.eval_on_selector_all(selector, f"rows => rows.map(row => row.dataset.{attribute})")
    )


def _heights_shown(page: Any, heights: list[str]) -> None:
    # Playwright's locator assertions wait without evaluating strings in the page,
    # which its Content-Security-Policy would refuse.
    rows = page.locator("#blocks tbody tr")
    expect(rows).to_have_count(len(heights))
    for index, height in enumerate(heights):
        expect(rows.nth(index)).to_have_attribute("data-height", height)


def test_the_block_list_pages_to_older_blocks_and_back(page: Any) -> None:
    register_company()
    seal_pending()
    page.reload()
    _heights_shown(page, ["3", "2"])
    assert page.is_disabled("#blocks-newer")
    expect(page.locator("#blocks-range")).to_have_text("heights 3 to 2")
    page.click("#blocks-older")
    _heights_shown(page, ["1"])
    expect(page.locator("#blocks-older")).to_be_disabled()
    expect(page.locator("#blocks-newest")).to_be_enabled()
    page.click("#blocks-newer")
    _heights_shown(page, ["3", "2"])
    page.click("#blocks-older")
    _heights_shown(page, ["1"])
    page.click("#blocks-newest")
    _heights_shown(page, ["3", "2"])


def test_a_company_is_found_by_its_registry_code_with_its_entries(page: Any) -> None:
    company = CompanyRecord.objects.order_by("registered_on", "registry_code").first()
    assert company is not None
    entries = LedgerEntry.objects.filter(registry="business", originator_id=company.aggregate_id)
    seqs = sorted(str(seq) for seq in entries.values_list("seq", flat=True))
    page.select_option("#find-registry", "business")
    page.fill("#find-identifier", company.registry_code)
    page.click("#find button[type=submit]")
    rows = page.locator("#entries tbody tr")
    expect(rows).to_have_count(len(seqs))
    assert sorted(_rows(page, "#entries tbody tr", "seq")) == seqs
    expect(page.locator("#entries tbody tr td:nth-child(6)")).to_have_text(["final"] * len(seqs))
    # Envelopes and hashes only: nothing of the founder, whose code is on the company card.
    assert FOUNDER not in page.text_content("#find-section")
    # An entry leads to its receipt, checked in the browser.
    page.click(f"#entries tbody tr[data-seq='{seqs[-1]}']")
    expect(page.locator("#record-fields dd").first).to_have_text(f"business seq {seqs[-1]}")


def test_an_unknown_or_malformed_identifier_says_so(page: Any) -> None:
    page.select_option("#find-registry", "business")
    page.fill("#find-identifier", "10000018")
    page.click("#find button[type=submit]")
    expect(page.locator("#find-error")).to_have_text(
        "registry business has no record with registry code 10000018"
    )
    expect(page.locator("#entries")).to_be_hidden()
    page.select_option("#find-registry", "property")
    page.fill("#find-identifier", "12")
    page.click("#find button[type=submit]")
    expect(page.locator("#find-error")).to_contain_text("12")
    expect(page.locator("#find-error")).not_to_contain_text("10000018")


def test_the_chart_draws_a_point_per_final_block(page: Any) -> None:
    expect(page.locator("#chart circle.point")).to_have_count(2)
    assert sorted(_rows(page, "#chart circle.point", "height")) == ["1", "2"]
    assert sorted(_rows(page, "#chart rect.bar.final", "height")) == ["1", "2"]
    expect(page.locator("#chart-summary")).to_contain_text(
        "2 of 2 blocks final; median time to finality "
    )
    # A new block is drawn by the next poll, without reloading the page.
    register_company()
    seal_pending()
    expect(page.locator("#chart circle.point")).to_have_count(3)
