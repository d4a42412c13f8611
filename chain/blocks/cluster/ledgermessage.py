"""The registry host's signed ledger message: the new leaves of its logs, for one node.

The host sends every node the leaves written since its last announcement
(``chain.tasks.cluster_ledger``). The broker is no trusted party (DESIGN
§9): a relay could rewrite a leaf into another well-formed envelope at the
right position, and before ADR 0085 a node kept it in its replica until a
final block disagreed. So the host signs each message with its own key (the
one the nodes already trust for act proposals: ``RIIK_CLUSTER_HOST_KEY`` or
``host.pub`` beside the genesis file, :func:`chain.blocks.cluster.transport.host_key`)
and a node stores nothing of a message before :meth:`LedgerMessage.refusal`
passes. The signature covers:

* a purpose string, so the signature counts for nothing else the host signs;
* the chain id (a message from another chain's host is refused);
* the receiving node's name (a message moved to another node is refused);
* per log, the positions ``from`` and ``to`` and a SHA-256 over the leaves
  (:func:`leaves_digest`): a leaf rewritten, dropped, added or moved, and a log
  added to or dropped from the message, no longer match.

A replayed message carries only leaves at positions the node already holds,
which must come again byte for byte (:meth:`chain.blocks.cluster.replica.Leaves.add_batch`):
it stores nothing. No expiry is signed: a message that waited long in a busy
queue is still the host's and still right (the ledger only grows).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from chain.encoding import canonical

__all__ = ["LEDGER_PURPOSE", "LedgerMessage", "leaves_digest", "signed_for"]

LEDGER_PURPOSE = "riik-ledger-message"
"""Names the bytes the host signs over a ledger message."""

Logs = Mapping[str, tuple[int, Sequence[bytes]]]
"""Per registry, ``(start, leaves)``: the leaves after entry ``start``."""


def leaves_digest(leaves: Iterable[bytes]) -> bytes:
    """SHA-256 over the leaves, each after its length (8 bytes, big-endian), so no two
    different lists of leaves hash alike by moving bytes across a boundary."""
    digest = hashlib.sha256()
    for leaf in leaves:
        digest.update(len(leaf).to_bytes(8, "big"))
        digest.update(leaf)
    return digest.digest()


def _signed_bytes(chain_id: str, to: str, spans: Mapping[str, list[Any]]) -> bytes:
    return canonical({"purpose": LEDGER_PURPOSE, "chain_id": chain_id, "to": to, "logs": spans})


def _spans(logs: Logs) -> dict[str, list[Any]]:
    return {
        registry: [start, start + len(leaves), leaves_digest(leaves).hex()]
        for registry, (start, leaves) in logs.items()
    }


@dataclass(frozen=True)
class LedgerMessage:
    """New leaves of the host's logs for node ``to`` of chain ``chain_id``, signed by the host."""

    chain_id: str
    to: str
    logs: Logs
    signature: bytes = b""

    def signed_bytes(self) -> bytes:
        """What the host signs: purpose, chain, receiver and per log ``[from, to, digest]``."""
        return _signed_bytes(self.chain_id, self.to, _spans(self.logs))

    def to_record(self) -> dict[str, Any]:
        """JSON-native form (the task's argument)."""
        return _record(self.chain_id, self.to, self.logs, self.signature)

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> LedgerMessage:
        """Parse :meth:`to_record`; raises ``KeyError``, ``TypeError`` or ``ValueError``."""
        if not isinstance(record, Mapping) or not isinstance(record["logs"], Mapping):
            raise TypeError("a ledger message is an object with an object of logs")
        logs: dict[str, tuple[int, list[bytes]]] = {}
        for registry, (start, leaves) in record["logs"].items():
            if type(start) is not int or start < 0 or not isinstance(leaves, list):
                raise TypeError(f"log {registry!r} is not [start, [leaf, ...]]")
            logs[str(registry)] = (start, [bytes.fromhex(leaf) for leaf in leaves])
        return cls(
            chain_id=str(record["chain_id"]),
            to=str(record["to"]),
            logs=logs,
            signature=bytes.fromhex(str(record["signature"])),
        )

    def refusal(self, host_key: bytes | None, chain_id: str, name: str) -> str:
        """Why this message is not the host's for node ``name`` of ``chain_id`` ("" when it is)."""
        if host_key is None:
            return "this node knows no host key (RIIK_CLUSTER_HOST_KEY or host.pub)"
        if self.chain_id != chain_id:
            return f"the message is for chain {self.chain_id!r}, not {chain_id!r}"
        if self.to != name:
            return f"the message is for node {self.to!r}, not {name!r}"
        try:
            Ed25519PublicKey.from_public_bytes(host_key).verify(self.signature, self.signed_bytes())
        except (InvalidSignature, ValueError):
            return "the message is not signed by the host's key"
        return ""


def _record(chain_id: str, to: str, logs: Logs, signature: bytes) -> dict[str, Any]:
    return {
        "chain_id": chain_id,
        "to": to,
        "logs": {
            registry: [start, [leaf.hex() for leaf in leaves]]
            for registry, (start, leaves) in logs.items()
        },
        "signature": signature.hex(),
    }


def signed_for(
    names: Iterable[str], chain_id: str, logs: Logs, sign: Callable[[bytes], bytes]
) -> list[tuple[str, dict[str, Any]]]:
    """One signed message record per node of ``names`` with the same leaves: the
    leaves are hashed and hex-encoded once, only the signature differs per node."""
    spans = _spans(logs)
    body = _record(chain_id, "", logs, b"")
    return [
        (
            name,
            {**body, "to": name, "signature": sign(_signed_bytes(chain_id, name, spans)).hex()},
        )
        for name in names
    ]
