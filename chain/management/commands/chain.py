"""``manage.py chain verify``, ``chain export --out FILE [--public]``, ``chain receipt
REGISTRY SEQ [--public]`` and ``chain rotate-key``.

Without ``--public`` an export or receipt carries the registry events' payloads:
that is for the operator at the command line (and what an auditor is handed);
``--public`` leaves them out, so the file can be published (DESIGN §8).
"""

from __future__ import annotations

import json
import os
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from chain.encoding import canonical
from chain.export import (
    RangeError,
    ReceiptError,
    bundle_records,
    check_storage,
    receipt_record,
    total_items,
)
from chain.verify import ChainVerifier, EntryRow, VerificationFailure

PROGRESS_STEP = 1000  # records between progress bar updates


def _progress(enabled: bool) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        disable=not enabled,
        transient=True,
    )


class Command(BaseCommand):
    help = "Verify the chain in the database, or export it as a bundle for offline verification."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        verify = sub.add_parser("verify", help="recompute every hash, root and signature")
        verify.add_argument("--no-progress", action="store_true")
        export = sub.add_parser("export", help="write a self-contained JSON Lines bundle")
        export.add_argument("--out", required=True, help="bundle file to write")
        export.add_argument("--no-progress", action="store_true")
        export.add_argument(
            "--from-height", type=int, help="first block (the bundle starts after its predecessor)"
        )
        export.add_argument("--to-height", type=int, help="last block (unsealed entries left out)")
        export.add_argument(
            "--public",
            action="store_true",
            help="leave out the registry events' payloads (a bundle anyone may have)",
        )
        receipt = sub.add_parser(
            "receipt", help="write a record's finality receipt (checked by python -m chain.verify)"
        )
        receipt.add_argument("registry", help="registry log, e.g. business")
        receipt.add_argument("seq", type=int, help="the record's ledger seq")
        receipt.add_argument("--out", help="file to write (default: standard output)")
        receipt.add_argument("--public", action="store_true", help="leave out the event's payload")
        sub.add_parser(
            "rotate-key",
            help="give this node's supernode key a successor from the next block on, "
            "certified by a supernode quorum (a chain event)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        show = not options.get("no_progress") and self.stderr.isatty()
        if options["action"] == "verify":
            self.verify(show)
        elif options["action"] == "rotate-key":
            self.rotate_key()
        elif options["action"] == "receipt":
            self.receipt(options["registry"], options["seq"], options["out"], options["public"])
        else:
            self.export(
                Path(options["out"]),
                show,
                options["from_height"],
                options["to_height"],
                options["public"],
            )

    def verify(self, show: bool) -> None:
        verifier = ChainVerifier()
        try:
            with _progress(show) as progress:
                task = progress.add_task("verifying", total=total_items())
                for count, record in enumerate(bundle_records(), start=1):
                    verifier.feed(record)
                    if count % PROGRESS_STEP == 0:
                        progress.advance(task, PROGRESS_STEP)
                report = verifier.finish(require_end=True)
            for registry, log in report.registries.items():
                check_storage(registry, log.entries, log.head_hash, verifier.frontier(registry))
        except VerificationFailure as failure:
            self.stderr.write(f"FAIL: {failure}")
            raise SystemExit(1) from None
        for line in report.summary_lines():
            self.stdout.write(line)
        self.stdout.write("OK")

    def rotate_key(self) -> None:
        from chain.blocks.membercommands import rotate_key
        from chain.blocks.memberstore import MembershipCommandError
        from chain.blocks.nodekeys import node_key

        old = node_key()
        try:
            done = rotate_key("supernode", old.name)
        except MembershipCommandError as error:
            raise CommandError(f"key not rotated: {error}") from None
        self.stdout.write(
            f"{old.name}: key {old.key_id.hex()} -> {node_key().key_id.hex()} from block "
            f"{done.from_height} (chain log consensus #{done.seq}, certified by "
            f"{', '.join(done.signers)})"
        )

    def receipt(self, registry: str, seq: int, out: str | None, public: bool) -> None:
        try:
            receipt = receipt_record(registry, seq, public=public)
            text = json.dumps(receipt, indent=1, sort_keys=True)
        except (ReceiptError, VerificationFailure) as error:
            raise CommandError(f"no receipt: {error}") from None
        if out is None:
            self.stdout.write(text)
            return
        Path(out).write_text(text + "\n", encoding="utf-8")
        self.stdout.write(f"wrote {out}")

    def export(
        self,
        out: Path,
        show: bool,
        from_height: int | None,
        to_height: int | None,
        public: bool,
    ) -> None:
        partial = out.with_name(out.name + ".partial")
        try:
            records = bundle_records(from_height, to_height, public=public)
            header = next(records)  # checks the range before anything is written
            with partial.open("wb") as stream, _progress(show) as progress:
                task = progress.add_task("exporting", total=total_items(from_height, to_height))
                stream.write(canonical(header) + b"\n")
                for count, record in enumerate(records, start=2):
                    if isinstance(record, EntryRow):
                        record = record.record()
                    stream.write(canonical(record) + b"\n")
                    if count % PROGRESS_STEP == 0:
                        progress.advance(task, PROGRESS_STEP)
        except RangeError as error:
            raise CommandError(f"not exported: {error}") from None
        except VerificationFailure as failure:
            partial.unlink(missing_ok=True)
            raise CommandError(f"not exported: {failure}") from None
        except OSError as error:
            partial.unlink(missing_ok=True)
            raise CommandError(f"cannot write {out}: {error}") from None
        os.replace(partial, out)
        self.stdout.write(f"wrote {out}")
