"""Turning raw measurements into figures with goals, and writing them out.

Outputs: ``bench/results.json`` (deterministic: indent 2, sorted keys, floats
rounded to 4 significant digits), PNG plots under ``bench/plots/``, the
results section of ``bench/README.md`` and a rich table on the console.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from bench.machine import describe
from bench.stats import rounded

GOAL_COMMANDS_RATIO = 0.85
GOAL_VERIFY_RATIO = 0.3
GOAL_PROOF_P99_MS = 2.0
GOAL_GROWTH_FACTOR = 1.5
"""p50(largest)/p50(smallest) may exceed log2(largest)/log2(smallest) by this factor."""

README_START = "<!-- results:start (written by python -m bench) -->"
README_END = "<!-- results:end -->"


def _size_label(size: int) -> str:
    if size >= 1_000_000 and size % 1_000_000 == 0:
        return f"{size // 1_000_000}M"
    if size >= 1_000 and size % 1_000 == 0:
        return f"{size // 1_000}k"
    return str(size)


def _latency(summary: Mapping[str, float]) -> dict[str, float]:
    return {k: summary[k] for k in ("p50_ms", "p95_ms", "p99_ms")}


def backend_figures(backend: str, data: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Figures 1-3 of one backend from the measurements of :mod:`bench.run_backend`."""
    figures: list[dict[str, Any]] = []
    tp = data["throughput"]
    ratio = tp["ledger"]["median_commands_per_s"] / tp["bare"]["median_commands_per_s"]
    figures.append(
        {
            "id": "commands_per_s",
            "figure": 1,
            "backend": backend,
            "title": "Commands/s: ledger recorder vs bare eventsourcing",
            "value": {
                "median_commands_per_s": tp["ledger"]["median_commands_per_s"],
                "command_latency": _latency(tp["ledger"]["latency"]),
                "recorder": tp["recorders"]["ledger"],
            },
            "baseline": {
                "name": "bare eventsourcing, stock recorder",
                "median_commands_per_s": tp["bare"]["median_commands_per_s"],
                "command_latency": _latency(tp["bare"]["latency"]),
                "recorder": tp["recorders"]["bare"],
            },
            "ratio": ratio,
            "ratio_of": "ledger / bare (medians of per-round throughput)",
            "goal": f">= {GOAL_COMMANDS_RATIO}",
            "pass": ratio >= GOAL_COMMANDS_RATIO,
            "details": {
                "rounds": tp["rounds"],
                "commands_per_app": tp["commands_per_app"],
                "ledger_rounds_commands_per_s": tp["ledger"]["rounds_commands_per_s"],
                "bare_rounds_commands_per_s": tp["bare"]["rounds_commands_per_s"],
            },
        }
    )
    vr = data["verify"]
    ratio = vr["verify_entries_per_s"] / vr["raw_entries_per_s"]
    figures.append(
        {
            "id": "verify_entries_per_s",
            "figure": 2,
            "backend": backend,
            "title": "chain verify entries/s vs raw hashlib on the same hashes",
            "value": {"median_entries_per_s": vr["verify_entries_per_s"]},
            "baseline": {
                "name": f"raw hashlib loop, {vr['hashes_per_entry']:.3f} SHA-256 per entry",
                "median_entries_per_s": vr["raw_entries_per_s"],
            },
            "ratio": ratio,
            "ratio_of": "verify / raw hashing (medians)",
            "goal": f">= {GOAL_VERIFY_RATIO}",
            "pass": ratio >= GOAL_VERIFY_RATIO,
            "details": {
                "entries": vr["entries"],
                "blocks": vr["blocks"],
                "hashes": vr["hashes"],
                "mean_payload_bytes": vr["mean_payload_bytes"],
                "mean_leaf_bytes": vr["mean_leaf_bytes"],
                "verify_s": vr["verify_s"],
                "raw_hash_s": vr["raw_hash_s"],
            },
        }
    )
    proofs = sorted(data["proofs"], key=lambda item: item["size"])
    for item in proofs:
        latency = item["latency"]
        base = item.get("pymerkle")
        p99 = latency["p99_ms"]
        figures.append(
            {
                "id": "inclusion_proof_ms",
                "figure": 3,
                "backend": backend,
                "size": item["size"],
                "title": f"Inclusion proof latency at {_size_label(item['size'])} entries",
                "value": {
                    **_latency(latency),
                    "samples": latency["samples"],
                    "queries_per_proof": item["queries_per_proof"],
                    "rows_read_mean": item["rows_read_mean"],
                    "rows_read_max": item["subtree_rows_read_max"] + 1,
                },
                "baseline": (
                    {
                        "name": "pymerkle InmemoryTree.prove_inclusion",
                        **_latency(base["latency"]),
                        "tree_build_s": base["build_s"],
                    }
                    if base
                    else None
                ),
                "ratio": latency["p50_ms"] / base["latency"]["p50_ms"] if base else None,
                "ratio_of": "p50 stored subtrees / p50 pymerkle in memory",
                "goal": f"p99 < {GOAL_PROOF_P99_MS:g} ms",
                "pass": p99 < GOAL_PROOF_P99_MS,
                "details": {
                    "subtree_rows": item["subtree_rows"],
                    "insert_s": item["insert_s"],
                    "time_boxed": item["time_boxed"],
                    "samples_planned": item["samples_planned"],
                },
            }
        )
    if len(proofs) >= 2:
        small, large = proofs[0], proofs[-1]
        growth = large["latency"]["p50_ms"] / small["latency"]["p50_ms"]
        log_growth = math.log2(large["size"]) / math.log2(small["size"])
        figures.append(
            {
                "id": "proof_growth",
                "figure": 3,
                "backend": backend,
                "title": (
                    f"Proof p50 growth {_size_label(small['size'])} -> "
                    f"{_size_label(large['size'])} vs log2 n"
                ),
                "value": {"p50_growth": growth},
                "baseline": {"name": "log2 n growth", "log2_growth": log_growth},
                "ratio": growth / log_growth,
                "ratio_of": "p50 growth / log2 growth",
                "goal": f"<= {GOAL_GROWTH_FACTOR}",
                "pass": growth / log_growth <= GOAL_GROWTH_FACTOR,
                "details": {"sizes": [small["size"], large["size"]]},
            }
        )
    return figures


def root_figure(root: Mapping[str, Any]) -> dict[str, Any]:
    ours, theirs = root["chain_merkle_median_s"], root["pymerkle_median_s"]
    return {
        "id": "merkle_root",
        "figure": 4,
        "backend": "in memory",
        "title": f"Merkle root of {_size_label(root['leaves'])} leaves: chain.merkle vs pymerkle",
        "value": {"median_s": ours, "leaves_per_s": root["leaves"] / ours},
        "baseline": {
            "name": "pymerkle InmemoryTree (append + get_root)",
            "median_s": theirs,
            "leaves_per_s": root["leaves"] / theirs,
        },
        "ratio": theirs / ours,
        "ratio_of": "pymerkle time / chain.merkle time (speed-up)",
        "goal": None,
        "pass": None,
        "details": {
            "repeats": root["repeats"],
            "chain_merkle_s": root["chain_merkle_s"],
            "pymerkle_s": root["pymerkle_s"],
        },
    }


# --- writing ------------------------------------------------------------------


def write_results(path: Path, results: Mapping[str, Any]) -> None:
    """Write ``results`` deterministically (indent 2, sorted keys, rounded floats)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps(rounded(results), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    )


FIGURE_KEY_FIELDS = ("id", "backend", "writers", "size")
"""What tells two figures apart: the same measurement on another backend, with
another number of writers or at another size is another figure."""


def figure_key(figure: Mapping[str, Any]) -> tuple[str, ...]:
    """The figure's unique key in ``results.json`` (absent fields count as empty)."""
    return tuple(str(figure.get(field, "")) for field in FIGURE_KEY_FIELDS)


def merge_figures(
    existing: Sequence[Mapping[str, Any]], new: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """``existing`` with ``new`` merged in by :func:`figure_key`.

    A new figure replaces the one with its key, in its place; figures with
    other keys are kept; new keys are appended in order. Duplicate keys
    collapse to their last figure, so the result has unique keys.
    """
    merged: dict[tuple[str, ...], dict[str, Any]] = {}
    for figure in [*existing, *new]:
        merged[figure_key(figure)] = dict(figure)
    return list(merged.values())


def merge_results(
    path: Path, figures: Sequence[Mapping[str, Any]] = (), **sections: Any
) -> dict[str, Any]:
    """Merge one bench run into the results file at ``path`` and write it back.

    Every bench module writes through this, so a run replaces only what it
    measured: its ``figures`` by :func:`figure_key`, and each keyword
    section: a mapping is updated key by key (``plan={"writers": ...}`` keeps
    the other benches' plans), any other value replaced. Returns what was
    written.
    """
    results: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
    results["figures"] = merge_figures(results.get("figures", []), figures)
    for name, value in sections.items():
        old = results.get(name)
        if isinstance(value, Mapping) and isinstance(old, Mapping):
            results[name] = {**old, **value}
        else:
            results[name] = value
    write_results(path, results)
    return results


def _num(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    if value >= 0.1:
        return f"{value:.2f}"
    return f"{value:.3f}"


def _result(flag: bool | None) -> str:
    return "—" if flag is None else ("PASS" if flag else "MISS")


def rows(figures: Sequence[Mapping[str, Any]]) -> list[tuple[str, ...]]:
    """(figure, backend, value, baseline, ratio, goal, result) text of each figure."""
    out: list[tuple[str, ...]] = []
    for fig in figures:
        value, base = fig["value"], fig["baseline"]
        kind = fig["id"]
        if kind == "commands_per_s":
            name = "1 commands/s, ledger vs bare"
            shown = (
                f"{_num(value['median_commands_per_s'])} cmd/s "
                f"(p99 {_num(value['command_latency']['p99_ms'])} ms)"
            )
            base_text = (
                f"{_num(base['median_commands_per_s'])} cmd/s "
                f"(p99 {_num(base['command_latency']['p99_ms'])} ms)"
            )
        elif kind == "verify_entries_per_s":
            name = "2 chain verify entries/s vs raw SHA-256"
            shown = f"{_num(value['median_entries_per_s'])} entries/s"
            base_text = f"{_num(base['median_entries_per_s'])} entries/s"
        elif kind == "inclusion_proof_ms":
            name = f"3 inclusion proof @ {_size_label(fig['size'])}"
            shown = (
                f"p50 {_num(value['p50_ms'])} / p95 {_num(value['p95_ms'])} / "
                f"p99 {_num(value['p99_ms'])} ms, {value['rows_read_mean']:.1f} rows"
            )
            base_text = (
                f"pymerkle p50 {_num(base['p50_ms'])} / p99 {_num(base['p99_ms'])} ms"
                if base
                else "—"
            )
        elif kind == "proof_growth":
            name = "3 proof p50 growth vs log2 n"
            shown = f"x{value['p50_growth']:.2f}"
            base_text = f"x{base['log2_growth']:.2f} (log2)"
        else:
            name = f"4 Merkle root, {fig['title'].split(' of ')[1].split(' leaves')[0]} leaves"
            shown = f"{_num(value['median_s'] * 1000)} ms"
            base_text = f"pymerkle {_num(base['median_s'] * 1000)} ms"
        ratio = fig["ratio"]
        out.append(
            (
                name,
                fig["backend"],
                shown,
                base_text,
                "—" if ratio is None else f"{ratio:.3g}",
                fig["goal"] or "—",
                _result(fig["pass"]),
            )
        )
    return out


HEADERS = ("Figure", "Backend", "Measured", "Baseline", "Ratio", "Goal", "Result")


def print_table(console: Console, results: Mapping[str, Any]) -> None:
    table = Table(title=f"Riik benchmark ({results['mode']} run, {results['date']})")
    for header in HEADERS:
        table.add_column(header, overflow="fold")
    for row in rows(results["figures"]):
        style = {"PASS": "green", "MISS": "red"}.get(row[-1])
        table.add_row(*row[:-1], f"[{style}]{row[-1]}[/]" if style else row[-1])
    console.print(table)
    console.print(f"machine: {describe(results['machine'])}")
    for note in results["notes"]:
        console.print(f"note: {note}")


def markdown_results(results: Mapping[str, Any]) -> str:
    lines = [
        f"Latest run: **{results['mode']}**, {results['date']}, "
        f"{results['runtime_s']:.0f} s wall time.",
        "",
        f"Machine: {describe(results['machine'])}.",
        "",
        "| " + " | ".join(HEADERS) + " |",
        "|" + "---|" * len(HEADERS),
    ]
    for row in rows(results["figures"]):
        cells = [cell.replace("|", "\\|") for cell in row]
        cells[-1] = f"**{cells[-1]}**" if cells[-1] in ("PASS", "MISS") else cells[-1]
        lines.append("| " + " | ".join(cells) + " |")
    if results["notes"]:
        lines.append("")
        lines.extend(f"- {note}" for note in results["notes"])
    lines += ["", "Plots: `plots/proof_latency.png`, `plots/throughput_ratio.png`."]
    return "\n".join(lines)


def update_readme(path: Path, results: Mapping[str, Any]) -> None:
    """Replace the results section of the README (between the markers)."""
    section = f"{README_START}\n{markdown_results(results)}\n{README_END}"
    text = path.read_text() if path.exists() else "# Riik benchmarks\n\n## Latest results\n\n"
    if README_START in text and README_END in text:
        head, rest = text.split(README_START, 1)
        _, tail = rest.split(README_END, 1)
        text = head + section + tail
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    path.write_text(text)


# --- plots --------------------------------------------------------------------

BACKEND_COLOURS = {"sqlite": "#1f77b4", "postgres": "#d62728"}


def write_plots(directory: Path, results: Mapping[str, Any]) -> list[Path]:
    """proof_latency.png (log-x) and throughput_ratio.png; returns the files written."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    directory.mkdir(parents=True, exist_ok=True)
    figures = results["figures"]
    written = []
    metadata = {"Software": None}

    fig, ax = plt.subplots(figsize=(7, 4.5))
    proof_figs = [f for f in figures if f["id"] == "inclusion_proof_ms"]
    baseline_drawn = False
    for backend in sorted({f["backend"] for f in proof_figs}):
        points = sorted((f for f in proof_figs if f["backend"] == backend), key=lambda f: f["size"])
        sizes = [f["size"] for f in points]
        colour = BACKEND_COLOURS.get(backend, "black")
        ax.plot(
            sizes,
            [f["value"]["p50_ms"] for f in points],
            "o-",
            color=colour,
            label=f"{backend} p50",
        )
        ax.plot(
            sizes,
            [f["value"]["p99_ms"] for f in points],
            "s--",
            color=colour,
            label=f"{backend} p99",
        )
        base = [(f["size"], f["baseline"]["p50_ms"]) for f in points if f["baseline"]]
        if base and not baseline_drawn:
            ax.plot(
                [s for s, _ in base],
                [v for _, v in base],
                "^:",
                color="grey",
                label="pymerkle in memory p50",
            )
            baseline_drawn = True
    ax.axhline(GOAL_PROOF_P99_MS, color="green", linewidth=1, label="goal: p99 < 2 ms")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("log size (entries)")
    ax.set_ylabel("inclusion proof latency (ms)")
    ax.set_title("Inclusion proof latency vs log size")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize="small")
    fig.tight_layout()
    path = directory / "proof_latency.png"
    fig.savefig(path, dpi=100, metadata=metadata)
    plt.close(fig)
    written.append(path)

    fig, axes = plt.subplots(1, 2, figsize=(9, 4))
    panels = [
        ("commands_per_s", "1: commands/s ledger / bare", GOAL_COMMANDS_RATIO),
        ("verify_entries_per_s", "2: chain verify / raw SHA-256", GOAL_VERIFY_RATIO),
    ]
    for ax, (kind, title, goal) in zip(axes, panels, strict=True):
        items = [f for f in figures if f["id"] == kind]
        names = [f["backend"] for f in items]
        values = [f["ratio"] for f in items]
        colours = [BACKEND_COLOURS.get(name, "grey") for name in names]
        bars = ax.bar(names, values, color=colours)
        for bar, value in zip(bars, values, strict=True):
            ax.annotate(
                f"{value:.3g}",
                (bar.get_x() + bar.get_width() / 2, value),
                ha="center",
                va="bottom",
                fontsize="small",
            )
        ax.axhline(goal, color="green", linestyle="--", label=f"goal >= {goal}")
        ax.set_ylim(0, max([goal, *values]) * 1.2)
        ax.set_title(title)
        ax.set_ylabel("ratio")
        ax.legend(fontsize="small")
    fig.tight_layout()
    path = directory / "throughput_ratio.png"
    fig.savefig(path, dpi=100, metadata=metadata)
    plt.close(fig)
    written.append(path)
    return written
