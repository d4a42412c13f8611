"""One step of a cluster worker's clock, whatever its role.

The Celery task ``chain.tasks.cluster_tick`` and the worker's own clock
(:mod:`chain.blocks.cluster.clock`) both take this step, so the clock needs
nothing from :mod:`chain.tasks` above it.
"""

from __future__ import annotations

from django.conf import settings

from chain.blocks.cluster.host import announce
from chain.blocks.cluster.node import runtime
from chain.blocks.cluster.reports import merge_checkpoints
from chain.blocks.cluster.transport import HOST


def cluster_step() -> None:
    """A node's tick, or the host's: the final reports' checkpoint lines merged, then
    the ledger announcement."""
    if settings.RIIK_CLUSTER_ROLE == HOST:
        merge_checkpoints()
        announce()
    else:
        runtime().tick()
