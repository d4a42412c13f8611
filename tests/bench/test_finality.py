"""The finality benchmark's figures: goals judged from the measured numbers."""

from __future__ import annotations

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
