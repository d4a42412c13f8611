"""A cluster node's replica of the registry logs' leaves (:class:`ReplicaLeaf`).

The host pushes every new ledger leaf to every node; a witness proposer
builds its block header from this replica, the other nodes check a header's
log roots against theirs, and a citizen answers storage challenges from it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from django.conf import settings

from chain import merkle
from chain.blocks.models import ReplicaLeaf
from chain.consensus.messages import Block as HeaderBlock
from chain.consensus.messages import BlockRequest, MessageFormatError
from chain.encoding import timestamp

__all__ = ["LeafSource", "Leaves"]


class Leaves:
    """This node's copy of the registry logs' leaves: a table, cached in memory."""

    def __init__(self) -> None:
        self.leaves: dict[str, list[bytes]] = {r: [] for r in settings.RIIK_REGISTRIES}
        for leaf in ReplicaLeaf.objects.order_by("registry", "seq"):
            self.leaves.setdefault(leaf.registry, []).append(bytes(leaf.data))
        self._roots: dict[tuple[str, int], bytes] = {}

    def size(self, registry: str) -> int:
        """How many leaves of ``registry`` this node holds."""
        return len(self.leaves.get(registry, ()))

    def add(self, registry: str, start: int, data: list[bytes]) -> bool:
        """Store leaves ``start + 1 ..``; False when they leave a gap after ours."""
        held = self.leaves.setdefault(registry, [])
        if start > len(held):
            return False
        new = data[len(held) - start :]
        if new:
            ReplicaLeaf.objects.bulk_create(
                ReplicaLeaf(registry=registry, seq=len(held) + i + 1, data=leaf)
                for i, leaf in enumerate(new)
            )
            held.extend(new)
        return True

    def root(self, registry: str, size: int) -> bytes | None:
        """Merkle root of the first ``size`` leaves (None when not all held)."""
        if size > self.size(registry):
            return None
        key = (registry, size)
        if key not in self._roots:
            self._roots[key] = merkle.root_hash(self.leaves[registry][:size])
        return self._roots[key]

    def header(self, request: BlockRequest) -> dict[str, Any]:
        """The block header ``request`` asks for, every registry log as this replica holds it."""
        logs = {}
        for registry in sorted(settings.RIIK_REGISTRIES):
            size = self.size(registry)
            root = self.root(registry, size)
            assert root is not None
            logs[registry] = {"size": size, "root": root.hex()}
        return {
            "chain_id": request.chain_id,
            "height": request.height,
            "prev_hash": request.prev_hash.hex(),
            "sealed_at": timestamp(datetime.now(UTC)),
            "proposer": request.proposer,
            "logs": logs,
        }

    def check_header(self, header: Mapping[str, Any], need: Callable[[str], None]) -> bool:
        """True when ``header``'s logs are prefixes of this replica; ``need`` is told
        each registry whose leaves it names and this replica lacks."""
        if set(header) != {"chain_id", "height", "prev_hash", "sealed_at", "proposer", "logs"}:
            return False
        if not isinstance(header["sealed_at"], str):
            return False
        try:
            logs = HeaderBlock.from_header(header).logs()
        except MessageFormatError:
            return False
        if set(logs) != set(settings.RIIK_REGISTRIES):
            return False
        for registry, (size, _) in logs.items():
            if size > self.size(registry):
                need(registry)  # the host's leaves are late or were lost
        return all(self.root(r, size) == root for r, (size, root) in logs.items())

    # LogSource, for supernodes' cosign requests and citizens' replicas.

    def consistency_proof(self, registry: str, old_size: int, new_size: int) -> list[bytes]:
        """RFC 9162 proof that the first ``old_size`` leaves extend to ``new_size``."""
        return merkle.consistency_proof(self.leaves[registry][:new_size], old_size)

    def leaves_of(self, registry: str, start: int, end: int) -> list[bytes]:
        """Leaves ``start + 1 .. end`` of ``registry``."""
        return self.leaves[registry][start:end]


class LeafSource:
    """:class:`chain.consensus.citizen.LogSource` over a node's leaf table."""

    def __init__(self, leaves: Leaves) -> None:
        self._leaves = leaves

    def leaves(self, registry: str, start: int, end: int) -> list[bytes]:
        """Leaves ``start + 1 .. end`` of ``registry``."""
        return self._leaves.leaves_of(registry, start, end)

    def consistency_proof(self, registry: str, old_size: int, new_size: int) -> list[bytes]:
        """RFC 9162 proof that the first ``old_size`` leaves extend to ``new_size``."""
        return self._leaves.consistency_proof(registry, old_size, new_size)
