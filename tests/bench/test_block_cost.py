"""The block-cost benchmark's figures: goals judged from the measured points."""

from __future__ import annotations

from typing import Any

from bench.block_cost import block_cost_figures


def _points(block_s: list[float], queries: list[int]) -> list[dict[str, Any]]:
    sizes = [10_000, 50_000, 100_000][: len(block_s)]
    return [
        {
            "size": size,
            "block_s": seconds,
            "block_s_all": [seconds],
            "reference_s": 0.05,
            "excess_s": seconds - 0.05,
            "queries_per_block": count,
            "whole_log_root_s": size * 12e-6,
        }
        for size, seconds, count in zip(sizes, block_s, queries, strict=True)
    ]


def test_a_flat_block_cost_and_query_count_pass_both_goals() -> None:
    cost, queries = block_cost_figures(_points([0.05, 0.051, 0.05], [110, 110, 110]), 20)
    assert (cost["id"], cost["pass"], queries["id"], queries["pass"]) == (
        "block_cost",
        True,
        "block_queries",
        True,
    )
    assert abs(cost["baseline"]["slope_us_per_entry"] - 12) < 1e-6


def test_a_block_cost_growing_with_the_log_misses_the_goal() -> None:
    # 12 us per entry, as before: 360 s at 30 M entries.
    cost, _ = block_cost_figures(_points([0.12, 0.6, 1.2], [110, 110, 110]), 20)
    assert not cost["pass"]
    assert cost["value"]["extrapolated_linear_s"] > 300


def test_queries_that_grow_with_the_size_or_stay_as_many_as_before_miss_the_goal() -> None:
    assert not block_cost_figures(_points([0.05] * 3, [110, 111, 112]), 20)[1]["pass"]
    assert not block_cost_figures(_points([0.05] * 3, [210, 210, 210]), 20)[1]["pass"]
