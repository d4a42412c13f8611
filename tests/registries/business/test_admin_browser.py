"""A ministry clerk (a business registrar) registers a company in the Estonian admin, in
the browser: every field labelled and explained in Estonian, a refusal on the field it
concerns, the success said in Estonian."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from registries.business.models import CompanyRecord
from tests.config.browser import page, sign_in_in_browser
from tests.factories import registered_founder
from tests.registries.identity import helpers as identity

pytestmark = pytest.mark.usefixtures("event_store")
__all__ = ["page"]  # the browser fixture

ADD = "/admin/business/companyrecord/add/"


def registrar() -> tuple[str, Ed25519PrivateKey]:
    """A business registrar with a registered e-ID key."""
    code = identity.official("business", "registrar")
    key = Ed25519PrivateKey.generate()
    identity.run(lambda app: app.register_key(code, identity.raw_public(key), "registrar"))
    return code, key


def test_a_clerk_registers_a_company_in_estonian_told_what_each_field_takes(
    live_server: Any, page: Any, tmp_path: Path
) -> None:
    founder = registered_founder()
    code, key = registrar()
    sign_in_in_browser(page, live_server.url, code, "business/registrar", key, tmp_path)
    page.context.add_cookies([{"name": "django_language", "value": "et", "url": live_server.url}])
    page.goto(f"{live_server.url}{ADD}")
    labels = page.locator("#content-main label").all_text_contents()
    assert "Nimi:" in labels
    assert "Osakapital (€):" in labels
    assert "Juhatus:" in labels
    assert "õiguslikku vormi" in page.locator("#id_name_helptext").inner_text()
    page.fill("#id_name", "Põhjarannik")  # no legal form in the name
    page.select_option("#id_legal_form", "OÜ")
    page.fill("#id_share_capital_euros", "2500")
    page.fill("#id_founders", founder)
    page.fill("#id_board", founder)
    page.fill("#id_address", "Tallinn, Lossi plats 1a")
    page.click("input[type=submit]")
    # Refused on the name, in Estonian, and nothing registered.
    page.wait_for_selector(".errorlist")
    refusal = page.locator(".field-name .errorlist").inner_text()
    assert refusal == "ärinimi peab näitama õiguslikku vormi (OÜ)"
    assert not CompanyRecord.objects.exists()
    page.fill("#id_name", "Põhjarannik OÜ")
    page.click("input[type=submit]")
    page.wait_for_selector(".messagelist .success")
    said = page.locator(".messagelist .success").inner_text()
    assert "Põhjarannik OÜ" in said
    assert "pearaamatu jrk" in said
    assert CompanyRecord.objects.get().name == "Põhjarannik OÜ"
