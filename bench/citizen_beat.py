"""Child process of the citizen API benchmark: the beat beside the web server.

    python -m bench.citizen_beat

Run with the scratch database's ``DATABASE_URL`` and ``RIIK_DATA_DIR`` set.
A deployment seals blocks while citizens use it (Celery beat and a worker, or
``manage.py serve``'s in-process beat); this process does the same every
``RIIK_BLOCK_INTERVAL`` seconds (catch up the read models, seal pending
entries), so the load meets a chain that grows and records that are sealed,
as in production, until it is terminated.
"""

from __future__ import annotations

import os
import signal
import threading
from types import FrameType

import django


def main() -> None:
    """Seal every block interval until SIGTERM."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    from django.conf import settings

    from registries.common.management.commands.serve import run_beat

    stop = threading.Event()

    def finish(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, finish)
    run_beat(stop, settings.RIIK_BLOCK_INTERVAL)


if __name__ == "__main__":
    main()
