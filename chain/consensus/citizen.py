"""Tier 3: citizen witnesses cosign checkpoints and keep replicas.

Pure: no Django, no I/O, no global randomness (a storage challenge takes the
``random.Random`` it draws from as an argument).

**Cosigning.** A citizen cosigns a final block (vote tier ``citizen``, kind
``cosign``) only after checking, for every registry log the block commits
to, that the new ``(size, root)`` extends the last one it cosigned: the
consistency proof must verify with :func:`chain.merkle.verify_consistency`.
A smaller size is a rollback, an equal size with another root or a failing
proof a split view: both are refused, which is the point of a witness (tail
truncation is only detectable against a checkpoint held elsewhere). The
request names the sizes it proves from; when they are not the citizen's,
the citizen answers with its own (as the C2SP tlog-witness protocol answers
409) and the requester sends the right proofs. A block is **witnessed** with
``w`` cosignatures (the supernodes count them).

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
    MessageFormatError,
    StorageChallenge,
    StorageProof,
    Vote,
)
from chain.consensus.node import SUPERNODES, Alarm, ChainNode, Cosigned, Timeouts

__all__ = [
    "CitizenNode",
    "LogSource",
    "Replica",
    "answer_challenge",
    "check_consistency",
    "new_challenge",
    "verify_storage_proof",
]

Logs = Mapping[str, tuple[int, bytes]]


class LogSource(Protocol):
    """Read access to the registry logs' leaves and proofs (the ledger, or a simulated one)."""

    def leaves(self, registry: str, start: int, end: int) -> Sequence[bytes]:
        """Raw leaf data of entries ``start + 1 .. end`` (0-based slice ``[start, end)``)."""
        ...

    def consistency_proof(self, registry: str, old_size: int, new_size: int) -> Sequence[bytes]:
        """RFC 9162 consistency proof from ``old_size`` to ``new_size``."""
        ...


@dataclass
class Replica:
    """A citizen's copy of the registry logs' leaves (in memory; a table in production)."""

    leaves: dict[str, list[bytes]] = field(default_factory=dict)

    def size(self, registry: str) -> int:
        """Leaves held of ``registry``."""
        return len(self.leaves.get(registry, ()))

    def append(self, registry: str, data: Sequence[bytes]) -> None:
        """Append leaves at the end of ``registry``'s copy."""
        self.leaves.setdefault(registry, []).extend(data)

    def root(self, registry: str, size: int) -> bytes:
        """Merkle root of the first ``size`` leaves."""
        return merkle.root_hash(self.leaves.get(registry, [])[:size])

    def prove(self, registry: str, seq: int, size: int) -> tuple[bytes, tuple[bytes, ...]] | None:
        """Leaf ``seq`` (1-based) and its inclusion proof in the tree of ``size``, if held."""
        held = self.leaves.get(registry, [])
        if not 1 <= seq <= size <= len(held):
            return None
        return held[seq - 1], tuple(merkle.inclusion_proof(held[:size], seq - 1))


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

    def _on_message(self, src: str, message: Any) -> None:
        if isinstance(message, CosignRequest):
            self._on_cosign_request(src, message)
        elif isinstance(message, StorageChallenge):
            answer = answer_challenge(self.replica, message)
            if answer is not None:
                self._send(src, answer)

    def _refuse(self, height: int, reason: str) -> None:
        self._decide(Alarm("refused-checkpoint", height, reason))

    def _on_cosign_request(self, src: str, request: CosignRequest) -> None:
        final = request.final
        height = final.qc.height
        if height < self.last.height:
            return  # stale: a later checkpoint was already cosigned
        if height == self.last.height and final.block.hash == self.last.block_hash:
            if self._last_vote is not None:
                self._send(src, self._last_vote)
            return
        if not self.check_final(final, src):
            return  # not final: nothing to witness (and nothing proven against anyone)
        if height == self.last.height:
            self._refuse(height, "split view: another final block at the height already cosigned")
            return
        try:
            logs = final.block.logs()
        except MessageFormatError as exc:
            self._refuse(height, f"malformed logs: {exc}")
            return
        mine = self.last.sizes()
        claimed = {registry: request.old_sizes.get(registry, 0) for registry in logs}
        if any(claimed.get(r, 0) != size for r, size in mine.items()) or any(
            size != mine.get(r, 0) for r, size in claimed.items()
        ):
            self._send(src, CosignConflict(self.last.height, mine))
            return
        reason = check_consistency(self.last.logs, logs, request.proofs)
        if reason is not None:
            self._refuse(height, reason)
            return
        if self.source is not None:
            reason = self._replicate(logs)
            if reason is not None:
                self._refuse(height, reason)
                return
        if self.signer is None:
            return
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

    def _replicate(self, logs: Logs) -> str | None:
        """Fetch the new leaves and check they hash to the checkpoint's roots."""
        assert self.source is not None
        fetched: dict[str, Sequence[bytes]] = {}
        for registry, (size, root) in logs.items():
            held = self.replica.size(registry)
            if held > size:
                # We hold more than the checkpoint commits to: it cannot be ours.
                return f"replica of {registry} holds {held} entries, checkpoint only {size}"
            new = self.source.leaves(registry, held, size)
            leaves = [*self.replica.leaves.get(registry, []), *new]
            if len(leaves) != size or merkle.root_hash(leaves) != root:
                return f"replica of {registry} does not hash to the checkpoint root"
            fetched[registry] = new
        for registry, new in fetched.items():
            self.replica.append(registry, new)
        return None

    # -- persistence --

    def snapshot(self) -> dict[str, Any]:
        """JSON-native state to persist (the replica is stored apart)."""
        return {
            "name": self.name,
            "now": self.now,
            "last": {
                "height": self.last.height,
                "block_hash": self.last.block_hash.hex(),
                "logs": {r: [s, root.hex()] for r, (s, root) in sorted(self.last.logs.items())},
            },
            "last_vote": None if self._last_vote is None else self._last_vote.to_record(),
        }

    @classmethod
    def restore(
        cls,
        state: Mapping[str, Any],
        *,
        chain_id: str,
        membership: Membership,
        signer: Signer | None,
        source: LogSource | None = None,
        replica: Replica | None = None,
    ) -> CitizenNode:
        """A citizen from :meth:`snapshot` output."""
        node = cls(
            name=str(state["name"]),
            chain_id=chain_id,
            membership=membership,
            signer=signer,
            source=source,
            replica=replica,
        )
        node.now = int(state["now"])
        last = state["last"]
        node.last = CosignState(
            int(last["height"]),
            bytes.fromhex(last["block_hash"]),
            {r: (int(v[0]), bytes.fromhex(v[1])) for r, v in last["logs"].items()},
        )
        if state.get("last_vote") is not None:
            node._last_vote = Vote.from_record(state["last_vote"])
        return node
