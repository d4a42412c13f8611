"""What chain-format.md now states exactly: final newline, integer bound, change order."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from chain.protocol import CHAIN_LOG, MEMBERSHIP_TOPIC
from chain.verify import BundleFormatError, ChainVerifier, VerificationFailure, main, verify_stream
from chain.verify.stream import MAX_INT
from tests.chain import bundle_factory as bf
from tests.chain.verify.test_verify_history import certified_entry, genesis_entry


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


def _verify(bundle: bf.Bundle) -> str | None:
    try:
        verify_stream(_stream(b"".join(bundle.lines())), ChainVerifier())
    except VerificationFailure as failure:
        return failure.message
    return None


def _late_rotation(blocks: int) -> bf.Bundle:
    """A rotation of supernode-4 certified at block 1 (first block 2) but sealed
    in block 3; every block is signed by supernodes 2-4 with their first keys."""
    keys = bf.make_keys(4)
    rotation = {"type": "rotate-key", "tier": "supernode", "name": "supernode-4"}
    rotation["public_key"] = bf.make_keys(1, "new")[0].public_bytes.hex()
    cuts: list[dict[str, int]] = [
        {"business": 1, CHAIN_LOG: 1},
        {"business": 2},
        {"business": 3, CHAIN_LOG: 2},
    ]
    return bf.build_bundle(
        {
            "business": [str(n).encode() for n in range(1, blocks + 1)],
            CHAIN_LOG: [genesis_entry(keys), certified_entry(rotation, keys[:3], 1, 2)],
        },
        cuts + [{"business": height} for height in range(4, blocks + 1)],
        keys=keys,
        signers=keys[1:],
        topics={(CHAIN_LOG, 1): MEMBERSHIP_TOPIC, (CHAIN_LOG, 2): MEMBERSHIP_TOPIC},
    )


def test_a_membership_change_sealed_after_its_first_block_applies_from_a_later_epoch() -> None:
    # ADR 0057 follow-up: before, this bundle failed ("rotate-key takes effect
    # from block 2, but follows block 2"); now the entry sealed in block 3
    # applies from the first epoch start after it (block 4, epochs of one
    # block): blocks 2 and 3 stay judged with supernode-4's first key.
    assert _verify(_late_rotation(3)) is None
    assert (
        _verify(_late_rotation(4)) == "block 4: missing supernode quorum (2 of 3 valid signatures)"
    )


def test_a_first_genesis_after_the_blocks_it_covers_must_certify_the_keys_they_used() -> None:
    # A chain whose membership was recorded after its first block: fine when
    # the genesis certifies the keys block 1 was checked with, not otherwise.
    keys = bf.make_keys(4)
    payloads = {"business": [b"one", b"two"], CHAIN_LOG: [genesis_entry(keys)]}
    cuts = [{"business": 1}, {"business": 2, CHAIN_LOG: 1}]
    topics = {(CHAIN_LOG, 1): MEMBERSHIP_TOPIC}
    assert _verify(bf.build_bundle(payloads, cuts, keys=keys, topics=topics)) is None
    forgers = bf.make_keys(4, "forger")
    message = _verify(bf.build_bundle(payloads, cuts, keys=forgers, topics=topics))
    assert message is not None
    assert message.startswith(
        "registry consensus seq 1: the genesis covers blocks 1..1, checked before it with the "
        "header's supernode keys, but "
    )
