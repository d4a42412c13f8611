"""Merging bench runs into ``results.json`` by figure key (pure: no database, no timing)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bench import BENCH_DIR
from bench.report import figure_key, merge_figures, merge_results


def _figure(ratio: float, backend: str = "postgres", **key: Any) -> dict[str, Any]:
    return {"id": "writers_commands_per_s", "backend": backend, "ratio": ratio, **key}


def test_figures_that_differ_in_backend_writers_or_size_are_all_kept() -> None:
    existing = [_figure(0.9, "sqlite", writers=1), _figure(0.8, writers=1)]
    new = [_figure(0.7, writers=2), _figure(0.6, writers=8), _figure(0.5, size=10_000)]
    merged = merge_figures(existing, new)
    assert [f["ratio"] for f in merged] == [0.9, 0.8, 0.7, 0.6, 0.5]


def test_a_figure_with_the_same_key_replaces_the_old_one_in_its_place() -> None:
    existing = [_figure(0.8, writers=1), _figure(0.7, writers=2), {"id": "merkle_root"}]
    merged = merge_figures(existing, [_figure(0.95, writers=2)])
    assert [(f.get("writers"), f.get("ratio")) for f in merged] == [
        (1, 0.8),
        (2, 0.95),
        (None, None),
    ]


def test_duplicates_already_in_the_file_collapse_to_one() -> None:
    merged = merge_figures([_figure(0.8, writers=1), _figure(0.8, writers=1)], [])
    assert merged == [_figure(0.8, writers=1)]


def test_merge_results_updates_sections_and_keeps_the_other_benches(tmp_path: Path) -> None:
    path = tmp_path / "results.json"
    merge_results(
        path, [_figure(0.8, writers=1)], plan={"writers": {"rounds": 24}}, national={"runs": [1]}
    )
    merge_results(path, [_figure(0.9, "sqlite", writers=1)], plan={"money": {"rounds": 6}})
    written = json.loads(path.read_text())
    assert [f["backend"] for f in written["figures"]] == ["postgres", "sqlite"]
    assert written["plan"] == {"writers": {"rounds": 24}, "money": {"rounds": 6}}
    assert written["national"] == {"runs": [1]}


def test_the_committed_results_have_unique_figure_keys() -> None:
    figures = json.loads((BENCH_DIR / "results.json").read_text())["figures"]
    keys = [figure_key(figure) for figure in figures]
    assert figures
    assert len(keys) == len(set(keys))
