"""Build small, correct riik bundles for the verifier tests.

Everything is computed here independently of chain.verify (the Merkle roots by
a direct RFC 9162 recursion), so the tests compare two implementations.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from chain.encoding import (
    ZERO_HASH,
    block_hash,
    canonical,
    entry_envelope,
    entry_hash,
    timestamp,
    vote_message,
)
from chain.keys import NodeKey
from chain.notes import checkpoint_body


def _split(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def rfc9162_root(leaves: Sequence[bytes]) -> bytes:
    """MTH of RFC 9162 section 2.1.1, straight from the definition."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return hashlib.sha256(b"\x00" + leaves[0]).digest()
    k = _split(len(leaves))
    return hashlib.sha256(b"\x01" + rfc9162_root(leaves[:k]) + rfc9162_root(leaves[k:])).digest()


CHAIN_ID = "riik-test"
ORIGIN_PREFIX = "riik.example"
EPOCH = datetime(2026, 11, 24, 22, 49, 24, 123456, tzinfo=UTC)


def make_keys(count: int = 4, prefix: str = "supernode") -> list[NodeKey]:
    return [NodeKey.generate(f"{prefix}-{i}") for i in range(1, count + 1)]


def key_from_seed(name: str, seed: bytes) -> NodeKey:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    return NodeKey(name, Ed25519PrivateKey.from_private_bytes(seed))


@dataclass
class Bundle:
    """The records of a bundle plus what the tests need to tamper with it."""

    records: list[dict[str, Any]]
    keys: list[NodeKey]
    quorum: int
    leaves: dict[str, list[bytes]] = field(default_factory=dict)

    def lines(self) -> list[bytes]:
        return [canonical(record) + b"\n" for record in self.records]

    def write(self, path: Path) -> Path:
        path.write_bytes(b"".join(self.lines()))
        return path

    def index(self, kind: str, **match: Any) -> int:
        """Position of the first record of ``kind`` whose fields equal ``match``."""
        for position, record in enumerate(self.records):
            if record["type"] != kind:
                continue
            where = record["header"] if kind == "block" else record
            if all(where.get(key) == value for key, value in match.items()):
                return position
        raise LookupError(f"no {kind} record with {match}")

    def entry(self, registry: str, seq: int) -> dict[str, Any]:
        return self.records[self.index("entry", registry=registry, seq=seq)]

    def block(self, height: int) -> dict[str, Any]:
        return self.records[self.index("block", height=height)]


def make_entry(
    registry: str, seq: int, payload: bytes, prev: bytes, topic: str | None = None
) -> tuple[dict[str, Any], bytes]:
    """An entry record and its leaf (canonical envelope)."""
    fields: dict[str, Any] = {
        "registry": registry,
        "seq": seq,
        "originator_id": str(uuid.UUID(int=(seq * 7919) ^ len(registry))),
        "originator_version": seq,
        "topic": topic if topic is not None else f"{registry}.Changed",
        "recorded_at": timestamp(EPOCH + timedelta(seconds=seq)),
        "payload_hash": hashlib.sha256(payload).digest(),
    }
    leaf = canonical(entry_envelope(**fields))
    digest = entry_hash(prev, leaf)
    record = {
        "type": "entry",
        **fields,
        "payload_hash": fields["payload_hash"].hex(),
        "prev_hash": prev.hex(),
        "entry_hash": digest.hex(),
        "payload": payload.hex(),
    }
    return record, leaf


def rehash_entry(record: dict[str, Any]) -> None:
    """Recompute payload_hash and entry_hash of an edited entry (a forger's move)."""
    payload = bytes.fromhex(record["payload"])
    record["payload_hash"] = hashlib.sha256(payload).hexdigest()
    envelope = entry_envelope(
        registry=record["registry"],
        seq=record["seq"],
        originator_id=record["originator_id"],
        originator_version=record["originator_version"],
        topic=record["topic"],
        recorded_at=record["recorded_at"],
        payload_hash=bytes.fromhex(record["payload_hash"]),
    )
    record["entry_hash"] = entry_hash(bytes.fromhex(record["prev_hash"]), canonical(envelope)).hex()


def certificate(
    header: Mapping[str, Any], signers: Sequence[NodeKey], vote_round: int = 0
) -> list[dict[str, Any]]:
    digest = block_hash(header)
    message = vote_message(
        chain_id=header["chain_id"],
        tier="supernode",
        kind="finalize",
        height=header["height"],
        round=vote_round,
        block_hash=digest,
    )
    return [
        {
            "signer": key.name,
            "key_id": key.key_id.hex(),
            "alg": "ed25519",
            "signature": key.sign(message).hex(),
        }
        for key in signers
    ]


def checkpoints(
    header: Mapping[str, Any], signers: Sequence[NodeKey], origin_prefix: str = ORIGIN_PREFIX
) -> dict[str, str]:
    out = {}
    for registry, log in header["logs"].items():
        body = checkpoint_body(
            f"{origin_prefix}/{registry}", log["size"], bytes.fromhex(log["root"])
        )
        note = signers[0].sign_note(body)
        for cosigner in signers[1:2]:
            note = cosigner.cosign_note(note)
        out[registry] = note
    return out


def seal(
    record: dict[str, Any], signers: Sequence[NodeKey], *, resign_checkpoints: bool = False
) -> None:
    """Recompute block_hash and the certificate of an edited block record."""
    header = record["header"]
    record["block_hash"] = block_hash(header).hex()
    record["certificate"] = certificate(header, signers, record["round"])
    if resign_checkpoints:
        record["checkpoints"] = checkpoints(header, signers)


def build_bundle(
    payloads: Mapping[str, Sequence[bytes]],
    cuts: Sequence[Mapping[str, int]],
    *,
    keys: Sequence[NodeKey] | None = None,
    quorum: int = 3,
    signers: Sequence[NodeKey] | None = None,
    vote_round: int = 0,
    chain_id: str = CHAIN_ID,
    origin_prefix: str = ORIGIN_PREFIX,
    topics: Mapping[tuple[str, int], str] | None = None,
) -> Bundle:
    """A correct bundle.

    ``payloads``: per registry, the payload bytes of seq 1, 2, 3...;
    ``cuts``: per block, the log size of each registry (missing = unchanged).
    Entries beyond the last cut are written after the last block (unsealed).
    ``topics`` overrides the topic of some ``(registry, seq)`` entries.
    """
    topics = topics or {}
    keys = list(keys) if keys is not None else make_keys()
    signers = list(signers) if signers is not None else keys[:quorum]
    registries = sorted(payloads)
    records: list[dict[str, Any]] = [
        {
            "type": "header",
            "format": "riik-bundle/1",
            "chain_id": chain_id,
            "origin_prefix": origin_prefix,
            "registries": registries,
            "supernodes": [
                {"name": k.name, "public_key": k.public_bytes.hex(), "key_id": k.key_id.hex()}
                for k in keys
            ],
            "quorum": quorum,
            "exported_at": timestamp(EPOCH + timedelta(days=1)),
        }
    ]
    entries: dict[str, list[dict[str, Any]]] = {}
    leaves: dict[str, list[bytes]] = {}
    for registry in registries:
        prev = ZERO_HASH
        entries[registry], leaves[registry] = [], []
        for seq, payload in enumerate(payloads[registry], start=1):
            record, leaf = make_entry(registry, seq, payload, prev, topics.get((registry, seq)))
            prev = bytes.fromhex(record["entry_hash"])
            entries[registry].append(record)
            leaves[registry].append(leaf)

    sizes = dict.fromkeys(registries, 0)
    prev_block = ZERO_HASH
    for height, cut in enumerate(cuts, start=1):
        new_sizes = {r: cut.get(r, sizes[r]) for r in registries}
        for registry in registries:
            records.extend(entries[registry][sizes[registry] : new_sizes[registry]])
        header = {
            "chain_id": chain_id,
            "height": height,
            "prev_hash": prev_block.hex(),
            "sealed_at": timestamp(EPOCH + timedelta(minutes=height)),
            "proposer": keys[(height - 1) % len(keys)].name,
            "logs": {
                r: {"size": new_sizes[r], "root": rfc9162_root(leaves[r][: new_sizes[r]]).hex()}
                for r in registries
            },
        }
        records.append(
            {
                "type": "block",
                "header": header,
                "block_hash": block_hash(header).hex(),
                "round": vote_round,
                "certificate": certificate(header, signers, vote_round),
                "checkpoints": checkpoints(header, signers, origin_prefix),
            }
        )
        prev_block = block_hash(header)
        sizes = new_sizes
    for registry in registries:
        records.extend(entries[registry][sizes[registry] :])
    total = sum(len(v) for v in entries.values())
    records.append({"type": "end", "entries": total, "blocks": len(cuts)})
    return Bundle(records, keys, quorum, leaves)


def standard_bundle(**options: Any) -> Bundle:
    """Two registries, three blocks, two unsealed entries of business."""
    payloads = {
        "business": [f"business event {i}".encode() for i in range(1, 13)],
        "land": [bytes([i]) * (i + 3) for i in range(1, 8)],
    }
    cuts = [{"business": 3, "land": 1}, {"business": 7}, {"business": 10, "land": 7}]
    return build_bundle(payloads, cuts, **options)
