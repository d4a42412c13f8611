"""The real cluster under a nemesis: every acknowledged command final exactly once.

The cluster of test_cluster.py (4 supernodes, 4 witnesses, 2 citizens and
the registry host as worker processes), every worker connected to the broker
through a proxy of its own. While one writer registers companies, a schedule
drawn from a seed (``RIIK_NEMESIS_SEED``, else random; printed with the
schedule) cuts nodes from the broker, pauses them, skews their clocks and
restarts them, at most one node per tier at a time, and a witness's key is
rotated in the middle of it (certified by the supernodes, applied from the
next epoch). Once every fault is healed: every acknowledged command is final
exactly once and in order, every witness and supernode holds the host's
chain, and both verifiers accept it. Runs only with ``CELERY_BROKER_URL``.
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from eventsourcing.utils import get_topic

from chain.blocks import memberstore
from chain.blocks.cluster.launcher import LocalCluster
from chain.blocks.models import Block, BlockSignature
from chain.keys import NodeKey, next_key_path
from registries.business.domain import CompanyName, company_name_id
from tests.chain.cluster.exactly_once import Command, check_exactly_once, final_creations
from tests.chain.cluster.nemesis import BrokerProxies, Fault, Nemesis, Schedule, plan
from tests.chain.cluster.support import (
    cluster_names,
    everything_final,
    final_height,
    node_chain,
    run_operator,
    running_cluster,
    wait_for,
)
from tests.chain.verifiers import verify_both
from tests.factories import register_company

pytestmark = [
    pytest.mark.broker,
    pytest.mark.usefixtures("event_store"),
    pytest.mark.skipif(not settings.CELERY_BROKER_URL, reason="needs CELERY_BROKER_URL"),
]

SECONDS = 30.0
"""How long the faults run."""
EPOCH = 16
ROTATED = "witness-1"


@pytest.fixture
def proxies() -> Iterator[BrokerProxies]:
    names = [name for tier in cluster_names().values() for name in tier]
    local = BrokerProxies(settings.CELERY_BROKER_URL, names)
    try:
        yield local
    finally:
        local.close()


@pytest.fixture
def cluster(tmp_path: Path, proxies: BrokerProxies) -> Iterator[LocalCluster]:
    env = {name: {"CELERY_BROKER_URL": proxies.url(name)} for name in proxies.proxies}
    yield from running_cluster(tmp_path, epoch_length=EPOCH, node_env=env)


class Writer:
    """Registers companies one at a time, recording each command and its answer."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.history: list[Command] = []

    def write(self) -> None:
        """Issue one command; a failed call is recorded without an answer."""
        command_id = f"{self.name}-{len(self.history) + 1}"
        company = f"Nemesis {command_id} OÜ"
        answer: str | None
        try:
            answer = register_company(name=company)
        except Exception:
            answer = None
        self.history.append(Command(self.name, command_id, company_name_id(company), answer))

    def write_for(self, seconds: float) -> None:
        """Write for ``seconds``."""
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self.write()
            time.sleep(0.1)


def _rotate(cluster: LocalCluster) -> str:
    """Rotate ``ROTATED``'s key through the supernodes; returns the new key id."""
    new = NodeKey.generate(ROTATED)
    keys = cluster.nodes[ROTATED].folder / "keys"
    next_key_path(keys, ROTATED, new.key_id).write_bytes(new.pem())
    said = run_operator(
        cluster, "rotate-key", "witness", ROTATED, "--public-key", new.public_bytes.hex()
    )
    assert f"signs with key {new.key_id.hex()}" in said, said
    return new.key_id.hex()


def _run(schedule: Schedule, nemesis: Nemesis, writer: Writer, cluster: LocalCluster) -> str:
    """Write while the schedule's faults come and go; returns the rotated key's id."""
    steps: list[tuple[float, int, Fault | None]] = [(f.start, 1, f) for f in schedule.faults]
    steps += [(f.end, 0, f) for f in schedule.faults]
    steps.append((schedule.membership_at, 2, None))
    steps.sort(key=lambda step: (step[0], step[1]))
    key_id = ""
    began = time.monotonic()
    for at, kind, fault in steps:
        while time.monotonic() - began < at:
            writer.write()
            time.sleep(0.1)
        what = ["heal", "begin", "membership change"][kind]
        print(f"{time.monotonic() - began:5.1f}s {what} {fault or ''}")
        if fault is None:
            key_id = _rotate(cluster)
        elif kind == 1:
            nemesis.begin(fault)
        else:
            nemesis.end(fault)
    return key_id


def test_every_acknowledged_command_is_final_exactly_once_under_the_nemesis(
    cluster: LocalCluster, proxies: BrokerProxies, tmp_path: Path
) -> None:
    began = time.monotonic()
    seed = int(os.environ.get("RIIK_NEMESIS_SEED") or random.randrange(2**32))
    schedule = plan(seed, SECONDS, cluster_names())
    print(schedule)
    writer = Writer("w1")
    writer.write_for(2)
    wait_for(lambda: final_height() >= 1, 60, "the first final block")

    nemesis = Nemesis(cluster, proxies)
    try:
        key_id = _run(schedule, nemesis, writer, cluster)
    finally:
        nemesis.heal_all()
    assert all(node.running for node in cluster.nodes.values()), schedule

    change = memberstore.entries()[-1]
    assert change.kind == "rotate-key", schedule
    start = change.record["from_height"]
    # An idle chain makes no blocks: write until the rotated key has signed.
    deadline = time.monotonic() + 90
    while final_height() < start + 1:
        assert time.monotonic() < deadline, f"no final block after {start}\n{schedule}"
        writer.write_for(1)
    print(f"{time.monotonic() - began:5.1f}s block {start} final, the new key's first")
    wait_for(everything_final, 90, f"every entry in a final block\n{schedule}")
    top = final_height()

    final = final_creations("business", get_topic(CompanyName.Claimed))
    violations = check_exactly_once(writer.history, final)
    assert violations == [], f"{schedule}\n" + "\n".join(
        f"{v.kind}: {v.detail}" for v in violations
    )
    acknowledged = sum(command.answer is not None for command in writer.history)
    print(f"{acknowledged} of {len(writer.history)} commands acknowledged, {len(final)} final")

    # The rotated witness's new key signs from the change's first block, and only from it.
    signed = BlockSignature.objects.filter(tier="witness", kind="precommit", signer=ROTATED)
    assert not signed.filter(block__height__lt=start, key_id=key_id).exists(), schedule
    after = set(signed.filter(block__height__gte=start).values_list("key_id", flat=True))
    assert after <= {key_id}, schedule

    host_chain = [
        (b.height, bytes(b.block_hash))
        for b in Block.objects.filter(height__lte=top).order_by("height")
    ]
    for node in cluster.node_list():
        if node.tier == "citizen":
            continue
        url = node.database_url

        def caught_up(url: str = url) -> bool:
            return len(node_chain(url)) >= top

        wait_for(caught_up, 60, f"{node.name} to hold block {top}\n{schedule}")
        assert node_chain(url)[:top] == host_chain, f"{node.name}\n{schedule}"
    print(f"{time.monotonic() - began:5.1f}s every node caught up")
    result = verify_both(tmp_path / "verify")
    assert result.db_code == 0, f"{result.db_out}\n{schedule}"
    assert result.offline_code == 0, f"{result.offline_out}\n{schedule}"
