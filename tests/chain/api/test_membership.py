"""Auditor API: membership changes of the chain log with their quorum certificates."""

from __future__ import annotations

import pytest
from django.db import transaction
from rest_framework.test import APIClient

from chain.blocks import membercommands
from chain.blocks.nodekeys import node_key
from chain.blocks.sealing import seal_pending
from chain.ledger import chainlog
from chain.protocol import EVIDENCE_TOPIC
from tests.factories import register_company

pytestmark = pytest.mark.usefixtures("event_store")
URL = "/api/v1/chain/membership/"


def test_membership_changes_are_listed_newest_first_with_their_certificates() -> None:
    register_company()
    seal_pending()
    membercommands.register_enterprise("bank-1", b"\xab" * 32)
    listed = APIClient().get(URL).json()["results"]
    assert [(e["seq"], e["type"]) for e in listed] == [
        (2, "register-enterprise"),
        (1, "genesis"),
    ]
    registration, genesis = listed
    assert (genesis["height"], genesis["from_height"], genesis["block"]) == (0, 1, 1)
    assert genesis["level"] == "final"
    assert genesis["change"]["supernodes"][0]["name"] == "supernode-1"
    assert (registration["height"], registration["from_height"]) == (1, 2)
    assert registration["block"] is None
    assert registration["change"] == {
        "type": "register-enterprise",
        "name": "bank-1",
        "public_key": "ab" * 32,
    }
    (vote,) = registration["certificate"]
    assert (vote["signer"], vote["key_id"], vote["alg"], vote["kind"]) == (
        "supernode-1",
        node_key().key_id.hex(),
        "ed25519",
        "membership",
    )
    assert registration["entry"] == {"registry": "consensus", "seq": 2}
    assert APIClient().get(f"{URL}2/").json() == registration


def test_other_chain_log_entries_are_not_membership_changes() -> None:
    with transaction.atomic():
        entry = chainlog.append(chainlog.event_id("other"), EVIDENCE_TOPIC, {"k": 1})
    response = APIClient().get(f"{URL}{entry.seq}/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/problem+json")
    assert APIClient().get(URL).json()["results"] == []


def test_membership_appears_in_the_openapi_schema() -> None:
    schema = APIClient().get("/api/schema/?format=json").json()
    assert {"/api/v1/chain/membership/", "/api/v1/chain/membership/{seq}/"} <= set(schema["paths"])
