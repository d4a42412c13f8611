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


def test_one_host_message_stores_the_leaves_of_every_log_in_one_insert_per_table(
    witness: Any,
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from chain.blocks.models import ReplicaSubtree

    witness.ledger("identity", 0, [b"i"])  # the frontiers are read before counting
    witness.ledger("business", 0, [b"a"])
    with CaptureQueriesContext(connection) as queries:
        witness.ledger_batch({"business": (1, [b"b", b"c"]), "identity": (1, [b"j", b"k"])})
    inserts = [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith("INSERT")]
    assert len(inserts) == 2, inserts  # leaves of both logs, then their subtrees
    assert witness.leaves.size("business") == 3
    assert witness.leaves.size("identity") == 3
    assert witness.leaves.root("identity", 3) == merkle.root_hash([b"i", b"j", b"k"])
    assert ReplicaSubtree.objects.filter(registry="business").exists()


def test_a_gap_in_one_log_of_a_host_message_asks_for_it_and_keeps_the_others(
    witness: Any,
) -> None:
    witness.ledger_batch({"business": (4, [b"e"]), "identity": (0, [b"i"])})
    assert witness.leaves.size("business") == 0
    assert witness.leaves.size("identity") == 1
    assert ("cluster_need", "host", ("witness-1", "business", 0)) in witness.sent


def test_a_rolled_back_host_message_leaves_the_replica_as_its_tables_are(
    witness: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # b"a", b"b" make a subtree: the second insert of the message fails.
    from chain.blocks.models import ReplicaSubtree

    witness.ledger("business", 0, [b"a"])

    def fail(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("the database went away")

    with monkeypatch.context() as patch:
        patch.setattr(ReplicaSubtree.objects, "bulk_create", fail)
        with pytest.raises(RuntimeError):
            witness.ledger_batch({"business": (1, [b"b", b"c"])})
    assert witness.leaves.size("business") == 1
    assert witness.leaves.root("business", 1) == merkle.root_hash([b"a"])


def test_a_header_whose_logs_the_last_final_block_agreed_on_is_checked_without_reading_them(
    witness: Any,
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    witness.ledger("business", 0, [b"a", b"b"])
    header = witness._build_header(_request())
    logs = {r: (v["size"], bytes.fromhex(v["root"])) for r, v in header["logs"].items()}
    witness.ledger("business", 2, [b"c"])  # the replica moved on: an older size needs a read
    with CaptureQueriesContext(connection) as queries:
        assert witness.leaves.check_header(header, witness._need, logs)
    assert not queries.captured_queries
    forged = {**header, "logs": {**header["logs"], "business": {"size": 2, "root": "ab" * 32}}}
    assert not witness.leaves.check_header(forged, witness._need, logs)
