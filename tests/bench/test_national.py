"""The national benchmark's pure parts: its plot of each figure against the dataset size."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.national import plot


def figures(entries: int, ms: float) -> dict[str, Any]:
    latency = {"p95_ms": ms, "p99_ms": ms * 2}
    return {
        "ledger_entries": entries,
        "api_read": latency,
        "write": latency,
        "search_name": latency,
        "search_code": latency,
        "lists": {"api_companies": {**latency, "queries": 3}},
        "inclusion_proof": latency,
        "chain_export": {"peak_rss_mib": ms * 10},
    }


def test_the_plot_draws_every_figure_against_the_ledger_size(tmp_path: Path) -> None:
    path = tmp_path / "national.png"
    plot(path, [figures(1_000, 5.0), figures(10_000, 7.0)])
    assert path.read_bytes().startswith(b"\x89PNG")
