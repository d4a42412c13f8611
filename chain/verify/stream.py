"""Reading a bundle: JSON Lines, one canonical record a line, fed to the verifier."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any, NoReturn

from chain.encoding import NotCanonicalError, canonical
from chain.verify.records import BUNDLE_FORMAT, BundleFormatError, fail
from chain.verify.report import Report
from chain.verify.verifier import ChainVerifier

__all__ = [
    "MAX_INT",
    "MAX_LINE_BYTES",
    "iter_bundle",
    "json_or_none",
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


def iter_bundle(
    stream: IO[bytes], progress: Callable[[int], None] | None = None
) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield ``(line number, record)`` from a bundle, one line at a time.

    Raises :class:`BundleFormatError` for a line that is not UTF-8, not a JSON
    object, or not in canonical form. ``progress`` is called with the number
    of bytes consumed so far.
    """
    consumed = 0
    number = 0
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
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise BundleFormatError(f"line {number}: not valid UTF-8 ({exc.reason})") from exc
        try:
            value = json.loads(
                text,
                parse_float=_reject_float,
                parse_int=_bounded_int,
                parse_constant=_reject_constant,
            )
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
        yield number, value


def verify_stream(
    stream: IO[bytes],
    verifier: ChainVerifier | None = None,
    *,
    progress: Callable[[int], None] | None = None,
) -> Report:
    """Verify a whole bundle read from ``stream``; requires the end record."""
    verifier = verifier or ChainVerifier()
    records = iter_bundle(stream, progress)
    first = next(records, None)
    if first is None:
        raise BundleFormatError("empty file: not a riik bundle")
    _, header = first
    if header.get("type") != "header":
        raise BundleFormatError("line 1: not a riik bundle (the first record must be the header)")
    if header.get("format") != BUNDLE_FORMAT:
        raise BundleFormatError(
            f"line 1: unsupported bundle format {header.get('format')!r}, "
            f"expected {BUNDLE_FORMAT!r}"
        )
    verifier.start(header)
    for number, record in records:
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
