"""Auditor endpoints: blocks, certificates and proofs that verify on their own."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from rest_framework.test import APIClient

from chain import merkle, notes
from chain.blocks.models import Supernode
from chain.blocks.sealing import seal_pending
from chain.encoding import vote_message
from registries.business.application import BusinessRegistry
from registries.common.application import running
from tests.factories import register_company

pytestmark = pytest.mark.usefixtures("event_store")


@pytest.fixture
def client() -> APIClient:
    return APIClient()


def _two_blocks() -> None:
    code = register_company()
    seal_pending()
    running(BusinessRegistry).change_address(code, "Haapsalu, Karja 1", "registrar")
    register_company()
    seal_pending()


def test_block_feed_lists_newest_first(client: APIClient) -> None:
    _two_blocks()
    body = client.get("/api/v1/chain/blocks/").json()
    assert [block["height"] for block in body["results"]] == [2, 1]
    assert body["results"][0]["logs"]["business"]["size"] == 5


def test_block_detail_carries_a_certificate_that_verifies(client: APIClient) -> None:
    _two_blocks()
    block = client.get("/api/v1/chain/blocks/2/").json()
    supernode = Supernode.objects.get()
    (signature,) = block["certificate"]
    message = vote_message(
        chain_id=block["header"]["chain_id"],
        tier="supernode",
        kind="finalize",
        height=2,
        round=0,
        block_hash=bytes.fromhex(block["block_hash"]),
    )
    key = Ed25519PublicKey.from_public_bytes(bytes(supernode.public_key))
    key.verify(bytes.fromhex(signature["signature"]), message)  # raises if forged
    known = {(supernode.name, bytes.fromhex(supernode.key_id)): bytes(supernode.public_key)}
    opened = notes.open_note(block["checkpoints"]["business"], known)
    assert list(opened.verified) == [supernode.name]


def test_inclusion_proof_verifies_against_the_block_root(client: APIClient) -> None:
    _two_blocks()
    body = client.get("/api/v1/chain/logs/business/entries/1/proof/").json()
    assert (body["block_height"], body["tree_size"]) == (1, 2)
    block = client.get("/api/v1/chain/blocks/1/").json()
    assert body["root_hash"] == block["logs"]["business"]["root"]
    assert merkle.verify_inclusion(
        merkle.leaf_hash(bytes.fromhex(body["leaf"])),
        body["leaf_index"],
        body["tree_size"],
        [bytes.fromhex(h) for h in body["proof"]],
        bytes.fromhex(body["root_hash"]),
    )


def test_consistency_proof_links_two_blocks(client: APIClient) -> None:
    _two_blocks()
    body = client.get("/api/v1/chain/logs/business/consistency/?first=2&second=5").json()
    assert merkle.verify_consistency(
        2,
        5,
        bytes.fromhex(body["first_root"]),
        bytes.fromhex(body["second_root"]),
        [bytes.fromhex(h) for h in body["proof"]],
    )


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/api/v1/chain/logs/nowhere/entries/1/proof/", 404),
        ("/api/v1/chain/logs/business/entries/99/proof/", 404),
        ("/api/v1/chain/logs/business/entries/1/proof/?tree_size=abc", 400),
        ("/api/v1/chain/logs/business/entries/1/proof/?tree_size=999", 400),
        ("/api/v1/chain/logs/business/consistency/?first=3", 400),
        ("/api/v1/chain/logs/business/consistency/?first=5&second=2", 400),
        ("/api/v1/chain/blocks/77/", 404),
    ],
)
def test_bad_proof_requests_get_a_clear_problem(client: APIClient, url: str, status: int) -> None:
    _two_blocks()
    response = client.get(url)
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/problem+json")
    assert response.json()["detail"]
