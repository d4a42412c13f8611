"""A cluster's genesis file: the first members, signed by the first supernodes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chain.blocks.cluster.genesis import load_membership, members, write_genesis
from chain.consensus.crypto import Signer
from chain.consensus.membership import MembershipError

SUPERNODES = [Signer.from_seed(f"supernode-{i}", b"genesis") for i in range(1, 5)]
WITNESSES = [Signer.from_seed(f"witness-{i}", b"genesis") for i in range(1, 5)]
CITIZENS = [Signer.from_seed(f"citizen-{i}", b"genesis") for i in range(1, 4)]


def _write(path: Path) -> Path:
    write_genesis(
        path,
        "riik-genesis-test",
        supernodes=SUPERNODES,
        witnesses=WITNESSES,
        citizens=CITIZENS,
        citizen_threshold=2,
    )
    return path


def test_a_written_genesis_loads_into_the_membership_it_lists(tmp_path: Path) -> None:
    path = str(_write(tmp_path / "genesis.json"))
    membership = load_membership(path)
    assert membership.chain_id == "riik-genesis-test"
    assert len(membership.validator_set("supernode", 1)) == 4
    assert membership.validator_set("witness", 1).quorum == 3
    assert membership.validator_set("citizen", 1).quorum == 2
    assert [m.name for m in members(path)["citizen"]] == ["citizen-1", "citizen-2", "citizen-3"]


def test_a_genesis_with_a_swapped_key_fails_its_supernode_signatures(tmp_path: Path) -> None:
    path = _write(tmp_path / "genesis.json")
    record = json.loads(path.read_text())
    record["genesis"]["witnesses"][0]["public_key"] = Signer.from_seed(
        "witness-1", b"mallory"
    ).public_key.hex()
    path.write_text(json.dumps(record))
    with pytest.raises(MembershipError):
        load_membership(str(path))
