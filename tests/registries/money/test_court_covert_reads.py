"""A court order reads a wallet covertly under the court's four-eyes rule: the case's
judge authorises covert access to a party's ``money`` data, and someone else (the
bank's official answering the order) reads it. Without that decision the read is
refused and shown to the holder in the open."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from registries.tracker.models import CovertCommitmentRecord
from tests.registries.access.citizens import signed_in
from tests.registries.court import helpers as court
from tests.registries.identity import helpers as identity
from tests.registries.money import helpers as h

pytestmark = pytest.mark.usefixtures("event_store")


@dataclass(frozen=True)
class Order:
    """A criminal case against a wallet holder, and the holder's bank's official."""

    case: court.CaseSetup
    holder: h.Citizen
    banker: Any


@pytest.fixture
def order() -> Order:
    bank = h.bank()
    mari = h.citizen()
    h.wallet(mari.code, bank, 900)
    case = court.open_case("criminal", title="Money laundering")
    court.add_party(case, mari.code, "accused")
    official = h.official_of(bank)
    return Order(case, mari, signed_in(official.code, official.key, organisation=bank))


def authorise(case: court.CaseSetup, persons: list[str], registries: list[str]) -> Any:
    return identity.token_client(case.judge).post(
        f"/api/v1/court/cases/{case.number}/covert-access/",
        {"persons": persons, "registries": registries},
        format="json",
    )


def covert_read(order: Order) -> Any:
    return order.banker.get(
        f"/api/v1/money/wallets/{order.holder.code}/",
        {"covert_investigation": order.case.number, "purpose": "court order"},
    )


def holders_tracker(order: Order) -> list[tuple[str, bool]]:
    lines = h.citizen_client(order.holder).get("/api/v1/me/data-tracker/").json()["results"]
    return [(line["outcome"], line["covert"]) for line in lines]


def test_a_judge_authorises_covert_access_to_a_partys_money_data(order: Order) -> None:
    authorised = authorise(order.case, [order.holder.code], ["money"])
    assert authorised.status_code == 201, authorised.content
    response = covert_read(order)
    assert response.status_code == 200, response.content
    assert response.json()["balance_cents"] == 900
    # Only a commitment is on the chain; the holder sees the read once a final judgment
    # of the case releases it.
    assert CovertCommitmentRecord.objects.count() == 1
    assert holders_tracker(order) == []


def test_without_the_judges_decision_for_money_the_covert_read_is_refused_in_the_open(
    order: Order,
) -> None:
    # A decision for another registry does not cover money.
    assert authorise(order.case, [order.holder.code], ["health"]).status_code == 201
    response = covert_read(order)
    assert response.status_code == 403, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert "balance_cents" not in response.json()
    assert not CovertCommitmentRecord.objects.exists()
    assert holders_tracker(order) == [("refused", False)]


def test_covert_access_to_money_names_only_parties_of_an_open_criminal_case(
    order: Order,
) -> None:
    stranger = h.citizen("Võõras", "Inimene")
    refused = authorise(order.case, [stranger.code], ["money"])
    assert refused.status_code == 400
    assert "not a party" in refused.json()["detail"]
    civil = court.open_case("civil")
    court.add_party(civil, order.holder.code, "defendant")
    assert authorise(civil, [order.holder.code], ["money"]).status_code == 400
