"""The benchmark harness's pure parts, on tiny sizes (no timing assertions).

The real figures come from ``make bench``; this only keeps the harness from
rotting: the hash count of the verify baseline, the synthetic log builder
(whose stored subtrees must answer the same proofs as chain.merkle), the
pymerkle baseline agreeing with chain.merkle, the report, and one ``--quick``
run on SQLite.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench import ROOT, baselines, hashes, report
from bench.plan import FULL, QUICK, Plan
from bench.synthetic import SyntheticLog, proof_reads
from chain import merkle


@pytest.mark.parametrize("entries", [0, 1, 2, 3, 7, 8, 64, 100])
def test_node_hash_count_is_what_the_frontier_computes(entries: int) -> None:
    frontier = merkle.MerkleFrontier()
    nodes = 0
    for index in range(entries):
        nodes += len(frontier.append(merkle.leaf_hash(index.to_bytes(4, "big")))) - 1
    assert hashes.node_hash_count(entries) == nodes


def test_hash_inputs_have_the_verifier_sizes() -> None:
    payloads = [bytes(100 + i) for i in range(64)]
    leaves = [b"x" * (200 + i) for i in range(64)]
    inputs = hashes.hash_inputs(payloads, leaves)
    assert len(inputs) == 3 * 64 + hashes.node_hash_count(64)
    assert [len(data) for data in inputs[:3]] == [100, 32 + 200, 1 + 200]
    assert all(len(data) == hashes.NODE_INPUT_SIZE for data in inputs[3 * 64 :])
    assert hashes.hashes_per_entry(64) == pytest.approx(3 + 63 / 64)
    assert hashes.time_raw_hashes(inputs) >= 0


@pytest.mark.parametrize("size", [1, 37, 64])
def test_synthetic_log_answers_the_same_proofs_as_chain_merkle(size: int) -> None:
    log = SyntheticLog(size, seed="test")
    store = {(level, index): digest for level, index, digest in log.subtrees()}
    assert len(store) == SyntheticLog.row_count(size)
    leaves = [log.leaf(i) for i in range(size)]
    root = merkle.root_hash(leaves)
    assert log.frontier.root() == root
    assert log.frontier.size == size
    for index in range(size):
        ranges = merkle.inclusion_ranges(index, size)
        fetched: list[int] = []

        def fetch(keys, fetched=fetched):  # type: ignore[no-untyped-def]
            fetched.append(len(keys))
            return store

        proof = merkle.proof_from_store(ranges, fetch)
        assert proof == merkle.inclusion_proof(leaves, index)
        assert merkle.verify_inclusion(log.leaf_hash(index), index, size, proof, root)
        assert proof_reads(index, size) == (fetched[0] if fetched else 0)


def test_synthetic_chunks_cover_every_row() -> None:
    chunks = list(SyntheticLog(64).chunks(10))
    assert sum(map(len, chunks)) == SyntheticLog.row_count(64)
    assert all(len(chunk) <= 10 for chunk in chunks)


def test_pymerkle_baseline_agrees_with_chain_merkle() -> None:
    log = SyntheticLog(64)
    leaves = [log.leaf(i) for i in range(64)]
    assert baselines.pymerkle_root(leaves) == merkle.root_hash(leaves)
    result = baselines.root_comparison(leaves, repeats=1)
    assert result["leaves"] == 64
    tree = baselines.build_tree(leaves)
    seqs = baselines.random_seqs(64, 20, seed=1)
    assert all(1 <= seq <= 64 for seq in seqs)
    assert baselines.proof_latency(tree, 64, seqs)["samples"] == 20


def test_plans_round_trip_through_json() -> None:
    for plan in (FULL, QUICK):
        assert Plan.from_json(plan.to_json()) == plan
    assert QUICK.companies < FULL.companies


def _fake_backend() -> dict[str, object]:
    latency = {"p50_ms": 0.5, "p95_ms": 0.9, "p99_ms": 1.5, "mean_ms": 0.6, "max_ms": 2.0}
    proof = {
        "insert_s": 0.1,
        "latency": {**latency, "samples": 100},
        "queries_per_proof": 2,
        "rows_read_mean": 15.0,
        "subtree_rows_read_max": 14,
        "subtree_rows": 1994,
        "time_boxed": False,
        "samples_planned": 100,
    }
    return {
        "throughput": {
            "ledger": {
                "median_commands_per_s": 900.0,
                "rounds_commands_per_s": [900.0],
                "latency": latency,
            },
            "bare": {
                "median_commands_per_s": 1000.0,
                "rounds_commands_per_s": [1000.0],
                "latency": latency,
            },
            "recorders": {"ledger": "l", "bare": "b"},
            "rounds": 1,
            "commands_per_app": 10,
        },
        "verify": {
            "entries": 10,
            "blocks": 1,
            "hashes": 39,
            "hashes_per_entry": 3.9,
            "mean_payload_bytes": 250.0,
            "mean_leaf_bytes": 300.0,
            "verify_s": [1.0],
            "raw_hash_s": [0.1],
            "verify_entries_per_s": 10.0,
            "raw_entries_per_s": 100.0,
        },
        "proofs": [
            {**proof, "size": 1000},
            {
                **proof,
                "size": 1_000_000,
                "pymerkle": {"build_s": 1.0, "latency": {**latency, "samples": 100}},
            },
        ],
    }


def test_report_judges_goals_and_writes_outputs(tmp_path: Path) -> None:
    figures = report.backend_figures("sqlite", _fake_backend())
    by_id = {(f["id"], f.get("size")): f for f in figures}
    assert by_id["commands_per_s", None]["pass"] is True  # 0.9 >= 0.85
    assert by_id["verify_entries_per_s", None]["pass"] is False  # 0.1 < 0.3
    assert by_id["inclusion_proof_ms", 1_000_000]["ratio"] == pytest.approx(1.0)
    assert by_id["proof_growth", None]["pass"] is True
    root = {
        "leaves": 64,
        "repeats": 1,
        "chain_merkle_s": [1.0],
        "pymerkle_s": [2.0],
        "chain_merkle_median_s": 1.0,
        "pymerkle_median_s": 2.0,
    }
    figures.append(report.root_figure(root))
    results = {
        "mode": "quick",
        "date": "2026-01-15",
        "runtime_s": 1.0,
        "machine": {
            "cpu_model": "cpu",
            "cores": 2,
            "memory_gib": 1.0,
            "platform": "p",
            "python": "CPython 3.11",
            "sqlite": "3",
            "postgresql": None,
        },
        "figures": figures,
        "notes": ["a note"],
    }
    out = tmp_path / "results.json"
    report.write_results(out, results)
    first = out.read_text()
    report.write_results(out, json.loads(first))
    assert out.read_text() == first  # deterministic
    readme = tmp_path / "README.md"
    readme.write_text(f"# x\n\n{report.README_START}\nold\n{report.README_END}\n\nkept\n")
    report.update_readme(readme, results)
    text = readme.read_text()
    assert "old" not in text
    assert "kept" in text
    assert "**MISS**" in text
    written = report.write_plots(tmp_path / "plots", results)
    assert all(path.stat().st_size > 0 for path in written)


@pytest.mark.slow
def test_quick_run_on_sqlite(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    command = [sys.executable, "-m", "bench", "--quick", "--backends", "sqlite", "--no-readme"]
    command += ["--data-dir", str(tmp_path / "data"), "--out", str(out)]
    command += ["--plots-dir", str(tmp_path / "plots")]
    completed = subprocess.run(
        command,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    results = json.loads(out.read_text())
    ids = {figure["id"] for figure in results["figures"]}
    assert ids == {
        "commands_per_s",
        "verify_entries_per_s",
        "inclusion_proof_ms",
        "proof_growth",
        "merkle_root",
    }
    assert (tmp_path / "plots" / "proof_latency.png").exists()
