"""Tier 3: citizen witnesses cosign checkpoints and keep replicas.

Pure: no Django, no I/O, no global randomness (a storage challenge takes the
``random.Random`` it draws from as an argument).

**Cosigning.** A citizen cosigns a final block (vote tier ``citizen``, kind
``cosign``) only when it is consistent with everything the citizen has
cosigned, in two ways:

* *Ancestry.* The citizen keeps the chain of final blocks (headers and
  certificates) from height 1 to the block it last cosigned or fetched; a
  block at ``h + 1`` must name the block it holds at ``h`` as ``prev_hash``.
  A gap is filled by asking the requester for the final blocks in between
  (:class:`SyncRequest`), each checked and linked in turn; the request waits
  until then. A certified block that contradicts the held chain (another
  block at a height it holds) is equivocation evidence against the
  supernodes that signed both and an alarm; one whose parent is not the held
  block is refused with an alarm.
* *Logs.* For every registry log the block commits to, the new ``(size,
  root)`` extends the last one it cosigned: the consistency proof must verify
  with :func:`chain.merkle.verify_consistency`. A smaller size is a
  rollback, an equal size with another root or a failing proof a split
  view: both are refused, which is the point of a witness (tail truncation
  is only detectable against a checkpoint held elsewhere). The request
  names the sizes it proves from; when they are not the citizen's, the
  citizen answers with its own (as the C2SP tlog-witness protocol answers
  409) and the requester sends the right proofs.

So a cosignature at height h implies every checkpoint the citizen cosigned
before it: those blocks are ancestors of h, and each log at h extends them.
A block is **witnessed** with ``w`` cosignatures (the supernodes count them).

**Storage challenges.** A challenger draws a random entry from a seeded RNG;
the replica answers with the entry's leaf bytes and inclusion proof; the
challenger checks them with :func:`chain.merkle.verify_inclusion` against the
root of the final block, which it trusts.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from chain import merkle
from chain.consensus.crypto import Signer
from chain.consensus.membership import Membership
from chain.consensus.messages import (
    FINALIZE_ROUND,
    CosignConflict,
    CosignRequest,
    FinalBlock,
    MessageFormatError,
    StorageChallenge,
    StorageProof,
    SyncRequest,
    Vote,
)
from chain.consensus.node import SUPERNODES, Alarm, ChainNode, Cosigned, Timeouts

__all__ = [
    "CitizenNode",
    "LogSource",
    "MemoryStore",
    "PrefixStore",
    "Replica",
    "ReplicaStore",
    "answer_challenge",
    "check_consistency",
    "new_challenge",
    "verify_storage_proof",
]

Logs = Mapping[str, tuple[int, bytes]]
Subtree = tuple[int, int, bytes]
"""A perfect subtree ``(level, index, hash)`` completed by an append."""


class LogSource(Protocol):
    """Read access to the registry logs' leaves and proofs (the ledger, or a simulated one)."""

    def leaves(self, registry: str, start: int, end: int) -> Sequence[bytes]:
        """Raw leaf data of entries ``start + 1 .. end`` (0-based slice ``[start, end)``)."""
        ...

    def consistency_proof(self, registry: str, old_size: int, new_size: int) -> Sequence[bytes]:
        """RFC 9162 consistency proof from ``old_size`` to ``new_size``."""
        ...


class ReplicaStore(Protocol):
    """Where a :class:`Replica` keeps its leaves and the hashes of their perfect subtrees.

    In memory (:class:`MemoryStore`), or a table of the node's database: the
    replica only ever reads O(log n) hashes and one leaf per question, so a
    store never has to hand over a whole log.
    """

    def held(self, registry: str) -> int:
        """How many leaves of ``registry`` the store holds."""
        ...

    def leaf(self, registry: str, seq: int) -> bytes | None:
        """Raw data of leaf ``seq`` (1-based), None when not held."""
        ...

    def subtrees(self, registry: str) -> merkle.Fetch:
        """A ``fetch`` of the stored perfect subtree hashes of ``registry``."""
        ...

    def keep(
        self,
        registry: str,
        start: int,
        leaves: Sequence[bytes],
        nodes: Sequence[Subtree],
    ) -> None:
        """Store leaves ``start + 1 ..`` and the perfect subtrees they complete."""
        ...


@dataclass
class MemoryStore:
    """A :class:`ReplicaStore` in memory (the simulator's and the tests' citizens)."""

    leaves: dict[str, list[bytes]] = field(default_factory=dict)
    hashes: dict[str, dict[tuple[int, int], bytes]] = field(default_factory=dict)

    def held(self, registry: str) -> int:
        """How many leaves of ``registry`` the store holds."""
        return len(self.leaves.get(registry, ()))

    def leaf(self, registry: str, seq: int) -> bytes | None:
        """Raw data of leaf ``seq`` (1-based), None when not held."""
        held = self.leaves.get(registry, [])
        return held[seq - 1] if 1 <= seq <= len(held) else None

    def subtrees(self, registry: str) -> merkle.Fetch:
        """A ``fetch`` of the stored perfect subtree hashes of ``registry``."""
        hashes = self.hashes.get(registry, {})
        return lambda keys: {key: hashes[key] for key in keys if key in hashes}

    def keep(
        self,
        registry: str,
        start: int,
        leaves: Sequence[bytes],
        nodes: Sequence[Subtree],
    ) -> None:
        """Store leaves ``start + 1 ..`` and the perfect subtrees they complete."""
        held = self.leaves.setdefault(registry, [])
        if start != len(held):
            raise ValueError(
                f"{registry}: leaves from {start + 1} would leave a gap after {len(held)}"
            )
        held.extend(leaves)
        self.hashes.setdefault(registry, {}).update(
            ((level, index), digest) for level, index, digest in nodes
        )


class PrefixStore:
    """A :class:`ReplicaStore` over leaves that ``base`` already holds: it keeps only
    how far the citizen has checked them.

    For a citizen that fills its replica from a copy kept beside it (a
    cluster node's leaf table, the devnet host's ledger): a second copy of
    every leaf and hash would prove nothing more. The citizen still hashes
    every new leaf onto its own frontier before :meth:`keep` is called.
    """

    def __init__(self, base: ReplicaStore, sizes: Mapping[str, int] | None = None) -> None:
        self.base = base
        self.sizes = dict(sizes or {})

    def held(self, registry: str) -> int:
        """How many leaves of ``registry`` the citizen has checked."""
        return self.sizes.get(registry, 0)

    def leaf(self, registry: str, seq: int) -> bytes | None:
        """Raw data of leaf ``seq`` (1-based) from the base, None when not checked."""
        return self.base.leaf(registry, seq) if 1 <= seq <= self.held(registry) else None

    def subtrees(self, registry: str) -> merkle.Fetch:
        """The base's stored subtree hashes."""
        return self.base.subtrees(registry)

    def keep(
        self,
        registry: str,
        start: int,
        leaves: Sequence[bytes],
        nodes: Sequence[Subtree],
    ) -> None:
        """Record that leaves ``start + 1 ..`` were checked (the base already stores them)."""
        held = self.held(registry)
        if start != held:
            raise ValueError(f"{registry}: leaves from {start + 1} would leave a gap after {held}")
        self.sizes[registry] = start + len(leaves)


class Replica:
    """A citizen's copy of the registry logs, with an incremental Merkle state per log.

    The root of a log is its :class:`~chain.merkle.MerkleFrontier`'s, so
    appending a block's leaves costs O(new leaves + log n), never a pass over
    the log; proofs are read from the store's subtree hashes. ``leaves``
    (registry -> raw leaves) seeds a replica kept in memory.
    """

    def __init__(
        self,
        leaves: Mapping[str, Sequence[bytes]] | None = None,
        *,
        store: ReplicaStore | None = None,
    ) -> None:
        self.store: ReplicaStore = store if store is not None else MemoryStore()
        self._frontiers: dict[str, merkle.MerkleFrontier] = {}
        for registry, data in (leaves or {}).items():
            self.append(registry, data)

    @property
    def leaves(self) -> dict[str, list[bytes]]:
        """The leaves of a replica kept in memory (its :class:`MemoryStore`'s)."""
        if not isinstance(self.store, MemoryStore):
            raise TypeError("only a replica kept in memory has its leaves at hand")
        return self.store.leaves

    def frontier(self, registry: str) -> merkle.MerkleFrontier:
        """The right edge of ``registry``'s tree (read from the store once, then kept)."""
        frontier = self._frontiers.get(registry)
        if frontier is None:
            size = self.store.held(registry)
            frontier = merkle.MerkleFrontier.from_store(size, self.store.subtrees(registry))
            self._frontiers[registry] = frontier
        return frontier

    def size(self, registry: str) -> int:
        """Leaves held of ``registry``."""
        return self.frontier(registry).size

    def extended(
        self, registry: str, data: Sequence[bytes]
    ) -> tuple[merkle.MerkleFrontier, list[Subtree]]:
        """The frontier after appending ``data`` and the subtrees it completes (nothing kept)."""
        current = self.frontier(registry)
        frontier = merkle.MerkleFrontier(current.size, list(current.hashes))
        nodes = [node for leaf in data for node in frontier.append(merkle.leaf_hash(leaf))]
        return frontier, nodes

    def append(self, registry: str, data: Sequence[bytes]) -> None:
        """Append leaves at the end of ``registry``'s copy."""
        frontier, nodes = self.extended(registry, data)
        self.keep(registry, data, frontier, nodes)

    def keep(
        self,
        registry: str,
        data: Sequence[bytes],
        frontier: merkle.MerkleFrontier,
        nodes: Sequence[Subtree],
    ) -> None:
        """Store ``data`` with what :meth:`extended` computed for it."""
        self.store.keep(registry, self.size(registry), data, nodes)
        self._frontiers[registry] = frontier

    def root(self, registry: str, size: int) -> bytes:
        """Merkle root of the first ``size`` leaves."""
        frontier = self.frontier(registry)
        if size == frontier.size:
            return frontier.root()
        if not 0 <= size < frontier.size:
            raise ValueError(f"replica of {registry} holds {frontier.size} leaves, not {size}")
        return merkle.root_from_store(size, self.store.subtrees(registry))

    def prove(self, registry: str, seq: int, size: int) -> tuple[bytes, tuple[bytes, ...]] | None:
        """Leaf ``seq`` (1-based) and its inclusion proof in the tree of ``size``, if held."""
        if not 1 <= seq <= size <= self.size(registry):
            return None
        leaf = self.store.leaf(registry, seq)
        if leaf is None:
            return None
        return leaf, self.inclusion_proof(registry, seq, size)

    def inclusion_proof(self, registry: str, seq: int, size: int) -> tuple[bytes, ...]:
        """Inclusion proof of leaf ``seq`` (1-based) in the tree of ``size``, from the store."""
        ranges = merkle.inclusion_ranges(seq - 1, size)
        return tuple(merkle.proof_from_store(ranges, self.store.subtrees(registry)))


def check_consistency(old: Logs, new: Logs, proofs: Mapping[str, Sequence[bytes]]) -> str | None:
    """Why ``new`` does not extend ``old`` (None when every log does).

    A log that disappears or shrinks is a rollback; a proof that does not
    verify (an equal size with another root included) is a split view.
    """
    for registry in sorted(old):
        if registry not in new:
            return f"rollback: log {registry} is missing"
    for registry in sorted(new):
        new_size, new_root = new[registry]
        old_size, old_root = old.get(registry, (0, merkle.EMPTY_ROOT))
        if new_size < old_size:
            return f"rollback: log {registry} shrank from {old_size} to {new_size}"
        if not merkle.verify_consistency(
            old_size, new_size, old_root, new_root, list(proofs.get(registry, ()))
        ):
            return f"split view: log {registry} at {new_size} does not extend {old_size}"
    return None


def new_challenge(
    rng: random.Random, logs: Logs, nonce: int | None = None
) -> StorageChallenge | None:
    """A challenge for a random entry of a random non-empty log (None when all are empty)."""
    registries = [registry for registry in sorted(logs) if logs[registry][0] > 0]
    if not registries:
        return None
    registry = rng.choice(registries)
    size, root = logs[registry]
    seq = rng.randint(1, size)
    return StorageChallenge(
        nonce if nonce is not None else rng.getrandbits(62), registry, seq, size, root
    )


def answer_challenge(replica: Replica, challenge: StorageChallenge) -> StorageProof | None:
    """The replica's answer, or None when it does not hold the entry."""
    held = replica.prove(challenge.registry, challenge.seq, challenge.size)
    if held is None:
        return None
    leaf, proof = held
    return StorageProof(
        challenge.nonce, challenge.registry, challenge.seq, challenge.size, leaf, proof
    )


def verify_storage_proof(challenge: StorageChallenge, answer: StorageProof) -> bool:
    """True when ``answer`` proves the challenged entry is in the challenged tree."""
    if (answer.nonce, answer.registry, answer.seq, answer.size) != (
        challenge.nonce,
        challenge.registry,
        challenge.seq,
        challenge.size,
    ):
        return False
    return merkle.verify_inclusion(
        merkle.leaf_hash(answer.leaf),
        challenge.seq - 1,
        challenge.size,
        list(answer.proof),
        challenge.root,
    )


@dataclass(frozen=True, slots=True)
class CosignState:
    """The last checkpoint a citizen cosigned (what it must never contradict)."""

    height: int = 0
    block_hash: bytes = b""
    logs: Mapping[str, tuple[int, bytes]] = field(default_factory=dict)

    def sizes(self) -> dict[str, int]:
        """Log sizes of the checkpoint."""
        return {registry: size for registry, (size, _) in sorted(self.logs.items())}


class CitizenNode(ChainNode):
    """A citizen (or NGO) light client: cosigns final blocks and answers storage challenges."""

    tier = "citizen"

    def __init__(
        self,
        *,
        name: str,
        chain_id: str,
        membership: Membership,
        signer: Signer | None,
        source: LogSource | None = None,
        replica: Replica | None = None,
        timeouts: Timeouts | None = None,
    ) -> None:
        super().__init__(
            name=name, chain_id=chain_id, membership=membership, signer=signer, timeouts=timeouts
        )
        self.source = source
        self.replica = replica if replica is not None else Replica()
        self.last = CosignState()
        self._last_vote: Vote | None = None
        self._waiting: tuple[str, CosignRequest] | None = None
        """The highest request that waits for the final blocks before it."""
        self._scrub_turn = 0
        self._scrubbed: dict[str, int] = {}
        """The entry of each log :meth:`_scrub` re-checked last."""
        self._early: dict[str, StorageChallenge] = {}
        """Per challenger, its latest challenge of a log size this replica does not hold yet."""

    def _on_message(self, src: str, message: Any) -> None:
        if isinstance(message, CosignRequest):
            self._on_cosign_request(src, message)
        elif isinstance(message, StorageChallenge):
            self._on_challenge(src, message)

    def _on_challenge(self, src: str, challenge: StorageChallenge) -> None:
        answer = answer_challenge(self.replica, challenge)
        if answer is not None:
            self._send(src, answer)
        elif challenge.size > self.replica.size(challenge.registry):
            # A supernode challenges as soon as it holds the final block, and
            # its challenge may overtake the cosign request that brings this
            # replica up to that size: answered once the replica gets there
            # rather than only at the challenger's next resend. One per
            # challenger, so no sender can make a citizen hoard them.
            self._early[src] = challenge

    def _answer_early(self) -> None:
        """Answer the challenges that came before the entries they ask for, now held."""
        for src, challenge in sorted(self._early.items()):
            answer = answer_challenge(self.replica, challenge)
            if answer is not None:
                del self._early[src]
                self._send(src, answer)

    def _refuse(self, height: int, reason: str) -> None:
        self._decide(Alarm("refused-checkpoint", height, reason))

    def _on_cosign_request(self, src: str, request: CosignRequest) -> None:
        final = request.final
        height = final.qc.height
        known = None
        if height <= self.last_final:
            known = self.finals.get(height)
            if known is None:
                return  # below the history this citizen holds (it started later)
            if known.block.hash != final.block.hash:
                if self.check_final(final, src):
                    self._conflicting_final(known, final, src)
                return
            if height < self.last.height:
                return  # stale: a later checkpoint was already cosigned
            if height == self.last.height:
                if self._last_vote is not None:
                    self._send(src, self._last_vote)
                return
            # Fetched to fill a gap and not cosigned yet: check the logs below.
        elif not self.check_final(final, src):
            return  # not final: nothing to witness (and nothing proven against anyone)
        elif height > self.last_final + 1:
            if self._proves_from_other_sizes(request):
                self._send(src, CosignConflict(self.last.height, self.last.sizes()))
                return
            if self._waiting is None or self._waiting[1].final.qc.height <= height:
                self._waiting = (src, request)
            self._request_sync(src)
            return
        elif final.block.prev_hash != self.last_final_hash:
            self._refuse_unlinked(final)
            return
        if self._waiting is not None and self._waiting[1].final.qc.height <= height:
            self._waiting = None
        if self._cosign(src, request) and known is None:
            self._adopt_final(final)

    def _refuse_unlinked(self, final: FinalBlock) -> None:
        self._decide(
            Alarm(
                "broken-final-chain",
                final.height,
                f"final block {final.height} does not extend the final block "
                f"{self.last_final} this citizen holds",
            )
        )

    def _after_final(self, final: FinalBlock) -> None:
        waiting = self._waiting
        if waiting is None:
            return
        src, request = waiting
        if request.final.qc.height <= self.last_final + 1:
            self._waiting = None
            self._on_cosign_request(src, request)
        else:
            # Progress since the last request: ask for the next batch at once.
            self._send(src, SyncRequest(self.last_final + 1))

    def _proves_from_other_sizes(self, request: CosignRequest) -> bool:
        """True when the request's proofs start from sizes this citizen did not cosign."""
        mine = self.last.sizes()
        header_logs = request.final.block.header.get("logs")
        registries = header_logs if isinstance(header_logs, Mapping) else {}
        claimed = {registry: request.old_sizes.get(registry, 0) for registry in registries}
        return any(claimed.get(r, 0) != size for r, size in mine.items()) or any(
            size != mine.get(r, 0) for r, size in claimed.items()
        )

    def _cosign(self, src: str, request: CosignRequest) -> bool:
        """Check the logs of a block linked to the held chain; cosign it. True when cosigned."""
        final = request.final
        height = final.qc.height
        try:
            logs = final.block.logs()
        except MessageFormatError as exc:
            self._refuse(height, f"malformed logs: {exc}")
            return False
        if self._proves_from_other_sizes(request):
            self._send(src, CosignConflict(self.last.height, self.last.sizes()))
            return False
        reason = check_consistency(self.last.logs, logs, request.proofs)
        if reason is not None and self.source is not None:
            # The proofs are not signed: a relay may have broken them. A
            # proof from the citizen's own source is checked on its own merits.
            reason = check_consistency(self.last.logs, logs, self._own_proofs(logs))
        if reason is not None:
            self._refuse(height, reason)
            return False
        if self.source is not None:
            reason = self._replicate(logs)
            if reason is not None:
                self._refuse(height, reason)
                return False
        if self.signer is None:
            return False
        vote = Vote.sign(
            self.signer,
            chain_id=self.chain_id,
            tier="citizen",
            kind="cosign",
            height=height,
            round=FINALIZE_ROUND,
            block_hash=final.block.hash,
        )
        self._decide(Cosigned(height, final.block.hash, dict(logs)))
        self.last = CosignState(height, final.block.hash, dict(logs))
        self._last_vote = vote
        self._send(SUPERNODES, vote)
        self._answer_early()
        return True

    def _own_proofs(self, logs: Logs) -> dict[str, Sequence[bytes]]:
        """Consistency proofs from the last cosigned sizes, fetched from the citizen's source.

        A log with nothing new needs none (its proof is empty): no question to the source.
        """
        assert self.source is not None
        proofs: dict[str, Sequence[bytes]] = {}
        for registry, (size, _) in logs.items():
            old_size = self.last.logs.get(registry, (0, b""))[0]
            if old_size < size:
                proofs[registry] = self.source.consistency_proof(registry, old_size, size)
        return proofs

    def _replicate(self, logs: Logs) -> str | None:
        """Fetch the new leaves and check they extend the replica to the checkpoint's roots.

        Only the new leaves are hashed, onto each log's frontier, so the work
        grows with the block, not with the log; a log with nothing new is
        not asked for. One entry held from before is re-checked as well
        (:meth:`_scrub`), which finds a replica that lost data without
        re-reading it whole.
        """
        assert self.source is not None
        grown: dict[str, tuple[Sequence[bytes], merkle.MerkleFrontier, list[Subtree]]] = {}
        for registry, (size, root) in logs.items():
            held = self.replica.size(registry)
            if held > size:
                # We hold more than the checkpoint commits to: it cannot be ours.
                return f"replica of {registry} holds {held} entries, checkpoint only {size}"
            new = self.source.leaves(registry, held, size) if held < size else ()
            frontier, nodes = self.replica.extended(registry, new)
            if frontier.size != size or frontier.root() != root:
                return f"replica of {registry} does not hash to the checkpoint root"
            grown[registry] = (new, frontier, nodes)
        reason = self._scrub(logs)
        if reason is not None:
            return reason
        for registry, (new, frontier, nodes) in grown.items():
            if new:
                self.replica.keep(registry, new, frontier, nodes)
        return None

    def _scrub(self, logs: Logs) -> str | None:
        """Re-check one held entry against the root it was checked against (None when it holds).

        Round robin over the logs and, within a log, over its entries: every
        entry is re-checked in turn at O(log n) per block.
        """
        registries = [r for r in sorted(logs) if self.replica.size(r)]
        if not registries:
            return None
        registry = registries[self._scrub_turn % len(registries)]
        self._scrub_turn += 1
        held = self.replica.size(registry)
        seq = self._scrubbed.get(registry, 0) % held + 1
        self._scrubbed[registry] = seq
        leaf = self.replica.store.leaf(registry, seq)
        if leaf is None or not merkle.verify_inclusion(
            merkle.leaf_hash(leaf),
            seq - 1,
            held,
            list(self.replica.inclusion_proof(registry, seq, held)),
            self.replica.root(registry, held),
        ):
            return f"replica of {registry}: entry {seq} no longer proves against its root"
        return None

    # -- persistence --

    def snapshot(self, finals: bool = True) -> dict[str, Any]:
        """JSON-native state to persist (the replica is stored apart)."""
        return {
            **self._base_snapshot(finals),
            "last": {
                "height": self.last.height,
                "block_hash": self.last.block_hash.hex(),
                "logs": {r: [s, root.hex()] for r, (s, root) in sorted(self.last.logs.items())},
            },
            "last_vote": None if self._last_vote is None else self._last_vote.to_record(),
        }

    @classmethod
    def restore(cls, state: Mapping[str, Any], **options: Any) -> CitizenNode:
        """A citizen from :meth:`snapshot` output (``options``: the constructor's other
        arguments)."""
        node = cls(name=str(state["name"]), **options)
        node._restore_base(state)
        last = state["last"]
        node.last = CosignState(
            int(last["height"]),
            bytes.fromhex(last["block_hash"]),
            {r: (int(v[0]), bytes.fromhex(v[1])) for r, v in last["logs"].items()},
        )
        if state.get("last_vote") is not None:
            node._last_vote = Vote.from_record(state["last_vote"])
        return node
