"""A supernode's signing state is on disk before its signature leaves (DESIGN.md §9)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from chain.blocks.cluster import transport
from chain.blocks.cluster.genesis import write_genesis
from chain.blocks.cluster.node import NodeRuntime
from chain.blocks.models import SignedHeight
from chain.blocks.signstate import DURABLE_SQLITE_LEVEL, sqlite_sync_level
from chain.consensus.bft import Candidate
from chain.consensus.crypto import Signer
from chain.consensus.messages import Block
from chain.consensus.node import Alarm, ChainNode, Output, SignedFinalize
from chain.consensus.supernode import SupernodeNode
from chain.keys import NodeKey, load_or_create_node_key

CHAIN = "riik-signing-test"


class Crash(BaseException):
    """The process dies (power loss, kill -9) between the commit and the send."""


@pytest.fixture
def supernode(
    tmp_path: Path, transactional_db: None, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[NodeKey, list[str]]]:
    keys = [load_or_create_node_key(tmp_path / "keys", f"supernode-{i}") for i in range(1, 5)]
    witnesses = [load_or_create_node_key(tmp_path / "keys", f"witness-{i}") for i in range(1, 5)]
    path = tmp_path / "genesis.json"
    write_genesis(
        path,
        CHAIN,
        supernodes=[Signer.from_node_key(k) for k in keys],
        witnesses=[Signer.from_node_key(k) for k in witnesses],
        citizens=[],
        citizen_threshold=1,
    )
    events: list[str] = []

    def send(task: str, to: str, *args: Any, **kwargs: Any) -> None:
        # What the disk holds when a message is handed to the transport.
        signed = SignedHeight.objects.filter(node="supernode-1").first()
        events.append(
            f"send {task} in_transaction={connection.in_atomic_block} "
            f"signed={None if signed is None else signed.height}"
        )

    monkeypatch.setattr(transport, "send", send)
    with override_settings(RIIK_GENESIS_FILE=str(path)):
        yield keys[0], events


def _block(height: int, sealed_at: str) -> Block:
    return Block.from_header(
        {
            "chain_id": CHAIN,
            "height": height,
            "prev_hash": "00" * 32,
            "proposer": "witness-1",
            "sealed_at": sealed_at,
            "logs": {},
        }
    )


def _sign(block: Block) -> Any:
    def step(node: ChainNode) -> Output:
        assert isinstance(node, SupernodeNode)
        node.height = block.height
        node._sign_finalize(Candidate(block))
        return node._take()

    return step


def test_the_signed_height_is_committed_with_a_full_sync_before_the_vote_is_sent(
    supernode: tuple[NodeKey, list[str]],
) -> None:
    key, events = supernode
    runtime = NodeRuntime(key, "supernode")
    events.clear()
    with CaptureQueriesContext(connection) as queries:
        runtime._run(_sign(_block(1, "2026-01-01T00:00:00Z")))
    sql = [q["sql"] for q in queries.captured_queries]
    write = next(i for i, q in enumerate(sql) if "signedheight" in q.lower() and "SELECT" not in q)
    durable = (
        "PRAGMA synchronous=2"
        if connection.vendor == "sqlite"
        else "SET LOCAL synchronous_commit TO on"
    )
    full = [i for i, q in enumerate(sql) if q == durable]
    assert full, sql
    assert full[0] < write, sql
    assert events == ["send cluster_deliver in_transaction=False signed=1"] * 3
    if connection.vendor == "sqlite":
        # The connection's other writes keep their configured level afterwards.
        assert sqlite_sync_level() < DURABLE_SQLITE_LEVEL


def test_a_supernode_restarted_after_a_crash_between_persisting_and_sending_refuses_a_conflict(
    supernode: tuple[NodeKey, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    key, _ = supernode
    runtime = NodeRuntime(key, "supernode")

    def crash(*args: Any, **kwargs: Any) -> None:
        raise Crash

    monkeypatch.setattr(transport, "send", crash)
    first = _block(1, "2026-01-01T00:00:00Z")
    with pytest.raises(Crash):
        runtime._run(_sign(first))
    assert SignedHeight.objects.get(node="supernode-1").block_hash == first.hash

    restarted = NodeRuntime(key, "supernode")
    sent: list[Any] = []
    monkeypatch.setattr(transport, "send", lambda *args, **kwargs: sent.append(args))
    outputs: list[Output] = []

    def conflicting(node: ChainNode) -> Output:
        out: Output = _sign(_block(1, "2026-01-01T00:00:01Z"))(node)
        outputs.append(out)
        return out

    restarted._run(conflicting)
    (out,) = outputs
    assert [d.kind for d in out.decisions if isinstance(d, Alarm)] == ["refused-second-signature"]
    assert not any(isinstance(d, SignedFinalize) for d in out.decisions)
    assert not sent
    assert SignedHeight.objects.get(node="supernode-1").block_hash == first.hash
