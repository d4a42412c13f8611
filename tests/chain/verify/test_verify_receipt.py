"""Finality receipts: ``manage.py chain receipt`` then ``python -m chain.verify receipt.json``.

Every case of the tamper matrix (tests/chain/test_tamper.py) also breaks the
receipt of the record it touches: either no receipt is issued for it, or the
receipt fails offline verification naming the problem.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from chain import notes
from chain.blocks.models import Supernode
from chain.blocks.sealing import seal_pending
from chain.export import receipt_record
from chain.verify import VerificationFailure, verify_receipt
from tests.chain.verify.test_tamper import (
    _build_chain,
    alter_a_block_signature,
    delete_an_entry,
    flip_a_payload_byte,
    insert_a_forged_entry,
    swap_two_entries,
)
from tests.factories import register_company

pytestmark = pytest.mark.usefixtures("event_store")
ROOT = Path(__file__).resolve().parents[3]


def _receipt(tmp_path: Path, seq: int) -> Path:
    out = tmp_path / f"receipt-{seq}.json"
    call_command("chain", "receipt", "business", str(seq), "--out", str(out), stdout=io.StringIO())
    return out


def _verify(path: Path, *extra: str) -> tuple[int, str]:
    result = subprocess.run(
        [sys.executable, "-m", "chain.verify", *extra, str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return result.returncode, result.stdout + result.stderr


def _issue_and_verify(tmp_path: Path, seq: int) -> tuple[int, str]:
    """1 and the failure when the receipt does not verify; 2 when none is issued."""
    try:
        receipt = _receipt(tmp_path, seq)
    except CommandError as refused:
        return 2, str(refused)
    return _verify(receipt)


def test_a_receipt_verifies_offline_and_says_what_it_checked(tmp_path: Path) -> None:
    _build_chain()
    code, output = _verify(_receipt(tmp_path, 7))
    assert code == 0, output
    assert "registry business seq 7: payload hash and entry hash OK" in output
    assert "block 2: hash" in output
    assert "registry business seq 7: final in block 2" in output


def test_a_public_receipt_verifies_offline_and_says_the_payload_was_not_re_hashed(
    tmp_path: Path,
) -> None:
    _build_chain()
    out = tmp_path / "public.json"
    call_command(
        "chain", "receipt", "business", "7", "--public", "--out", str(out), stdout=io.StringIO()
    )
    receipt = json.loads(out.read_text())
    assert receipt["payloads"] == "omitted"
    assert "payload" not in receipt["entry"]
    code, output = _verify(out)
    assert code == 0, output
    assert ("registry business seq 7: entry hash OK (registries.business.domain:") in output
    assert "public receipt: the payload is omitted, so its payload hash was not re-hashed" in output
    assert "registry business seq 7: final in block 2" in output
    receipt["entry"]["payload_hash"] = "00" * 32
    with pytest.raises(VerificationFailure, match="registry business seq 7: entry hash mismatch"):
        verify_receipt(receipt)


def test_a_receipt_still_verifies_against_old_trusted_keys_after_the_node_key_changes(
    tmp_path: Path,
) -> None:
    _build_chain()
    receipt = _receipt(tmp_path, 2)
    supernode = Supernode.objects.get()
    keys = tmp_path / "keys.txt"
    keys.write_text(notes.verifier_key(supernode.name, bytes(supernode.public_key)) + "\n")
    Supernode.objects.update(public_key=bytes(32), key_id="00000000")  # rotated away
    code, output = _verify(receipt, "--trusted-keys", str(keys))
    assert code == 0, output
    assert "trusted keys" in output


def test_a_receipt_edited_after_issue_fails(tmp_path: Path) -> None:
    _build_chain()
    receipt = json.loads(_receipt(tmp_path, 5).read_text())
    receipt["entry"]["topic"] = "registries.business.domain:Company.Deleted"
    with pytest.raises(VerificationFailure, match="registry business seq 5: entry hash mismatch"):
        verify_receipt(receipt)
    receipt = receipt_record("business", 5)
    receipt["inclusion"]["proof"][0] = "00" * 32
    with pytest.raises(VerificationFailure, match="inclusion proof does not reach block 1"):
        verify_receipt(receipt)


@pytest.mark.parametrize(
    ("tamper", "seq", "expected"),
    [
        (flip_a_payload_byte, 4, "registry business seq 4: payload hash mismatch"),
        (delete_an_entry, 3, "no receipt: registry business has no entry 3"),
        (delete_an_entry, 4, "prev_hash does not match entry 3"),
        (swap_two_entries, 2, "registry business seq 2: prev_hash does not match entry 1"),
        (
            insert_a_forged_entry,
            2,
            "registry business seq 2: inclusion proof does not reach block 1",
        ),
        (alter_a_block_signature, 7, "block 2: missing supernode quorum (0 of 1 valid"),
    ],
    ids=lambda value: getattr(value, "__name__", str(value)),
)
def test_every_tamper_case_breaks_the_receipt(
    tamper: Callable[[], str], seq: int, expected: str, tmp_path: Path
) -> None:
    _build_chain()
    assert _verify(_receipt(tmp_path, seq))[0] == 0
    tamper()
    code, output = _issue_and_verify(tmp_path, seq)
    assert code in {1, 2}
    assert expected in output


def test_a_receipt_of_a_tiered_block_carries_every_tier_and_says_witnessed() -> None:
    with override_settings(RIIK_CONSENSUS="devnet"):
        register_company()
        seal_pending()
    receipt = receipt_record("business", 1)
    assert {"witness_certificate", "citizen_certificate"} <= receipt["block"].keys()
    assert [len(receipt["keys"][k]) for k in ("supernodes", "witnesses", "citizens")] == [4, 4, 3]
    lines = verify_receipt(receipt)
    assert "block 1: 4 valid witness signatures (threshold 3)" in lines
    assert lines[-1] == "registry business seq 1: witnessed in block 1"
