"""The money benchmark's figures: the ledger/bare goal judged, finality and the curve reported."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.money import money_figures, plot


def _measured(ledger: float, bare: float, *, finality: bool = True) -> dict[str, Any]:
    data: dict[str, Any] = {
        "overhead": {
            "ledger_payments_per_s": ledger,
            "bare_payments_per_s": bare,
            "ratio": ledger / bare,
        },
        "curve": [{"threads": n, "payments_per_s": 10.0 * n} for n in (1, 2, 4)],
    }
    if finality:
        data["finality"] = {
            "write_payments_per_s": 40.0,
            "final_payments_per_s": 38.0,
            "ratio": 0.95,
        }
    return data


def test_a_ledger_within_85_percent_of_bare_passes_and_one_below_misses() -> None:
    figures = money_figures(
        {"sqlite": _measured(90, 100), "postgres": _measured(80, 100, finality=False)}
    )
    judged = [(f["id"], f["backend"], f["pass"]) for f in figures]
    assert judged == [
        ("money_payments_ratio", "sqlite", True),
        ("money_payments_curve", "sqlite", None),
        ("money_finality_rate", "sqlite devnet", None),
        ("money_payments_ratio", "postgres", False),
        ("money_payments_curve", "postgres", None),
    ]
    assert figures[2]["ratio"] == 0.95


def test_the_plot_is_a_png(tmp_path: Path) -> None:
    path = plot(tmp_path, {"sqlite": _measured(90, 100)})
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
