"""The standalone chain verifier (the chain/verify package) on real, small bundles."""

from __future__ import annotations

import copy
import hashlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from chain.keys import NodeKey
from chain.notes import checkpoint_body
from chain.verify import (
    BundleFormatError,
    ChainVerifier,
    VerificationFailure,
    iter_bundle,
    main,
    verify_stream,
)
from chain.verify.cli import _Progress
from tests.chain import bundle_factory as bf

REPO = Path(__file__).resolve().parents[3]


def run(bundle: bf.Bundle, trusted: list[str] | None = None) -> Any:
    stream = io.BytesIO(b"".join(bundle.lines()))
    return verify_stream(stream, ChainVerifier(trusted))


def failure(bundle: bf.Bundle, trusted: list[str] | None = None) -> str:
    with pytest.raises(VerificationFailure) as info:
        run(bundle, trusted)
    return info.value.message


@pytest.fixture
def bundle() -> bf.Bundle:
    return bf.standard_bundle()


# --- the good bundle ------------------------------------------------------------


def test_good_bundle_verifies(bundle: bf.Bundle) -> None:
    report = run(bundle)
    assert report.complete
    assert report.blocks == 3
    assert (report.first_height, report.last_height) == (1, 3)
    business, land = report.registries["business"], report.registries["land"]
    assert (business.entries, business.sealed_size, business.unsealed) == (12, 10, 2)
    assert (land.entries, land.sealed_size) == (7, 7)
    assert business.sealed_root == bf.rfc9162_root(bundle.leaves["business"][:10])
    assert land.sealed_root == bf.rfc9162_root(bundle.leaves["land"])
    assert report.entries == 19
    assert report.ignored_signatures == 0
    lines = report.summary_lines()
    assert any(line.startswith("registry business: 12 entries") for line in lines)
    assert any("2 entries not yet in a block" in line for line in lines)
    assert any(line.startswith("blocks 1..3: 3 blocks") for line in lines)


def test_good_bundle_cli(
    bundle: bf.Bundle, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = bundle.write(tmp_path / "chain.jsonl")
    assert main([str(path)]) == 0
    out, err = capsys.readouterr()
    assert out.splitlines()[-1] == "OK"
    assert "registry land: 7 entries" in out
    assert "keys are taken from the bundle itself" in err


def test_quiet(bundle: bf.Bundle, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = bundle.write(tmp_path / "chain.jsonl")
    assert main([str(path), "--quiet"]) == 0
    out, _ = capsys.readouterr()
    assert out == "OK\n"


def test_empty_chain_and_block_without_entries() -> None:
    empty = bf.build_bundle({"business": []}, [])
    assert run(empty).blocks == 0
    only_blocks = bf.build_bundle({"business": [], "land": [b"x"]}, [{}, {"land": 1}, {}])
    report = run(only_blocks)
    assert report.blocks == 3
    assert report.registries["business"].sealed_root == bf.rfc9162_root([])


def test_many_entries_cross_power_of_two_boundaries() -> None:
    payloads = {"business": [i.to_bytes(4, "big") for i in range(70)]}
    cuts = [{"business": n} for n in (1, 2, 3, 4, 5, 8, 9, 16, 17, 31, 32, 33, 64, 65, 70)]
    assert run(bf.build_bundle(payloads, cuts)).registries["business"].sealed_size == 70


def test_all_four_signers() -> None:
    keys = bf.make_keys()
    report = run(bf.standard_bundle(keys=keys, signers=keys))
    assert report.blocks == 3


def test_finalize_votes_of_a_nonzero_round_fail() -> None:
    keys = bf.make_keys()
    bundle = bf.standard_bundle(keys=keys, signers=keys, vote_round=2)
    assert failure(bundle).endswith("finalize signed in round 2; nodes sign only round 0")


def test_unicode_and_escapes_survive_the_round_trip(tmp_path: Path) -> None:
    topic = 'Äriregister.muudetud \u2028 "quoted" \\ tab\t \u00e9\U0001f600'
    bundle = bf.standard_bundle(topics={("business", 2): topic})
    path = bundle.write(tmp_path / "u.jsonl")
    assert "Äriregister".encode() in path.read_bytes()
    assert main([str(path), "-q"]) == 0


# --- tampering: entries -----------------------------------------------------------


def test_payload_byte_changed(bundle: bf.Bundle) -> None:
    record = bundle.entry("business", 5)
    payload = bytearray.fromhex(record["payload"])
    payload[0] ^= 0x01
    record["payload"] = payload.hex()
    assert failure(bundle) == "registry business seq 5: payload hash mismatch"


def test_payload_and_its_hash_changed(bundle: bf.Bundle) -> None:
    record = bundle.entry("business", 5)
    record["payload"] = b"forged".hex()
    record["payload_hash"] = hashlib.sha256(b"forged").hexdigest()
    assert failure(bundle) == "registry business seq 5: entry hash mismatch"


def test_entry_field_changed(bundle: bf.Bundle) -> None:
    bundle.entry("land", 3)["topic"] = "land.Forged"
    assert failure(bundle) == "registry land seq 3: entry hash mismatch"


def test_entry_deleted(bundle: bf.Bundle) -> None:
    del bundle.records[bundle.index("entry", registry="business", seq=5)]
    assert failure(bundle) == "registry business seq 6: expected seq 5"


def test_two_entries_swapped(bundle: bf.Bundle) -> None:
    i = bundle.index("entry", registry="business", seq=5)
    j = bundle.index("entry", registry="business", seq=6)
    bundle.records[i], bundle.records[j] = bundle.records[j], bundle.records[i]
    assert failure(bundle) == "registry business seq 6: expected seq 5"


def test_entry_duplicated(bundle: bf.Bundle) -> None:
    i = bundle.index("entry", registry="land", seq=4)
    bundle.records.insert(i, copy.deepcopy(bundle.records[i]))
    assert failure(bundle) == "registry land seq 4: expected seq 5"


def test_forged_entry_inserted(bundle: bf.Bundle) -> None:
    prev = bytes.fromhex(bundle.entry("business", 4)["entry_hash"])
    forged, _ = bf.make_entry("business", 5, b"forged transfer", prev)
    bundle.records.insert(bundle.index("entry", registry="business", seq=5), forged)
    assert failure(bundle) == "registry business seq 5: expected seq 6"


def test_forged_entry_inserted_and_the_log_renumbered(bundle: bf.Bundle) -> None:
    """A forger who rewrites the rest of the log is caught by the block root."""
    position = bundle.index("entry", registry="business", seq=5)
    forged, _ = bf.make_entry("business", 5, b"forged transfer", bytes(32))
    bundle.records.insert(position, forged)
    prev = bytes.fromhex(bundle.entry("business", 4)["entry_hash"])
    seq = 5
    for record in bundle.records[position:]:
        if record["type"] == "entry" and record["registry"] == "business":
            record["seq"], record["prev_hash"] = seq, prev.hex()
            bf.rehash_entry(record)
            prev, seq = bytes.fromhex(record["entry_hash"]), seq + 1
    # keep 7 entries before block 2 by moving the old seq 7 (now 8) after it
    moved = bundle.records.pop(bundle.index("entry", registry="business", seq=8))
    bundle.records.insert(bundle.index("block", height=2) + 1, moved)
    assert failure(bundle) == "block 2: registry business root mismatch at size 7"


def test_prev_hash_broken(bundle: bf.Bundle) -> None:
    record = bundle.entry("business", 7)
    record["prev_hash"] = "11" * 32
    bf.rehash_entry(record)
    assert failure(bundle) == "registry business seq 7: prev_hash does not match entry 6"


def test_first_entry_prev_hash_not_zero(bundle: bf.Bundle) -> None:
    record = bundle.entry("land", 1)
    record["prev_hash"] = "22" * 32
    bf.rehash_entry(record)
    assert failure(bundle) == "registry land seq 1: prev_hash of the first entry must be zero"


def test_last_entry_before_a_block_removed(bundle: bf.Bundle) -> None:
    del bundle.records[bundle.index("entry", registry="business", seq=7)]
    assert failure(bundle) == "block 2: registry business size 7 but only 6 entries"


def test_entry_moved_before_its_block(bundle: bf.Bundle) -> None:
    moved = bundle.records.pop(bundle.index("entry", registry="business", seq=4))
    bundle.records.insert(bundle.index("block", height=1), moved)
    assert failure(bundle) == "block 1: registry business size 3 but 4 entries precede it"


def test_unknown_registry(bundle: bf.Bundle) -> None:
    record = bundle.entry("land", 2)
    record["registry"] = "tax"
    assert failure(bundle) == "registry tax seq 2: registry not listed in the bundle header"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("payload", "ABCD", "field 'payload' must be lowercase hex"),
        ("payload", "abc", "field 'payload' must be lowercase hex"),
        ("entry_hash", "00", "field 'entry_hash' must be 32 bytes"),
        ("originator_version", True, "field 'originator_version' must be int"),
        ("topic", 5, "field 'topic' must be str"),
        ("seq", "5", "field 'seq' must be int"),
    ],
)
def test_malformed_entry_fields(bundle: bf.Bundle, field: str, value: Any, message: str) -> None:
    bundle.entry("business", 5)[field] = value
    assert message in failure(bundle)


def test_missing_entry_field(bundle: bf.Bundle) -> None:
    del bundle.entry("business", 5)["recorded_at"]
    assert failure(bundle) == (
        "registry business seq 5: malformed record (field 'recorded_at' missing)"
    )


# --- tampering: blocks ------------------------------------------------------------------


def test_block_signature_altered(bundle: bf.Bundle) -> None:
    record = bundle.block(2)
    signature = bytearray.fromhex(record["certificate"][0]["signature"])
    signature[3] ^= 0x40
    record["certificate"][0]["signature"] = signature.hex()
    assert failure(bundle) == "block 2: missing supernode quorum (2 of 3 valid signatures)"


def test_altered_signature_is_ignored_when_quorum_still_holds() -> None:
    keys = bf.make_keys()
    bundle = bf.standard_bundle(keys=keys, signers=keys)
    signature = bytearray.fromhex(bundle.block(2)["certificate"][1]["signature"])
    signature[0] ^= 1
    bundle.block(2)["certificate"][1]["signature"] = signature.hex()
    report = run(bundle)
    assert report.ignored_signatures == 1
    assert "block 2: signature 2 by supernode-2" in report.ignored_samples[0]
    assert "invalid signature" in report.ignored_samples[0]


def test_same_signer_twice_counts_once(bundle: bf.Bundle) -> None:
    certificate = bundle.block(1)["certificate"]
    certificate[2] = copy.deepcopy(certificate[0])
    assert failure(bundle) == "block 1: missing supernode quorum (2 of 3 valid signatures)"


def test_signature_replayed_from_another_block(bundle: bf.Bundle) -> None:
    bundle.block(2)["certificate"][0] = copy.deepcopy(bundle.block(1)["certificate"][0])
    assert failure(bundle) == "block 2: missing supernode quorum (2 of 3 valid signatures)"


def test_block_header_root_altered_and_resealed(bundle: bf.Bundle) -> None:
    record = bundle.block(2)
    record["header"]["logs"]["business"]["root"] = "ab" * 32
    bf.seal(record, bundle.keys[:3], resign_checkpoints=True)
    assert failure(bundle) == "block 2: registry business root mismatch at size 7"


def test_block_header_root_altered(bundle: bf.Bundle) -> None:
    bundle.block(2)["header"]["logs"]["business"]["root"] = "ab" * 32
    assert failure(bundle) == "block 2: block hash mismatch"


def test_block_prev_hash_altered(bundle: bf.Bundle) -> None:
    record = bundle.block(3)
    record["header"]["prev_hash"] = "cd" * 32
    bf.seal(record, bundle.keys[:3])
    assert failure(bundle) == "block 3: prev_hash does not match block 2"


def test_block_removed(bundle: bf.Bundle) -> None:
    del bundle.records[bundle.index("block", height=2)]
    assert failure(bundle) == "block 3: expected height 2"


def test_block_size_shrinks(bundle: bf.Bundle) -> None:
    record = bundle.block(3)
    record["header"]["logs"]["land"]["size"] = 0
    bf.seal(record, bundle.keys[:3])
    assert failure(bundle) == "block 3: registry land size 0 is below block 2's 1"


def test_block_missing_registry(bundle: bf.Bundle) -> None:
    record = bundle.block(1)
    del record["header"]["logs"]["land"]
    bf.seal(record, bundle.keys[:3])
    assert failure(bundle) == "block 1: logs do not name registry land"


def test_block_of_another_chain(bundle: bf.Bundle) -> None:
    record = bundle.block(1)
    record["header"]["chain_id"] = "other"
    bf.seal(record, bundle.keys[:3])
    assert failure(bundle) == "block 1: chain_id 'other' is not the bundle's 'riik-test'"


def test_signatures_by_an_unknown_key() -> None:
    strangers = bf.make_keys(3, prefix="supernode")  # same names, other keys
    bundle = bf.standard_bundle(signers=strangers)
    assert failure(bundle) == "block 1: missing supernode quorum (0 of 3 valid signatures)"
    report_samples = ChainVerifier()
    report_samples.start(bundle.records[0])
    for record in bundle.records[1:]:
        try:
            report_samples.feed(record)
        except VerificationFailure:
            break
    assert all("unknown key" in s for s in report_samples.report.ignored_samples)


def test_fewer_than_quorum() -> None:
    keys = bf.make_keys()
    bundle = bf.standard_bundle(keys=keys, signers=keys[:2])
    assert failure(bundle) == "block 1: missing supernode quorum (2 of 3 valid signatures)"


def test_signatures_for_another_round_do_not_count(bundle: bf.Bundle) -> None:
    # The block hash does not cover the round, the signatures do: they were
    # made for round 0, so none of them counts for round 1.
    bundle.block(1)["round"] = 1
    assert failure(bundle) == "block 1: missing supernode quorum (0 of 3 valid signatures)"


# --- tampering: checkpoints ---------------------------------------------------------------


def test_checkpoint_altered(bundle: bf.Bundle) -> None:
    checkpoints = bundle.block(2)["checkpoints"]
    checkpoints["business"] = checkpoints["business"].replace("\n7\n", "\n8\n", 1)
    assert failure(bundle) == "block 2: checkpoint for business: bad signature"


def test_checkpoint_resigned_with_another_size(bundle: bf.Bundle) -> None:
    record = bundle.block(2)
    body = checkpoint_body("riik.example/business", 8, bytes(32))
    record["checkpoints"]["business"] = bundle.keys[0].sign_note(body)
    message = failure(bundle)
    assert message.startswith("block 2: checkpoint for business: size 8 root 0000")
    assert message.endswith("do not match the block (size 7 root " + _root(bundle, 7) + ")")


def _root(bundle: bf.Bundle, size: int) -> str:
    return bf.rfc9162_root(bundle.leaves["business"][:size]).hex()


def test_checkpoint_wrong_origin(bundle: bf.Bundle) -> None:
    log = bundle.block(1)["header"]["logs"]["land"]
    body = checkpoint_body("evil.example/land", log["size"], bytes.fromhex(log["root"]))
    bundle.block(1)["checkpoints"]["land"] = bundle.keys[1].sign_note(body)
    assert failure(bundle) == (
        "block 1: checkpoint for land: origin 'evil.example/land' is not 'riik.example/land'"
    )


def test_checkpoint_missing(bundle: bf.Bundle) -> None:
    del bundle.block(3)["checkpoints"]["land"]
    assert failure(bundle) == "block 3: checkpoint for land: missing"


def test_checkpoint_malformed(bundle: bf.Bundle) -> None:
    bundle.block(1)["checkpoints"]["land"] = "not a note"
    assert failure(bundle) == (
        "block 1: checkpoint for land: malformed note (note has no blank line before the "
        "signatures)"
    )


def test_checkpoint_signed_only_by_an_unknown_key(bundle: bf.Bundle) -> None:
    log = bundle.block(1)["header"]["logs"]["land"]
    body = checkpoint_body("riik.example/land", log["size"], bytes.fromhex(log["root"]))
    bundle.block(1)["checkpoints"]["land"] = NodeKey.generate("witness").sign_note(body)
    assert failure(bundle) == "block 1: checkpoint for land: no valid supernode signature"


def test_checkpoint_witness_cosignature_is_fine(bundle: bf.Bundle) -> None:
    checkpoints = bundle.block(1)["checkpoints"]
    checkpoints["land"] = NodeKey.generate("witness").cosign_note(checkpoints["land"])
    assert run(bundle).unknown_checkpoint_signatures == 1


# --- the bundle as a whole ------------------------------------------------------------------


def test_end_record_removed(bundle: bf.Bundle) -> None:
    bundle.records.pop()
    assert failure(bundle) == "bundle: truncated (no end record)"


def test_tail_cut_with_a_forged_end(bundle: bf.Bundle) -> None:
    del bundle.records[-3:-1]
    assert failure(bundle) == (
        "bundle: end record counts 19 entries and 3 blocks, but the bundle holds 17 entries "
        "and 3 blocks"
    )


def test_record_after_end(bundle: bf.Bundle) -> None:
    bundle.records.append(copy.deepcopy(bundle.records[-2]))
    assert failure(bundle) == "bundle: record after the end record"


def test_unknown_record_type(bundle: bf.Bundle) -> None:
    bundle.records.insert(3, {"type": "gossip"})
    assert failure(bundle) == "bundle line 4: unknown record type 'gossip'"


def test_second_header(bundle: bf.Bundle) -> None:
    bundle.records.insert(2, copy.deepcopy(bundle.records[0]))
    assert failure(bundle) == "bundle: a second header record"


def test_header_key_id_mismatch(bundle: bf.Bundle) -> None:
    bundle.records[0]["supernodes"][1]["key_id"] = "00000000"
    assert failure(bundle) == (
        "header: supernode supernode-2 key_id 00000000 does not match its public key"
    )


def test_header_quorum_too_low(bundle: bf.Bundle) -> None:
    bundle.records[0]["quorum"] = 2
    assert failure(bundle) == "header: quorum 2 is not a majority of 4 supernodes"


# --- trusted keys ---------------------------------------------------------------------------


def test_trusted_keys(
    bundle: bf.Bundle, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    keyfile = tmp_path / "trusted.txt"
    keyfile.write_text("# supernodes\n" + "\n".join(k.verifier_key() for k in bundle.keys) + "\n\n")
    path = bundle.write(tmp_path / "chain.jsonl")
    assert main([str(path), "--trusted-keys", str(keyfile)]) == 0
    out, err = capsys.readouterr()
    assert "trusted keys" in out
    assert "warning" not in err


def test_a_self_consistent_forgery_passes_only_without_trusted_keys(bundle: bf.Bundle) -> None:
    forger_keys = bf.make_keys()
    forged = bf.standard_bundle(keys=forger_keys)
    assert run(forged).blocks == 3
    trusted = [k.verifier_key() for k in bundle.keys]
    assert failure(forged, trusted) == (
        "block 1: missing supernode quorum (0 of 3 valid signatures)"
    )


def test_trusted_keys_raise_a_low_quorum(bundle: bf.Bundle) -> None:
    bundle.records[0]["quorum"] = 3
    trusted = [k.verifier_key() for k in bf.make_keys(7)]
    verifier = ChainVerifier(trusted)
    verifier.start(bundle.records[0])
    assert verifier.report.quorum == 5


def test_bad_trusted_keys_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    keyfile = tmp_path / "trusted.txt"
    keyfile.write_text("supernode-1+00000000+AAAA\n")
    assert main([str(tmp_path / "whatever"), "--trusted-keys", str(keyfile)]) == 2
    _, err = capsys.readouterr()
    assert "trusted.txt line 1" in err
    assert "Traceback" not in err
    assert main(["x", "--trusted-keys", str(tmp_path / "absent.txt")]) == 2


# --- unreadable files -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty file"),
        (b"\xff\xfe\x00garbage\n", "line 1: not valid UTF-8"),
        (b"{not json}\n", "line 1: not valid JSON"),
        (b"[1,2]\n", "line 1: not a JSON object"),
        (b'{"type": "header"}\n', "line 1: not in canonical JSON form"),
        (b'{"a":1.5}\n', "line 1: not valid bundle JSON"),
        (b'{"a":NaN}\n', "line 1: not valid bundle JSON"),
        (b'{"type":"entry"}\n', "line 1: not a riik bundle"),
        (b'{"format":"riik-bundle/9","type":"header"}\n', "unsupported bundle format"),
        (b"\n", "line 1: empty line"),
    ],
)
def test_unparseable_files_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes, message: str
) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_bytes(content)
    assert main([str(path)]) == 2
    _, err = capsys.readouterr()
    assert message in err
    assert "Traceback" not in err


def test_non_canonical_line_in_the_middle(
    bundle: bf.Bundle, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = bundle.lines()
    lines[3] = json.dumps(json.loads(lines[3]), ensure_ascii=True).encode() + b"\n"
    path = tmp_path / "chain.jsonl"
    path.write_bytes(b"".join(lines))
    assert main([str(path)]) == 2
    assert "line 4: not in canonical JSON form" in capsys.readouterr().err


def test_duplicate_keys_are_not_canonical() -> None:
    with pytest.raises(BundleFormatError, match="canonical"):
        list(iter_bundle(io.BytesIO(b'{"a":1,"a":2}\n')))


def test_missing_file_and_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(tmp_path / "absent.jsonl"), "-q"]) == 2
    assert main([str(tmp_path), "-q"]) == 2
    err = capsys.readouterr().err
    assert err.count("error: cannot read") == 2
    assert "Traceback" not in err


def test_failure_exit_code(
    bundle: bf.Bundle, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bundle.records.pop()
    path = bundle.write(tmp_path / "chain.jsonl")
    assert main([str(path)]) == 1
    out, err = capsys.readouterr()
    assert "FAIL: bundle: truncated (no end record)" in err
    assert "OK" not in out


# --- the streaming API as the Django side uses it ---------------------------------------------


def test_records_fed_one_by_one_without_end(bundle: bf.Bundle) -> None:
    verifier = ChainVerifier()
    verifier.start(bundle.records[0])
    for record in bundle.records[1:-1]:
        {"entry": verifier.entry, "block": verifier.block}[record["type"]](record)
    report = verifier.finish()
    assert report.blocks == 3
    assert not report.complete
    with pytest.raises(VerificationFailure, match="truncated"):
        verifier.finish(require_end=True)


def test_records_before_header() -> None:
    with pytest.raises(VerificationFailure, match="records before the header"):
        ChainVerifier().entry({"type": "entry"})


def test_progress_indicator() -> None:
    stream = io.StringIO()
    progress = _Progress(2 * 1024 * 1024, stream)
    progress(1024 * 1024)
    progress(2 * 1024 * 1024)
    progress.clear()
    text = stream.getvalue()
    assert "1.0 / 2.0 MiB (50%)" in text
    assert "(100%)" in text


def test_progress_shown_on_a_tty(
    bundle: bf.Bundle, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = bundle.write(tmp_path / "chain.jsonl")
    fake = io.StringIO()
    monkeypatch.setattr(fake, "isatty", lambda: True, raising=False)
    monkeypatch.setattr(sys, "stderr", fake)
    assert main([str(path)]) == 0
    assert "verifying:" in fake.getvalue()
    assert "(100%)" in fake.getvalue()


# --- as an auditor runs it ------------------------------------------------------------------


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return subprocess.run(
        [sys.executable, "-m", "chain.verify", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_cli_subprocess_good_and_bad(bundle: bf.Bundle, tmp_path: Path) -> None:
    good = bundle.write(tmp_path / "good.jsonl")
    result = _cli(str(good))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "OK"

    bundle.entry("business", 9)["payload"] = "00"
    bad = bundle.write(tmp_path / "bad.jsonl")
    result = _cli(str(bad))
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        "FAIL: registry business seq 9: payload hash mismatch"
    )
    assert "Traceback" not in result.stderr


def test_importing_chain_verify_does_not_import_django() -> None:
    code = (
        "import sys, chain.verify\n"
        "bad = sorted(m for m in sys.modules if m == 'django' or m.startswith('django.'))\n"
        "print(bad)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert result.stdout.strip() == "[]"


def test_the_worked_example_in_the_docs_verifies() -> None:
    doc = (REPO / "docs" / "chain-format.md").read_text(encoding="utf-8")
    section = doc.split("**The whole bundle**", 1)[1]
    block = section.split("```\n", 2)[1]
    report = verify_stream(io.BytesIO(block.encode("utf-8")))
    assert report.complete
    assert report.registries["business"].sealed_root.hex() == (
        "941eabaa5ee170f42c775028e779533415813033cebd192b1fc5792bfe9a813e"
    )
    assert "3299d3e5" in doc
