"""Reading a bundle: JSON Lines, one canonical record a line, fed to the verifier."""

from __future__ import annotations

import json
import os
import re
from binascii import unhexlify
from collections.abc import Callable, Collection, Iterable, Iterator
from typing import IO, Any, NoReturn

from chain.encoding import NotCanonicalError, canonical
from chain.verify.records import BUNDLE_FORMAT, BundleFormatError, EntryRow, ParsedEntry, fail
from chain.verify.report import Report
from chain.verify.verifier import ChainVerifier

__all__ = [
    "MAX_INT",
    "MAX_LINE_BYTES",
    "entry_registry",
    "fast_entry",
    "iter_bundle",
    "json_or_none",
    "parse_line",
    "read_records",
    "verify_bundle",
    "verify_stream",
]

MAX_LINE_BYTES = 64 * 1024 * 1024
"""Longest bundle line accepted (a line holds one record and its payload)."""

MAX_INT = 2**63 - 1
"""Largest integer (in absolute value, and ``-2**63``) a bundle or receipt may hold.

Every integer of the format (heights, seqs, sizes, rounds, versions) fits in
a signed 64-bit integer; bounding them also keeps a hostile file away from
CPython's 4,300-digit limit on converting long digit strings.
"""


def _reject_constant(value: str) -> NoReturn:
    raise ValueError(f"{value} is not allowed")


def _reject_float(value: str) -> NoReturn:
    raise ValueError(f"number {value} is not an integer")


def _bounded_int(text: str) -> int:
    # Checked on the digits before converting them: 20 characters hold any
    # signed 64-bit integer, and int() of a longer string is never attempted.
    value = int(text) if len(text) <= 20 else None
    if value is None or not -MAX_INT - 1 <= value <= MAX_INT:
        raise ValueError(f"integer {text[:24]}{'...' if len(text) > 24 else ''} exceeds 64 bits")
    return value


# One decoder for every line: ``json.loads`` with hooks builds a new one per call.
_DECODER = json.JSONDecoder(
    parse_float=_reject_float, parse_int=_bounded_int, parse_constant=_reject_constant
)

# A string as canonical() writes it when it needs no escape: no quote, no
# backslash, no control character (json's encoder escapes exactly these), so the
# bytes between the quotes are the string's UTF-8 as they stand.
_PLAIN = rb'"[^"\\\x00-\x1f]*"'
# A non-negative integer in canonical form that fits in 64 bits (18 digits).
_COUNT = rb"(?:0|[1-9][0-9]{0,17})"
_ENTRY_HEAD = re.compile(
    rb'\{"entry_hash":"([0-9a-f]{64})",'
    rb'("originator_id":(' + _PLAIN + rb'),"originator_version":(' + _COUNT + rb"))"
)
_ENTRY_TAIL = re.compile(
    rb',("payload_hash":"([0-9a-f]{64})"),'
    rb'"prev_hash":"([0-9a-f]{64})",'
    rb'("recorded_at":(' + _PLAIN + rb'),"registry":(' + _PLAIN + rb'),"seq":(' + _COUNT + rb")"
    rb',"topic":(' + _PLAIN + rb"))"
    rb',"type":"entry"\}'
)
"""An entry line in canonical form whose strings need no escapes (the common case,
read without a JSON parser by :func:`fast_entry`) is the head, the optional
``,"payload":"HEX"`` field, then the tail."""
_PAYLOAD_FIELD = b',"payload":"'
_HASH_FIELD = b',"payload_hash":"'
_HEX_DIGITS = b"0123456789abcdef"


def fast_entry(raw: bytes) -> ParsedEntry | None:
    """An entry line (without its newline) read without a JSON parser, or None.

    Only a line that is an entry record in canonical form with well-formed
    fields is read (lowercase hex of the right sizes, non-negative integers,
    strings without escapes): exactly what the JSON parser, the canonical
    check and :func:`~chain.verify.records.entry_row` would accept, with the
    same values. Every other line (None) takes that general path, which names
    its faults. The canonical envelope (the Merkle leaf) is cut from the
    line: its fields are the line's, in the same order and encoding.
    """
    # A payload is most of a line: it is found with find() and checked with
    # translate(), both in C, rather than by the regular expressions. No
    # string of a matching head can hold the quotes the field's name has.
    start = raw.find(_PAYLOAD_FIELD)
    if start >= 0:
        end = raw.find(b'"', start + len(_PAYLOAD_FIELD))
        if end < 0:
            return None
        payload: bytes | None = raw[start + len(_PAYLOAD_FIELD) : end]
        assert payload is not None
        if len(payload) % 2 or payload.translate(None, _HEX_DIGITS):
            return None
        tail_at = end + 1
    else:
        payload = None
        start = tail_at = raw.find(_HASH_FIELD)
        if start < 0:
            return None
    head = _ENTRY_HEAD.fullmatch(raw, 0, start)
    tail = _ENTRY_TAIL.fullmatch(raw, tail_at)
    if head is None or tail is None:
        return None
    entry_hex, head_fields, originator, version = head.groups()
    hash_field, payload_hash, prev, tail_fields, recorded_at, registry, seq, topic = tail.groups()
    try:
        # Positional, in EntryRow's order; the hex is lowercase (checked above),
        # so unhexlify reads it as bytes.fromhex would, without a str.
        row = EntryRow(
            registry[1:-1].decode("utf-8"),
            int(seq),
            originator[1:-1].decode("utf-8"),
            int(version),
            topic[1:-1].decode("utf-8"),
            recorded_at[1:-1].decode("utf-8"),
            unhexlify(payload_hash),
            unhexlify(prev),
            unhexlify(entry_hex),
            b"" if payload is None else unhexlify(payload),
        )
    except UnicodeDecodeError:
        return None  # the general path names the line that is not UTF-8
    leaf = b"{" + head_fields + b"," + hash_field + b"," + tail_fields + b"}"
    return ParsedEntry(row, leaf, payload is not None)


_REGISTRY_FIELD = b',"registry":"'


def entry_registry(raw: bytes) -> str | None:
    """The registry an entry line names, found without parsing it (None: not an
    entry line of the canonical form). It only routes the line: whoever verifies
    it parses it in full and checks the registry again."""
    if not raw.startswith(b'{"entry_hash":"'):
        return None
    start = raw.find(_REGISTRY_FIELD)
    if start < 0:
        return None
    start += len(_REGISTRY_FIELD)
    end = raw.find(b'"', start)
    if end < 0:
        return None
    try:
        return raw[start:end].decode("utf-8")
    except UnicodeDecodeError:
        return None


def read_records(
    stream: IO[bytes],
    progress: Callable[[int], None] | None = None,
    *,
    fast: bool = True,
    skip: Collection[str] = (),
) -> Iterator[tuple[int, dict[str, Any] | ParsedEntry | str]]:
    """Yield ``(line number, record)`` from a bundle, one line at a time.

    With ``fast``, entry lines that :func:`fast_entry` reads come as
    :class:`~chain.verify.records.ParsedEntry`; every other record as a dict.
    The entry lines of the registries in ``skip`` are not read: they come as
    the registry's name (another process verifies them, :mod:`chain.verify.parallel`).
    Raises :class:`BundleFormatError` for a line that is not UTF-8, not a JSON
    object, or not in canonical form. ``progress`` is called with the number
    of bytes consumed so far.
    """
    consumed = 0
    number = 0
    decode = _DECODER.decode
    while True:
        raw = stream.readline(MAX_LINE_BYTES + 1)
        if not raw:
            return
        number += 1
        consumed += len(raw)
        if progress is not None:
            progress(consumed)
        if len(raw) > MAX_LINE_BYTES:
            raise BundleFormatError(f"line {number}: longer than {MAX_LINE_BYTES} bytes")
        if not raw.endswith(b"\n"):
            raise BundleFormatError(f"line {number}: no final newline (truncated?)")
        raw = raw[:-1]
        if not raw:
            raise BundleFormatError(f"line {number}: empty line")
        if skip:
            registry = entry_registry(raw)
            if registry is not None and registry in skip:
                yield number, registry
                continue
        if fast and raw.startswith(b'{"entry_hash":"'):
            parsed = fast_entry(raw)
            if parsed is not None:
                yield number, parsed
                continue
        yield number, parse_line(number, raw, decode)


def parse_line(
    number: int, raw: bytes, decode: Callable[[str], Any] = _DECODER.decode
) -> dict[str, Any]:
    """Line ``number`` (without its newline) as a record: UTF-8, JSON, an object,
    canonical; raises :class:`BundleFormatError` naming the line otherwise."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BundleFormatError(f"line {number}: not valid UTF-8 ({exc.reason})") from exc
    try:
        if text.startswith("\ufeff"):
            # As json.loads refuses a str that starts with a byte order mark.
            raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", text, 0)
        value = decode(text)
    except json.JSONDecodeError as exc:
        raise BundleFormatError(f"line {number}: not valid JSON ({exc.msg})") from exc
    except (ValueError, RecursionError) as exc:
        raise BundleFormatError(f"line {number}: not valid bundle JSON ({exc})") from exc
    if not isinstance(value, dict):
        raise BundleFormatError(f"line {number}: not a JSON object")
    try:
        canonical_form = canonical(value)
    except (NotCanonicalError, ValueError) as exc:
        raise BundleFormatError(f"line {number}: not canonical JSON ({exc})") from exc
    if canonical_form != raw:
        raise BundleFormatError(
            f"line {number}: not in canonical JSON form (sorted keys, no spaces, "
            "UTF-8 characters unescaped; see docs/chain-format.md)"
        )
    return value


def iter_bundle(
    stream: IO[bytes], progress: Callable[[int], None] | None = None
) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield ``(line number, record)`` from a bundle, one line at a time, every
    record a dict (:func:`read_records` without the fast path).

    Raises :class:`BundleFormatError` for a line that is not UTF-8, not a JSON
    object, or not in canonical form. ``progress`` is called with the number
    of bytes consumed so far.
    """
    for number, record in read_records(stream, progress, fast=False):
        if isinstance(record, dict):
            yield number, record


def verify_stream(
    stream: IO[bytes],
    verifier: ChainVerifier | None = None,
    *,
    progress: Callable[[int], None] | None = None,
) -> Report:
    """Verify a whole bundle read from ``stream``; requires the end record."""
    verifier = verifier or ChainVerifier()
    records = read_records(stream, progress)
    first = next(records, None)
    if first is None:
        raise BundleFormatError("empty file: not a riik bundle")
    _, header = first
    if not isinstance(header, dict) or header.get("type") != "header":
        raise BundleFormatError("line 1: not a riik bundle (the first record must be the header)")
    if header.get("format") != BUNDLE_FORMAT:
        raise BundleFormatError(
            f"line 1: unsupported bundle format {header.get('format')!r}, "
            f"expected {BUNDLE_FORMAT!r}"
        )
    verifier.start(header)
    for number, record in records:
        if isinstance(record, ParsedEntry):
            verifier.parsed_entry(record)
            continue
        assert isinstance(record, dict)  # nothing is skipped here
        kind = record.get("type")
        if kind not in {"entry", "block", "end", "header"}:
            fail(f"bundle line {number}: unknown record type {kind!r}")
        verifier.feed(record)
    return verifier.finish(require_end=True)


def verify_bundle(
    path: str | os.PathLike[str],
    trusted_keys: Iterable[str] | None = None,
    *,
    progress: Callable[[int], None] | None = None,
) -> Report:
    """Verify the bundle file at ``path`` (see :func:`verify_stream`)."""
    with open(path, "rb") as stream:
        return verify_stream(stream, ChainVerifier(trusted_keys), progress=progress)


def json_or_none(data: bytes) -> Any:
    """``data`` parsed as bundle JSON (integers only), or None when it is not."""
    try:
        return json.loads(
            data,
            parse_float=_reject_float,
            parse_int=_bounded_int,
            parse_constant=_reject_constant,
        )
    except (ValueError, RecursionError):
        return None
