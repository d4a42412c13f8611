"""Test vectors of the chain format: ``python -m chain.vectors > docs/chain-vectors.json``.

Every value is computed by the same pure code the node and the verifier use
(:mod:`chain.encoding`, :mod:`chain.merkle`, :mod:`chain.notes`), from fixed
inputs and fixed-seed Ed25519 keys (Ed25519 signatures are deterministic), so
the output never changes unless the format does; a test regenerates it and
compares. An independent implementation should reproduce every value here.
The format itself is described in docs/chain-format.md.
"""

from __future__ import annotations

import hashlib
import json
import sys
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from chain import merkle, notes
from chain.encoding import (
    ZERO_HASH,
    block_hash,
    canonical,
    entry_envelope,
    entry_hash,
    entry_leaf,
    vote_message,
)
from chain.memberlog import MemberLog, change_digest, entry_record
from chain.verify import RECEIPT_FORMAT

CHAIN_ID = "riik-vectors"
ORIGIN_PREFIX = "riik.example"
REGISTRY = "business"
SEALED_AT = "2026-11-25T00:00:00.000000Z"


def _key(name: str) -> tuple[str, Ed25519PrivateKey, bytes]:
    """A fixed key: the seed is SHA-256 of the name (never do this for real keys)."""
    private = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(name.encode()).digest())
    public = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return name, private, public


def _member(name: str, public: bytes) -> dict[str, str]:
    return {"name": name, "public_key": public.hex(), "key_id": notes.key_id(name, public).hex()}


def _entries(count: int) -> list[dict[str, Any]]:
    entries, prev = [], ZERO_HASH
    for seq in range(1, count + 1):
        payload = canonical({"event": "Company.Registered", "name": f"Näidis {seq} OÜ"})
        fields: dict[str, Any] = {
            "registry": REGISTRY,
            "seq": seq,
            "originator_id": f"00000000-0000-4000-8000-{seq:012d}",
            "originator_version": 1,
            "topic": "registries.business.domain:Company.Registered",
            "recorded_at": f"2026-11-24T23:59:{seq:02d}.000000Z",
            "payload_hash": hashlib.sha256(payload).digest(),
        }
        leaf = entry_leaf(**fields)
        this = entry_hash(prev, leaf)
        entries.append(
            {
                "fields": {**fields, "payload_hash": fields["payload_hash"].hex()},
                "payload": payload.hex(),
                "canonical_envelope": leaf.decode("utf-8"),
                "prev_hash": prev.hex(),
                "entry_hash": this.hex(),
                "leaf_hash": merkle.leaf_hash(leaf).hex(),
            }
        )
        prev = this
    return entries


def _certified(
    change: dict[str, Any],
    height: int,
    from_height: int,
    signers: list[tuple[str, Ed25519PrivateKey, bytes]],
) -> dict[str, Any]:
    """A membership entry (chain-format §15): the change, its digest, the vote
    message the supernodes sign and the payload stored in the chain log."""
    digest = change_digest(change)
    message = vote_message(
        chain_id=CHAIN_ID,
        tier="supernode",
        kind="membership",
        height=height,
        round=0,
        block_hash=digest,
    )
    votes = [
        {
            "chain_id": CHAIN_ID,
            "tier": "supernode",
            "kind": "membership",
            "height": height,
            "round": 0,
            "block_hash": digest.hex(),
            "signer": name,
            "key_id": notes.key_id(name, public).hex(),
            "alg": "ed25519",
            "signature": private.sign(message).hex(),
        }
        for name, private, public in signers
    ]
    record = entry_record(
        chain_id=CHAIN_ID, change=change, height=height, from_height=from_height, certificate=votes
    )
    return {
        "canonical_change": canonical(change).decode("utf-8"),
        "change_digest": digest.hex(),
        "vote_message": message.decode("utf-8"),
        "payload": canonical(record).decode("utf-8"),
    }


def _membership(supernodes: list[tuple[str, Ed25519PrivateKey, bytes]]) -> dict[str, Any]:
    """A genesis of the four supernodes and a rotation of supernode-2's key at height 1
    certified by three of them, with the key ranges their replay gives."""
    genesis = {
        "type": "genesis",
        "supernodes": [{"name": n, "public_key": p.hex()} for n, _, p in supernodes],
        "witnesses": [],
        "citizens": [],
        "citizen_threshold": 1,
        "board_size": 4,
        "epoch_length": 1,
    }
    _, _, rotated = _key("supernode-2 rotated")
    rotation = {
        "type": "rotate-key",
        "tier": "supernode",
        "name": "supernode-2",
        "public_key": rotated.hex(),
    }
    entries = [_certified(genesis, 0, 1, supernodes), _certified(rotation, 1, 2, supernodes[:3])]
    log = MemberLog(CHAIN_ID)
    for number, item in enumerate(entries, start=1):
        log.apply(json.loads(item["payload"]), f"registry consensus seq {number}")
    return {
        "topic": "chain.consensus.membership:ChangeCertificate",
        "entries": entries,
        "key_ranges": [
            {"tier": tier, "name": name, "key_id": kid.hex(), "from": start, "until": end}
            for (tier, name, kid), spans in sorted(log.history().items())
            for start, end in spans
        ],
    }


def vectors() -> dict[str, Any]:
    """All the vectors, as one JSON-ready object."""
    supernodes = [_key(f"supernode-{i}") for i in range(1, 5)]
    witness_name, witness_key, witness_public = _key("witness.example/w1")
    entries = _entries(7)
    leaves = [e["canonical_envelope"].encode("utf-8") for e in entries]
    size = len(leaves)
    root = merkle.root_hash(leaves)
    header = {
        "chain_id": CHAIN_ID,
        "height": 1,
        "prev_hash": ZERO_HASH.hex(),
        "sealed_at": SEALED_AT,
        "proposer": "supernode-1",
        "logs": {REGISTRY: {"size": size, "root": root.hex()}},
    }
    digest = block_hash(header)
    votes = []
    for name, private, _ in supernodes[:3]:
        message = vote_message(
            chain_id=CHAIN_ID,
            tier="supernode",
            kind="finalize",
            height=1,
            round=0,
            block_hash=digest,
        )
        votes.append(
            {
                "signer": name,
                "key_id": notes.key_id(name, private.public_key()).hex(),
                "alg": "ed25519",
                "round": 0,
                "signature": private.sign(message).hex(),
            }
        )
    body = notes.checkpoint_body(f"{ORIGIN_PREFIX}/{REGISTRY}", size, root)
    note = notes.sign_note(body, supernodes[0][0], supernodes[0][1])
    timestamp = 1_795_000_000
    receipt_seq = 5
    receipt = {
        "format": RECEIPT_FORMAT,
        "chain_id": CHAIN_ID,
        "origin_prefix": ORIGIN_PREFIX,
        "issued_at": SEALED_AT,
        "keys": {"supernodes": [_member(n, p) for n, _, p in supernodes], "quorum": 3},
        "entry": {
            **entries[receipt_seq - 1]["fields"],
            "prev_hash": entries[receipt_seq - 1]["prev_hash"],
            "entry_hash": entries[receipt_seq - 1]["entry_hash"],
            "payload": entries[receipt_seq - 1]["payload"],
        },
        "inclusion": {
            "leaf_index": receipt_seq - 1,
            "tree_size": size,
            "proof": [h.hex() for h in merkle.inclusion_proof(leaves, receipt_seq - 1)],
        },
        "block": {
            "header": header,
            "block_hash": digest.hex(),
            "round": 0,
            "certificate": votes,
            "checkpoints": {REGISTRY: note},
        },
    }
    return {
        "about": "riik chain format test vectors; see docs/chain-format.md (generated by "
        "python -m chain.vectors; do not edit)",
        "canonical_json": [
            {"value": value, "canonical": canonical(value).decode("utf-8")}
            for value in (
                {"b": 1, "a": [True, None, "x"]},
                {"name": "Tõnu Õun", "quote": 'a "b"\n', "n": -7},
                {"bytes_as_hex": bytes([0, 171, 255]).hex()},
            )
        ],
        "keys": [
            {
                "name": name,
                "seed": hashlib.sha256(name.encode()).hexdigest(),
                "public_key": public.hex(),
                "key_id": notes.key_id(name, public).hex(),
                "verifier_key": notes.verifier_key(name, public),
            }
            for name, _, public in supernodes
        ],
        "entries": entries,
        "merkle": {
            "empty_root": merkle.root_hash([]).hex(),
            "roots": [merkle.root_hash(leaves[:n]).hex() for n in range(1, size + 1)],
            "inclusion": [
                {
                    "index": index,
                    "size": size,
                    "proof": [h.hex() for h in merkle.inclusion_proof(leaves, index)],
                }
                for index in range(size)
            ],
            "consistency": [
                {
                    "old_size": old,
                    "new_size": size,
                    "proof": [h.hex() for h in merkle.consistency_proof(leaves, old)],
                }
                for old in range(size + 1)
            ],
        },
        "block": {
            "header": header,
            "canonical_header": canonical(header).decode("utf-8"),
            "block_hash": digest.hex(),
            "vote_message": vote_message(
                chain_id=CHAIN_ID,
                tier="supernode",
                kind="finalize",
                height=1,
                round=0,
                block_hash=digest,
            ).decode("utf-8"),
            "certificate": votes,
        },
        "checkpoint": {"body": body, "note": note},
        "cosignature": {
            "witness": witness_name,
            "public_key": witness_public.hex(),
            "key_id": notes.cosignature_key_id(witness_name, witness_public).hex(),
            "timestamp": timestamp,
            "message": notes.cosignature_message(body, timestamp).decode("utf-8"),
            "line": notes.cosign(body, witness_name, witness_key, timestamp),
        },
        "envelope_example": {
            k: v.hex() if isinstance(v, bytes) else v
            for k, v in entry_envelope(
                registry=REGISTRY,
                seq=1,
                originator_id=entries[0]["fields"]["originator_id"],
                originator_version=1,
                topic=entries[0]["fields"]["topic"],
                recorded_at=entries[0]["fields"]["recorded_at"],
                payload_hash=bytes.fromhex(entries[0]["fields"]["payload_hash"]),
            ).items()
        },
        "receipt": receipt,
        "membership": _membership(supernodes),
    }


def render() -> str:
    """The vectors file's exact text."""
    return json.dumps(vectors(), indent=1, sort_keys=True, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    sys.stdout.write(render())
