"""One dataset's figures for :mod:`bench.national` (a child process that sets Django up).

    python -m bench.national_measure --out figures.json [--samples 200]

Run with ``DATABASE_URL`` and ``RIIK_DATA_DIR`` of a seeded national database.
The measuring itself is :mod:`bench.national_reads`, which imports models and
so can only be imported once Django is set up here.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

import django


def main() -> None:
    """Set Django up, measure the database in ``DATABASE_URL``, write the figures."""
    parser = argparse.ArgumentParser(prog="python -m bench.national_measure")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--samples", type=int, default=200)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    # Imported here: its models need the app registry that django.setup() just filled.
    from bench.national_reads import measure

    args.out.write_text(json.dumps(measure(args.samples)))


if __name__ == "__main__":
    main()
