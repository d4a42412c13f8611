"""The finality benchmark's figures: goals judged from the measured numbers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.finality import finality_figures


def _run(p50_ms: float, ratio: float) -> dict[str, Any]:
    return {
        "latency": {"p50_ms": p50_ms, "p99_ms": 2 * p50_ms},
        "rate_ratio": ratio,
        "final_events_per_s": 10 * ratio,
        "write_events_per_s": 10.0,
        "blocks": 3,
    }


def test_cluster_p50_under_a_second_and_keeping_up_passes_both_goals() -> None:
    figures = finality_figures({"cluster": _run(800, 0.99)})
    assert [(f["id"], f["pass"]) for f in figures] == [
        ("finality_latency", True),
        ("finality_rate", True),
    ]


def test_a_slow_cluster_fails_the_latency_goal_and_a_lagging_one_the_rate_goal() -> None:
    figures = finality_figures({"cluster": _run(1500, 0.9)})
    assert [f["pass"] for f in figures] == [False, False]


def test_the_embedded_latency_has_no_goal() -> None:
    latency = finality_figures({"embedded": _run(300, 1.0)})[0]
    assert (latency["goal"], latency["pass"]) == (None, None)


def _saturated(final_events_per_s: float, p50_ms: float) -> dict[str, Any]:
    run = _run(p50_ms, 1.0)
    run.update(
        {
            "final_events_per_s": final_events_per_s,
            "commands": 100,
            "events": 200,
            "commands_per_s": 50.0,
            "bare_commands_per_s": 100.0,
            "database": "postgres",
        }
    )
    return run


def test_a_saturated_run_is_judged_against_the_bare_event_rate_of_the_same_run() -> None:
    figures = {f["id"]: f for f in finality_figures({"embedded": _saturated(180.0, 400)})}
    saturation = figures["finality_saturation"]
    assert saturation["baseline"] == 200.0  # 100 bare commands/s of 2 events each
    assert (saturation["ratio"], saturation["pass"]) == (0.9, True)
    assert saturation["backend"] == "embedded, postgres"
    assert figures["finality_latency"]["pass"] is True  # p50 0.4 s, p99 0.8 s


def test_a_saturated_run_below_the_bare_rate_or_slow_misses_its_goals() -> None:
    figures = {f["id"]: f for f in finality_figures({"embedded": _saturated(160.0, 600)})}
    assert figures["finality_saturation"]["pass"] is False
    assert figures["finality_latency"]["pass"] is False


def test_scratch_databases_are_named_after_the_database_the_url_names() -> None:
    from bench.finality import _scratch_name

    # Two engineers' runs on one server (their own databases) never drop each other's.
    assert _scratch_name("postgres://u@h:5432/cluster", "cluster") == "cluster_finality_cluster"
    assert _scratch_name("postgres://u@h:5432/alice", "embedded") == "alice_finality_embedded"
    assert _scratch_name("postgres://u@h:5432/postgres", "cluster") == (
        "riik_bench_finality_cluster"
    )


def test_messages_are_counted_by_type_and_a_votes_tier_and_kind() -> None:
    from bench.finality import message_label
    from chain.consensus.messages import SyncRequest
    from tests.chain.consensus.helpers import S, W, block, final_block, vote, witness_commit

    a = block(tag="A")
    assert message_label(vote(S[0], "finalize", 1, 0, a.hash)) == "supernode finalize"
    assert message_label(vote(W[0], "prevote", 1, 0, a.hash)) == "witness prevote"
    assert message_label(witness_commit(a)) == "witness commit"
    assert message_label(final_block(a)) == "final block"
    assert message_label(SyncRequest(1)) == "SyncRequest"


def test_broker_messages_per_block_are_read_from_the_workers_profiles(tmp_path: Path) -> None:
    import cProfile

    from bench.finality import broker_messages

    # Functions named and placed as the cluster's are: transport.send, the node's deliveries.
    cluster = tmp_path / "chain" / "blocks" / "cluster"
    cluster.mkdir(parents=True)
    (cluster / "transport.py").write_text("def send():\n    pass\n")
    names = ("deliver", "deliver_many", "ledger_batch")
    (cluster / "node.py").write_text("".join(f"def {name}():\n    pass\n" for name in names))
    scope: dict[str, Any] = {}
    for name in ("transport", "node"):
        path = cluster / f"{name}.py"
        exec(compile(path.read_text(), str(path), "exec"), scope)
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    for worker, calls in (("supernode-1", 6), ("supernode-2", 4), ("host", 2)):
        profile = cProfile.Profile()
        profile.enable()
        for _ in range(calls):
            scope["send"]()
            scope["deliver_many"]()
        scope["deliver"]()
        profile.disable()
        profile.dump_stats(profiles / f"{worker}.prof")
    counted = broker_messages(profiles, blocks=2)
    assert counted["supernode"] == {"sent": 5.0, "delivered": 6.0, "ledger": 0.0}
    assert counted["host"] == {"sent": 1.0, "delivered": 1.5, "ledger": 0.0}
