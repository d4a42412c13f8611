"""A cluster node's clock: a timer in its worker's own event loop.

A beat process per node and a tick message per step through the broker
would cost a process and a queue round trip per tick for each of a dozen
nodes; instead every cluster worker (``RIIK_CLUSTER_ROLE`` set) runs
:class:`ClusterClock`, which calls the node's tick every
``RIIK_CLUSTER_TICK`` seconds (the host's ledger announcement every
``RIIK_CLUSTER_ANNOUNCE_EVERY`` seconds) from the worker's event loop,
between two tasks, in the same thread as the tasks (the worker runs
``--pool=solo``), so a tick never races a message.

Its timeouts are counted in ticks, so a skewed clock is one that ticks too
fast or too slow: the cluster nemesis (``tests/chain/cluster/nemesis.py``)
starts a node with ``RIIK_CLUSTER_CLOCK_RATE`` (test-only, not a setting;
unset means 1) to make its clock run that many times as fast as real time.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from celery import bootsteps

log = logging.getLogger(__name__)

CLOCK_RATE = "RIIK_CLUSTER_CLOCK_RATE"
"""Test-only: how many times as fast as real time this node's clock runs."""


class ClusterClock(bootsteps.StartStopStep):
    """Worker bootstep: the node's tick on the worker's timer."""

    requires = ("celery.worker.components:Timer",)

    def __init__(self, parent: Any, **kwargs: Any) -> None:
        super().__init__(parent, **kwargs)
        self.tref: Any = None

    def start(self, parent: Any) -> None:
        """Schedule the tick when this worker runs a cluster node or host."""
        # Imported here, not at the top: config/celery.py imports this module
        # to register the bootstep before Django's settings are configured.
        from django.conf import settings

        if not settings.RIIK_CLUSTER_ROLE:
            return
        period = (
            settings.RIIK_CLUSTER_ANNOUNCE_EVERY
            if settings.RIIK_CLUSTER_ROLE == "host"
            else settings.RIIK_CLUSTER_TICK
        ) / float(os.environ.get(CLOCK_RATE, "1"))
        self.tref = parent.timer.call_repeatedly(period, self.tick, ())

    def tick(self) -> None:
        """One step of the clock; an error is logged and the next tick comes anyway."""
        # Imported here: Django (and so the cluster's models) is set up only
        # after Celery loaded this bootstep (see start()).
        from django.db import close_old_connections

        from chain.blocks.cluster.step import cluster_step

        try:
            cluster_step()
        except Exception:
            log.exception("cluster tick failed")
        finally:
            close_old_connections()

    def stop(self, parent: Any) -> None:
        """Cancel the tick."""
        if self.tref is not None:
            self.tref.cancel()
            self.tref = None
