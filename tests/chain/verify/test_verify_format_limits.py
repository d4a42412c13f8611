"""What chain-format.md now states exactly: final newline, integer bound, change order."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from chain.protocol import CHAIN_LOG, MEMBERSHIP_TOPIC
from chain.verify import BundleFormatError, ChainVerifier, VerificationFailure, main, verify_stream
from chain.verify.stream import MAX_INT
from tests.chain import bundle_factory as bf
from tests.chain.verify.test_verify_history import _genesis_entry


def _stream(data: bytes) -> io.BytesIO:
    return io.BytesIO(data)


def test_a_bundle_whose_last_line_has_no_newline_is_refused() -> None:
    data = b"".join(bf.standard_bundle().lines())
    with pytest.raises(BundleFormatError, match=r"line \d+: no final newline"):
        verify_stream(_stream(data[:-1]), ChainVerifier())


@pytest.mark.parametrize("number", [str(MAX_INT + 1), "-" + str(MAX_INT + 2), "9" * 5000])
def test_integers_beyond_64_bits_are_refused_before_conversion(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], number: str
) -> None:
    path = tmp_path / "big.jsonl"
    path.write_bytes(
        b'{"format":"riik-bundle/1","quorum":' + number.encode() + b',"type":"header"}\n'
    )
    assert main([str(path)]) == 2
    err = capsys.readouterr().err
    assert "exceeds 64 bits" in err
    assert "Traceback" not in err


def test_the_largest_64_bit_integer_is_read() -> None:
    bundle = bf.standard_bundle()
    bundle.records[0]["exported_note"] = MAX_INT
    assert verify_stream(_stream(b"".join(bundle.lines())), ChainVerifier()).blocks == 3


def test_a_membership_change_after_a_block_it_applies_to_fails() -> None:
    # The genesis takes effect from block 1 but is sealed in block 2: block 1
    # was checked without it.
    bundle = bf.build_bundle(
        {"business": [b"one", b"two"], CHAIN_LOG: [_genesis_entry(bf.make_keys(4))]},
        [{"business": 1}, {"business": 2, CHAIN_LOG: 1}],
        topics={(CHAIN_LOG, 1): MEMBERSHIP_TOPIC},
    )
    with pytest.raises(VerificationFailure) as info:
        verify_stream(_stream(b"".join(bundle.lines())), ChainVerifier())
    assert info.value.message == (
        "registry consensus seq 1: genesis takes effect from block 1, but follows block 1"
    )
