"""What --verify proves: a record against a block certified by pinned supernode keys (pure)."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from chain import merkle, notes
from chain.encoding import block_hash, vote_message
from riik_client.proving import prove, read_pinned_keys, write_pinned_keys

CHAIN = "riik-test"
HEIGHT = 7
LEAVES = [f"entry {n}".encode() for n in range(1, 12)]
SUPERNODES = {f"supernode-{n}": Ed25519PrivateKey.generate() for n in range(1, 5)}


def _public(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes_raw()


PINNED = {
    (name, notes.key_id(name, _public(key))): _public(key) for name, key in SUPERNODES.items()
}


def _position(leaves: list[bytes], seq: int = 5) -> dict[str, Any]:
    leaf = leaves[seq - 1]
    return {
        "registry": "business",
        "seq": seq,
        "block_height": HEIGHT,
        "level": "final",
        "proof": {
            "leaf_index": seq - 1,
            "tree_size": len(leaves),
            "root_hash": merkle.root_hash(leaves).hex(),
            "leaf": leaf.hex(),
            "leaf_hash": merkle.leaf_hash(leaf).hex(),
            "audit_path": [node.hex() for node in merkle.inclusion_proof(leaves, seq - 1)],
        },
    }


def _signature(name: str, header: Mapping[str, Any], round: int = 0) -> dict[str, Any]:
    key = SUPERNODES[name]
    message = vote_message(
        chain_id=CHAIN,
        tier="supernode",
        kind="finalize",
        height=HEIGHT,
        round=round,
        block_hash=block_hash(header),
    )
    return {
        "tier": "supernode",
        "kind": "finalize",
        "round": round,
        "signer": name,
        "key_id": notes.key_id(name, _public(key)).hex(),
        "alg": "ed25519",
        "signature": key.sign(message).hex(),
    }


def _block(signers: list[str], leaves: list[bytes] = LEAVES) -> dict[str, Any]:
    header = {
        "chain_id": CHAIN,
        "height": HEIGHT,
        "prev_hash": "00" * 32,
        "sealed_at": "2026-12-07T10:00:00Z",
        "proposer": "witness-1",
        "logs": {"business": {"size": len(leaves), "root": merkle.root_hash(leaves).hex()}},
    }
    return {"header": header, "certificate": [_signature(name, header) for name in signers]}


def test_a_record_in_a_block_final_by_a_pinned_quorum_is_proved() -> None:
    block = _block(["supernode-1", "supernode-2", "supernode-3"])
    finding = prove(_position(LEAVES), lambda height: block, PINNED, CHAIN)
    assert finding.proved, finding.line()
    assert "final by 3 pinned supernodes (quorum 3)" in finding.line()


def test_a_forged_root_is_caught_even_when_its_proof_holds() -> None:
    # The server makes up a tree holding the entry and proves against its root.
    forged = [*LEAVES[:4], LEAVES[4], b"made up"]
    finding = prove(
        _position(forged),
        lambda height: _block(["supernode-1", "supernode-2", "supernode-3"]),
        PINNED,
        CHAIN,
    )
    assert (finding.proved, finding.failed) == (False, True)
    assert "a forged root" in finding.line()


def test_a_forged_header_is_not_certified_by_the_pinned_keys() -> None:
    forged = [*LEAVES[:4], LEAVES[4], b"made up"]
    block = _block(["supernode-1", "supernode-2", "supernode-3"])
    # The server rewrites the header to match its forged root; the supernodes'
    # signatures were over the real header.
    block["header"]["logs"]["business"] = {
        "size": len(forged),
        "root": merkle.root_hash(forged).hex(),
    }
    finding = prove(_position(forged), lambda height: block, PINNED, CHAIN)
    assert not finding.proved
    assert "signed by 0 of the pinned supernodes, 3 needed" in finding.line()


@pytest.mark.parametrize(
    "certificate",
    [
        "two signers",
        "one signer three times",
        "round 1",
        "keys not pinned",
    ],
)
def test_a_certificate_below_the_pinned_quorum_proves_nothing(certificate: str) -> None:
    block = _block(["supernode-1", "supernode-2"])
    header = block["header"]
    if certificate == "one signer three times":
        block["certificate"] = [_signature("supernode-1", header)] * 3
    elif certificate == "round 1":
        block["certificate"].append(_signature("supernode-3", header, round=1))
    elif certificate == "keys not pinned":
        stranger = copy.deepcopy(_signature("supernode-3", header))
        stranger["signer"] = "supernode-9"
        block["certificate"].append(stranger)
    finding = prove(_position(LEAVES), lambda height: block, PINNED, CHAIN)
    assert not finding.proved
    assert "3 needed" in finding.line()


def test_without_pinned_keys_or_a_final_block_the_client_says_what_is_not_proved() -> None:
    block = _block(["supernode-1", "supernode-2", "supernode-3"])
    unpinned = prove(_position(LEAVES), lambda height: block, {}, CHAIN)
    assert not unpinned.proved
    assert "no pinned supernode keys" in unpinned.line()
    pending = {**_position(LEAVES), "level": "sealed", "block_height": None}
    assert "not yet in a final block" in prove(pending, lambda height: block, PINNED, CHAIN).says


def test_a_broken_inclusion_proof_fails() -> None:
    position = _position(LEAVES)
    position["proof"]["audit_path"][0] = "00" * 32
    finding = prove(position, lambda height: _block([]), PINNED, CHAIN)
    assert (finding.proved, finding.failed) == (False, True)


def test_pinned_keys_round_trip_through_the_verifiers_key_file(tmp_path: Any) -> None:
    path = tmp_path / "supernodes.txt"
    keys = [notes.verifier_key(name, _public(key)) for name, key in SUPERNODES.items()]
    write_pinned_keys(path, keys, "http://127.0.0.1:8000")
    assert read_pinned_keys(path) == PINNED
    path.write_text("# nothing here\n")
    with pytest.raises(ValueError, match="no supernode keys"):
        read_pinned_keys(path)
