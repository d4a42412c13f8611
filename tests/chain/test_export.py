"""``manage.py chain export``: whole chain or a height range, verified offline."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from chain.blocks.nodekeys import forget_keys
from chain.blocks.sealing import seal_pending
from chain.verify import VerificationFailure, main, verify_bundle
from registries.business.application import BusinessRegistry
from registries.common.application import running
from tests.factories import register_company

pytestmark = pytest.mark.usefixtures("event_store")
ROOT = Path(__file__).resolve().parents[2]


def _four_blocks() -> None:
    code = register_company()
    seal_pending()
    for street in ("Pikk 1", "Lai 2", "Vene 3"):
        running(BusinessRegistry).change_address(code, f"Tallinn, {street}", "registrar")
        register_company()
        seal_pending()
    register_company()  # not sealed yet


def _export(tmp_path: Path, *options: str) -> Path:
    out = tmp_path / "range.jsonl"
    call_command(
        "chain", "export", "--out", str(out), "--no-progress", *options, stdout=io.StringIO()
    )
    return out


def test_a_height_range_verifies_offline_from_its_signed_anchor(tmp_path: Path) -> None:
    _four_blocks()
    bundle = _export(tmp_path, "--from-height", "2", "--to-height", "3")
    result = subprocess.run(
        [sys.executable, "-m", "chain.verify", str(bundle)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "range: starts after block 1" in result.stdout
    assert "blocks 2..3: 2 blocks" in result.stdout
    report = verify_bundle(bundle)
    assert (report.first_height, report.last_height, report.blocks) == (2, 3, 2)
    # Only the entries sealed in blocks 2 and 3 are in the file.
    records = [json.loads(line) for line in bundle.read_text().splitlines()]
    assert {r["type"] for r in records} == {"header", "entry", "block", "end"}
    entries = [r for r in records if r["type"] == "entry"]
    assert records[-1]["entries"] == len(entries) == 6
    assert entries[0]["seq"] == records[0]["anchor"]["logs"]["business"]["size"] + 1


def test_a_range_to_the_end_includes_the_unsealed_entries(tmp_path: Path) -> None:
    _four_blocks()
    report = verify_bundle(_export(tmp_path, "--from-height", "4"))
    assert report.blocks == 1
    assert report.registries["business"].unsealed == 2


def test_a_forged_anchor_frontier_is_found(tmp_path: Path) -> None:
    _four_blocks()
    bundle = _export(tmp_path, "--from-height", "3")
    lines = bundle.read_text().splitlines()
    header = json.loads(lines[0])
    header["anchor"]["logs"]["business"]["frontier"][0] = "00" * 32
    lines[0] = json.dumps(header, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    bundle.write_text("\n".join(lines) + "\n")
    with pytest.raises(VerificationFailure, match="frontier does not fold to the signed root"):
        verify_bundle(bundle)


@pytest.mark.parametrize(
    "options",
    [("--from-height", "0"), ("--from-height", "9"), ("--from-height", "3", "--to-height", "2")],
)
def test_a_range_the_chain_does_not_have_is_refused(tmp_path: Path, options: tuple[str]) -> None:
    _four_blocks()
    with pytest.raises(CommandError, match="not exported: no block"):
        _export(tmp_path, *options)
    assert not (tmp_path / "range.jsonl").exists()


def test_the_verifier_reports_what_it_checked_per_block(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _four_blocks()
    bundle = _export(tmp_path)
    assert main(["--blocks", str(bundle)]) == 0
    out = capsys.readouterr().out
    block_lines = [line for line in out.splitlines() if line.startswith("block ")]
    assert len(block_lines) == 4
    assert block_lines[0].startswith("block 1: final; hash, link, roots (business 2,")
    assert block_lines[0].endswith("checkpoints and 1 supernode signatures OK")
    assert "registry business: 13 entries" in out


def test_a_public_export_has_no_event_payloads_and_verifies_saying_so(tmp_path: Path) -> None:
    _four_blocks()
    bundle = _export(tmp_path, "--public")
    records = [json.loads(line) for line in bundle.read_text().splitlines()]
    assert records[0]["payloads"] == "omitted"
    entries = [r for r in records if r["type"] == "entry"]
    assert entries
    assert all("payload" not in r for r in entries if r["registry"] != "consensus")
    assert all("payload" in r for r in entries if r["registry"] == "consensus")
    result = subprocess.run(
        [sys.executable, "-m", "chain.verify", str(bundle)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    registry_entries = sum(1 for r in entries if r["registry"] != "consensus")
    assert (
        f"payloads: omitted from this public bundle; the payload hashes of {registry_entries} "
        "entries were not re-hashed"
    ) in result.stdout


def test_a_bundle_without_payloads_that_does_not_say_it_is_public_fails(tmp_path: Path) -> None:
    _four_blocks()
    bundle = _export(tmp_path, "--public")
    lines = bundle.read_text().splitlines()
    header = json.loads(lines[0])
    del header["payloads"]
    lines[0] = json.dumps(header, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    bundle.write_text("\n".join(lines) + "\n")
    with pytest.raises(VerificationFailure, match="field 'payload' missing"):
        verify_bundle(bundle)
    header["payloads"] = "some"
    lines[0] = json.dumps(header, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    bundle.write_text("\n".join(lines) + "\n")
    with pytest.raises(VerificationFailure, match="field 'payloads' must be 'omitted'"):
        verify_bundle(bundle)


def test_a_range_up_to_a_block_before_a_rotation_verifies_offline(tmp_path: Path) -> None:
    # Two rotations: the second, certified at block 2, takes effect from block
    # 3 and is sealed in block 3, so a bundle up to block 2 lacks its entry
    # while its header states the key history beyond block 2.
    with override_settings(RIIK_KEYS_DIR=tmp_path / "keys"):
        forget_keys()
        try:
            for _ in range(2):
                register_company()
                seal_pending()
                call_command("chain", "rotate-key", stdout=io.StringIO())
            register_company()
            seal_pending()
        finally:
            forget_keys()
    bundle = _export(tmp_path, "--to-height", "2")
    header = json.loads(bundle.read_text().splitlines()[0])
    assert max(member["from_height"] for member in header["supernodes"]) == 3
    report = verify_bundle(bundle)
    assert (report.last_height, report.history_checked) == (2, True)
