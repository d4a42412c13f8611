"""Canonical encoding: the bytes everything on the chain hashes and signs."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chain.encoding import NotCanonicalError, canonical, entry_envelope, entry_leaf


def test_keys_are_sorted_and_there_is_no_whitespace() -> None:
    assert canonical({"b": 1, "a": [True, None, "x"]}) == b'{"a":[true,null,"x"],"b":1}'


def test_bytes_become_lowercase_hex_and_text_stays_utf8() -> None:
    assert canonical({"h": b"\x00\xab", "t": "Tõnis"}) == '{"h":"00ab","t":"Tõnis"}'.encode()


@pytest.mark.parametrize("value", [1.5, float("nan"), {1: "x"}, {"s": {1, 2}}])
def test_values_without_a_canonical_form_are_refused(value: object) -> None:
    with pytest.raises(NotCanonicalError):
        canonical(value)


def test_entry_leaf_refuses_a_boolean_seq() -> None:
    with pytest.raises(NotCanonicalError):
        entry_leaf(
            registry="business",
            seq=True,
            originator_id="x",
            originator_version=1,
            topic="t",
            recorded_at="r",
            payload_hash=bytes(32),
        )


@given(
    registry=st.text(),
    seq=st.integers(min_value=1, max_value=2**63),
    originator_id=st.text(),
    originator_version=st.integers(min_value=0, max_value=2**63),
    topic=st.text(),
    recorded_at=st.text(),
    payload_hash=st.binary(min_size=32, max_size=32),
)
def test_entry_leaf_is_byte_identical_to_the_canonical_envelope(
    registry: str,
    seq: int,
    originator_id: str,
    originator_version: int,
    topic: str,
    recorded_at: str,
    payload_hash: bytes,
) -> None:
    fields: dict[str, Any] = {
        "registry": registry,
        "seq": seq,
        "originator_id": originator_id,
        "originator_version": originator_version,
        "topic": topic,
        "recorded_at": recorded_at,
        "payload_hash": payload_hash,
    }
    assert entry_leaf(**fields) == canonical(entry_envelope(**fields))
