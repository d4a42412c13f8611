"""Membership changes in a real cluster: certified by the supernode nodes over
the broker, applied by every node from the next epoch.

4 supernodes, 4 witnesses and 2 citizens as worker processes (see
test_cluster.py). The operator rotates witness-1's key, registers an
enterprise and elects a board of three; the supernodes certify each change,
the host records it, and the blocks of the next epoch are signed by the new
board with witness-1's new key (witness-2, on the board, is killed and
restarted after the changes). Runs only with ``CELERY_BROKER_URL``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management.base import CommandError
from django.test import override_settings

from chain.blocks import memberstore
from chain.blocks.cluster import nodedb, quorum
from chain.blocks.cluster.launcher import LocalCluster
from chain.blocks.models import Block, BlockSignature
from chain.consensus.memberview import MemberProposal
from chain.keys import NodeKey, next_key_path
from tests.chain.cluster.support import (
    everything_final,
    final_height,
    node_chain,
    run_operator,
    running_cluster,
    wait_for,
    write_for,
)
from tests.chain.verifiers import verify_both

pytestmark = [
    pytest.mark.broker,
    pytest.mark.usefixtures("event_store"),
    pytest.mark.skipif(not settings.CELERY_BROKER_URL, reason="needs CELERY_BROKER_URL"),
]

EPOCH = 16


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[LocalCluster]:
    yield from running_cluster(tmp_path, epoch_length=EPOCH)


def test_changes_certified_by_the_supernode_nodes_apply_from_the_next_epoch(
    cluster: LocalCluster, tmp_path: Path
) -> None:
    write_for(2)
    wait_for(lambda: final_height() >= 1, 60, "the first final block")

    new = NodeKey.generate("witness-1")
    keys = cluster.nodes["witness-1"].folder / "keys"
    next_key_path(keys, "witness-1", new.key_id).write_bytes(new.pem())
    said = run_operator(
        cluster, "rotate-key", "witness", "witness-1", "--public-key", new.public_bytes.hex()
    )
    assert f"signs with key {new.key_id.hex()}" in said
    run_operator(cluster, "register-enterprise", "bank-1", "--public-key", "ab" * 32)
    # A re-proposed change is not recorded twice.
    again = run_operator(cluster, "register-enterprise", "bank-1", "--public-key", "ab" * 32)
    assert "not recorded again" in again
    for voter in ("witness-1", "witness-2", "witness-3"):
        run_operator(cluster, "delegate", voter, voter)
    run_operator(cluster, "elect-board")
    with pytest.raises(CommandError, match="witness bank-9 does not exist"):
        run_operator(cluster, "revoke-key", "witness", "bank-9")
    # The nodes check a proposal against their own view and the rules too.
    log = memberstore.recorded_log()
    height, start = log.next_height(memberstore.last_block())
    bad = {"type": "revoke-key", "tier": "witness", "name": "bank-9", "key_id": "00" * 4}
    proposal = MemberProposal(log.chain_id, bad, height, start, len(memberstore.entries()))
    supernodes = [f"supernode-{i}" for i in range(1, 5)]
    deadline = time.monotonic() + 60
    while True:
        with override_settings(RIIK_CLUSTER_PREFIX=cluster.prefix):
            votes, refusals, behind = quorum._collect(log, proposal, supernodes, 15)
        # A supernode applies the last entry once a final block seals it.
        if not behind or time.monotonic() > deadline:
            break
        time.sleep(quorum.BEHIND_RETRY)
    assert votes == {}
    assert refusals == {name: "witness bank-9 does not exist" for name in supernodes}

    recorded = memberstore.entries()
    assert [e.kind for e in recorded] == [
        "genesis",
        "rotate-key",
        "register-enterprise",
        "delegate-vote",
        "delegate-vote",
        "delegate-vote",
        "elect-board",
    ]
    starts = {e.record["from_height"] for e in recorded[1:]}
    assert len(starts) == 1
    (start,) = starts
    assert (start - 1) % EPOCH == 0
    for entry in recorded[1:]:
        assert len(entry.signers) >= 3  # 2F+1 of the 4 supernodes

    # A board member restarted after the changes replays them from its database.
    cluster.kill("witness-2")
    cluster.start("witness-2")
    # An idle chain makes no blocks: write until the next epoch has final blocks.
    deadline = time.monotonic() + 90
    while final_height() < start + 1:
        assert time.monotonic() < deadline, f"no final block after {start} within 90 s"
        write_for(1)
    wait_for(everything_final, 30, "every entry in a final block")
    top = final_height()
    precommits = BlockSignature.objects.filter(tier="witness", kind="precommit")
    before = set(precommits.filter(block__height__lt=start).values_list("signer", "key_id"))
    after = set(precommits.filter(block__height__gte=start).values_list("signer", "key_id"))
    assert ("witness-1", new.key_id.hex()) in after
    assert {signer for signer, _ in after} <= {"witness-1", "witness-2", "witness-3"}
    assert ("witness-1", new.key_id.hex()) not in before

    host_chain = [
        (b.height, bytes(b.block_hash))
        for b in Block.objects.filter(height__lte=top).order_by("height")
    ]
    for node in cluster.node_list():
        rows = nodedb.read_rows(node.database_url, "SELECT record FROM chain_nodememberentry")
        applied = sorted(json.loads(record)["change"]["type"] for (record,) in rows)
        assert applied == sorted(e.kind for e in recorded[1:]), node.name  # genesis: its file
        if node.tier != "citizen":
            url = node.database_url

            def caught_up(url: str = url) -> bool:
                return len(node_chain(url)) >= top

            wait_for(caught_up, 30, f"{node.name} to hold block {top}")
            assert node_chain(url)[:top] == host_chain, node.name
    result = verify_both(tmp_path / "verify")
    assert result.db_code == 0, result.db_out
    assert result.offline_code == 0, result.offline_out
