"""The node's C2SP tlog-witness endpoint (``POST /api/v1/chain/witness/add-checkpoint``)."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from chain import notes
from chain.blocks.sealing import seal_pending
from chain.keys import NodeKey
from chain.witness import request_body
from registries.business.application import BusinessRegistry
from registries.common.application import running
from tests.factories import register_company

pytestmark = pytest.mark.usefixtures("event_store")
URL = "/api/v1/chain/witness/add-checkpoint"
LOG = "/api/v1/chain/logs/business"


@pytest.fixture
def client(tmp_path: Path) -> Iterator[APIClient]:
    with override_settings(RIIK_DATA_DIR=tmp_path):
        yield APIClient()


def _checkpoints(client: APIClient) -> list[dict[str, Any]]:
    code = register_company()
    seal_pending()
    running(BusinessRegistry).change_address(code, "Tartu, Raekoja plats 1", "registrar")
    seal_pending()
    return [client.get(f"{LOG}/checkpoint/?height={h}").json() for h in (1, 2)]


def _post(client: APIClient, body: bytes) -> Any:
    return client.generic("POST", URL, body.decode(), content_type="text/plain")


def _proof(client: APIClient, first: int, second: int) -> list[bytes]:
    body = client.get(f"{LOG}/consistency/?first={first}&second={second}").json()
    return [bytes.fromhex(node) for node in body["proof"]]


def test_witness_cosigns_a_consistent_checkpoint_and_the_cosignature_verifies(
    client: APIClient,
) -> None:
    one, two = _checkpoints(client)
    response = _post(client, request_body(0, [], str(one["note"])))
    assert response.status_code == 200, response.content
    proof = _proof(client, int(one["size"]), int(two["size"]))
    response = _post(client, request_body(int(one["size"]), proof, str(two["note"])))
    assert response.status_code == 200, response.content
    line = response.content.decode()
    body, _ = notes.split_note(str(two["note"]))
    _, signatures = notes.split_note(str(two["note"]) + line)
    vkey = client.get("/api/v1/chain/keys/").json()["witness"]
    name, _, material = vkey.split("+", 2)
    public = base64.b64decode(material)[1:]
    assert notes.verify_cosignature(body, signatures[-1], name, public) is not None


def test_a_stale_old_size_is_a_conflict_naming_the_latest_size(client: APIClient) -> None:
    one, two = _checkpoints(client)
    assert _post(client, request_body(0, [], str(one["note"]))).status_code == 200
    response = _post(client, request_body(0, [], str(two["note"])))
    assert response.status_code == 409
    assert response["Content-Type"] == "text/x.tlog.size"
    assert response.content == f"{one['size']}\n".encode()


def test_a_bad_consistency_proof_is_unprocessable(client: APIClient) -> None:
    one, two = _checkpoints(client)
    assert _post(client, request_body(0, [], str(one["note"]))).status_code == 200
    proof = _proof(client, int(one["size"]), int(two["size"]))
    proof[0] = bytes(32)
    response = _post(client, request_body(int(one["size"]), proof, str(two["note"])))
    assert response.status_code == 422
    assert response["Content-Type"].startswith("application/problem+json")


def test_unknown_log_and_untrusted_signature_are_refused(client: APIClient) -> None:
    one, _ = _checkpoints(client)
    stranger = NodeKey.generate("supernode-1")
    body = notes.split_note(str(one["note"]))[0]
    forged = stranger.sign_note(body)
    assert _post(client, request_body(0, [], forged)).status_code == 403
    elsewhere = stranger.sign_note(body.replace("riik.example/business", "other.example/log"))
    assert _post(client, request_body(0, [], elsewhere)).status_code == 404


def test_a_malformed_body_is_a_bad_request_problem(client: APIClient) -> None:
    _checkpoints(client)
    response = _post(client, b"old x\n\nnot a note")
    assert response.status_code == 400
    assert "old <size>" in response.json()["detail"]
