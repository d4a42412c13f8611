"""The simulated registry logs every node of a run reads: deterministic from the seed."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

from chain import merkle
from chain.consensus.messages import BlockRequest

__all__ = ["SimLedger"]


class SimLedger:
    """Deterministic registry logs: each height adds 0-2 entries per registry."""

    def __init__(self, seed: int, registries: Sequence[str]) -> None:
        self.seed = seed
        self.registries = tuple(sorted(registries))
        self._leaves: dict[str, list[bytes]] = {r: [] for r in self.registries}
        self._sizes: list[dict[str, int]] = [dict.fromkeys(self.registries, 0)]
        self._roots: dict[tuple[str, int], bytes] = {}
        self._logs: dict[int, dict[str, dict[str, Any]]] = {}

    def sizes_at(self, height: int) -> dict[str, int]:
        """Log sizes committed by the block at ``height``."""
        while len(self._sizes) <= height:
            at = len(self._sizes)
            sizes = {}
            for registry in self.registries:
                digest = hashlib.sha256(f"{self.seed}/{at}/{registry}".encode()).digest()
                size = self._sizes[-1][registry] + digest[0] % 3
                leaves = self._leaves[registry]
                while len(leaves) < size:
                    leaves.append(f"{registry}/{len(leaves) + 1}/{self.seed}".encode())
                sizes[registry] = size
            self._sizes.append(sizes)
        return self._sizes[height]

    def root(self, registry: str, size: int) -> bytes:
        """Root of the first ``size`` leaves."""
        key = (registry, size)
        if key not in self._roots:
            self._roots[key] = merkle.root_hash(self._leaves[registry][:size])
        return self._roots[key]

    def logs_at(self, height: int) -> dict[str, dict[str, Any]]:
        """The header ``logs`` of the block at ``height`` (JSON-native)."""
        if height not in self._logs:
            sizes = self.sizes_at(height)
            self._logs[height] = {
                r: {"size": sizes[r], "root": self.root(r, sizes[r]).hex()} for r in self.registries
            }
        return self._logs[height]

    def leaves(self, registry: str, start: int, end: int) -> Sequence[bytes]:
        """Raw leaves ``[start, end)``."""
        return self._leaves[registry][start:end]

    def consistency_proof(self, registry: str, old_size: int, new_size: int) -> Sequence[bytes]:
        """RFC 9162 consistency proof between two sizes."""
        return merkle.consistency_proof(self._leaves[registry][:new_size], old_size)

    def build(self, request: BlockRequest) -> dict[str, Any]:
        """A proposer's block (the ``propose_block`` callback)."""
        return {
            "chain_id": request.chain_id,
            "height": request.height,
            "prev_hash": request.prev_hash.hex(),
            "sealed_at": f"sim:{request.round}:{request.now}",
            "proposer": request.proposer,
            "logs": self.logs_at(request.height),
        }

    def check(self, header: Mapping[str, Any]) -> bool:
        """A header is acceptable when its logs are the ledger's at its height."""
        height = header.get("height")
        return (
            isinstance(height, int) and height >= 1 and header.get("logs") == self.logs_at(height)
        )
