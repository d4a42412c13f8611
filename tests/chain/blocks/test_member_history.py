"""Member history: each key is valid for a height range, so the chain keeps
verifying after the consensus mode is switched or a node key is rotated."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from chain.blocks.models import BlockSignature, Supernode
from chain.blocks.nodekeys import forget_keys, node_key
from chain.blocks.sealing import seal_pending
from chain.ledger.models import LedgerEntry
from tests.factories import register_company

pytestmark = pytest.mark.usefixtures("event_store")
ROOT = Path(__file__).resolve().parents[3]


def _verify(tmp_path: Path) -> tuple[int, str, int, str, dict[str, object]]:
    """``manage.py chain verify`` and ``python -m chain.verify`` on an export."""
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
    header = json.loads(bundle.read_text().splitlines()[0])
    return (
        db_code,
        out.getvalue() + err.getvalue(),
        offline.returncode,
        offline.stdout + offline.stderr,
        header,
    )


def _seal_one() -> int:
    register_company()
    block = seal_pending()
    assert block is not None
    return block.height


def test_switching_local_to_devnet_keeps_both_verifiers_passing(tmp_path: Path) -> None:
    local = [_seal_one(), _seal_one()]
    with override_settings(RIIK_CONSENSUS="devnet"):
        devnet = [_seal_one(), _seal_one()]
    db_code, db_out, offline_code, offline_out, _ = _verify(tmp_path)
    assert (db_code, offline_code) == (0, 0), db_out + offline_out
    for output in (db_out, offline_out):
        assert f"blocks {local[0]}..{devnet[-1]}: 4 blocks" in output
        assert "witness tier: 4 members" in output


@pytest.fixture
def own_keys(tmp_path: Path) -> Iterator[Path]:
    """A keys directory of this test's own: rotation replaces key files."""
    keys = tmp_path / "keys"
    forget_keys()
    with override_settings(RIIK_KEYS_DIR=keys):
        yield keys
    forget_keys()


def test_a_rotated_local_key_keeps_both_verifiers_passing(tmp_path: Path, own_keys: Path) -> None:
    before = node_key()
    _seal_one()
    _seal_one()
    out = io.StringIO()
    call_command("chain", "rotate-key", stdout=out)
    after = node_key()
    assert after.public_bytes != before.public_bytes
    assert f"key {before.key_id.hex()} -> {after.key_id.hex()} from block 3" in out.getvalue()
    assert "(chain log consensus #2, certified by supernode-1)" in out.getvalue()
    assert (own_keys / f"supernode-1.{before.key_id.hex()}.retired").exists()
    third = _seal_one()
    assert {s.signer: s.key_id for s in BlockSignature.objects.filter(block_id=third)} == {
        "supernode-1": after.key_id.hex()
    }
    db_code, db_out, offline_code, offline_out, header = _verify(tmp_path)
    assert (db_code, offline_code) == (0, 0), db_out + offline_out
    assert header["supernodes"] == [
        {
            "name": "supernode-1",
            "public_key": before.public_bytes.hex(),
            "key_id": before.key_id.hex(),
            "from_height": 1,
            "until_height": 2,
        },
        {
            "name": "supernode-1",
            "public_key": after.public_bytes.hex(),
            "key_id": after.key_id.hex(),
            "from_height": 3,
        },
    ]
    for output in (db_out, offline_out):
        assert "membership: 2 changes certified by a supernode quorum" in output
        assert "the header's member history matches them" in output
        assert f"supernode supernode-1 signs with key {after.key_id.hex()} from block 3" in output
        assert "levels: 1..3 final" in output


def test_a_block_signed_by_the_old_key_after_its_range_fails_verification(
    tmp_path: Path, own_keys: Path
) -> None:
    _seal_one()
    call_command("chain", "rotate-key", stdout=io.StringIO())
    third = _seal_one()
    # Claim the new key was valid only from a later block: block 2 loses its quorum.
    Supernode.objects.filter(added_at_height=third).update(added_at_height=third + 1)
    Supernode.objects.filter(until_height=1).update(until_height=third)
    db_code, db_out, offline_code, offline_out, _ = _verify(tmp_path)
    assert db_code != 0
    assert offline_code != 0
    for output in (db_out, offline_out):
        assert "header: supernode supernode-1+" in output
        assert "but registry consensus seq 2 (rotate-key) ended it at block 1" in output


def test_a_rotation_is_refused_while_other_supernodes_are_members(own_keys: Path) -> None:
    with override_settings(RIIK_CONSENSUS="devnet"):
        _seal_one()
    with pytest.raises(CommandError, match=r"not certified by a supernode quorum \(1 of 3"):
        call_command("chain", "rotate-key", stdout=io.StringIO())
    # Only the devnet's genesis is in the chain log; the key files are untouched.
    assert LedgerEntry.objects.filter(registry="consensus").count() == 1
    assert not list(own_keys.glob("*.retired"))
    assert not list(own_keys.glob(".*.next"))


def test_the_node_witness_trusts_only_the_current_key_after_a_rotation(own_keys: Path) -> None:
    from chain.api.views import node_witness

    before = node_key()
    _seal_one()
    call_command("chain", "rotate-key", stdout=io.StringIO())
    after = node_key()
    trusted = node_witness().logs["riik.example/business"]
    assert set(trusted) == {("supernode-1", after.key_id)}
    assert ("supernode-1", before.key_id) not in trusted
