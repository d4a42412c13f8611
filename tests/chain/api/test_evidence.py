"""Auditor API: proven equivocations, listed and shown with both signed votes and
the chain log entry that holds them; the entry's inclusion proof verifies."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from chain import merkle
from chain.blocks.cluster.genesis import write_genesis
from chain.blocks.cluster.reports import record_report
from chain.consensus.crypto import Signer
from chain.consensus.messages import Vote
from chain.ledger.models import LedgerEntry

pytestmark = pytest.mark.django_db
CHAIN = "riik-test-evidence"
WITNESSES = [Signer.from_seed(f"witness-{i}", b"evidence") for i in range(1, 5)]
SUPERNODES = [Signer.from_seed(f"supernode-{i}", b"evidence") for i in range(1, 5)]
URL = "/api/v1/chain/evidence/"


@pytest.fixture(autouse=True)
def genesis(tmp_path: Path) -> Iterator[None]:
    path = tmp_path / "genesis.json"
    write_genesis(
        path, CHAIN, supernodes=SUPERNODES, witnesses=WITNESSES, citizens=[], citizen_threshold=1
    )
    with override_settings(RIIK_GENESIS_FILE=str(path)):
        yield


def _report_equivocation(signer: Signer, height: int) -> tuple[Vote, Vote]:
    first, second = (
        Vote.sign(
            signer,
            chain_id=CHAIN,
            tier="witness",
            kind="prevote",
            height=height,
            round=0,
            block_hash=digest,
        )
        for digest in (b"\x01" * 32, b"\x02" * 32)
    )
    record_report(
        "witness-2",
        "evidence",
        {"kind": "equivocation", "vote": first.to_record(), "conflicting": second.to_record()},
    )
    return first, second


def test_evidence_is_listed_newest_first_with_both_signed_votes() -> None:
    first = _report_equivocation(WITNESSES[0], 3)
    _report_equivocation(WITNESSES[2], 5)
    body = APIClient().get(URL).json()
    listed = body["results"]
    assert [(e["signer"], e["height"]) for e in listed] == [("witness-3", 5), ("witness-1", 3)]
    oldest = listed[1]
    assert oldest["votes"] == [first[0].to_record(), first[1].to_record()]
    assert oldest["entry"] == {"registry": "consensus", "seq": 1}
    assert (oldest["kind"], oldest["tier"], oldest["reported_by"]) == (
        "equivocation",
        "witness",
        "witness-2",
    )


def test_an_evidence_entry_is_provable_in_the_consensus_log() -> None:
    _report_equivocation(WITNESSES[0], 3)
    evidence = APIClient().get(URL).json()["results"][0]
    detail = APIClient().get(f"{URL}{evidence['id']}/").json()
    assert detail == evidence
    seq = detail["entry"]["seq"]
    proof = APIClient().get(f"/api/v1/chain/logs/consensus/entries/{seq}/proof/?tree_size=1")
    assert proof.status_code == 200, proof.content
    body = proof.json()
    leaf = LedgerEntry.objects.get(registry="consensus", seq=seq).leaf()
    assert merkle.verify_inclusion(
        merkle.leaf_hash(leaf),
        seq - 1,
        1,
        [bytes.fromhex(h) for h in body["proof"]],
        bytes.fromhex(body["root_hash"]),
    )
    assert body["root_hash"] == merkle.leaf_hash(leaf).hex()


def test_unknown_evidence_gets_a_problem_404() -> None:
    response = APIClient().get(f"{URL}999/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/problem+json")


def test_evidence_appears_in_the_openapi_schema() -> None:
    schema = APIClient().get("/api/schema/?format=json").json()
    assert {"/api/v1/chain/evidence/", "/api/v1/chain/evidence/{id}/"} <= set(schema["paths"])
