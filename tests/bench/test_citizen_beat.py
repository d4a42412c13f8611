"""The citizen API benchmark's beat: seals what the load writes, stops on SIGTERM."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def test_beat_seals_the_seeded_entries_and_stops_on_sigterm(tmp_path: Path) -> None:
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "RIIK_DATA_DIR")},
        "RIIK_DATA_DIR": str(tmp_path),
        "RIIK_BLOCK_INTERVAL": "0.2",
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    seed = [sys.executable, "-m", "bench.citizen_seed", "--citizens", "1"]
    subprocess.run([*seed, "--out", str(tmp_path / "seed.json")], cwd=ROOT, env=env, check=True)
    beat = subprocess.Popen([sys.executable, "-m", "bench.citizen_beat"], cwd=ROOT, env=env)
    try:
        deadline = time.monotonic() + 30
        blocks = 0
        while not blocks and time.monotonic() < deadline:
            time.sleep(0.2)
            with sqlite3.connect(tmp_path / "riik.sqlite3") as db:
                blocks = db.execute("SELECT count(*) FROM chain_block").fetchone()[0]
        assert blocks >= 1
    finally:
        beat.terminate()
        assert beat.wait(timeout=30) == 0
