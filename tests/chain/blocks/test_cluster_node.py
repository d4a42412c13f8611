"""A cluster node's replica of the ledger leaves and its check of proposed headers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import override_settings

from chain import merkle
from chain.blocks.cluster import transport
from chain.blocks.cluster.genesis import write_genesis
from chain.blocks.cluster.node import NodeRuntime
from chain.blocks.models import ReplicaLeaf
from chain.consensus.crypto import Signer
from chain.consensus.messages import BlockRequest
from chain.keys import NodeKey, load_or_create_node_key


@pytest.fixture
def witness(tmp_path: Path, db: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    keys: dict[str, list[NodeKey]] = {
        tier: [load_or_create_node_key(tmp_path / "keys", f"{tier}-{i}") for i in range(1, 5)]
        for tier in ("supernode", "witness")
    }
    path = tmp_path / "genesis.json"
    write_genesis(
        path,
        "riik-node-test",
        supernodes=[Signer.from_node_key(k) for k in keys["supernode"]],
        witnesses=[Signer.from_node_key(k) for k in keys["witness"]],
        citizens=[],
        citizen_threshold=1,
    )
    sent: list[tuple[str, str, tuple[Any, ...]]] = []
    monkeypatch.setattr(
        transport, "send", lambda task, to, *args, **kw: sent.append((task, to, args))
    )
    with override_settings(RIIK_GENESIS_FILE=str(path)):
        node = NodeRuntime(keys["witness"][0], "witness")
        setattr(node, "sent", sent)  # noqa: B010 - what the node sent, for the tests
        yield node


def _request() -> BlockRequest:
    return BlockRequest(
        chain_id="riik-node-test",
        height=1,
        round=0,
        prev_hash=b"\0" * 32,
        proposer="witness-1",
        now=0,
    )


def test_leaves_from_the_host_are_kept_and_a_duplicate_range_adds_nothing(witness: Any) -> None:
    witness.ledger("business", 0, [b"a", b"b"])
    witness.ledger("business", 1, [b"b", b"c"])
    stored = list(ReplicaLeaf.objects.filter(registry="business").order_by("seq"))
    assert [bytes(leaf.data) for leaf in stored] == [b"a", b"b", b"c"]


def test_leaves_after_a_gap_are_refused_and_the_missing_ones_asked_for(witness: Any) -> None:
    witness.ledger("business", 5, [b"f"])
    assert not ReplicaLeaf.objects.exists()
    assert witness.sent == [("cluster_need", "host", ("witness-1", "business", 0))]


def test_the_proposed_header_commits_to_the_replica_and_passes_its_own_check(
    witness: Any,
) -> None:
    witness.ledger("business", 0, [b"a", b"b", b"c"])
    header = witness._build_header(_request())
    assert header["logs"]["business"] == {
        "size": 3,
        "root": merkle.root_hash([b"a", b"b", b"c"]).hex(),
    }
    assert witness._check_header(header)


def test_a_header_with_a_root_the_replica_does_not_have_is_refused(witness: Any) -> None:
    witness.ledger("business", 0, [b"a", b"b"])
    header = witness._build_header(_request())
    forged = {**header, "logs": {**header["logs"], "business": {"size": 2, "root": "ab" * 32}}}
    assert not witness._check_header(forged)
    longer = {**header, "logs": {**header["logs"], "business": {"size": 3, "root": "ab" * 32}}}
    assert not witness._check_header(longer)
    assert ("cluster_need", "host", ("witness-1", "business", 2)) in witness.sent
    assert not witness._check_header({**header, "extra": 1})


def test_with_no_new_leaves_the_proposer_proposes_nothing(witness: Any) -> None:
    with pytest.raises(ValueError, match="no new ledger entries"):
        witness._build_header(_request())
