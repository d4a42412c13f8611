"""Riik benchmark harness: ``python -m bench`` (``make bench``).

Every figure is a ratio against a baseline measured in the same process, so the
numbers mean something on any machine. See bench/README.md for what each figure
means and the latest results. This package is never imported by the product:
it may use benchmark-only dependencies (pymerkle, matplotlib).
"""

from __future__ import annotations

import os
from pathlib import Path

# The figures measure the registries' own writes: their commands charge no
# state fees here (docs/money.md), unless the run says otherwise.
os.environ.setdefault("RIIK_CHARGE_STATE_FEES", "false")

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
DEFAULT_DATA_DIR = ROOT / "var" / "bench"
