"""Running a local cluster in the broker tests: its fixture body and polling helpers."""

from __future__ import annotations

import io
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

from django.core.management import call_command
from django.test import override_settings

from chain.blocks.cluster import nodedb
from chain.blocks.cluster.genesis import EPOCH_LENGTH
from chain.blocks.cluster.launcher import LocalCluster
from chain.blocks.cluster.transport import HOST
from chain.blocks.models import FINAL, WITNESSED, Block, BlockLog
from chain.ledger.models import LedgerHead
from tests.factories import database_env, register_company

TIERS = {"supernode": 4, "witness": 4, "citizen": 2}
"""How many nodes of each tier the test cluster runs."""


def cluster_names() -> dict[str, list[str]]:
    """The test cluster's node names by tier, the registry host included."""
    names = {tier: [f"{tier}-{i}" for i in range(1, count + 1)] for tier, count in TIERS.items()}
    return {**names, HOST: [HOST]}


def running_cluster(
    tmp_path: Path,
    epoch_length: int = EPOCH_LENGTH,
    node_env: dict[str, dict[str, str]] | None = None,
) -> Iterator[LocalCluster]:
    """4 supernodes, 4 witnesses, 2 citizens on queues of their own, stopped afterwards.

    ``node_env``: variables of single nodes' workers (see ``LocalCluster.node_env``).
    """
    # Queues of their own, so no message of another run reaches these nodes.
    local = LocalCluster(
        base=tmp_path / "cluster",
        prefix=f"riik-test-{uuid.uuid4().hex[:8]}",
        supernodes=TIERS["supernode"],
        witnesses=TIERS["witness"],
        citizens=TIERS["citizen"],
        citizen_threshold=2,
        host_env=database_env(),
        epoch_length=epoch_length,
        node_env=node_env or {},
    )
    local.prepare()
    try:
        local.start_all()
        yield local
    finally:
        # The nodes are done with: kill -9 is a crash they survive, and stop()'s
        # warm shutdown waits for each of the 11 workers in turn (up to a minute
        # of teardown per test, most of it on Redis). stop() reaps the rest.
        for name in local.nodes:
            local.kill(name)
        local.stop(timeout=5)
        local.drop_databases()


def run_operator(cluster: LocalCluster, *args: str) -> str:
    """``manage.py consensus ...`` as the cluster host's operator runs it."""
    out = io.StringIO()
    with override_settings(
        RIIK_CONSENSUS="cluster",
        RIIK_GENESIS_FILE=str(cluster.genesis),
        RIIK_CLUSTER_PREFIX=cluster.prefix,
    ):
        call_command("consensus", *args, "--timeout", "20", stdout=out)
    return out.getvalue()


def wait_for(condition: Callable[[], bool], seconds: float, what: str) -> None:
    """Poll ``condition`` until it holds, or fail naming ``what``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.3)
    raise AssertionError(f"timed out after {seconds}s waiting for {what}")


def final_height() -> int:
    """The host's highest final (or witnessed) block."""
    block = Block.objects.filter(level__in=[FINAL, WITNESSED]).order_by("-height").first()
    return block.height if block else 0


def write_for(seconds: float) -> int:
    """Register companies for ``seconds``; returns how many."""
    end, written = time.monotonic() + seconds, 0
    while time.monotonic() < end:
        register_company()
        written += 1
        time.sleep(0.2)
    return written


def node_chain(url: str) -> list[tuple[int, bytes]]:
    """(height, hash) of every final block in a node's own database."""
    rows = nodedb.read_rows(url, "SELECT height, block_hash FROM chain_nodefinal ORDER BY height")
    return [(int(height), bytes(block_hash)) for height, block_hash in rows]


def everything_final() -> bool:
    """True when the host's last final block holds every business entry."""
    head = LedgerHead.objects.get(registry="business").size
    top = Block.objects.filter(level__in=[FINAL, WITNESSED]).order_by("-height").first()
    return top is not None and BlockLog.objects.get(block=top, registry="business").size == head
