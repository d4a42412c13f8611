"""``manage.py serve``: the embedded server with its in-process block sealer.

Embedded mode has no broker and no beat, so a background thread does the
beat's work: every ``RIIK_BLOCK_INTERVAL`` seconds it catches up the read
models and seals pending ledger entries into a block. With a broker
configured, the Celery beat and workers do this instead and the thread is off.
"""

from __future__ import annotations

import logging
import threading
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import close_old_connections

from chain.blocks.sealing import seal_pending
from registries.common.projections import catch_up_all

log = logging.getLogger(__name__)


def run_beat(stop: threading.Event, interval: float) -> None:
    """Catch up projections and seal blocks until ``stop`` is set."""
    while not stop.wait(interval):
        try:
            catch_up_all()
            # One seal a tick: a block takes every pending entry, and sealing
            # again at once under a steady load would make a block per few
            # entries, each paying the whole consensus, while holding the
            # write lock the request threads need. The tick is the minimum
            # block interval (a stepwise devnet raises a block one level per tick).
            seal_pending()
        except Exception:
            # Keep the beat alive: the next tick retries, as Celery beat would.
            log.exception("in-process beat failed; retrying next tick")
        finally:
            close_old_connections()


class Command(BaseCommand):
    help = "Run the web server on 127.0.0.1:8000 with the in-process block sealer."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")

    def handle(self, *args: Any, **options: Any) -> None:
        stop = threading.Event()
        if settings.CELERY_TASK_ALWAYS_EAGER:
            threading.Thread(
                target=run_beat,
                args=(stop, settings.RIIK_BLOCK_INTERVAL),
                name="riik-beat",
                daemon=True,
            ).start()
            self.stdout.write(f"in-process beat: sealing every {settings.RIIK_BLOCK_INTERVAL}s")
        try:
            call_command(
                "runserver", options["addrport"], use_reloader=False, insecure_serving=True
            )
        finally:
            stop.set()
