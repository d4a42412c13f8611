"""The key history comes from the certified membership entries, never from the header."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import override_settings

from chain.blocks.models import BlockLog
from chain.blocks.nodekeys import forget_keys, node_key
from chain.blocks.sealing import seal_pending
from chain.encoding import canonical, vote_message
from chain.export import receipt_record
from chain.keys import NodeKey
from chain.memberlog import change_digest, entry_record
from chain.protocol import CHAIN_LOG, MEMBERSHIP_TOPIC
from chain.verify import ChainVerifier, VerificationFailure, main, verify_receipt, verify_stream
from tests.chain import bundle_factory as bf
from tests.chain.verifiers import verify_both
from tests.factories import register_company

pytestmark = pytest.mark.usefixtures("event_store")


@pytest.fixture(autouse=True)
def own_keys(tmp_path: Path) -> Iterator[Path]:
    keys = tmp_path / "keys"
    forget_keys()
    with override_settings(RIIK_KEYS_DIR=keys):
        yield keys
    forget_keys()


def _seal_one() -> int:
    register_company()
    block = seal_pending()
    assert block is not None
    return block.height


def _rotated_chain() -> NodeKey:
    """Block 1, a certified rotation of the node's key from block 2, block 2: the old key."""
    _seal_one()
    old = node_key()
    call_command("chain", "rotate-key", stdout=io.StringIO())
    _seal_one()
    return old


def certified_entry(
    change: dict[str, Any], signers: list[NodeKey], height: int, from_height: int
) -> bytes:
    """The chain-log payload of ``change`` certified by ``signers`` at ``height``."""
    digest = change_digest(change)
    message = vote_message(
        chain_id=bf.CHAIN_ID,
        tier="supernode",
        kind="membership",
        height=height,
        round=0,
        block_hash=digest,
    )
    votes = [
        {
            "chain_id": bf.CHAIN_ID,
            "tier": "supernode",
            "kind": "membership",
            "height": height,
            "round": 0,
            "block_hash": digest.hex(),
            "signer": k.name,
            "key_id": k.key_id.hex(),
            "alg": "ed25519",
            "signature": k.sign(message).hex(),
        }
        for k in signers
    ]
    record = entry_record(
        chain_id=bf.CHAIN_ID,
        change=change,
        height=height,
        from_height=from_height,
        certificate=votes,
    )
    return canonical(record)


def genesis_entry(keys: list[NodeKey]) -> bytes:
    """A genesis of ``keys`` certified by all of them at height 0 (from block 1)."""
    change = {
        "type": "genesis",
        "supernodes": [{"name": k.name, "public_key": k.public_bytes.hex()} for k in keys],
        "witnesses": [],
        "citizens": [],
        "citizen_threshold": 1,
        "board_size": 0,
        "epoch_length": 1,
    }
    return certified_entry(change, keys, 0, 1)


def test_a_header_without_history_cannot_bring_its_own_signers() -> None:
    # The chain log certifies four supernodes from block 1; the unsigned
    # header omits the key history and lists nine keys no entry certified,
    # and the block is signed by those nine alone.
    members = bf.make_keys(4)
    forgers = bf.make_keys(9, "forger")
    bundle = bf.build_bundle(
        {"business": [b"event"], CHAIN_LOG: [genesis_entry(members)]},
        [{"business": 1, CHAIN_LOG: 1}],
        keys=forgers,
        quorum=5,
        topics={(CHAIN_LOG, 1): MEMBERSHIP_TOPIC},
    )
    with pytest.raises(VerificationFailure) as info:
        verify_stream(io.BytesIO(b"".join(bundle.lines())), ChainVerifier())
    assert info.value.message == "block 1: missing supernode quorum (0 of 3 valid signatures)"


def test_a_header_without_history_verifies_by_the_entries() -> None:
    members = bf.make_keys(4)
    bundle = bf.build_bundle(
        {"business": [b"event"], CHAIN_LOG: [genesis_entry(members)]},
        [{"business": 1, CHAIN_LOG: 1}],
        keys=members,
        topics={(CHAIN_LOG, 1): MEMBERSHIP_TOPIC},
    )
    report = verify_stream(io.BytesIO(b"".join(bundle.lines())), ChainVerifier())
    assert report.blocks == 1
    assert not report.history_checked


def _resign_checkpoint(record: dict[str, Any], key: NodeKey, origin_prefix: str) -> None:
    record["checkpoints"] = bf.checkpoints(record["header"], [key], origin_prefix)


def test_a_checkpoint_signed_by_a_rotated_out_key_fails(tmp_path: Path) -> None:
    old = _rotated_chain()

    def resign(records: list[dict[str, Any]]) -> None:
        block = next(r for r in records if r["type"] == "block" and r["header"]["height"] == 2)
        _resign_checkpoint(block, old, records[0]["origin_prefix"])

    result = verify_both(tmp_path, resign)
    assert result.offline_code == 1
    assert "block 2: checkpoint for business: no valid supernode signature" in result.offline_out


def test_a_receipt_whose_checkpoint_a_rotated_out_key_signed_fails() -> None:
    old = _rotated_chain()
    seq = BlockLog.objects.get(block_id=2, registry="business").size
    receipt = receipt_record("business", seq)
    assert receipt["block"]["header"]["height"] == 2
    assert verify_receipt(receipt)[-1].endswith("in block 2")
    _resign_checkpoint(receipt["block"], old, receipt["origin_prefix"])
    receipt["block"]["checkpoints"] = {"business": receipt["block"]["checkpoints"]["business"]}
    with pytest.raises(VerificationFailure, match="block 2: checkpoint for business: no valid"):
        verify_receipt(receipt)


def test_trusted_keys_with_heights_do_not_trust_a_retired_key_for_new_blocks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = _rotated_chain()
    new = node_key()
    bundle = tmp_path / "chain.jsonl"
    call_command("chain", "export", "--out", str(bundle), "--no-progress", stdout=io.StringIO())
    keys = tmp_path / "trusted.txt"
    keys.write_text(f"{old.verifier_key()} heights=1-1\n{new.verifier_key()} heights=2-\n")
    assert main([str(bundle), "--trusted-keys", str(keys), "--quiet"]) == 0
    records = [json.loads(line) for line in bundle.read_text().splitlines()]
    block = next(r for r in records if r["type"] == "block" and r["header"]["height"] == 2)
    block["certificate"] = bf.certificate(block["header"], [old])
    _resign_checkpoint(block, old, records[0]["origin_prefix"])
    bundle.write_bytes(b"".join(canonical(r) + b"\n" for r in records))
    capsys.readouterr()
    assert main([str(bundle), "--trusted-keys", str(keys)]) == 1
    assert "block 2: missing supernode quorum (0 of 1 valid signatures)" in capsys.readouterr().err
    keys.write_text(f"{old.verifier_key()}\n{new.verifier_key()}\n")  # plain lines: all heights
    assert main([str(bundle), "--trusted-keys", str(keys), "--quiet"]) == 0
