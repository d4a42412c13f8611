"""The consensus state machines of :mod:`chain.consensus`, run in one process.

:class:`chain.blocks.finality.DevnetFinalizer` uses a :class:`DevnetNetwork`
to bring a sealed block through the protocol: in-memory witness, supernode
and citizen nodes (keys from ``RIIK_KEYS_DIR``, a genesis membership of those
members) exchange their messages over a fault-free synchronous pump until the
block is committed, final and cosigned, or a tick budget runs out. The votes
the nodes send are collected so that the finalizer stores exactly them, and
so are the outcomes of the supernodes' storage challenges (``challenge_every``)
of the citizens' replicas, which the citizens fill from ``log_source``.

The sealed block was built by this node before the protocol runs, so its
header names this node as ``proposer``, not a witness: the devnet nodes
accept a header equal to the stored one whoever it names (the only rule they
relax), and the witnesses' ``propose_block`` returns that header.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from chain.blocks.ledgerreplica import LedgerSource
from chain.consensus.bft import BlockBuilder, Candidate
from chain.consensus.citizen import CitizenNode, MemoryStore, Replica, ReplicaStore
from chain.consensus.crypto import Signer
from chain.consensus.evidence import check_certificate
from chain.consensus.membership import Membership, genesis_membership
from chain.consensus.messages import (
    BlockRequest,
    Message,
    Vote,
)
from chain.consensus.node import (
    ALL,
    CITIZENS,
    SUPERNODES,
    WITNESSES,
    ChainNode,
    Output,
    SignedFinalize,
    StorageChecked,
    Timeouts,
)
from chain.consensus.supernode import SupernodeNode, supernode_timeouts
from chain.consensus.witness import WitnessNode
from chain.keys import NodeKey

__all__ = ["DevnetNetwork", "RunResult"]

log = logging.getLogger(__name__)

MAX_TICKS = 40
"""Ticks of every node's clock before a run gives up (a fault-free round needs none)."""

TAKEOVER_TICKS = 10**6
"""Supernodes never take over in the devnet: the witnesses' block is the sealed block."""

COUNTED = {("witness", "precommit"), ("supernode", "finalize"), ("citizen", "cosign")}


class _Header:
    """The sealed block's header: proposed by the witnesses, the only valid one."""

    def __init__(self) -> None:
        self.header: Mapping[str, Any] | None = None
        self.hash = b""

    def build(self, request: BlockRequest) -> dict[str, Any]:
        assert self.header is not None
        return dict(self.header)

    def check(self, header: Mapping[str, Any]) -> bool:
        return self.header is not None and dict(header) == dict(self.header)


class _DevnetWitness(WitnessNode):
    """A witness accepting the stored header although its proposer is not a witness."""

    def _is_valid(self, candidate: Candidate) -> bool:
        block = candidate.block
        return (
            block.chain_id == self.chain_id
            and block.height == self.height
            and block.prev_hash == self.last_final_hash
            and (self.check_header is None or self.check_header(block.header))
        )


class _DevnetSupernode(SupernodeNode):
    """A supernode certifying the witnesses' commit of the stored header."""

    def _is_valid(self, candidate: Candidate) -> bool:
        block = candidate.block
        if candidate.hash in self.blocks:
            return True
        if (
            block.chain_id != self.chain_id
            or block.height != self.height
            or block.prev_hash != self.last_final_hash
            or (self.check_header is not None and not self.check_header(block.header))
        ):
            return False
        qc = candidate.justification
        if qc is None:
            return False
        return check_certificate(
            qc,
            self.membership.validator_set("witness", self.height),
            tier="witness",
            kind="precommit",
            height=self.height,
            block_hash=block.hash,
        ).valid


@dataclass
class RunResult:
    """What one run produced for the block: the votes sent for it, by tier."""

    votes: list[Vote] = field(default_factory=list)
    final: bool = False
    storage_checks: list[tuple[str, StorageChecked]] = field(default_factory=list)
    """(challenger, outcome) of the storage challenges that ended in this run (not earlier)."""


@dataclass
class _Flight:
    """A run stopped early: its block, the messages still in flight and its votes so far."""

    block_hash: bytes
    height: int
    queue: deque[tuple[str, str, Message]]
    result: RunResult
    silenced: set[str]


class DevnetNetwork:
    """Every member's node in memory, connected by a fault-free synchronous pump."""

    def __init__(
        self,
        *,
        chain_id: str,
        witnesses: Sequence[NodeKey],
        supernodes: Sequence[NodeKey],
        citizens: Sequence[NodeKey],
        citizen_threshold: int,
        log_source: LedgerSource,
        down: frozenset[str] = frozenset(),
        challenge_every: int = 0,
        challenge_seeds: Mapping[str, bytes] | None = None,
        replica_store: Callable[[], ReplicaStore] = MemoryStore,
    ) -> None:
        self.chain_id = chain_id
        self.down = down
        self.challenge_every = challenge_every
        self.challenge_seeds = dict(challenge_seeds or {})
        self.header = _Header()
        signers = {
            tier: [Signer.from_node_key(k) for k in keys]
            for tier, keys in (
                ("witness", witnesses),
                ("supernode", supernodes),
                ("citizen", citizens),
            )
        }
        self.membership: Membership = genesis_membership(
            chain_id,
            supernodes=signers["supernode"],
            witnesses=signers["witness"],
            citizens=signers["citizen"],
            citizen_threshold=min(citizen_threshold, len(citizens)) or None,
            epoch_length=10**12,
        )
        self.signers = {s.name: s for tier in signers.values() for s in tier}
        self.groups = {
            WITNESSES: [s.name for s in signers["witness"]],
            SUPERNODES: [s.name for s in signers["supernode"]],
            CITIZENS: [s.name for s in signers["citizen"]],
        }
        self.groups[ALL] = [n for g in (WITNESSES, SUPERNODES, CITIZENS) for n in self.groups[g]]
        self.log_source = log_source
        self.replica_store = replica_store
        self.nodes: dict[str, ChainNode] = {}
        self.height = 0
        self.prev_hash = b""
        self.flight: _Flight | None = None

    def _build(
        self, name: str, propose: BlockBuilder, last_signed: tuple[int, bytes] | None
    ) -> ChainNode:
        common: dict[str, Any] = {
            "name": name,
            "chain_id": self.chain_id,
            "membership": self.membership,
            "signer": self.signers[name],
        }
        if name in self.groups[WITNESSES]:
            return _DevnetWitness(
                propose_block=propose, check_header=self.header.check, timeouts=Timeouts(), **common
            )
        if name in self.groups[SUPERNODES]:
            return _DevnetSupernode(
                propose_block=propose,
                check_header=self.header.check,
                log_source=self.log_source,
                timeouts=supernode_timeouts(TAKEOVER_TICKS),
                last_signed=last_signed,
                challenge_every=self.challenge_every,
                challenge_seed=self.challenge_seeds.get(name, b""),
                **common,
            )
        # Each citizen fills its replica from the same source as the cosign
        # requests' proofs (see chain.blocks.ledgerreplica), into a store of its own.
        return CitizenNode(
            source=self.log_source, replica=Replica(store=self.replica_store()), **common
        )

    def ready_for(self, height: int, prev_hash: bytes) -> bool:
        """True when the nodes wait at ``height`` on the final block ``prev_hash``, unvoted."""
        return (
            bool(self.nodes)
            and self.height == height
            and self.prev_hash == prev_hash
            and all(
                node.height == height and not node.sent_votes and node.decision is None
                for node in self.nodes.values()
                if isinstance(node, WitnessNode | SupernodeNode)
            )
        )

    def in_flight(self, block_hash: bytes) -> bool:
        """True when a run on ``block_hash`` stopped early and can resume."""
        return self.flight is not None and self.flight.block_hash == block_hash

    def reset(
        self, height: int, prev_hash: bytes, last_signed: Mapping[str, tuple[int, bytes]]
    ) -> None:
        """Nodes restored at ``height`` on the last final block ``prev_hash`` (no history)."""
        self.nodes = {}
        for name in self.groups[ALL]:
            if name in self.down:
                continue
            node = self._build(name, self.header.build, last_signed.get(name))
            node.last_final = height - 1
            node.last_final_hash = prev_hash
            self.nodes[name] = node
        self.height, self.prev_hash = height, prev_hash
        self._started = False
        self.flight = None

    def run(
        self,
        header: Mapping[str, Any],
        block_hash: bytes,
        *,
        persist: Callable[[str, SignedFinalize], bool],
        enough: Callable[[RunResult], bool],
        stop_early: bool = False,
    ) -> RunResult:
        """Pump messages (and ticks) until ``enough`` or the tick budget is spent.

        ``persist`` is called for each supernode's :class:`SignedFinalize`
        before its messages leave; when it refuses, that node's messages
        are dropped and the node is treated as down for this run.

        With ``stop_early`` the run stops as soon as ``enough`` holds, with
        the rest of the messages still in flight; the next run on the same
        block resumes from there (its votes so far included), so a caller
        can take a block through the protocol one tier at a time.
        """
        self.header.header, self.header.hash = header, block_hash
        # Proofs are shared within one run only: a failed run's or a rolled-back
        # test database's never reach the next.
        self.log_source.forget()
        flight = self.flight
        resumed = flight is not None and flight.block_hash == block_hash
        if flight is None or not resumed:
            flight = _Flight(block_hash, self.height, deque(), RunResult(), set())
        self.flight = None
        height = flight.height
        result, queue, silenced = flight.result, flight.queue, flight.silenced
        result.storage_checks = []  # those of a resumed run's first part were stored then

        def emit(name: str, out: Output) -> None:
            for decision in out.decisions:
                if isinstance(decision, SignedFinalize) and not persist(name, decision):
                    silenced.add(name)
                elif isinstance(decision, StorageChecked) and decision.challenge is not None:
                    result.storage_checks.append((name, decision))
            for evidence in out.evidence:
                log.warning("devnet: %s reported %s", name, evidence)
            if name in silenced:
                return
            for send in out.sends:
                message = send.message
                if (
                    isinstance(message, Vote)
                    and message.signer == name
                    and (message.tier, message.kind) in COUNTED
                    and message.height == height
                    and message.block_hash == block_hash
                    and all(v.signer != name or v.tier != message.tier for v in result.votes)
                ):
                    result.votes.append(message)
                group = self.groups.get(send.to)
                recipients = [send.to] if group is None else [n for n in group if n != name]
                for dst in recipients:
                    queue.append((name, dst, message))

        def pump() -> None:
            while queue and not (stop_early and enough(result)):
                src, dst, message = queue.popleft()
                node = self.nodes.get(dst)
                if node is not None and dst not in silenced:
                    emit(dst, node.handle(src, message))

        if resumed:
            pass  # the nodes are mid-protocol; their messages wait in the queue
        elif self._started:
            # The nodes entered this height when the previous block became
            # final, before its header existed, so the proposer had nothing
            # to propose; nobody voted here yet (ready_for), so each BFT node
            # enters the height again, as after a restart with nothing lost.
            for name, node in self.nodes.items():
                if isinstance(node, WitnessNode | SupernodeNode):
                    node.height = 0
                    emit(name, node.start())
        else:
            self._started = True
            for name, node in self.nodes.items():
                emit(name, node.start())
        pump()
        ticks = 0
        while not enough(result) and ticks < MAX_TICKS:
            ticks += 1
            for name, node in self.nodes.items():
                if name not in silenced:
                    emit(name, node.tick())
            pump()
        result.final = all(
            node.last_final >= height
            for name, node in self.nodes.items()
            if name in self.groups[SUPERNODES] and name not in silenced
        )
        if stop_early and enough(result):
            self.flight = flight
        if result.final:
            self.height, self.prev_hash = height + 1, block_hash
        return result
