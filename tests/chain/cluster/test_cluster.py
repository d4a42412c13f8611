"""A real cluster on the real broker: nodes as processes, kill -9, restart, catch up.

4 supernodes, 4 witnesses and 2 citizens run as separate Celery worker
processes, each with its own queue, key and database (a SQLite file each, or,
when the tests run on PostgreSQL, a PostgreSQL database each beside the test
database, dropped afterwards); the registry host's worker runs on the test
database. Runs only with ``CELERY_BROKER_URL``.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from chain.blocks.cluster.launcher import LocalCluster
from chain.blocks.cluster.nodedb import node_summaries
from chain.blocks.models import WITNESSED, Block, BlockSignature
from tests.chain.cluster.support import (
    everything_final,
    final_height,
    node_chain,
    running_cluster,
    wait_for,
    write_for,
)

pytestmark = [
    pytest.mark.broker,
    pytest.mark.usefixtures("event_store"),
    pytest.mark.skipif(not settings.CELERY_BROKER_URL, reason="needs CELERY_BROKER_URL"),
]


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[LocalCluster]:
    yield from running_cluster(tmp_path)


def test_cluster_survives_kill_9_of_a_witness_and_a_supernode_and_every_node_catches_up(
    cluster: LocalCluster,
) -> None:
    write_for(3)
    wait_for(lambda: final_height() >= 1, 60, "the first final block")

    cluster.kill("witness-2")
    cluster.kill("supernode-3")
    before = final_height()
    write_for(8)
    wait_for(lambda: final_height() > before + 2, 30, "finality without the killed nodes")

    cluster.start("witness-2")
    cluster.start("supernode-3")
    write_for(6)
    wait_for(everything_final, 60, "every entry in a final block")
    top = final_height()
    bft_nodes = [n for n in cluster.nodes.values() if n.tier in ("witness", "supernode")]

    def caught_up() -> bool:
        rows = node_summaries(n.database_url for n in bft_nodes)
        return len(rows) == len(bft_nodes) and all(r["last_final"] >= top for r in rows)

    wait_for(caught_up, 60, "the restarted nodes to catch up")

    host_chain = [
        (b.height, bytes(b.block_hash))
        for b in Block.objects.filter(height__lte=top).order_by("height")
    ]
    assert [h for h, _ in host_chain] == list(range(1, top + 1))
    for node in bft_nodes:
        assert node_chain(node.database_url)[:top] == host_chain, node.name

    # The citizens cosigned: most blocks reached witnessed, with two cosignatures each.
    wait_for(
        lambda: Block.objects.filter(level=WITNESSED).count() >= top - 1, 30, "citizen cosigns"
    )
    witnessed = Block.objects.filter(level=WITNESSED).first()
    assert witnessed is not None
    assert BlockSignature.objects.filter(block=witnessed, tier="citizen").count() >= 2
    # Exits the test with SystemExit(1) if anything does not verify.
    call_command("chain", "verify", "--no-progress", stdout=io.StringIO())
