"""The land register's REST API over real HTTP (DRF's APIClient)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from rest_framework.test import APIClient

from chain.ledger.models import LedgerEntry
from registries.property.application import PropertyRegistry
from registries.property.endorsement import transfer_message
from registries.property.vocabulary import land_unit_id
from tests.registries.identity import helpers as identity
from tests.registries.property.helpers import (
    Notary,
    bank,
    cadastral_code,
    notary,
    owner,
    person_with_key,
    register_unit,
    run,
    version_of,
    written,
)

pytestmark = pytest.mark.usefixtures("event_store")

BASE = "/api/v1/property/land-units/"
PROBLEM = "application/problem+json"
PROBLEMS = "https://riik.example/problems/"


@pytest.fixture(autouse=True)
def _no_throttle_history() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def registrar() -> APIClient:
    """A property registrar (username = their personal code) with a token."""
    return identity.token_client(identity.official("property", "registrar"))


@pytest.fixture
def business_registrar() -> APIClient:
    return identity.token_client(identity.official("business", "registrar"))


def url(code: str, tail: str = "") -> str:
    return f"{BASE}{code}/{tail}"


def problem(response: Any, status: int, slug: str) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert body["type"] == PROBLEMS + slug, body
    assert body["status"] == status
    assert body["title"]
    assert body["detail"]
    assert body["instance"] == response.wsgi_request.path
    return body


def signed(
    code: str,
    signer: Notary,
    sellers: list[str],
    buyers: list[tuple[str, str]],
    *,
    price_cents: int = 25_000_000,
    notary_code: str | None = None,
    encoding: str = "hex",
) -> dict[str, Any]:
    version = version_of(code)
    message = transfer_message(
        cadastral_code=code,
        sellers=sellers,
        buyers=buyers,
        price_cents=price_cents,
        unit_version=version,
        chain_id=settings.RIIK_CHAIN_ID,
    )
    signature = signer.key.sign(message)
    return {
        "sellers": sellers,
        "buyers": [{"owner": o, "share": s} for o, s in buyers],
        "price_cents": price_cents,
        "unit_version": version,
        "notary": notary_code or signer.code,
        "signature": signature.hex() if encoding == "hex" else _b64(signature),
    }


def _b64(raw: bytes) -> str:
    import base64

    return base64.b64encode(raw).decode()


# Public reads --------------------------------------------------------------------------------


def test_the_title_register_is_public_with_all_four_parts_and_the_ledger() -> None:
    mari, lender = owner(), bank()
    code = register_unit([(mari, "1/1")], address="Pikk 7, 10123 Tallinn")
    run(lambda a: a.add_restriction(code, "servitude", "Right of way", "", "r"))
    run(lambda a: a.add_mortgage(code, 10_000_000, lender, "r"))
    run(lambda a: a.add_mortgage(code, 5_000_000, lender, "r"))
    run(lambda a: a.release_mortgage(code, 1, "r"))
    response = APIClient().get(url(code))
    assert response.status_code == 200
    body = response.json()
    assert body["cadastral_code"] == code
    assert body["part_i"] == {
        "area_m2": 1_250,
        "purpose": "residential",
        "address": "Pikk 7, 10123 Tallinn",
    }
    assert body["part_ii"]["owners"] == [
        {"owner": mari, "kind": "person", "share": "1/1", "since_seq": 1}
    ]
    (servitude,) = body["part_iii"]["restrictions"]
    assert (servitude["number"], servitude["kind"], servitude["entered_seq"]) == (1, "servitude", 2)
    assert [m["rank"] for m in body["part_iv"]["mortgages"]] == [2]
    assert [m["rank"] for m in body["part_iv"]["released"]] == [1]
    assert body["ledger"] == {
        "registry": "property",
        "seq": 5,
        "block_height": None,
        "level": "pending",
    }
    assert [h["event"] for h in body["history"]] == [
        "Registered",
        "RestrictionAdded",
        "MortgageRegistered",
        "MortgageRegistered",
        "MortgageReleased",
    ]
    assert [h["seq"] for h in body["history"]] == [1, 2, 3, 4, 5]


def test_search_by_address_code_prefix_purpose_and_seizure() -> None:
    first = register_unit(code="78401:101:0001", address="Pärnu mnt 10, Tallinn")
    register_unit(code="79501:202:0002", address="Rüütli 1, Tartu", purpose="commercial")
    run(lambda a: a.note_seizure(first, "order 1", "case 1", "court:1", "court"))
    client = APIClient()

    def found(**params: Any) -> list[str]:
        response = client.get(BASE, params)
        assert response.status_code == 200, response.content
        return [u["cadastral_code"] for u in response.json()["results"]]

    assert found() == ["78401:101:0001", "79501:202:0002"]
    assert found(q="PÄRNU") == ["78401:101:0001"]
    assert found(q="79501:") == ["79501:202:0002"]
    assert found(purpose="commercial") == ["79501:202:0002"]
    assert found(under_seizure="true") == ["78401:101:0001"]
    problem(client.get(BASE, {"purpose": "castle"}), 400, "validation-error")


def test_searching_by_a_personal_code_is_for_officials_and_the_person_only(
    registrar: APIClient,
) -> None:
    mari, lender = owner(), bank()
    mine = register_unit([(mari, "1/1")])
    theirs = register_unit([(lender, "1/1")])
    # An organisation's holdings are public.
    response = APIClient().get(BASE, {"owner": lender})
    assert [u["cadastral_code"] for u in response.json()["results"]] == [theirs]
    problem(APIClient().get(BASE, {"owner": mari}), 401, "not-authenticated")
    stranger = identity.token_client(owner("Uudis", "Kask"))
    body = problem(stranger.get(BASE, {"owner": mari}), 403, "permission-denied")
    assert "only property officials and the person themselves" in body["detail"]
    for client in (identity.token_client(mari), registrar):
        response = client.get(BASE, {"owner": mari})
        assert [u["cadastral_code"] for u in response.json()["results"]] == [mine]
    problem(APIClient().get(BASE, {"owner": "123"}), 400, "invalid-command")


def test_an_invalid_cadastral_code_is_a_400_problem_saying_which_part() -> None:
    body = problem(APIClient().get(url("78401:11:0010")), 400, "invalid-cadastral-code")
    assert "the section must be exactly 3 digits" in body["detail"]
    assert body["errors"] == {"cadastral_code": [body["detail"].split(": ", 1)[1]]}
    problem(APIClient().get(url("78401:101:0099")), 404, "not-found")


# Commands need the property registrar role ------------------------------------------------------


def registration(code: str, owners: list[dict[str, str]]) -> dict[str, Any]:
    return {
        "cadastral_code": code,
        "area_m2": 5_400,
        "purpose": "agricultural",
        "address": "Mäe talu, Kose vald",
        "owners": owners,
    }


def test_a_registrar_registers_a_land_unit(registrar: APIClient) -> None:
    mari, jaan = owner(), owner("Jaan")
    code = cadastral_code()
    data = registration(code, [{"owner": mari, "share": "2/3"}, {"owner": jaan, "share": "1/3"}])
    response = registrar.post(BASE, data, format="json")
    assert response.status_code == 201, response.content
    assert response["Location"].endswith(url(code))
    assert {o["owner"]: o["share"] for o in response.json()["part_ii"]["owners"]} == {
        mari: "2/3",
        jaan: "1/3",
    }
    assert problem(registrar.post(BASE, data, format="json"), 409, "conflict")["detail"] == (
        f"cadastral_code: the land unit {code} is already registered"
    )


def test_a_business_registrar_cannot_change_the_land_register(
    business_registrar: APIClient,
) -> None:
    code = register_unit()
    lender = bank()
    before = written()
    attempts = [
        (BASE, registration(cadastral_code(), [{"owner": owner(), "share": "1/1"}])),
        (url(code, "description/"), {"area_m2": 1, "purpose": "forest", "address": "Mets"}),
        (url(code, "restrictions/"), {"kind": "servitude", "description": "Tee"}),
        (url(code, "mortgages/"), {"amount_cents": 100, "creditor": lender}),
        (url(code, "mortgages/1/release/"), {}),
        (url(code, "restrictions/1/removal/"), {}),
    ]
    for path, data in attempts:
        body = problem(business_registrar.post(path, data, format="json"), 403, "permission-denied")
        assert body["detail"] == "only a registrar of the property registry may do this"
        problem(APIClient().post(path, data, format="json"), 401, "not-authenticated")
    assert written() == before


@pytest.mark.parametrize(
    ("owners", "slug", "field", "why"),
    [
        ([("a", "1/2")], "invalid-shares", "owners", "add up to 1/2, not exactly one"),
        ([("a", "1/2"), ("b", "1/3")], "invalid-shares", "owners", "add up to 5/6"),
        ([("a", "0.5"), ("b", "0.5")], "invalid-shares", "owners", "exact fraction"),
        ([("stranger", "1/1")], "unknown-party", "owners", "no person with personal code"),
    ],
)
def test_bad_owners_are_400_problems_and_write_nothing(
    registrar: APIClient, owners: list[tuple[str, str]], slug: str, field: str, why: str
) -> None:
    people = {"a": owner(), "b": owner(), "stranger": identity.new_code()}
    data = registration(cadastral_code(), [{"owner": people[o], "share": s} for o, s in owners])
    before = written()
    body = problem(registrar.post(BASE, data, format="json"), 400, slug)
    assert why in body["detail"]
    assert list(body["errors"]) == [field]
    assert written() == before


def test_types_are_checked_at_the_edge(registrar: APIClient) -> None:
    data = registration(cadastral_code(), [{"owner": owner(), "share": "1/1"}])
    body = problem(
        registrar.post(BASE, {**data, "area_m2": "12", "owners": [{"owner": 1}]}, format="json"),
        400,
        "validation-error",
    )
    assert set(body["errors"]) == {"area_m2", "owners.0.owner", "owners.0.share"}


def test_registrars_enter_and_remove_restrictions_and_mortgages_in_rank_order(
    registrar: APIClient,
) -> None:
    code = register_unit()
    lender = bank()
    response = registrar.post(
        url(code, "restrictions/"),
        {"kind": "usufruct", "description": "Lifelong usufruct", "beneficiary": owner()},
        format="json",
    )
    assert response.status_code == 201, response.content
    for amount in (300_000_00, 100_000_00, 50_000_00):
        response = registrar.post(
            url(code, "mortgages/"), {"amount_cents": amount, "creditor": lender}, format="json"
        )
        assert response.status_code == 201
    response = registrar.post(url(code, "mortgages/2/release/"), {}, format="json")
    assert response.status_code == 200
    part_iv = response.json()["part_iv"]
    assert [(m["rank"], m["amount_cents"]) for m in part_iv["mortgages"]] == [
        (1, 300_000_00),
        (3, 50_000_00),
    ]
    seqs = [m["entered_seq"] for m in part_iv["mortgages"]]
    assert seqs == sorted(seqs)
    response = registrar.post(url(code, "restrictions/1/removal/"), {}, format="json")
    assert response.json()["part_iii"]["restrictions"] == []
    problem(
        registrar.post(url(code, "restrictions/1/removal/"), {}, format="json"), 404, "not-found"
    )
    problem(
        registrar.post(
            url(code, "restrictions/"), {"kind": "seizure", "description": "x"}, format="json"
        ),
        400,
        "validation-error",
    )


def test_a_mortgage_on_an_unknown_unit_is_a_404_problem(registrar: APIClient) -> None:
    body = problem(
        registrar.post(
            url("78401:101:0999", "mortgages/"),
            {"amount_cents": 100, "creditor": bank()},
            format="json",
        ),
        404,
        "not-found",
    )
    assert body["detail"] == "no land unit with cadastral code 78401:101:0999"
    body = problem(
        registrar.post(url("78401:101:09x9", "mortgages/"), {}, format="json"),
        400,
        "invalid-cadastral-code",
    )


# Transfers ----------------------------------------------------------------------------------


@pytest.fixture
def sale() -> tuple[str, str, str, Notary]:
    seller, buyer = owner(), owner("Jaan", "Kask")
    return register_unit([(seller, "1/1")]), seller, buyer, notary()


def test_the_endorsing_notary_submits_a_transfer_signed_over_the_published_message(
    sale: tuple[str, str, str, Notary],
) -> None:
    code, seller, buyer, clerk = sale
    terms = {
        "sellers": [seller],
        "buyers": [{"owner": buyer, "share": "1/1"}],
        "price_cents": 9_900,
    }
    response = APIClient().post(url(code, "transfer-message/"), terms, format="json")
    assert response.status_code == 200, response.content
    published = response.json()
    assert published["unit_version"] == 1
    assert published["chain_id"] == settings.RIIK_CHAIN_ID
    assert bytes.fromhex(published["message_hex"]).decode() == published["message"]
    signature = clerk.key.sign(bytes.fromhex(published["message_hex"]))
    data = {**terms, "unit_version": 1, "notary": clerk.code, "signature": _b64(signature)}
    response = identity.token_client(clerk.code).post(url(code, "transfers/"), data, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["part_ii"]["owners"][0]["owner"] == buyer
    (transfer,) = body["transfers"]
    assert transfer["endorsement"]["notary"] == clerk.code
    assert transfer["endorsement"]["signature"] == signature.hex()
    assert transfer["endorsement"]["signed_message"] == published["message"]
    assert transfer["seq"] == body["ledger"]["seq"]


def test_a_registrar_may_file_the_notary_signed_transfer(
    registrar: APIClient, sale: tuple[str, str, str, Notary]
) -> None:
    code, seller, buyer, clerk = sale
    data = signed(code, clerk, [seller], [(buyer, "1/1")])
    assert registrar.post(url(code, "transfers/"), data, format="json").status_code == 201


def test_only_a_registrar_or_the_endorsing_notary_may_submit_a_transfer(
    business_registrar: APIClient, sale: tuple[str, str, str, Notary]
) -> None:
    code, seller, buyer, clerk = sale
    data = signed(code, clerk, [seller], [(buyer, "1/1")])
    other_notary = identity.token_client(notary().code)
    for client in (other_notary, business_registrar, identity.token_client(seller)):
        body = problem(
            client.post(url(code, "transfers/"), data, format="json"), 403, "permission-denied"
        )
        assert "the notary who endorsed the transfer" in body["detail"]
    problem(
        APIClient().post(url(code, "transfers/"), data, format="json"), 401, "not-authenticated"
    )
    assert written() == (1, 1)


def test_bad_endorsements_are_problems_and_write_nothing(
    registrar: APIClient, sale: tuple[str, str, str, Notary]
) -> None:
    code, seller, buyer, clerk = sale
    good = signed(code, clerk, [seller], [(buyer, "1/1")])
    impostor = person_with_key()
    cases = [
        ({**good, "signature": ""}, 400, "invalid-command", "needs the notary's signature"),
        ({**good, "signature": "abc"}, 400, "invalid-command", "64 bytes"),
        ({**good, "signature": "00" * 64}, 403, "invalid-endorsement", "not the signature"),
        ({**good, "price_cents": 1}, 403, "invalid-endorsement", "over this transfer"),
        (
            signed(code, impostor, [seller], [(buyer, "1/1")]),
            403,
            "invalid-endorsement",
            "is not a notary of the property registry",
        ),
        (
            signed(code, impostor, [seller], [(buyer, "1/1")], notary_code=clerk.code),
            403,
            "invalid-endorsement",
            f"not the signature of notary {clerk.code}",
        ),
        (
            {k: v for k, v in good.items() if k != "signature"},
            400,
            "validation-error",
            "signature: This field is required.",
        ),
    ]
    before = written()
    for data, status, slug, why in cases:
        body = problem(registrar.post(url(code, "transfers/"), data, format="json"), status, slug)
        assert why in body["detail"], (slug, body)
    assert written() == before


def test_a_transfer_by_a_non_owner_or_under_seizure_is_a_409(
    registrar: APIClient, sale: tuple[str, str, str, Notary]
) -> None:
    code, seller, buyer, clerk = sale
    stranger = owner("Toomas")
    data = signed(code, clerk, [stranger], [(buyer, "1/1")])
    body = problem(
        registrar.post(url(code, "transfers/"), data, format="json"), 409, "not-an-owner"
    )
    assert f"{stranger} is not an owner of the unit {code}" in body["detail"]
    run(lambda a: a.note_seizure(code, "order 2-24-1/5", "2-24-1", "court:judgment:5", "court"))
    data = signed(code, clerk, [seller], [(buyer, "1/1")])
    body = problem(
        registrar.post(url(code, "transfers/"), data, format="json"), 409, "under-seizure"
    )
    assert "under seizure by order order 2-24-1/5" in body["detail"]


def test_a_replayed_signature_is_a_409_naming_the_change(
    registrar: APIClient, sale: tuple[str, str, str, Notary]
) -> None:
    code, seller, buyer, clerk = sale
    data = signed(code, clerk, [seller], [(buyer, "1/1")])
    run(lambda a: a.add_restriction(code, "servitude", "Right of way", "", "r"))
    before = written()
    body = problem(
        registrar.post(url(code, "transfers/"), data, format="json"), 409, "stale-endorsement"
    )
    assert "at ledger seq 2" in body["detail"]
    assert written() == before


def test_two_conflicting_transfers_at_once_one_wins_the_other_gets_409_naming_its_seq(
    monkeypatch: pytest.MonkeyPatch, sale: tuple[str, str, str, Notary]
) -> None:
    code, seller, buyer, clerk = sale
    rival, second_notary = owner("Rein", "Rebane"), notary()
    requests = [
        (identity.token_client(clerk.code), signed(code, clerk, [seller], [(buyer, "1/1")])),
        (
            identity.token_client(second_notary.code),
            signed(code, second_notary, [seller], [(rival, "1/1")]),
        ),
    ]
    barrier = threading.Barrier(2, timeout=20)
    local = threading.local()
    save = PropertyRegistry.save

    def racing_save(self: PropertyRegistry, *args: Any, **kwargs: Any) -> Any:
        if not getattr(local, "waited", False):  # both have loaded version 1 by now
            local.waited = True
            barrier.wait()
        return save(self, *args, **kwargs)

    monkeypatch.setattr(PropertyRegistry, "save", racing_save)
    responses: list[Any] = [None, None]

    def submit(index: int) -> None:
        client, data = requests[index]
        try:
            responses[index] = client.post(url(code, "transfers/"), data, format="json")
        finally:
            connection.close()

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201, 409], [r.content for r in responses]
    winner = next(r for r in responses if r.status_code == 201)
    loser = next(r for r in responses if r.status_code == 409)
    winner_seq = LedgerEntry.objects.get(
        registry="property", originator_id=land_unit_id(code), originator_version=2
    ).seq
    assert winner.json()["transfers"][0]["seq"] == winner_seq
    body = problem(loser, 409, "not-an-owner")
    assert body["detail"] == (
        f"sellers: the seller {seller} no longer owns the unit {code}: "
        f"transferred at ledger seq {winner_seq}"
    )
    assert written() == (2, 2)
