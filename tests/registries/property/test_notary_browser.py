"""A notary endorses a transfer application in the browser: from the list to the chain."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from chain.blocks.sealing import seal_pending
from registries.property.models import TransferRecord
from tests.config.browser import key_file, page, sign_in_in_browser
from tests.registries.property.helpers import bank, notary, owner, register_unit, run

pytestmark = pytest.mark.usefixtures("event_store")
__all__ = ["page"]  # the browser fixture


def filed(buyer_share: str = "1/1") -> tuple[str, str, str, Any]:
    """A unit with a transfer application for a new notary: (code, seller, buyer, notary)."""
    seller, buyer, clerk = owner(), owner("Jaan", "Kask"), notary()
    code = register_unit([(seller, "1/1")])
    run(
        lambda a: a.apply_for_transfer(
            code, [seller], [(buyer, buyer_share)], 12_000_000, clerk.code, "registrar"
        )
    )
    return code, seller, buyer, clerk


def open_application(page: Any, url: str, code: str) -> None:
    page.goto(f"{url}/admin/property/transferapplicationrecord/")
    assert page.locator("#result_list tbody tr").count() == 1
    page.locator("#result_list tbody tr a").first.click()
    page.wait_for_selector("#signed-message")


def test_a_notary_endorses_from_the_list_to_a_committed_transfer(
    live_server: Any, page: Any, tmp_path: Path
) -> None:
    code, _seller, buyer, clerk = filed()
    filed()  # another notary's application: not shown to this one
    sign_in_in_browser(page, live_server.url, clerk.code, "property/notary", clerk.key, tmp_path)
    open_application(page, live_server.url, code)
    message = page.locator("#signed-message").inner_text()
    assert message.startswith('{"buyers"') or '"kind":"title-transfer"' in message
    assert f'"cadastral_code":"{code}"' in message
    assert "receives 1/1 of the land unit" in page.locator(".field-terms").inner_text()
    page.set_input_files("#id_key_file", str(tmp_path / "key.pem"))
    page.click("#endorse-submit")
    page.wait_for_selector(".messagelist .success")
    assert "endorsed and filed" in page.locator(".messagelist .success").inner_text()
    assert page.locator(".field-status .readonly").inner_text().startswith("endorsed")
    assert page.locator("#endorse-form").count() == 0
    transfer = TransferRecord.objects.get(unit_id=code)
    assert transfer.notary == clerk.code
    assert transfer.buyers == [{"owner": buyer, "share": "1/1"}]
    assert seal_pending() is not None
    page.reload()
    # Sealed into a block: committed at least (final at once on a single supernode).
    on_chain = page.locator(".field-transfer .readonly").inner_text()
    assert re.fullmatch(r"ledger seq \d+, block \d+, level (committed|final|witnessed)", on_chain)


def test_the_notary_is_told_when_the_unit_changed_since_and_nothing_is_filed(
    live_server: Any, page: Any, tmp_path: Path
) -> None:
    code, _, _, clerk = filed()
    sign_in_in_browser(page, live_server.url, clerk.code, "property/notary", clerk.key, tmp_path)
    open_application(page, live_server.url, code)
    run(lambda a: a.add_mortgage(code, 1_000_000, bank(), "registrar"))  # meanwhile
    page.set_input_files("#id_key_file", str(tmp_path / "key.pem"))
    page.click("#endorse-submit")
    page.wait_for_load_state("networkidle")
    error = page.locator(".messagelist .error").inner_text()
    assert "the notary signed version 2 of the unit" in error
    assert "now version 3" in error
    assert not TransferRecord.objects.filter(unit_id=code).exists()


def test_a_key_that_is_not_the_notarys_current_one_is_named(
    live_server: Any, page: Any, tmp_path: Path
) -> None:
    code, _, _, clerk = filed()
    sign_in_in_browser(page, live_server.url, clerk.code, "property/notary", clerk.key, tmp_path)
    open_application(page, live_server.url, code)
    stranger = tmp_path / "other"
    stranger.mkdir()
    from_other = Ed25519PrivateKey.generate()
    page.set_input_files("#id_key_file", str(key_file(stranger, from_other)))
    page.click("#endorse-submit")
    page.wait_for_load_state("networkidle")
    error = page.locator(".messagelist .error").inner_text()
    assert f"not the signature of notary {clerk.code}" in error
    assert not TransferRecord.objects.filter(unit_id=code).exists()


def test_the_endorse_page_speaks_estonian_and_refuses_a_file_that_is_no_key(
    live_server: Any, page: Any, tmp_path: Path
) -> None:
    code, _, _, clerk = filed()
    sign_in_in_browser(page, live_server.url, clerk.code, "property/notary", clerk.key, tmp_path)
    # As the start page's language switch (/i18n/setlang/) leaves it.
    page.context.add_cookies([{"name": "django_language", "value": "et", "url": live_server.url}])
    open_application(page, live_server.url, code)
    assert page.locator("#endorsement h2").inner_text() == "Kinnita oma e-ID võtmega"
    assert page.locator("#endorse-submit").get_attribute("value") == (
        "Allkirjasta ja esita võõrandamine"
    )
    not_a_key = tmp_path / "notes.txt"
    not_a_key.write_text("not a key\n")
    page.set_input_files("#id_key_file", str(not_a_key))
    page.click("#endorse-submit")
    # Polled: the element shows before the script has written its text.
    expect = pytest.importorskip("playwright.sync_api").expect
    expect(page.locator("#endorse-problem")).to_contain_text(
        re.compile(r"^See fail ei ole Ed25519 privaatvõti")
    )
    assert not TransferRecord.objects.filter(unit_id=code).exists()
