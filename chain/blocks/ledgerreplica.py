"""A devnet citizen's replica, kept as a size per log over the host's own ledger.

The devnet citizens fill their replicas from the host's ledger (ADR 0048);
keeping a second copy of every leaf and subtree hash in the same process
would double the memory and prove nothing more. So this
:class:`~chain.consensus.citizen.ReplicaStore` holds only how far each
citizen has checked, and answers leaves and subtree hashes from the ledger's
tables (:mod:`chain.ledger.proofs`): the citizen still hashes every new leaf
onto its own frontier and refuses a block whose roots they do not reach.
"""

from __future__ import annotations

from collections.abc import Sequence

from chain import merkle
from chain.ledger import proofs
from chain.ledger.models import LedgerEntry

__all__ = ["LedgerReplicaStore"]


class LedgerReplicaStore:
    """A :class:`~chain.consensus.citizen.ReplicaStore` over the host's ledger tables."""

    def __init__(self) -> None:
        self.sizes: dict[str, int] = {}

    def held(self, registry: str) -> int:
        """How many leaves of ``registry`` this citizen has checked."""
        return self.sizes.get(registry, 0)

    def leaf(self, registry: str, seq: int) -> bytes | None:
        """Raw data of leaf ``seq`` (1-based) from the ledger, None when not held."""
        if not 1 <= seq <= self.held(registry):
            return None
        entry = LedgerEntry.objects.filter(registry=registry, seq=seq).first()
        return None if entry is None else entry.leaf()

    def subtrees(self, registry: str) -> merkle.Fetch:
        """The ledger's stored subtree hashes of ``registry``."""
        return proofs.subtree_fetcher(registry)

    def keep(
        self,
        registry: str,
        start: int,
        leaves: Sequence[bytes],
        nodes: Sequence[tuple[int, int, bytes]],
    ) -> None:
        """Record that leaves ``start + 1 ..`` were checked (the ledger already stores them)."""
        if start != self.held(registry):
            msg = (
                f"{registry}: leaves from {start + 1} would leave a gap after {self.held(registry)}"
            )
            raise ValueError(msg)
        self.sizes[registry] = start + len(leaves)
