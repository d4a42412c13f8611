"""The host's ledger as the devnet nodes' log source and the store under its citizens' replicas.

The devnet citizens fill their replicas from the host's ledger (ADR 0048);
keeping a second copy of every leaf and subtree hash in the same process
would double the memory and prove nothing more. So a devnet citizen's
replica is a :class:`~chain.consensus.citizen.PrefixStore` over
:class:`LedgerStore`: it keeps how far it has checked, and reads leaves and
subtree hashes from the ledger's tables (:mod:`chain.ledger.proofs`).
"""

from __future__ import annotations

from collections.abc import Sequence

from chain import merkle
from chain.consensus.citizen import PrefixStore
from chain.ledger import proofs
from chain.ledger.models import LedgerEntry

__all__ = ["LedgerSource", "LedgerStore", "ledger_replica_store"]


class LedgerStore:
    """A read-only :class:`~chain.consensus.citizen.ReplicaStore` on the ledger's tables."""

    def held(self, registry: str) -> int:
        """Entries in ``registry``'s log."""
        return proofs.log_size(registry)

    def leaf(self, registry: str, seq: int) -> bytes | None:
        """Raw data of entry ``seq``, None when the log has no such entry."""
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
        """Refuse: only the ledger's appender writes the ledger."""
        raise TypeError("the ledger is written by its appender, not by a replica")


def ledger_replica_store() -> PrefixStore:
    """A new devnet citizen's replica store: nothing checked yet, read from the ledger."""
    return PrefixStore(LedgerStore())


class LedgerSource:
    """The ledger's consistency proofs (for the devnet supernodes' cosign requests) and
    leaves (for the devnet citizens' replicas).

    Every supernode asks every citizen to cosign each block, with the same
    proof from the sizes the citizen last cosigned, and every citizen
    fetches the same new leaves: a proof and a range of leaves are read
    once and remembered until :meth:`forget`.

    The devnet citizens fill their replicas from the host's own database, not
    from a copy of their own: they still check every new leaf against the
    root of the final block they cosign, so a replica that does not hash to
    it is refused, but it is not an independent copy of the data.
    """

    def __init__(self) -> None:
        self._proofs: dict[tuple[str, int, int], list[bytes]] = {}
        self._leaves: dict[tuple[str, int, int], list[bytes]] = {}

    def leaves(self, registry: str, start: int, end: int) -> list[bytes]:
        """Leaves ``start + 1 .. end`` of ``registry``'s log."""
        key = (registry, start, end)
        leaves = self._leaves.get(key)
        if leaves is None:
            leaves = proofs.leaves(registry, start, end)
            self._leaves[key] = leaves
        return list(leaves)

    def consistency_proof(self, registry: str, old_size: int, new_size: int) -> list[bytes]:
        """RFC 9162 proof that the log at ``old_size`` is a prefix of the log at ``new_size``."""
        key = (registry, old_size, new_size)
        proof = self._proofs.get(key)
        if proof is None:
            proof = proofs.consistency_proof(registry, old_size, new_size)
            self._proofs[key] = proof
        return list(proof)

    def forget(self) -> None:
        """Drop the remembered proofs and leaves (at the start of each run of the nodes)."""
        self._proofs.clear()
        self._leaves.clear()
