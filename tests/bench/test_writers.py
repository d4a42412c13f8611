"""The writers benchmark's pure parts: its figures judge the goal, its plot is written.

The measurement itself needs PostgreSQL and minutes of processes
(``python -m bench.writers``); there are no timing assertions here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench import writers


def _measured(count: int, ledger: float, bare: float) -> dict[str, Any]:
    return {
        "writers": count,
        "ledger_median_commands_per_s": ledger,
        "bare_median_commands_per_s": bare,
        "ratio": ledger / bare,
    }


def test_each_writer_count_is_a_figure_judged_against_the_goal() -> None:
    measured = [_measured(1, 90.0, 100.0), _measured(8, 80.0, 100.0)]
    figures = writers.figures(measured, "PostgreSQL 15")
    assert [(f["writers"], f["pass"]) for f in figures] == [(1, True), (8, False)]
    assert {f["id"] for f in figures} == {"writers_commands_per_s"}
    assert figures[0]["goal"] == f">= {writers.GOAL_RATIO}"
    assert writers.figures(measured[:1], "SQLite", "sqlite")[0]["backend"] == "sqlite"


def test_the_plot_is_a_png(tmp_path: Path) -> None:
    measured = [_measured(count, 90.0, 100.0) for count in (1, 2, 4, 8)]
    path = writers.plot(tmp_path, measured, [_measured(1, 80.0, 100.0)])
    assert path.read_bytes().startswith(b"\x89PNG")
