"""The chain's own log: evidence entries are hash-chained, sealed, exported and
re-checked by both verifiers, and a forged one is named."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings

from chain.blocks.nodekeys import node_key
from chain.blocks.sealing import seal_pending
from chain.consensus.crypto import Signer
from chain.consensus.messages import Vote
from chain.ledger import chainlog
from chain.ledger.models import ConsensusEvent, LedgerEntry
from chain.protocol import EVIDENCE_TOPIC
from tests.factories import register_company

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[3]
REGISTRY_LOGS = [r for r in settings.RIIK_REGISTRIES if r != "consensus"]
"""The registry logs alone: how a chain was sealed before the chain log existed."""


def _vote(signer: Signer, digest: bytes, chain_id: str = "riik-dev") -> dict[str, Any]:
    return Vote.sign(
        signer,
        chain_id=chain_id,
        tier="supernode",
        kind="finalize",
        height=7,
        round=0,
        block_hash=digest,
    ).to_record()


def _equivocation(signer: Signer, *, forge_second: bool = False) -> dict[str, Any]:
    second = _vote(signer, b"\x02" * 32)
    if forge_second:
        second["signature"] = "11" * 64
    return {"kind": "equivocation", "vote": _vote(signer, b"\x01" * 32), "conflicting": second}


def _append(record: dict[str, Any], name: str = "a") -> LedgerEntry:
    with transaction.atomic():
        return chainlog.append(chainlog.event_id(name), EVIDENCE_TOPIC, record)


def _verify(tmp_path: Path) -> tuple[int, str, int, str]:
    """(exit, output) of ``manage.py chain verify`` and of the offline verifier."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("chain", "verify", "--no-progress", stdout=out, stderr=err)
        db_code = 0
    except SystemExit as exit_:
        db_code = int(exit_.code or 0)
    bundle = tmp_path / "chain.jsonl"
    call_command("chain", "export", "--out", str(bundle), "--no-progress", stdout=io.StringIO())
    offline = subprocess.run(
        [sys.executable, "-m", "chain.verify", str(bundle)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    return (
        db_code,
        out.getvalue() + err.getvalue(),
        offline.returncode,
        offline.stdout + offline.stderr,
    )


def test_an_evidence_event_is_a_hash_chained_entry_of_the_consensus_log() -> None:
    first = _append(_equivocation(Signer.from_node_key(node_key())), "a")
    second = _append(_equivocation(Signer.from_node_key(node_key())), "b")
    assert (first.registry, first.seq, second.seq) == ("consensus", 1, 2)
    assert bytes(second.prev_hash) == bytes(first.entry_hash)
    assert (
        json.loads(bytes(ConsensusEvent.objects.get(originator_id=first.originator_id).state))[
            "kind"
        ]
        == "equivocation"
    )


def test_appending_the_same_event_twice_keeps_one_entry() -> None:
    record = _equivocation(Signer.from_node_key(node_key()))
    assert _append(record).seq == _append(record).seq == 1
    assert LedgerEntry.objects.filter(registry="consensus").count() == 1


def test_sealed_evidence_passes_chain_verify_and_the_offline_verifier(tmp_path: Path) -> None:
    seal_pending()  # a block from before the chain log had entries
    _append(_equivocation(Signer.from_node_key(node_key())))
    block = seal_pending()
    assert block is not None
    # The evidence and the genesis the block's supernode recorded for it.
    assert block.logs.get(registry="consensus").size == 2
    db_code, db_out, offline_code, offline_out = _verify(tmp_path)
    assert (db_code, offline_code) == (0, 0), db_out + offline_out
    for output in (db_out, offline_out):
        assert "evidence: 1 equivocations" in output
        assert "registry consensus: 2 entries" in output
        assert "genesis from block 1: 1 supernodes" in output


def test_evidence_with_a_forged_vote_fails_both_verifiers_naming_the_entry(tmp_path: Path) -> None:
    _append(_equivocation(Signer.from_node_key(node_key()), forge_second=True))
    seal_pending()
    db_code, db_out, offline_code, offline_out = _verify(tmp_path)
    assert db_code != 0
    assert offline_code != 0
    for output in (db_out, offline_out):
        assert "registry consensus seq 1: evidence: vote 2: invalid signature" in output


def test_evidence_by_a_key_the_chain_does_not_list_fails_verification(tmp_path: Path) -> None:
    _append(_equivocation(Signer.from_seed("supernode-9", b"stranger")))
    seal_pending()
    db_code, db_out, _, offline_out = _verify(tmp_path)
    assert db_code != 0
    assert "is not a listed key" in db_out
    assert "is not a listed key" in offline_out


@pytest.mark.usefixtures("event_store")
def test_a_chain_sealed_before_the_chain_log_existed_still_verifies_after_it(
    tmp_path: Path,
) -> None:
    with override_settings(RIIK_REGISTRIES=REGISTRY_LOGS):
        register_company()
        old = seal_pending()
    assert old is not None
    assert not old.logs.filter(registry="consensus").exists()
    _append(_equivocation(Signer.from_node_key(node_key())))
    seal_pending()
    db_code, db_out, offline_code, offline_out = _verify(tmp_path)
    assert (db_code, offline_code) == (0, 0), db_out + offline_out
    for output in (db_out, offline_out):
        assert "blocks 1..2: 2 blocks" in output
        assert "evidence: 1 equivocations" in output


@pytest.mark.usefixtures("event_store")
def test_a_block_leaving_out_the_chain_log_does_not_seal_its_entries(tmp_path: Path) -> None:
    _append(_equivocation(Signer.from_node_key(node_key())))
    with override_settings(RIIK_REGISTRIES=REGISTRY_LOGS):
        register_company()
        seal_pending()
    db_code, db_out, offline_code, offline_out = _verify(tmp_path)
    assert (db_code, offline_code) == (0, 0), db_out + offline_out
    for output in (db_out, offline_out):
        assert "tree size 0" in output.split("registry consensus:")[1].splitlines()[0]
        assert "2 entries not yet in a block" in output  # the evidence and the genesis
