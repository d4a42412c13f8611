"""Canonical bytes of everything the chain hashes or signs.

Pure: no Django, no I/O. The rules are written down in docs/chain-format.md so
that an auditor can re-implement them:

* JSON, object keys sorted by Unicode code point, no insignificant whitespace;
* UTF-8, non-ASCII characters written as themselves (not ``\\uXXXX``);
* integers only: floats, NaN and infinities are refused;
* bytes are written as lowercase hex strings.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from json.encoder import encode_basestring
from typing import Any

ZERO_HASH = bytes(32)
"""The ``prev_hash`` of the first entry of a log and of the first block."""


class NotCanonicalError(ValueError):
    """A value that has no canonical encoding (a float, a non-string key...)."""


def _prepare(value: Any) -> Any:
    # Walk the value once: turn bytes into hex and refuse what JSON would
    # encode ambiguously. bool is checked before int because it is an int.
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    if isinstance(value, float):
        raise NotCanonicalError(f"floats have no canonical encoding: {value!r}")
    if isinstance(value, Mapping):
        prepared = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise NotCanonicalError(f"object keys must be strings, not {key!r}")
            prepared[key] = _prepare(item)
        return prepared
    if isinstance(value, list | tuple):
        return [_prepare(item) for item in value]
    raise NotCanonicalError(f"no canonical encoding for {type(value).__name__}")


def canonical(value: Any) -> bytes:
    """Return the canonical JSON bytes of ``value``."""
    return json.dumps(
        _prepare(value),
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
    ).encode("utf-8")


def sha256(data: bytes) -> bytes:
    """SHA-256 digest of ``data``."""
    return hashlib.sha256(data).digest()


def timestamp(moment: datetime) -> str:
    """RFC 3339 UTC timestamp with microseconds, as the chain writes times."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def entry_envelope(
    *,
    registry: str,
    seq: int,
    originator_id: str,
    originator_version: int,
    topic: str,
    recorded_at: str,
    payload_hash: bytes,
) -> dict[str, Any]:
    """The envelope of a ledger entry: what its hash and Merkle leaf cover."""
    return {
        "registry": registry,
        "seq": seq,
        "originator_id": originator_id,
        "originator_version": originator_version,
        "topic": topic,
        "recorded_at": recorded_at,
        "payload_hash": payload_hash,
    }


# The string encoder json.dumps(ensure_ascii=False) itself uses.
_json_string = encode_basestring


def entry_leaf(
    *,
    registry: str,
    seq: int,
    originator_id: str,
    originator_version: int,
    topic: str,
    recorded_at: str,
    payload_hash: bytes,
) -> bytes:
    """``canonical(entry_envelope(...))``, written out directly.

    Every write and every verification encodes one envelope per entry, so the
    fixed layout (keys already in sorted order) is spelled out here; a property
    test keeps it byte-identical to :func:`canonical`.
    """
    for name, number in (("seq", seq), ("originator_version", originator_version)):
        if type(number) is not int:
            raise NotCanonicalError(f"{name} must be an integer, not {number!r}")
    return (
        '{"originator_id":'
        + _json_string(originator_id)
        + ',"originator_version":'
        + str(originator_version)
        + ',"payload_hash":"'
        + bytes(payload_hash).hex()
        + '","recorded_at":'
        + _json_string(recorded_at)
        + ',"registry":'
        + _json_string(registry)
        + ',"seq":'
        + str(seq)
        + ',"topic":'
        + _json_string(topic)
        + "}"
    ).encode("utf-8")


def entry_hash(prev_hash: bytes, leaf: bytes) -> bytes:
    """``SHA-256(prev_hash || canonical(envelope))``; ``leaf`` is the canonical envelope."""
    return hashlib.sha256(prev_hash + leaf).digest()


def block_hash(header: Mapping[str, Any]) -> bytes:
    """SHA-256 of the canonical block header."""
    return hashlib.sha256(canonical(header)).digest()


def vote_message(
    *, chain_id: str, tier: str, kind: str, height: int, round: int, block_hash: bytes
) -> bytes:
    """The bytes a node signs when it votes for (or certifies) a block.

    Naming the chain, tier, kind, height and round keeps a signature from being
    replayed anywhere else.
    """
    return canonical(
        {
            "chain_id": chain_id,
            "tier": tier,
            "kind": kind,
            "height": height,
            "round": round,
            "block_hash": block_hash,
        }
    )
