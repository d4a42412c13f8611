"""A cluster node's replica of the registry logs (:class:`ReplicaLeaf`, :class:`ReplicaSubtree`).

The host pushes every new ledger leaf to every node; a witness proposer
builds its block header from this replica, the other nodes check a header's
log roots against theirs, and a citizen answers storage challenges from it.
The replica keeps a Merkle frontier per log and the hash of every complete
subtree, as the ledger does: a root or proof costs O(log n) reads and new
leaves cost only their own hashing, however long the logs; nothing is read
whole into memory.

The host signs each ledger message for its node, and the node stores
nothing of one that is not the host's
(:mod:`chain.blocks.cluster.ledgermessage`). Behind that, each leaf is
still checked before it is stored (:func:`leaf_refusal`): it must be the
canonical entry envelope of its own log at its own position, and leaves the
replica already holds must come again byte for byte; a log that fails, or
that a dropped message left a gap before, is asked of the host again.
Should the host's own leaves disagree with the headers the others agree on,
the node's roots differ from theirs, which it refuses
(:meth:`Leaves.check_header`) until a final block proves its replica wrong
and the log is taken back to the last final size (:meth:`Leaves.truncate`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import reduce
from operator import or_
from typing import Any

from django.conf import settings
from django.db.models import Max, Q

from chain import merkle
from chain.blocks.models import ReplicaLeaf, ReplicaSubtree
from chain.consensus.citizen import PrefixStore, Replica
from chain.consensus.messages import Block as HeaderBlock
from chain.consensus.messages import BlockRequest, MessageFormatError
from chain.encoding import canonical, timestamp

__all__ = ["ENVELOPE_FIELDS", "LeafSource", "Leaves", "NodeStore", "leaf_refusal"]

log = logging.getLogger(__name__)

ENVELOPE_FIELDS = frozenset(
    {
        "originator_id",
        "originator_version",
        "payload_hash",
        "recorded_at",
        "registry",
        "seq",
        "topic",
    }
)
"""The fields of a ledger entry's envelope (:func:`chain.encoding.entry_leaf`): a leaf."""


def leaf_refusal(registry: str, start: int, leaves: Sequence[bytes]) -> str | None:
    """Why ``leaves`` cannot be entries ``start + 1 ..`` of ``registry``'s log; None when they can.

    Each must be a canonical entry envelope naming this log and its own seq:
    a leaf moved from another log or position, or a message reordered, names
    the wrong one.
    """
    for offset, leaf in enumerate(leaves):
        seq = start + offset + 1
        try:
            fields = json.loads(leaf)
        except ValueError:  # UnicodeDecodeError included
            return f"leaf {seq} of {registry} is not JSON"
        if not isinstance(fields, dict) or set(fields) != ENVELOPE_FIELDS:
            return f"leaf {seq} of {registry} is not an entry envelope"
        if fields["registry"] != registry or fields["seq"] != seq or type(fields["seq"]) is not int:
            return f"leaf {seq} of {registry} names {fields['registry']!r} seq {fields['seq']!r}"
        try:
            if canonical(fields) != leaf:
                return f"leaf {seq} of {registry} is not canonical"
        except (TypeError, ValueError):
            return f"leaf {seq} of {registry} is not canonical"
    return None


class NodeStore:
    """A :class:`~chain.consensus.citizen.ReplicaStore` on this node's replica tables.

    Inside :meth:`batched`, :meth:`keep` collects rows and the block's end
    writes them all, leaves and subtrees of every log, in one multi-row
    insert each: a host message carrying the new leaves of several logs
    costs two inserts, not two per log.
    """

    def __init__(self) -> None:
        self._pending: tuple[list[ReplicaLeaf], list[ReplicaSubtree]] | None = None

    def held(self, registry: str) -> int:
        """How many leaves of ``registry`` the tables hold."""
        last = ReplicaLeaf.objects.filter(registry=registry).aggregate(last=Max("seq"))["last"]
        return int(last or 0)

    def leaf(self, registry: str, seq: int) -> bytes | None:
        """Raw data of leaf ``seq`` (1-based), None when not held."""
        data = (
            ReplicaLeaf.objects.filter(registry=registry, seq=seq)
            .values_list("data", flat=True)
            .first()
        )
        return None if data is None else bytes(data)

    def subtrees(self, registry: str) -> merkle.Fetch:
        """A ``fetch`` of the stored subtree hashes of ``registry`` (one query per call)."""

        def fetch(keys: Collection[tuple[int, int]]) -> Mapping[tuple[int, int], bytes]:
            if not keys:
                return {}
            wanted = reduce(or_, (Q(level=level, idx=index) for level, index in keys))
            rows = ReplicaSubtree.objects.filter(wanted, registry=registry)
            return {
                (level, index): bytes(digest)
                for level, index, digest in rows.values_list("level", "idx", "hash")
            }

        return fetch

    def keep(
        self,
        registry: str,
        start: int,
        leaves: Sequence[bytes],
        nodes: Sequence[tuple[int, int, bytes]],
    ) -> None:
        """Store leaves ``start + 1 ..`` and the subtrees they complete (caller's transaction)."""
        rows = [
            ReplicaLeaf(registry=registry, seq=start + i + 1, data=leaf)
            for i, leaf in enumerate(leaves)
        ]
        subtrees = [
            ReplicaSubtree(registry=registry, level=level, idx=index, hash=digest)
            for level, index, digest in nodes
        ]
        if self._pending is not None:
            self._pending[0].extend(rows)
            self._pending[1].extend(subtrees)
            return
        ReplicaLeaf.objects.bulk_create(rows)
        ReplicaSubtree.objects.bulk_create(subtrees)

    @contextmanager
    def batched(self) -> Iterator[None]:
        """Collect what :meth:`keep` stores and insert it at the end, one insert per table
        (the caller's transaction; nothing is written when the block raises)."""
        if self._pending is not None:
            yield
            return
        self._pending = ([], [])
        try:
            yield
            leaves, subtrees = self._pending
            ReplicaLeaf.objects.bulk_create(leaves)
            ReplicaSubtree.objects.bulk_create(subtrees)
        finally:
            self._pending = None


class Leaves:
    """This node's copy of the registry logs: its tables, with a frontier per log in memory."""

    def __init__(self) -> None:
        self.store = NodeStore()
        self.replica = Replica(store=self.store)

    def size(self, registry: str) -> int:
        """How many leaves of ``registry`` this node holds."""
        return self.replica.size(registry)

    def add(self, registry: str, start: int, data: list[bytes]) -> bool:
        """Store leaves ``start + 1 ..``; False when they leave a gap after ours."""
        return not self.add_batch({registry: (start, data)})

    def add_batch(self, batch: Mapping[str, tuple[int, Sequence[bytes]]]) -> list[str]:
        """Store each log's leaves ``start + 1 ..`` (caller's transaction), all in one
        insert per table; the registries not stored, to ask the host for again: their
        leaves leave a gap after ours, or are refused (:func:`leaf_refusal`, or
        leaves we hold that come back different)."""
        missing = []
        with self.store.batched():
            for registry, (start, data) in batch.items():
                held = self.size(registry)
                if start > held:
                    missing.append(registry)
                    continue
                reason = leaf_refusal(registry, start, data)
                if reason is None and start < held:
                    again = data[: held - start]
                    if self.leaves_of(registry, start, start + len(again)) != list(again):
                        reason = f"leaves of {registry} after {start} differ from those held"
                if reason is not None:
                    log.warning("ledger leaves refused: %s", reason)
                    missing.append(registry)
                    continue
                new = data[held - start :]
                if new:
                    self.replica.append(registry, new)
        return missing

    def truncate(self, registry: str, size: int) -> None:
        """Drop the leaves of ``registry`` after ``size`` and every subtree over them
        (caller's transaction): a replica a final block proved wrong goes back to
        the size last proven right, to be refilled by the host."""
        ReplicaLeaf.objects.filter(registry=registry, seq__gt=size).delete()
        # Subtree (level, index) spans leaves [index << level, (index + 1) << level):
        # it reaches past ``size`` exactly when index >= size >> level.
        beyond = reduce(or_, (Q(level=level, idx__gte=size >> level) for level in range(64)))
        ReplicaSubtree.objects.filter(beyond, registry=registry).delete()
        self.forget()

    def forget(self) -> None:
        """Drop the frontiers kept in memory (read again from the tables on next use):
        after a transaction that appended leaves was rolled back."""
        self.replica = Replica(store=self.store)

    def root(self, registry: str, size: int) -> bytes | None:
        """Merkle root of the first ``size`` leaves (None when not all held)."""
        if size > self.size(registry):
            return None
        return self.replica.root(registry, size)

    def citizen_replica(self, sizes: Mapping[str, int]) -> Replica:
        """A citizen's replica on this node: the first ``sizes`` leaves, checked before."""
        return Replica(store=PrefixStore(self.store, sizes))

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

    def check_header(
        self,
        header: Mapping[str, Any],
        need: Callable[[str], None],
        known: Mapping[str, tuple[int, bytes]] | None = None,
    ) -> bool:
        """True when ``header``'s logs are prefixes of this replica; ``need`` is told
        each registry whose leaves it names and this replica lacks. A log whose
        (size, root) is in ``known`` (the last final block's, checked then) is
        not read again: a block's unchanged logs cost nothing."""
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
        known = known or {}
        return all(
            known.get(r) == (size, root) or self.root(r, size) == root
            for r, (size, root) in logs.items()
        )

    # LogSource, for supernodes' cosign requests and citizens' replicas.

    def consistency_proof(self, registry: str, old_size: int, new_size: int) -> list[bytes]:
        """RFC 9162 proof that the first ``old_size`` leaves extend to ``new_size``."""
        if new_size > self.size(registry):
            raise ValueError(f"replica of {registry} holds fewer than {new_size} leaves")
        ranges = merkle.consistency_ranges(old_size, new_size)
        return merkle.proof_from_store(ranges, self.store.subtrees(registry))

    def leaves_of(self, registry: str, start: int, end: int) -> list[bytes]:
        """Leaves ``start + 1 .. end`` of ``registry``."""
        if start >= end:
            return []
        rows = ReplicaLeaf.objects.filter(registry=registry, seq__gt=start, seq__lte=end)
        return [bytes(data) for data in rows.order_by("seq").values_list("data", flat=True)]


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
