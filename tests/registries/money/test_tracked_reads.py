"""Every official's read of a person's wallet is a tracked read (DESIGN §8): the bank's,
and an authority's under a court order; the holder sees them in /me/data-tracker/."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from registries.tracker.models import CovertCommitmentRecord, ReadRecord
from tests.registries.access.citizens import signed_in
from tests.registries.court import helpers as court
from tests.registries.identity import helpers as identity
from tests.registries.money import helpers as h
from tests.registries.tracker.test_every_read_is_tracked import patterns

pytestmark = pytest.mark.usefixtures("event_store")


def _my_reads(citizen: h.Citizen) -> list[dict[str, Any]]:
    reads: list[dict[str, Any]] = (
        h.citizen_client(citizen).get("/api/v1/me/data-tracker/").json()["results"]
    )
    return reads


def test_a_banks_read_of_a_wallet_is_shown_to_the_holder() -> None:
    bank = h.bank()
    mari = h.citizen()
    h.wallet(mari.code, bank, 500)
    official = h.official_of(bank)
    client = signed_in(official.code, official.key, organisation=bank)

    detail = client.get(f"/api/v1/money/wallets/{mari.code}/", {"purpose": "loan application"})
    listing = client.get("/api/v1/money/wallets/")

    assert (detail.status_code, listing.status_code) == (200, 200)
    reads = _my_reads(mari)
    assert sorted((r["reader_code"], r["registry"], r["what"], r["purpose"]) for r in reads) == [
        (official.code, "money", "wallet and payments", "loan application"),
        (official.code, "money", "wallets of the bank", "serving the bank's customer"),
    ]


def test_a_bank_reading_its_own_wallet_tracks_no_one() -> None:
    bank = h.bank()
    official = h.official_of(bank)
    client = signed_in(official.code, official.key, organisation=bank)

    response = client.get(f"/api/v1/money/wallets/{bank}/")

    assert response.status_code == 200
    assert not ReadRecord.objects.exists()


def test_an_investigator_reads_a_partys_wallet_under_the_case_covertly() -> None:
    bank = h.bank()
    mari = h.citizen()
    h.wallet(mari.code, bank, 700)
    case = court.open_case("criminal", title="Money laundering")
    court.add_party(case, mari.code, "accused")
    investigator = identity.official("court", "investigator")

    response = identity.token_client(investigator).get(
        f"/api/v1/money/court-orders/{case.number}/wallets/{mari.code}/"
    )

    assert response.status_code == 200, response.content
    assert response.json()["balance_cents"] == 700
    assert CovertCommitmentRecord.objects.count() == 1
    assert _my_reads(mari) == []  # shown when a final judgment of the case releases it


def test_a_court_order_that_does_not_name_the_person_is_refused_in_the_open() -> None:
    bank = h.bank()
    mari = h.citizen()
    h.wallet(mari.code, bank, 700)
    case = court.open_case("criminal", title="Money laundering")
    court.add_party(case, court.person("Jüri", "Kuri"), "accused")
    investigator = identity.official("court", "investigator")

    response = identity.token_client(investigator).get(
        f"/api/v1/money/court-orders/{case.number}/wallets/{mari.code}/"
    )

    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"
    assert "balance_cents" not in response.json()
    assert [(r["reader_code"], r["outcome"]) for r in _my_reads(mari)] == [
        (investigator, "refused")
    ]


def test_only_a_court_investigator_reads_a_wallet_under_a_court_order() -> None:
    bank = h.bank()
    mari = h.citizen()
    h.wallet(mari.code, bank, 700)
    case = court.open_case("criminal", title="Money laundering")
    court.add_party(case, mari.code, "accused")
    stranger = h.citizen("Võõras", "Inimene")

    response = h.citizen_client(stranger).get(
        f"/api/v1/money/court-orders/{case.number}/wallets/{mari.code}/"
    )

    assert response.status_code == 403
    assert not ReadRecord.objects.exists()
    assert not CovertCommitmentRecord.objects.exists()


def test_a_bankers_admin_page_and_search_of_a_wallet_are_tracked_reads() -> None:
    bank = h.bank()
    mari = h.citizen()
    h.wallet(mari.code, bank, 500)
    banker = h.official_of(bank).code
    browser = Client()
    browser.force_login(identity.user_for(banker, staff=True))

    page = browser.get(f"/admin/money/walletrecord/{mari.code}/change/")
    found = browser.get("/admin/money/walletrecord/", {"q": mari.code})
    listed = browser.get("/admin/money/walletrecord/")  # neither searched nor filtered

    assert (page.status_code, found.status_code, listed.status_code) == (200, 200, 200)
    assert sorted((r["reader_code"], r["what"]) for r in _my_reads(mari)) == [
        (banker, "wallet and payments (admin)"),
        (banker, "wallets found by a search or filter (admin)"),
    ]


PUBLIC_READS = {"api/v1/money/supply/"}
"""Money reads that show no person's wallet (the supply and the central bank's acts)."""


def test_every_money_read_endpoint_but_the_public_supply_leaves_a_tracker_event() -> None:
    bank = h.bank()
    mari = h.citizen()
    h.wallet(mari.code, bank, 500)
    case = court.open_case("criminal", title="Money laundering")
    court.add_party(case, mari.code, "accused")
    official = h.official_of(bank)
    readers = [
        signed_in(official.code, official.key, organisation=bank),
        identity.token_client(identity.official("court", "investigator")),
    ]
    values = {"code": mari.code, "number": case.number}
    endpoints = [
        (route, pattern)
        for route, pattern in patterns()
        if route.startswith("api/v1/money/")
        and hasattr(getattr(pattern.callback, "view_class", None), "get")
        and route not in PUBLIC_READS
    ]
    assert len(endpoints) >= 3, [route for route, _ in endpoints]
    for route, pattern in endpoints:
        url = "/" + route
        for name in pattern.pattern.converters:
            url = url.replace(f"<str:{name}>", values[name])
        statuses = []
        for client in readers:
            before = ReadRecord.objects.count() + CovertCommitmentRecord.objects.count()
            response = client.get(url)
            statuses.append(response.status_code)
            if response.status_code == 200:
                after = ReadRecord.objects.count() + CovertCommitmentRecord.objects.count()
                assert after > before, f"GET {url} left no tracker event"
                break
        assert statuses[-1] == 200, f"GET {url}: no reader was allowed: {statuses}"
