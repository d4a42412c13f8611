"""The command line: ``python -m chain.verify BUNDLE`` or ``RECEIPT``.

Exit status 0 verified (``OK``), 1 verification failure (``FAIL:`` and the
first bad item), 2 unreadable input, 130 interrupted.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

from chain import notes
from chain.verify.header import parse_trusted_key
from chain.verify.parallel import default_jobs, verify_file
from chain.verify.receipts import verify_receipt
from chain.verify.records import RECEIPT_FORMAT, BundleFormatError, VerificationFailure
from chain.verify.stream import MAX_LINE_BYTES, json_or_none

__all__ = ["main", "read_trusted_keys"]


def read_trusted_keys(path: str | os.PathLike[str]) -> list[str]:
    """Read verifier key strings, one per line (blank lines and ``#`` comments skipped),
    each optionally followed by ``heights=A-B`` or ``heights=A-`` (the blocks
    that key is trusted for; none: every block).

    Raises :class:`BundleFormatError` naming the bad line.
    """
    keys = []
    try:
        text = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise BundleFormatError(f"{path}: not valid UTF-8") from exc
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        try:
            parse_trusted_key(line)
        except notes.NoteError as exc:
            raise BundleFormatError(f"{path} line {number}: {exc}") from exc
        keys.append(line)
    if not keys:
        raise BundleFormatError(f"{path}: no verifier keys")
    return keys


class _Progress:
    """A one-line stderr progress indicator: bytes read / size (percent)."""

    def __init__(self, total: int, stream: IO[str]) -> None:
        self.total = total
        self.stream = stream
        self.last = 0.0
        self.shown = False

    def __call__(self, consumed: int) -> None:
        now = time.monotonic()
        if now - self.last < 0.2 and consumed < self.total:
            return
        self.last = now
        mib = 1024 * 1024
        percent = 100 * consumed // self.total if self.total else 100
        self.stream.write(
            f"\rverifying: {consumed / mib:.1f} / {self.total / mib:.1f} MiB ({percent}%)"
        )
        self.stream.flush()
        self.shown = True

    def clear(self) -> None:
        """Erase the indicator line, so that output starts on a clean line."""
        if self.shown:
            self.stream.write("\r" + " " * 60 + "\r")
            self.stream.flush()


def _read_receipt(path: str) -> dict[str, Any] | None:
    """The file as a receipt (one JSON object of format riik-receipt/1), else None.

    A bundle is recognised by its first line alone, so a large bundle is never
    read twice; a receipt may be written on one line or pretty-printed.
    """
    with open(path, "rb") as stream:
        data = stream.readline(MAX_LINE_BYTES + 1)
        first = json_or_none(data)
        if isinstance(first, dict) and first.get("type") == "header":
            return None
        if first is None:
            data += stream.read(MAX_LINE_BYTES + 1 - len(data))
            first = json_or_none(data)
    if isinstance(first, dict) and first.get("format") == RECEIPT_FORMAT:
        return first
    return None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m chain.verify",
        description="Verify a riik chain bundle or finality receipt (see docs/chain-format.md) "
        "without Django.",
    )
    parser.add_argument(
        "file",
        help="the bundle (JSON Lines) written by `manage.py chain export`, or a receipt "
        "written by `manage.py chain receipt`",
    )
    parser.add_argument(
        "--trusted-keys",
        metavar="FILE",
        help="file of C2SP verifier keys (name+keyid+key), one per line, each optionally "
        "followed by heights=A-B or heights=A- (the blocks it is trusted for): the supernode "
        "keys to trust instead of those listed in the bundle header",
    )
    parser.add_argument("--quiet", "-q", action="store_true", help="print only OK or FAIL")
    parser.add_argument(
        "--blocks",
        action="store_true",
        help="also print one line per block: what was checked (verifies in one process)",
    )
    parser.add_argument(
        "--jobs",
        "-j",
        type=_jobs,
        metavar="N",
        help="processes to verify a bundle's logs side by side (default: one per CPU, "
        "one for a bundle under 16 MiB); the verdict and report are those of one process",
    )
    return parser


def _jobs(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry point: 0 verified, 1 verification failure, 2 unreadable."""
    args = _parser().parse_args(argv)
    err = sys.stderr
    trusted: list[str] | None = None
    if args.trusted_keys:
        try:
            trusted = read_trusted_keys(args.trusted_keys)
        except OSError as exc:
            print(f"error: cannot read {args.trusted_keys}: {exc.strerror or exc}", file=err)
            return 2
        except BundleFormatError as exc:
            print(f"error: {exc}", file=err)
            return 2
    else:
        print(
            "warning: no --trusted-keys given; the supernode keys are taken from the bundle "
            "itself, so this only proves the bundle is self-consistent",
            file=err,
        )

    try:
        receipt = _read_receipt(args.file)
    except OSError as exc:
        print(f"error: cannot read {args.file}: {exc.strerror or exc}", file=err)
        return 2
    if receipt is not None:
        try:
            lines = verify_receipt(receipt, trusted)
        except VerificationFailure as exc:
            print(f"FAIL: {exc.message}", file=err)
            return 1
        if not args.quiet:
            for line in lines:
                print(line)
        print("OK")
        return 0

    progress: _Progress | None = None
    try:
        try:
            size = os.stat(args.file).st_size
        except OSError:
            size = 0
        if not args.quiet and err.isatty():
            progress = _Progress(size, err)
        on_block = None
        if args.blocks and not args.quiet:

            def on_block(line: str) -> None:
                if progress is not None:
                    progress.clear()
                print(line)

        # Block lines are printed as they are checked: by one process, once.
        jobs = 1 if on_block is not None else args.jobs or default_jobs(size)
        try:
            report = verify_file(
                args.file, trusted, jobs=jobs, progress=progress, on_block=on_block
            )
        finally:
            if progress is not None:
                progress.clear()
    except VerificationFailure as exc:
        print(f"FAIL: {exc.message}", file=err)
        return 1
    except BundleFormatError as exc:
        print(f"error: {args.file}: {exc}", file=err)
        return 2
    except OSError as exc:
        print(f"error: cannot read {args.file}: {exc.strerror or exc}", file=err)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=err)
        return 130
    except Exception as exc:  # never a traceback for an auditor; this is a bug
        print(f"error: internal error while verifying {args.file}: {exc!r}", file=err)
        return 2

    if not args.quiet:
        for line in report.summary_lines():
            print(line)
    print("OK")
    return 0
