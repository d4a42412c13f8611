"""``--jobs``: the logs verified side by side give the verdict and report of one process;
the fast path reads an entry line exactly as the JSON parser does."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chain.encoding import canonical, entry_leaf
from chain.verify import BundleFormatError, VerificationFailure, main, verify_file
from chain.verify.parallel import _verify_parallel
from chain.verify.stream import fast_entry, iter_bundle, read_records
from tests.chain.bundle_factory import Bundle, build_bundle, make_entry, rehash_entry, seal


def _many_logs(blocks: int = 12) -> Bundle:
    """Four logs of different sizes, each growing in some blocks and not in others."""
    payloads = {
        "business": [f"business event {i}".encode() for i in range(1, 61)],
        "identity": [f"person {i}".encode() * 3 for i in range(1, 41)],
        "land": [bytes([i % 256]) * (i + 3) for i in range(1, 25)],
        "court": [b"case"] * 9,
    }
    cuts = []
    for height in range(1, blocks + 1):
        cut = {"business": 5 * height, "identity": 3 * height if height % 2 else 3 * height - 3}
        if height % 3 == 0:
            cut["land"] = 2 * height
        if height == blocks:
            cut["court"] = 9
        cuts.append(cut)
    return build_bundle(payloads, cuts)


def _report_fields(path: Path, jobs: int) -> dict[str, Any]:
    return dataclasses.asdict(verify_file(str(path), jobs=jobs))


def test_the_parallel_run_itself_vouches_for_a_good_bundle(tmp_path: Path) -> None:
    path = _many_logs().write(tmp_path / "chain.jsonl")
    parallel = _verify_parallel(str(path), None, 3, None, None)
    single = verify_file(str(path), jobs=1)
    assert dataclasses.asdict(parallel) == dataclasses.asdict(single)
    assert single.blocks == 12
    assert single.entries == 60 + 40 + 24 + 9


@pytest.mark.parametrize("jobs", [2, 3, 5])
def test_jobs_give_the_report_of_one_process(tmp_path: Path, jobs: int) -> None:
    path = _many_logs().write(tmp_path / "chain.jsonl")
    assert _report_fields(path, jobs) == _report_fields(path, 1)


def test_a_public_bundle_gives_the_same_report_with_jobs(tmp_path: Path) -> None:
    bundle = _many_logs()
    bundle.records[0]["payloads"] = "omitted"
    for record in bundle.records:
        if record["type"] == "entry" and record["registry"] in {"business", "land"}:
            del record["payload"]
    path = bundle.write(tmp_path / "public.jsonl")
    single = _report_fields(path, 1)
    assert single["payloads_omitted"] == 60 + 24
    assert _report_fields(path, 3) == single


def _tampered_payload(bundle: Bundle) -> Bundle:
    bundle.entry("land", 5)["payload"] = "00"
    return bundle


def _forged_entry(bundle: Bundle) -> Bundle:
    record = bundle.entry("identity", 7)
    record["payload"] = b"forged".hex()
    rehash_entry(record)
    return bundle


def _forged_root(bundle: Bundle) -> Bundle:
    block = bundle.block(4)
    block["header"]["logs"]["business"]["root"] = "11" * 32
    seal(block, bundle.keys[:3], resign_checkpoints=True)
    return bundle


def _forged_root_of_a_log_the_block_did_not_grow(bundle: Bundle) -> Bundle:
    block = bundle.block(4)  # land grew in block 3, not in block 4
    assert block["header"]["logs"]["land"] == bundle.block(3)["header"]["logs"]["land"]
    block["header"]["logs"]["land"]["root"] = "22" * 32
    seal(block, bundle.keys[:3], resign_checkpoints=True)
    return bundle


def _forged_root_of_an_empty_log(bundle: Bundle) -> Bundle:
    block = bundle.block(2)
    block["header"]["logs"]["court"]["root"] = "33" * 32
    seal(block, bundle.keys[:3], resign_checkpoints=True)
    return bundle


def _dropped_entry(bundle: Bundle) -> Bundle:
    del bundle.records[bundle.index("entry", registry="court", seq=3)]
    return bundle


@pytest.mark.parametrize(
    "tamper",
    [
        _tampered_payload,
        _forged_entry,
        _forged_root,
        _forged_root_of_a_log_the_block_did_not_grow,
        _forged_root_of_an_empty_log,
        _dropped_entry,
    ],
    ids=lambda tamper: tamper.__name__,
)
def test_jobs_name_the_first_bad_item_as_one_process_does(tmp_path: Path, tamper: Any) -> None:
    path = tamper(_many_logs()).write(tmp_path / "bad.jsonl")
    with pytest.raises(VerificationFailure) as single:
        verify_file(str(path), jobs=1)
    with pytest.raises(VerificationFailure) as parallel:
        verify_file(str(path), jobs=3)
    assert parallel.value.message == single.value.message
    # The parallel pass itself never vouches for it (the one process decides).
    with pytest.raises(Exception):  # noqa: B017, PT011 (whichever doubt stops it)
        _verify_parallel(str(path), None, 3, None, None)


def test_the_command_line_prints_the_same_with_jobs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _many_logs().write(tmp_path / "chain.jsonl")
    assert main([str(path), "--jobs", "1"]) == 0
    single = capsys.readouterr().out
    assert main([str(path), "--jobs", "3"]) == 0
    assert capsys.readouterr().out == single
    assert single.splitlines()[-1] == "OK"


def test_the_command_line_refuses_zero_jobs(tmp_path: Path) -> None:
    path = _many_logs(2).write(tmp_path / "chain.jsonl")
    with pytest.raises(SystemExit) as exit_:
        main([str(path), "--jobs", "0"])
    assert exit_.value.code == 2


# -- the fast path reads entry lines as the JSON parser does -----------------------

_TEXT = st.text(st.characters(codec="utf-8"), max_size=12)


@settings(max_examples=300, deadline=None)
@given(
    registry=_TEXT,
    seq=st.integers(min_value=0, max_value=2**63 - 1),
    version=st.integers(min_value=0, max_value=2**63 - 1),
    originator=_TEXT,
    topic=_TEXT,
    recorded_at=_TEXT,
    payload=st.binary(max_size=40) | st.none(),
)
def test_the_fast_path_reads_an_entry_line_as_the_parser_does(
    registry: str,
    seq: int,
    version: int,
    originator: str,
    topic: str,
    recorded_at: str,
    payload: bytes | None,
) -> None:
    fields: dict[str, Any] = {
        "type": "entry",
        "registry": registry,
        "seq": seq,
        "originator_id": originator,
        "originator_version": version,
        "topic": topic,
        "recorded_at": recorded_at,
        "payload_hash": hashlib.sha256(payload or b"").digest(),
        "prev_hash": bytes(32),
        "entry_hash": hashlib.sha256(b"x").digest(),
    }
    if payload is not None:
        fields["payload"] = payload
    line = canonical(fields)
    parsed = fast_entry(line)
    plain = all(
        not any(char in text for char in '"\\') and all(ord(char) >= 0x20 for char in text)
        for text in (registry, originator, topic, recorded_at)
    )
    if not plain or seq >= 10**18 or version >= 10**18:
        # Escaped strings and very long numbers take the general path.
        assert parsed is None
        return
    assert parsed is not None
    row = parsed.row
    assert (row.registry, row.seq, row.originator_id, row.originator_version) == (
        registry,
        seq,
        originator,
        version,
    )
    assert (row.topic, row.recorded_at, row.payload) == (topic, recorded_at, payload or b"")
    assert parsed.has_payload is (payload is not None)
    assert parsed.leaf == entry_leaf(
        registry=registry,
        seq=seq,
        originator_id=originator,
        originator_version=version,
        topic=topic,
        recorded_at=recorded_at,
        payload_hash=fields["payload_hash"],
    )


@pytest.mark.parametrize(
    "edit",
    [
        lambda line: line.replace(b'"seq":3', b'"seq":03'),
        lambda line: line.replace(b'"seq":3', b'"seq":-3'),
        lambda line: line.replace(b'"payload":"', b'"payload":"A'),
        lambda line: line.replace(b'"payload":"', b'"payload":"0'),
        lambda line: line.replace(b'"prev_hash":"', b'"prev_hash":"00'),
        lambda line: line.replace(b',"type":"entry"}', b',"type":"entry","x":1}'),
        lambda line: line.replace(b'"topic":"', b'"topic":"\xff'),
        lambda line: line.replace(b'"topic":"', b'"topic": "'),
    ],
)
def test_a_line_the_fast_path_does_not_read_is_judged_by_the_parser(edit: Any) -> None:
    record, _ = make_entry("business", 3, b"payload", bytes(32))
    line = edit(canonical(record))
    assert fast_entry(line) is None

    def outcome(fast: bool) -> object:
        try:
            return list(read_records(io.BytesIO(line + b"\n"), fast=fast))
        except BundleFormatError as exc:
            return str(exc)

    # The general path reads or refuses it, with or without the fast path.
    assert outcome(True) == outcome(False)


def test_iter_bundle_still_yields_dicts() -> None:
    record, _ = make_entry("business", 1, b"payload", bytes(32))
    lines = list(iter_bundle(io.BytesIO(canonical(record) + b"\n")))
    assert lines == [(1, json.loads(canonical(record)))]


def test_a_forged_root_of_an_unchanged_log_in_the_last_block_is_refused_with_jobs(
    tmp_path: Path,
) -> None:
    # identity did not grow in block 12; the last block has no successor
    # whose link would fail first, so only the root check can catch it.
    bundle = _many_logs()
    block = bundle.block(12)
    assert block["header"]["logs"]["identity"] == bundle.block(11)["header"]["logs"]["identity"]
    block["header"]["logs"]["identity"]["root"] = "22" * 32
    seal(block, bundle.keys[:3], resign_checkpoints=True)
    path = bundle.write(tmp_path / "bad.jsonl")
    with pytest.raises(VerificationFailure) as single:
        verify_file(str(path), jobs=1)
    assert single.value.message == "block 12: registry identity root mismatch at size 33"
    with pytest.raises(VerificationFailure) as parallel:
        _verify_parallel(str(path), None, 3, None, None)
    assert parallel.value.message == single.value.message
    with pytest.raises(VerificationFailure, match="identity root mismatch"):
        verify_file(str(path), jobs=3)
