"""A cluster node's replica of the ledger leaves and its check of proposed headers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import override_settings

from chain import merkle
from chain.blocks.cluster import transport
from chain.blocks.cluster.genesis import host_key_path, write_genesis
from chain.blocks.cluster.ledgermessage import LedgerMessage, signed_for
from chain.blocks.cluster.node import NodeRuntime
from chain.blocks.models import NodeState, ReplicaLeaf
from chain.consensus.crypto import Signer
from chain.consensus.messages import BlockRequest
from chain.keys import NodeKey, load_or_create_node_key
from tests.chain.blocks.leaves import entry_leaves

A, B, C, D, E, F = entry_leaves("business", 6)
X, Y, Z = entry_leaves("identity", 3)  # of another log


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
    host = load_or_create_node_key(tmp_path / "keys", "host")
    host_key_path(path).write_text(host.public_bytes.hex() + "\n")
    sent: list[tuple[str, str, tuple[Any, ...]]] = []
    monkeypatch.setattr(
        transport, "send", lambda task, to, *args, **kw: sent.append((task, to, args))
    )
    with override_settings(RIIK_GENESIS_FILE=str(path)):
        node = NodeRuntime(keys["witness"][0], "witness")
        setattr(node, "sent", sent)  # noqa: B010 - what the node sent, for the tests
        peers = {k.name: Signer.from_node_key(k) for tier in keys.values() for k in tier}
        setattr(node, "peers", peers)  # noqa: B010 - the other members' keys, to sign with
        setattr(node, "host", host)  # noqa: B010 - the registry host's key
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
    witness.ledger("business", 0, [A, B])
    witness.ledger("business", 1, [B, C])
    stored = list(ReplicaLeaf.objects.filter(registry="business").order_by("seq"))
    assert [bytes(leaf.data) for leaf in stored] == [A, B, C]


def test_leaves_after_a_gap_are_refused_and_the_missing_ones_asked_for(witness: Any) -> None:
    witness.ledger("business", 5, [F])
    assert not ReplicaLeaf.objects.exists()
    assert witness.sent == [("cluster_need", "host", ("witness-1", "business", 0))]


def test_the_proposed_header_commits_to_the_replica_and_passes_its_own_check(
    witness: Any,
) -> None:
    witness.ledger("business", 0, [A, B, C])
    header = witness._build_header(_request())
    assert header["logs"]["business"] == {
        "size": 3,
        "root": merkle.root_hash([A, B, C]).hex(),
    }
    assert witness._check_header(header)


def test_a_header_with_a_root_the_replica_does_not_have_is_refused(witness: Any) -> None:
    witness.ledger("business", 0, [A, B])
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

    witness.ledger("identity", 0, [X])  # the frontiers are read before counting
    witness.ledger("business", 0, [A])
    with CaptureQueriesContext(connection) as queries:
        witness.ledger_batch({"business": (1, [B, C]), "identity": (1, [Y, Z])})
    inserts = [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith("INSERT")]
    assert len(inserts) == 2, inserts  # leaves of both logs, then their subtrees
    assert witness.leaves.size("business") == 3
    assert witness.leaves.size("identity") == 3
    assert witness.leaves.root("identity", 3) == merkle.root_hash([X, Y, Z])
    assert ReplicaSubtree.objects.filter(registry="business").exists()


def test_a_gap_in_one_log_of_a_host_message_asks_for_it_and_keeps_the_others(
    witness: Any,
) -> None:
    witness.ledger_batch({"business": (4, [E]), "identity": (0, [X])})
    assert witness.leaves.size("business") == 0
    assert witness.leaves.size("identity") == 1
    assert ("cluster_need", "host", ("witness-1", "business", 0)) in witness.sent


def test_a_rolled_back_host_message_leaves_the_replica_as_its_tables_are(
    witness: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A, B make a subtree: the second insert of the message fails.
    from chain.blocks.models import ReplicaSubtree

    witness.ledger("business", 0, [A])

    def fail(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("the database went away")

    with monkeypatch.context() as patch:
        patch.setattr(ReplicaSubtree.objects, "bulk_create", fail)
        with pytest.raises(RuntimeError):
            witness.ledger_batch({"business": (1, [B, C])})
    assert witness.leaves.size("business") == 1
    assert witness.leaves.root("business", 1) == merkle.root_hash([A])


def test_a_header_whose_logs_the_last_final_block_agreed_on_is_checked_without_reading_them(
    witness: Any,
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    witness.ledger("business", 0, [A, B])
    header = witness._build_header(_request())
    logs = {r: (v["size"], bytes.fromhex(v["root"])) for r, v in header["logs"].items()}
    witness.ledger("business", 2, [C])  # the replica moved on: an older size needs a read
    with CaptureQueriesContext(connection) as queries:
        assert witness.leaves.check_header(header, witness._need, logs)
    assert not queries.captured_queries
    forged = {**header, "logs": {**header["logs"], "business": {"size": 2, "root": "ab" * 32}}}
    assert not witness.leaves.check_header(forged, witness._need, logs)


# -- a Byzantine relay between the host and the node (ADR 0078's one ledger message) --


def _needs(witness: Any) -> list[str]:
    return [args[1] for task, _, args in witness.sent if task == "cluster_need"]


def test_a_leaf_moved_to_another_position_or_log_is_refused_and_asked_for_again(
    witness: Any,
) -> None:
    witness.ledger_batch({"business": (0, [A, C]), "identity": (0, [X])})  # C is entry 3
    assert witness.leaves.size("business") == 0
    assert witness.leaves.size("identity") == 1, "the other log of the message is kept"
    assert _needs(witness) == ["business"]
    for moved in ([X], [B, A], [A, A]):  # another log's leaf, reordered, repeated
        witness.ledger_batch({"business": (0, moved)})
        assert witness.leaves.size("business") == 0, moved
    assert not ReplicaLeaf.objects.filter(registry="business").exists()


def test_leaves_that_are_no_canonical_entry_envelope_are_refused(witness: Any) -> None:
    import json

    extra = json.dumps({**json.loads(A), "extra": 1}, sort_keys=True).encode()
    spaced = json.dumps(json.loads(A)).encode()  # the same fields, not canonical
    boolean = A.replace(b'"seq":1', b'"seq":true')
    for junk in (b"not json", b"\xff", b"[1]", extra, spaced, boolean):
        witness.ledger_batch({"business": (0, [junk])})
        assert witness.leaves.size("business") == 0, junk


def test_a_dropped_log_leaves_a_gap_that_the_node_asks_the_host_to_fill(witness: Any) -> None:
    witness.ledger_batch({"business": (0, [A])})  # the relay dropped "identity": (0, [X])
    witness.ledger_batch({"identity": (1, [Y]), "business": (1, [B])})
    assert witness.leaves.size("identity") == 0
    assert witness.leaves.size("business") == 2
    assert ("cluster_need", "host", ("witness-1", "identity", 0)) in witness.sent


def test_a_replayed_message_adds_nothing_and_a_rewritten_replay_is_refused(witness: Any) -> None:
    witness.ledger_batch({"business": (0, [A, B])})
    witness.ledger_batch({"business": (0, [A, B])})  # replayed as it was
    assert witness.leaves.size("business") == 2
    assert not _needs(witness)
    [forged_a] = entry_leaves("business", 1, tag="forged")
    witness.ledger_batch({"business": (0, [forged_a, B, C])})
    assert witness.leaves.size("business") == 2, "entry 3 is refused with the rewritten replay"
    assert [bytes(r.data) for r in ReplicaLeaf.objects.order_by("seq")] == [A, B]
    assert _needs(witness) == ["business"]


def test_a_rewritten_well_formed_leaf_is_refused_by_the_final_block_and_fetched_again(
    witness: Any,
) -> None:
    from chain.consensus.messages import Block, FinalBlock, QuorumCertificate

    [forged_b] = entry_leaves("business", 1, start=1, tag="forged")
    witness.ledger_batch({"business": (0, [A, forged_b])})
    header = witness._build_header(_request())
    honest_root = merkle.root_hash([A, B]).hex()
    header["logs"]["business"] = {"size": 2, "root": honest_root}
    assert not witness._check_header(header), "the node never votes for its forged replica"
    block = Block.from_header(header)
    witness._prove_replica(
        FinalBlock(block, QuorumCertificate("supernode", "finalize", 1, 0, block.hash, ()))
    )
    assert witness.leaves.size("business") == 0, "back to the last proven size"
    assert not ReplicaLeaf.objects.filter(registry="business").exists()
    assert _needs(witness) == ["business"]
    witness.ledger_batch({"business": (0, [A, B])})  # the host's answer
    assert witness.leaves.root("business", 2) == bytes.fromhex(honest_root)


# -- the host's signed ledger message (ADR 0085): refused whole before anything is stored --


def _signed(
    witness: Any,
    logs: dict[str, tuple[int, list[bytes]]],
    *,
    to: str = "witness-1",
    chain_id: str = "riik-node-test",
) -> dict[str, Any]:
    [(_, record)] = signed_for([to], chain_id, logs, witness.host.sign)
    return record


def _held(witness: Any) -> list[tuple[str, int, bytes]]:
    rows = ReplicaLeaf.objects.order_by("registry", "seq")
    return [(r.registry, r.seq, bytes(r.data)) for r in rows]


def test_the_hosts_signed_message_is_stored(witness: Any) -> None:
    witness.ledger_message(_signed(witness, {"business": (0, [A, B]), "identity": (0, [X])}))
    assert _held(witness) == [("business", 1, A), ("business", 2, B), ("identity", 1, X)]


def test_a_relay_that_rewrites_a_well_formed_leaf_is_refused_and_nothing_is_stored(
    witness: Any,
) -> None:
    record = _signed(witness, {"business": (0, [A, B]), "identity": (0, [X])})
    [forged_b] = entry_leaves("business", 1, start=1, tag="forged")
    rewritten = {**record, "logs": {**record["logs"], "business": [0, [A.hex(), forged_b.hex()]]}}
    witness.ledger_message(rewritten)
    assert _held(witness) == [], "not even the message's untouched log"
    dropped = {**record, "logs": {"business": record["logs"]["business"]}}
    moved = {**record, "logs": {**record["logs"], "business": [1, [B.hex()]]}}
    for forged in (dropped, moved):
        witness.ledger_message(forged)
        assert _held(witness) == []
    witness.ledger_message(record)
    assert len(_held(witness)) == 3


def test_a_message_moved_to_another_node_or_chain_or_unsigned_is_refused(witness: Any) -> None:
    logs = {"business": (0, [A])}
    other_node = _signed(witness, logs, to="witness-2")
    other_chain = _signed(witness, logs, chain_id="riik-other")
    relabelled = {**other_node, "to": "witness-1"}
    unsigned = {**_signed(witness, logs), "signature": ""}
    [(_, not_the_host)] = signed_for(
        ["witness-1"], "riik-node-test", logs, witness.peers["supernode-1"].sign
    )
    for forged in (other_node, other_chain, relabelled, unsigned, not_the_host):
        witness.ledger_message(forged)
        assert _held(witness) == [], forged
    malformed: list[Any] = [{}, {"logs": []}, {**unsigned, "logs": {"business": [-1, []]}}, "junk"]
    for junk in malformed:
        witness.ledger_message(junk)
    assert _held(witness) == []


def test_a_replayed_old_message_stores_nothing(witness: Any) -> None:
    first = _signed(witness, {"business": (0, [A])})
    witness.ledger_message(first)
    witness.ledger_message(_signed(witness, {"business": (1, [B])}))
    before = _held(witness)
    witness.ledger_message(first)
    assert _held(witness) == before == [("business", 1, A), ("business", 2, B)]
    assert not _needs(witness)


def test_a_node_that_knows_no_host_key_stores_no_leaves(witness: Any) -> None:
    witness._host_key = None
    host_key_path(Path(transport.genesis_path())).unlink()
    witness.ledger_message(_signed(witness, {"business": (0, [A])}))
    assert _held(witness) == []


def test_a_ledger_message_survives_its_json_record_round_trip(witness: Any) -> None:
    record = _signed(witness, {"business": (0, [A, B])})
    message = LedgerMessage.from_record(json.loads(json.dumps(record)))
    assert message.refusal(witness.host.public_bytes, "riik-node-test", "witness-1") == ""


# -- consensus messages in one broker message per step and receiver --


def _prevote(witness: Any, name: str, block_hash: bytes) -> dict[str, Any]:
    from chain.consensus.messages import Vote, message_to_record

    vote = Vote.sign(
        witness.peers[name],
        chain_id="riik-node-test",
        tier="witness",
        kind="prevote",
        height=1,
        round=0,
        block_hash=block_hash,
    )
    return message_to_record(vote)


def _prevoters(witness: Any) -> set[str]:
    state = witness.node.rounds.get(0)
    return set() if state is None else set(state.prevotes)


def test_a_list_of_messages_is_checked_message_by_message(witness: Any) -> None:
    honest = _prevote(witness, "witness-2", b"\x01" * 32)
    rewritten = {**_prevote(witness, "witness-3", b"\x01" * 32)}
    rewritten["body"] = {**rewritten["body"], "block_hash": "02" * 32}
    witness.deliver_many("witness-3", [rewritten, {"type": "nonsense"}, honest])
    assert _prevoters(witness) == {"witness-2"}, "the rewritten vote and the junk count nothing"
    state = json.loads(NodeState.objects.get(name="witness-1").state)
    witness.deliver_many("witness-3", [honest, honest])  # replayed
    assert _prevoters(witness) == {"witness-2"}
    assert json.loads(NodeState.objects.get(name="witness-1").state) == state


def test_a_list_longer_than_an_honest_step_sends_or_from_a_stranger_is_refused_whole(
    witness: Any,
) -> None:
    from chain.blocks.cluster.node import DELIVER_BATCH

    honest = _prevote(witness, "witness-2", b"\x01" * 32)
    witness.deliver_many("witness-3", [honest] * (DELIVER_BATCH + 1))
    witness.deliver_many("stranger", [honest])
    witness.deliver_many("witness-3", {"not": "a list"})
    assert _prevoters(witness) == set()
    witness.deliver_many("witness-3", [honest] * DELIVER_BATCH)
    assert _prevoters(witness) == {"witness-2"}


def test_a_step_sends_one_broker_message_per_receiver(witness: Any) -> None:
    from chain.consensus.messages import SyncRequest
    from chain.consensus.node import Output, Send

    def step(node: Any) -> Output:
        return Output(sends=[Send("witnesses", SyncRequest(1)), Send("witness-2", SyncRequest(2))])

    witness.sent.clear()
    witness._run(step)
    tasks = sorted((task, to) for task, to, _ in witness.sent)
    assert tasks == [
        ("cluster_deliver", "witness-3"),
        ("cluster_deliver", "witness-4"),
        ("cluster_deliver_many", "witness-2"),
    ]


# -- the minimum block interval --


def test_within_the_minimum_block_interval_no_block_is_proposed_and_the_clock_stands_still(
    witness: Any,
) -> None:
    import time

    witness.ledger("business", 0, [A])
    with override_settings(RIIK_CLUSTER_MIN_BLOCK_INTERVAL=60.0):
        witness._final_at = time.monotonic()
        with pytest.raises(ValueError, match="minimum block interval"):
            witness._build_header(_request())
        now = witness.node.now
        witness.tick()
        assert witness.node.now == now
        witness._final_at = time.monotonic() - 61
        witness.tick()  # enters the height again: its proposer proposes now
        assert not witness._interval_held
        assert witness._build_header(_request())["logs"]["business"]["size"] == 1
        witness.tick()
        assert witness.node.now == now + 1


def test_only_the_heights_f_plus_1_relays_report_a_commit_certificate_to_the_host(
    witness: Any,
) -> None:
    from chain.consensus.messages import Block, QuorumCertificate
    from chain.consensus.node import Committed, Output

    witness.ledger("business", 0, [A])
    reported = {}
    for height in (1, 4):  # relays: witness-2 and -3 at 1, witness-1 and -2 at 4
        header = {**witness._build_header(_request()), "height": height}
        block = Block.from_header(header)
        qc = QuorumCertificate("witness", "precommit", height, 0, block.hash, ())
        reports = witness._persist(Output(decisions=[Committed(height, block, qc)]))
        reported[height] = [kind for kind, _ in reports]
    assert reported == {1: [], 4: ["committed"]}
