"""Both verifiers on the chain in the database: ``manage.py chain verify`` and
``python -m chain.verify`` on its export (shared by the chain tests)."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.core.management import call_command

from chain.encoding import canonical

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Verified:
    """Exit status and output of each verifier, and the exported bundle's header."""

    db_code: int
    db_out: str
    offline_code: int
    offline_out: str
    header: dict[str, Any]

    @property
    def outputs(self) -> tuple[str, str]:
        """Both verifiers' outputs."""
        return self.db_out, self.offline_out

    @property
    def passed(self) -> bool:
        """True when both verifiers accepted the chain."""
        return self.db_code == 0 and self.offline_code == 0


def verify_both(
    tmp_path: Path, edit: Callable[[list[dict[str, Any]]], None] | None = None
) -> Verified:
    """Run both verifiers; ``edit`` may change the exported bundle's records first
    (the database verifier then still sees the untouched chain)."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("chain", "verify", "--no-progress", stdout=out, stderr=err)
        db_code = 0
    except SystemExit as exit_:
        db_code = int(exit_.code or 0)
    tmp_path.mkdir(parents=True, exist_ok=True)
    bundle = tmp_path / "chain.jsonl"
    call_command("chain", "export", "--out", str(bundle), "--no-progress", stdout=io.StringIO())
    records = [json.loads(line) for line in bundle.read_text().splitlines()]
    if edit is not None:
        edit(records)
        bundle.write_bytes(b"".join(canonical(record) + b"\n" for record in records))
    offline = subprocess.run(
        [sys.executable, "-m", "chain.verify", str(bundle)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    return Verified(
        db_code,
        out.getvalue() + err.getvalue(),
        offline.returncode,
        offline.stdout + offline.stderr,
        records[0],
    )
