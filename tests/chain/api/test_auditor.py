"""Auditor API: checkpoints, proofs at any size, receipts, member keys."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from chain import merkle, notes
from chain.blocks.models import Supernode
from chain.blocks.sealing import seal_pending
from chain.ledger.models import LedgerEntry
from registries.business.application import BusinessRegistry
from registries.common.application import running
from riik_client.__main__ import main as riik_client
from tests.chain.test_merkle import ref_mth, ref_path, ref_proof
from tests.factories import register_company

pytestmark = pytest.mark.usefixtures("event_store")
ROOT = Path(__file__).resolve().parents[3]
LOG = "/api/v1/chain/logs/business"


@pytest.fixture
def client() -> APIClient:
    return APIClient()


def _three_blocks() -> list[bytes]:
    """Three blocks over business; the leaves of its log."""
    code = register_company()
    seal_pending()
    running(BusinessRegistry).change_address(code, "Haapsalu, Karja 1", "registrar")
    register_company()
    seal_pending()
    running(BusinessRegistry).change_address(code, "Paide, Keskväljak 2", "registrar")
    seal_pending()
    return [e.leaf() for e in LedgerEntry.objects.filter(registry="business").order_by("seq")]


def _hashes(values: list[str]) -> list[bytes]:
    return [bytes.fromhex(value) for value in values]


def test_inclusion_proofs_at_every_size_equal_the_rfc_reference_and_verify(
    client: APIClient,
) -> None:
    leaves = _three_blocks()
    for size in range(1, len(leaves) + 1):
        for seq in range(1, size + 1):
            body = client.get(f"{LOG}/entries/{seq}/proof/?tree_size={size}").json()
            proof = _hashes(body["proof"])
            # The reference generator is the one checked against the golden vectors.
            assert proof == ref_path(seq - 1, leaves[:size])
            assert body["root_hash"] == ref_mth(leaves[:size]).hex()
            assert merkle.verify_inclusion(
                merkle.leaf_hash(leaves[seq - 1]), seq - 1, size, proof, ref_mth(leaves[:size])
            )


def test_consistency_proofs_between_any_two_sizes_equal_the_rfc_reference_and_verify(
    client: APIClient,
) -> None:
    leaves = _three_blocks()
    for second in range(1, len(leaves) + 1):
        for first in range(0, second + 1):
            body = client.get(f"{LOG}/consistency/?first={first}&second={second}").json()
            proof = _hashes(body["proof"])
            assert proof == ref_proof(first, leaves[:second])
            assert merkle.verify_consistency(
                first,
                second,
                bytes.fromhex(body["first_root"]),
                bytes.fromhex(body["second_root"]),
                proof,
            )


def test_latest_checkpoint_is_a_signed_note_of_the_newest_block(client: APIClient) -> None:
    leaves = _three_blocks()
    body = client.get(f"{LOG}/checkpoint/").json()
    assert (body["height"], body["size"]) == (3, len(leaves))
    assert body["origin"] == "riik.example/business"
    supernode = Supernode.objects.get()
    opened = notes.open_note(
        body["note"], notes.known_keys([client.get("/api/v1/chain/keys/").json()["supernodes"][0]])
    )
    assert opened.verified == (supernode.name,)
    checkpoint = notes.parse_checkpoint(opened.body)
    assert checkpoint.root == ref_mth(leaves)


def test_checkpoint_as_plain_text_is_the_note_itself(client: APIClient) -> None:
    _three_blocks()
    as_json = client.get(f"{LOG}/checkpoint/?height=1").json()
    response = client.get(f"{LOG}/checkpoint/?height=1", HTTP_ACCEPT="text/plain")
    assert response["Content-Type"].startswith("text/plain")
    assert response.content.decode() == as_json["note"]
    assert as_json["size"] == 2


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/api/v1/chain/logs/nowhere/checkpoint/", 404),
        (f"{LOG}/checkpoint/?height=x", 400),
        (f"{LOG}/checkpoint/?height=99", 404),
        (f"{LOG}/entries/99/receipt/", 404),
        ("/api/v1/chain/logs/nowhere/entries/1/receipt/", 404),
    ],
)
def test_bad_checkpoint_and_receipt_requests_get_a_problem(
    client: APIClient, url: str, status: int
) -> None:
    _three_blocks()
    response = client.get(url)
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/problem+json")
    assert response.json()["detail"]


def test_receipt_of_an_entry_not_yet_in_a_block_is_a_conflict(client: APIClient) -> None:
    leaves = _three_blocks()
    register_company()
    response = client.get(f"{LOG}/entries/{len(leaves) + 1}/receipt/")
    assert response.status_code == 409
    assert "not in a block yet" in response.json()["detail"]


def test_receipt_from_the_api_verifies_offline_with_the_standalone_verifier(
    client: APIClient, tmp_path: Path
) -> None:
    _three_blocks()
    receipt = client.get(f"{LOG}/entries/3/receipt/").json()
    assert receipt["block"]["header"]["height"] == 2
    path = tmp_path / "receipt.json"
    path.write_text(json.dumps(receipt))
    keys = tmp_path / "keys.txt"
    keys.write_text("\n".join(client.get("/api/v1/chain/keys/").json()["supernodes"]) + "\n")
    result = subprocess.run(
        [sys.executable, "-m", "chain.verify", "--trusted-keys", str(keys), str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    size = receipt["block"]["header"]["logs"]["business"]["size"]
    assert f"registry business seq 3: included in tree size {size} root" in result.stdout
    assert "registry business seq 3: final in block 2" in result.stdout


def test_supernode_keys_as_text_are_what_keys_pin_writes_and_the_verifier_trusts(
    client: APIClient, live_server: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _three_blocks()
    bundle = tmp_path / "chain.jsonl"
    call_command("chain", "export", "--out", str(bundle), "--no-progress", stdout=io.StringIO())
    response = client.get("/api/v1/chain/keys/supernodes.txt")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    text = response.content.decode("utf-8")
    assert text.splitlines() == client.get("/api/v1/chain/keys/").json()["supernodes"]

    pinned = tmp_path / "pinned.txt"
    assert riik_client(["--server", live_server.url, "keys", "pin", str(pinned)]) == 0
    capsys.readouterr()
    # keys pin adds only its "# ..." comment lines, which the verifier skips.
    written = pinned.read_text(encoding="utf-8").splitlines()
    assert [line for line in written if not line.startswith("#")] == text.splitlines()

    trusted = tmp_path / "supernodes.txt"
    trusted.write_text(text, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "chain.verify", "--trusted-keys", str(trusted), str(bundle)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "OK"
    assert "no --trusted-keys given" not in result.stderr
