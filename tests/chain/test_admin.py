"""The chain's admin pages: public to every ministry's staff, and read-only."""

from __future__ import annotations

from html import unescape

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from chain.blocks.sealing import seal_pending
from chain.ledger.models import LedgerEntry
from chain.protocol import MEMBERSHIP_TOPIC
from tests.factories import register_company

pytestmark = pytest.mark.usefixtures("event_store")


@pytest.fixture
def staff_client() -> Client:
    user = get_user_model().objects.create_user("clerk", password="pw-12345678", is_staff=True)
    client = Client()
    client.force_login(user)
    return client


def test_any_staff_member_sees_blocks_and_ledger_entries(staff_client: Client) -> None:
    register_company()
    seal_pending()
    blocks = staff_client.get("/admin/chain/block/")
    assert blocks.status_code == 200
    assert b"final" in blocks.content
    assert staff_client.get("/admin/chain/block/1/change/").status_code == 200
    entries = staff_client.get("/admin/chain/ledgerentry/")
    assert entries.status_code == 200
    assert b"Registered" in entries.content


def test_nobody_can_add_change_or_delete_chain_records(staff_client: Client) -> None:
    register_company()
    seal_pending()
    assert staff_client.get("/admin/chain/block/add/").status_code == 403
    assert staff_client.post("/admin/chain/block/1/delete/").status_code == 403
    response = staff_client.post("/admin/chain/block/1/change/", {"level": "proposed"})
    assert response.status_code == 403


def test_non_staff_users_do_not_see_the_chain_admin() -> None:
    user = get_user_model().objects.create_user("citizen", password="pw-12345678")
    client = Client()
    client.force_login(user)
    assert client.get("/admin/chain/block/").status_code == 302


def test_staff_see_membership_changes_with_their_certificates(staff_client: Client) -> None:
    register_company()
    seal_pending()
    listing = staff_client.get("/admin/chain/membershipentry/")
    assert listing.status_code == 200
    assert b"genesis" in listing.content
    assert b"supernode-1" in listing.content
    entry = LedgerEntry.objects.get(registry="consensus", topic=MEMBERSHIP_TOPIC)
    detail = staff_client.get(f"/admin/chain/membershipentry/{entry.pk}/change/")
    assert detail.status_code == 200
    assert b"&quot;kind&quot;: &quot;membership&quot;" in detail.content
    assert staff_client.post(f"/admin/chain/membershipentry/{entry.pk}/delete/").status_code == 403


def test_a_blocks_header_is_shown_indented_one_member_a_line_not_as_one_long_line(
    staff_client: Client,
) -> None:
    register_company()
    seal_pending()
    page = staff_client.get("/admin/chain/block/1/change/").content.decode()
    shown = page.split('<pre class="canonical-json">', 1)[1].split("</pre>", 1)[0]
    assert '\n "chain_id": ' in unescape(shown)
    assert len(shown.splitlines()) > 5
