"""docs/chain-vectors.json is what the code generates, and what it says verifies."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from chain import merkle, notes
from chain.vectors import render
from chain.verify import main, verify_receipt

ROOT = Path(__file__).resolve().parents[2]
FILE = ROOT / "docs" / "chain-vectors.json"


def test_the_vectors_file_is_exactly_what_the_code_generates() -> None:
    # Regenerate with: python -m chain.vectors > docs/chain-vectors.json
    assert FILE.read_text(encoding="utf-8") == render()


def test_the_generator_runs_as_a_script_with_the_same_output() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "chain.vectors"],
        cwd=ROOT,
        capture_output=True,
        check=True,
        timeout=60,
    )
    assert result.stdout.decode("utf-8") == FILE.read_text(encoding="utf-8")


def test_the_vector_receipt_verifies_offline(tmp_path: Path) -> None:
    vectors = json.loads(FILE.read_text(encoding="utf-8"))
    assert verify_receipt(vectors["receipt"])[-1] == "registry business seq 5: final in block 1"
    path = tmp_path / "receipt.json"
    path.write_text(json.dumps(vectors["receipt"]), encoding="utf-8")
    assert main(["--quiet", str(path)]) == 0


def test_the_vector_proofs_and_signatures_verify() -> None:
    vectors = json.loads(FILE.read_text(encoding="utf-8"))
    roots = [bytes.fromhex(r) for r in vectors["merkle"]["roots"]]
    for case in vectors["merkle"]["inclusion"]:
        leaf = bytes.fromhex(vectors["entries"][case["index"]]["leaf_hash"])
        proof = [bytes.fromhex(h) for h in case["proof"]]
        assert merkle.verify_inclusion(leaf, case["index"], case["size"], proof, roots[-1])
    for case in vectors["merkle"]["consistency"]:
        old_root = roots[case["old_size"] - 1] if case["old_size"] else merkle.EMPTY_ROOT
        proof = [bytes.fromhex(h) for h in case["proof"]]
        assert merkle.verify_consistency(
            case["old_size"], case["new_size"], old_root, roots[-1], proof
        )
    cosigned = vectors["cosignature"]
    body = vectors["checkpoint"]["body"]
    _, (line,) = notes.split_note(body + "\n" + cosigned["line"])
    public = bytes.fromhex(cosigned["public_key"])
    assert (
        notes.verify_cosignature(body, line, cosigned["witness"], public) == cosigned["timestamp"]
    )


def test_the_vector_membership_entries_replay_to_their_key_ranges() -> None:
    from chain.memberlog import MemberLog, MemberLogError

    membership = json.loads(FILE.read_text(encoding="utf-8"))["membership"]
    log = MemberLog("riik-vectors")
    payloads = [json.loads(entry["payload"]) for entry in membership["entries"]]
    for payload in payloads:
        log.apply(payload)
    ranges = [
        (r["tier"], r["name"], bytes.fromhex(r["key_id"]), r["from"], r["until"])
        for r in membership["key_ranges"]
    ]
    assert ranges == [
        (tier, name, kid, start, end)
        for (tier, name, kid), spans in sorted(log.history().items())
        for start, end in spans
    ]
    forged = MemberLog("riik-vectors")
    forged.apply(payloads[0])
    payloads[1]["certificate"][0]["signature"] = "00" * 64
    with pytest.raises(MemberLogError, match=r"\(2 of 3 valid signatures\)"):
        forged.apply(payloads[1])
