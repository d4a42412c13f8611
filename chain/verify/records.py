"""Bundle and receipt records: their formats, failures and typed fields.

Every check reads a record's fields through :func:`get`, :func:`get_int` and
:func:`get_hex`, so a malformed record is named the same way wherever it is
found, and fails with :class:`VerificationFailure` at the first bad field.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any, NamedTuple, NoReturn

from chain.encoding import entry_hash, entry_leaf
from chain.protocol import CHAIN_LOG

__all__ = [
    "BUNDLE_FORMAT",
    "PAYLOADS_OMITTED",
    "RECEIPT_FORMAT",
    "BundleFormatError",
    "EntryRow",
    "ParsedEntry",
    "VerificationFailure",
    "checked_leaf",
    "entry_row",
    "fail",
    "get",
    "get_hex",
    "get_int",
    "lowercase_hex",
    "payloads_omitted",
]

BUNDLE_FORMAT = "riik-bundle/1"
RECEIPT_FORMAT = "riik-receipt/1"
PAYLOADS_OMITTED = "omitted"
"""``"payloads"`` of a public bundle's header or a public receipt: the registry events'
payload bytes are left out (DESIGN §8), so their payload hashes cannot be re-hashed."""


class VerificationFailure(Exception):
    """The first bad item found; ``message`` names it."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BundleFormatError(Exception):
    """The file is not a readable riik bundle (not UTF-8, not JSON, ...)."""


def fail(message: str) -> NoReturn:
    """Stop the verification at this item: raise :class:`VerificationFailure`."""
    raise VerificationFailure(message)


class EntryRow(NamedTuple):
    """A ledger entry with typed fields: how the database feeds the verifier.

    A bundle's ``entry`` record holds the same fields, with bytes as hex.
    """

    registry: str
    seq: int
    originator_id: str
    originator_version: int
    topic: str
    recorded_at: str
    payload_hash: bytes
    prev_hash: bytes
    entry_hash: bytes
    payload: bytes

    @property
    def where(self) -> str:
        """How failure messages name this entry."""
        return f"registry {self.registry} seq {self.seq}"

    def record(self) -> dict[str, Any]:
        """The bundle's ``entry`` record (canonical() writes the bytes as hex)."""
        return {"type": "entry", **self._asdict()}


class ParsedEntry(NamedTuple):
    """An entry line of a bundle read by the fast path (:func:`chain.verify.stream.fast_entry`).

    ``leaf`` is the entry's canonical envelope, cut from the canonical line
    itself; ``has_payload`` says whether the line carried a ``payload`` field.
    """

    row: EntryRow
    leaf: bytes
    has_payload: bool


def get(record: Mapping[str, Any], name: str, kind: type | tuple[type, ...], where: str) -> Any:
    """Field ``name`` of ``record``, which must be of ``kind`` (a bool is no int)."""
    if name not in record:
        fail(f"{where}: malformed record (field {name!r} missing)")
    value = record[name]
    if (isinstance(value, bool) and kind is int) or not isinstance(value, kind):
        names = kind.__name__ if isinstance(kind, type) else "/".join(k.__name__ for k in kind)
        fail(f"{where}: malformed record (field {name!r} must be {names})")
    return value


def get_int(record: Mapping[str, Any], name: str, where: str, minimum: int = 0) -> int:
    """Integer field ``name`` of ``record``, at least ``minimum``."""
    value: int = get(record, name, int, where)
    if value < minimum:
        fail(f"{where}: malformed record (field {name!r} must be >= {minimum})")
    return value


def lowercase_hex(text: str) -> bytes | None:
    """The bytes ``text`` spells in lowercase hex, else None."""
    try:
        data = bytes.fromhex(text)
    except ValueError:
        return None
    return data if data.hex() == text else None


def get_hex(record: Mapping[str, Any], name: str, where: str, size: int | None = 32) -> bytes:
    """Bytes field ``name`` of ``record`` (lowercase hex, or bytes), ``size`` bytes long."""
    # Bytes come straight from the database (``manage.py chain verify``); a
    # bundle file carries lowercase hex, checked by a round trip, which is much
    # faster than a regular expression over a whole payload.
    value = record.get(name)
    data = value if isinstance(value, bytes) else lowercase_hex(get(record, name, str, where))
    if data is None:
        fail(f"{where}: malformed record (field {name!r} must be lowercase hex)")
    if size is not None and len(data) != size:
        fail(f"{where}: malformed record (field {name!r} must be {size} bytes)")
    return data


def payloads_omitted(record: Mapping[str, Any], where: str) -> bool:
    """Whether a bundle header or receipt says it is public: payloads left out."""
    if "payloads" not in record:
        return False
    if record["payloads"] != PAYLOADS_OMITTED:
        fail(f"{where}: malformed record (field 'payloads' must be {PAYLOADS_OMITTED!r})")
    return True


def entry_row(
    record: Mapping[str, Any], registry: str, seq: int, where: str, *, public: bool = False
) -> EntryRow:
    """A ledger entry record of a bundle or receipt, checked field by field.

    In a ``public`` bundle or receipt an entry may come without its payload
    (then ``payload`` is empty and the caller does not re-hash it), except in
    the chain's own log, whose evidence and membership payloads are public
    and are needed to check them.
    """
    omitted = public and "payload" not in record and registry != CHAIN_LOG
    return EntryRow(
        registry=registry,
        seq=seq,
        originator_id=get(record, "originator_id", str, where),
        originator_version=get_int(record, "originator_version", where),
        topic=get(record, "topic", str, where),
        recorded_at=get(record, "recorded_at", str, where),
        payload_hash=get_hex(record, "payload_hash", where),
        prev_hash=get_hex(record, "prev_hash", where),
        entry_hash=get_hex(record, "entry_hash", where),
        payload=b"" if omitted else get_hex(record, "payload", where, size=None),
    )


def checked_leaf(row: EntryRow, *, rehash: bool = True, leaf: bytes | None = None) -> bytes:
    """The entry's Merkle leaf, once its payload hash (unless the payload was left
    out: ``rehash`` False) and entry hash are checked. ``leaf``: the canonical
    envelope when the caller already has it (the fast path cuts it from the line)."""
    if rehash and hashlib.sha256(row.payload).digest() != row.payload_hash:
        fail(f"{row.where}: payload hash mismatch")
    if leaf is None:
        leaf = entry_leaf(
            registry=row.registry,
            seq=row.seq,
            originator_id=row.originator_id,
            originator_version=row.originator_version,
            topic=row.topic,
            recorded_at=row.recorded_at,
            payload_hash=row.payload_hash,
        )
    if entry_hash(row.prev_hash, leaf) != row.entry_hash:
        fail(f"{row.where}: entry hash mismatch")
    return leaf
