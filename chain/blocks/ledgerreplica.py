"""The host's ledger as the store under the devnet citizens' replicas.

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

__all__ = ["LedgerStore", "ledger_replica_store"]


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
