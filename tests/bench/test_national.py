"""The national benchmark's pure parts: its goals, extrapolation and plots against size."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bench.national import database_name, goal_results, plot, power_fit

PAGES = ("api_companies", "admin_persons")


def run(entries: int, scale: float, ms: float, queries: int = 3) -> dict[str, Any]:
    """A run's figures with every latency ``ms``, as bench.national records them."""
    latency = {"p50_ms": ms / 2, "p95_ms": ms, "p99_ms": ms * 2}
    step = {"users": 50, "read": {**latency, "errors": 0}, "write": {**latency, "errors": 0}}
    return {
        "bench_version": 2,
        "scale": scale,
        "ledger_entries": entries,
        "seed": {"entries": entries, "entries_per_s": 40.0, "peak_rss_mib": 200.0},
        "api_read": latency,
        "write": latency,
        "search_name": latency,
        "search_code": latency,
        "admin_search_name": {**latency, "queries": 12},
        "admin_search_person": {**latency, "queries": 11},
        "lists": {page: {**latency, "queries": queries} for page in PAGES},
        "inclusion_proof": latency,
        "load": [step],
        "chain_export": {"peak_rss_mib": 100.0},
    }


def test_a_power_law_is_recovered_from_its_points() -> None:
    c, k = power_fit([1e3, 1e4, 1e5], [2.0 * n**0.5 for n in (1e3, 1e4, 1e5)]) or (0, 0)
    assert c == pytest.approx(2.0)
    assert k == pytest.approx(0.5)


def test_no_extrapolation_from_a_single_size() -> None:
    assert power_fit([1e3, 1e3], [1.0, 2.0]) is None


def test_each_scale_has_its_own_database() -> None:
    assert database_name("national", 0.002) == "national_s0020"
    assert database_name("national", 0.0005) == "national_s0005"


def test_goals_pass_at_the_largest_scale_and_are_extrapolated_to_scale_one() -> None:
    # Latency doubles with each tenfold size: 5 ms at 10 k entries, 10 ms at 100 k.
    runs = [run(10_000, 0.001, 5.0), run(100_000, 0.01, 10.0)]
    goals = {g["figure"]: g for g in goal_results(runs)}
    search = goals["search by name p95 (ms)"]
    assert search["pass"] is True
    assert search["extrapolated_to_entries"] == 10_000_000
    # Two more tenfold steps from 100 k: 10 -> 20 -> 40 ms, over the 20 ms goal...
    assert search["extrapolated"] == pytest.approx(40.0)
    assert search["extrapolated_pass"] is False
    # ... and under the API read's 50 ms.
    assert goals["API read p95, in-process (ms)"]["extrapolated_pass"] is True
    assert goals["queries per list/admin page"]["pass"] is True
    assert goals["chain export peak memory (MiB)"]["pass"] is True


def test_a_page_whose_queries_grow_with_the_data_misses_its_goal() -> None:
    runs = [run(10_000, 0.001, 1.0, queries=3), run(100_000, 0.01, 1.0, queries=53)]
    goals = {g["figure"]: g for g in goal_results(runs)}
    assert goals["queries per list/admin page"]["pass"] is False


def test_query_counts_of_an_earlier_bench_version_are_not_compared() -> None:
    earlier = run(10_000, 0.001, 1.0, queries=14)
    del earlier["bench_version"], earlier["load"], earlier["admin_search_name"]
    goals = {g["figure"]: g for g in goal_results([earlier, run(20_000, 0.002, 1.0)])}
    assert goals["queries per list/admin page"]["pass"] is True
    assert goals["queries per list/admin page"]["at_entries"] == [20_000]
    # A figure the earlier run lacks is judged where it was measured.
    assert goals["admin company search p95 (ms)"]["measured"] == {10_000: None, 20_000: 1.0}
    assert goals["search by name p95 (ms)"]["extrapolated_exponent"] == 0.0


def test_load_with_errors_gives_no_figure_that_could_pass() -> None:
    failing = run(10_000, 0.001, 1.0)
    failing["load"][0]["read"]["errors"] = 3
    goals = {g["figure"]: g for g in goal_results([failing])}
    assert goals["gunicorn read p95 at 50 users (ms)"]["pass"] is None
    assert goals["gunicorn write p95 at 50 users (ms)"]["pass"] is True


def test_every_figure_is_plotted_against_the_ledger_size(tmp_path: Path) -> None:
    paths = plot(tmp_path, [run(1_000, 0.0001, 5.0), run(10_000, 0.001, 7.0)])
    assert {path.name for path in paths} >= {
        "national_api.png",
        "national_search.png",
        "national_pages.png",
        "national_queries.png",
        "national_load.png",
        "national_proof.png",
        "national_memory.png",
        "national_seed.png",
    }
    for path in paths:
        assert path.read_bytes().startswith(b"\x89PNG")
