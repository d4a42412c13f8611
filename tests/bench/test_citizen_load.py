"""The citizen API benchmark's harness (no timing assertions; the figures come from make bench)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import citizen_load


def step(users: int, read_p95: float, write_p95: float) -> dict[str, object]:
    def figures(p95: float) -> dict[str, float]:
        return {"p50_ms": p95 / 2, "p95_ms": p95, "p99_ms": p95 * 1.5, "errors": 0, "error_rate": 0}

    return {"users": users, "read": figures(read_p95), "write": figures(write_p95)}


def test_plot_writes_a_png(tmp_path: Path) -> None:
    path = tmp_path / "citizen_api.png"
    citizen_load.plot(path, [step(10, 20.0, 80.0), step(50, 40.0, 150.0)])
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_run_is_skipped_without_postgres(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("RIIK_BENCH_POSTGRES_URL", "postgres://nobody@127.0.0.1:1/none")
    out = tmp_path / "results.json"
    assert citizen_load.main(["--quick", "--out", str(out), "--data-dir", str(tmp_path / "d")]) == 0
    assert not out.exists()
