"""Export streams: a million ledger entries in constant memory (under 300 MB RSS)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ENTRIES = 1_000_000
LIMIT_MB = 300

pytestmark = pytest.mark.slow

_SETUP = """
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from registries.business.application import BusinessRegistry
from registries.common.application import running, stop_all
running(BusinessRegistry)  # creates the registry's stored-events table
stop_all()
"""

# The only child of this wrapper is the export, so RUSAGE_CHILDREN is its peak RSS.
_MEASURE = """
import resource, subprocess, sys
subprocess.run(sys.argv[1:], check=True)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def _fill(database: Path) -> None:
    """A million entries and their events, written with bulk SQL (seconds, not hours)."""
    with sqlite3.connect(database) as db:
        db.execute(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) "
            "INSERT INTO ledger_entry (registry, seq, originator_id, originator_version, topic, "
            "recorded_at, payload_hash, prev_hash, entry_hash) "
            "SELECT 'business', i, printf('%032x', i), 1, "
            "'registries.business.domain:Company.Registered', '2026-11-25T00:00:00.000000Z', "
            "randomblob(32), randomblob(32), randomblob(32) FROM n",
            [ENTRIES],
        )
        db.execute(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) "
            "INSERT INTO business_events (originator_id, originator_version, topic, state) "
            "SELECT printf('%032x', i), 1, 'registries.business.domain:Company.Registered', "
            "randomblob(48) FROM n",
            [ENTRIES],
        )


def test_exporting_a_million_entries_stays_under_300_mb(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env |= {
        "RIIK_DATA_DIR": str(tmp_path),
        "PYTHONPATH": str(ROOT),
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    subprocess.run([sys.executable, "-c", _SETUP], cwd=ROOT, env=env, check=True, timeout=300)
    _fill(tmp_path / "riik.sqlite3")
    out = tmp_path / "chain.jsonl"
    export = [sys.executable, "manage.py", "chain", "export", "--out", str(out), "--no-progress"]
    result = subprocess.run(
        [sys.executable, "-c", _MEASURE, *export],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=900,
    )
    peak_mb = int(result.stdout.split()[-1]) / 1024  # ru_maxrss is in KiB on Linux
    with out.open("rb") as stream:
        stream.seek(-200, os.SEEK_END)
        last = stream.read().splitlines()[-1]
    assert last == f'{{"blocks":0,"entries":{ENTRIES},"type":"end"}}'.encode()
    assert peak_mb < LIMIT_MB, f"export peaked at {peak_mb:.0f} MB"
