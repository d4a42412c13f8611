"""``python -m bench.verify_rate``: its synthetic chain verifies, its baseline counts the
hashes of each log, and a tiny run merges its figures into results.json and plots."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import hashes, verify_rate
from chain.verify import verify_file


def test_the_synthetic_chain_is_a_bundle_the_verifier_accepts(tmp_path: Path) -> None:
    chain = verify_rate.write_chain(tmp_path / "chain.jsonl", 23, 4, 3, keep=True)
    report = verify_file(str(tmp_path / "chain.jsonl"), jobs=1)
    assert (report.entries, report.blocks, report.complete) == (23 + 4 * 3, 5, True)
    assert report.levels == {"witnessed": 5, "committed": 5}
    assert len(chain.payloads) == len(chain.leaves) == chain.entries == 35
    # 23 entries over five logs, then each block grows two logs turn by turn
    # (3 entries: two in the first, one in the second).
    sizes = {name: log.entries for name, log in report.registries.items()}
    assert sizes == {"business": 8, "court": 8, "health": 8, "identity": 5, "property": 6}


def test_the_baseline_counts_the_merkle_nodes_of_each_log() -> None:
    leaves = [b"x" * 10] * 12
    inputs = hashes.hash_inputs([b"p"] * 12, leaves, log_sizes=[5, 7])
    nodes = hashes.node_hash_count(5) + hashes.node_hash_count(7)
    assert len(inputs) == 3 * 12 + nodes
    with pytest.raises(ValueError, match="add up"):
        hashes.hash_inputs([b"p"] * 12, leaves, log_sizes=[5, 6])


def test_a_tiny_run_merges_its_figures_and_plots(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    out.write_text(json.dumps({"figures": [{"id": "merkle_root", "backend": "in memory"}]}))
    code = verify_rate.main(
        [
            "--sizes", "40", "80", "--blocks", "3", "--per-block", "2",
            "--rate-entries", "2000", "--repeats", "1", "--jobs", "2",
            "--data-dir", str(tmp_path / "data"), "--out", str(out),
            "--plots-dir", str(tmp_path / "plots"),
        ]
    )  # fmt: skip
    assert code == 0
    results = json.loads(out.read_text())
    ids = [(f["id"], f.get("size")) for f in results["figures"]]
    assert ids == [
        ("merkle_root", None),
        ("verify_bundle_entries_per_s", None),
        ("verify_block_ms", 40),
        ("verify_block_ms", 80),
    ]
    rate = results["figures"][1]
    assert rate["value"]["jobs"] == 2
    assert rate["pass"] == (rate["ratio"] >= 0.3)
    assert rate["details"]["entries"] == 2000
    for block in results["figures"][2:]:
        assert block["pass"] == (block["value"]["per_block_ms"] < 1.0)
        assert block["baseline"]["per_block_ms"] > 0
    assert results["plan"]["verify_rate"]["machine"]["cores"]
    assert (tmp_path / "plots" / "verify_per_block.png").stat().st_size > 0
