"""The money benchmark's figures: the ledger/bare goal judged; finality, the curve, wallet
snapshots and the DvP settlement latency (against the bare payment's) reported."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.money import money_figures, plot


def _latency(p50: float, p99: float) -> dict[str, float]:
    return {"p50_ms": p50, "p99_ms": p99}


def _measured(ledger: float, bare: float, *, finality: bool = True) -> dict[str, Any]:
    data: dict[str, Any] = {
        "overhead": {
            "ledger_payments_per_s": ledger,
            "bare_payments_per_s": bare,
            "ratio": ledger / bare,
        },
        "curve": [{"threads": n, "payments_per_s": 10.0 * n} for n in (1, 2, 4)],
        "snapshots": [
            {"events": 100, "load_ms_snapshots": 1.0, "load_ms_replay": 10.0, "speedup": 10.0}
        ],
        "settlement": {
            "settled": {"dvp": _latency(30, 120), "payment": _latency(15, 60)},
            "finalized": {"dvp": _latency(600, 1100), "payment": _latency(550, 1000)},
        },
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
        ("money_wallet_snapshots", "sqlite", None),
        ("money_dvp_settlement", "sqlite devnet", None),
        ("money_finality_rate", "sqlite devnet", None),
        ("money_payments_ratio", "postgres", False),
        ("money_payments_curve", "postgres", None),
        ("money_wallet_snapshots", "postgres", None),
        ("money_dvp_settlement", "postgres devnet", None),
    ]
    assert figures[4]["ratio"] == 0.95


def test_the_dvp_figure_reports_p50_and_p99_against_the_bare_payment_of_the_run() -> None:
    (dvp,) = [f for f in money_figures({"sqlite": _measured(90, 100)}) if "dvp" in f["id"]]
    assert dvp["value"] == {
        "settled_p50_ms": 30,
        "settled_p99_ms": 120,
        "finalized_p50_ms": 600,
        "finalized_p99_ms": 1100,
        "baseline_payment_settled_p50_ms": 15,
        "baseline_payment_settled_p99_ms": 60,
        "baseline_payment_finalized_p50_ms": 550,
        "baseline_payment_finalized_p99_ms": 1000,
    }
    assert dvp["ratio"] == 2.0


def test_the_plots_are_pngs(tmp_path: Path) -> None:
    path = plot(tmp_path, {"sqlite": _measured(90, 100)})
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    settlement = tmp_path / "money_settlement.png"
    assert settlement.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
