"""A deterministic, seeded, in-process network to run the consensus under faults.

Pure: no Django, no I/O, no wall clock; the only randomness is
``random.Random`` objects seeded from the run's seed, so a run is a function
of ``(SimConfig, seed)`` (or of an explicit :class:`FaultPlan`) and any
failing run is reproduced by running its seed again.

Time is global ticks. Each tick the network delivers the messages due, then
every running node gets its own clock ticks (clock skew: 0.75 to 1.25 times
the global rate; see :data:`SKEW_RATES`). Before the global stabilisation
time (GST) messages are dropped, duplicated and delayed up to ``max_delay``
ticks and a partition may cut the network; after it every message between
running nodes arrives within ``max_delay_after_gst`` ticks, partitions are
healed and honest nodes that crashed have restarted (keeping their
persisted state).

Faulty nodes (at most f witnesses and F supernodes are byzantine; faults
beyond the tolerance are crashes, since no BFT protocol can promise safety
with more byzantine members) behave as one of:

``crash``         down from some tick on, for good
``amnesia``       crashes, restarts with its state lost (a supernode keeps its
                  last-signed record, as it must)
``equivocate``    proposes two blocks and votes for two, to different halves
``bad-signature`` corrupts its signatures, forges votes in others' names and
                  signs votes for a tier it is not in
``replay``        replays old signed votes at other heights, inside forged
                  certificates, and its own votes from a staging chain
``silent``        receives everything, says nothing

The checker asserts SAFETY (no two committed blocks at one height among
honest witnesses; no two final blocks at one height; every honest node's
final chain a prefix of every other's; no alarm at an honest node; no
evidence against an honest node) and, when at most F supernodes are faulty,
LIVENESS (every honest supernode has the target height final, and the
target height witnessed when enough honest citizens exist, within
``max_ticks``). With more than f faulty witnesses the supernodes take over,
so liveness is still expected.
"""

from __future__ import annotations

import hashlib
import heapq
import json
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any, Literal

from chain import merkle
from chain.consensus.bft import BftNode
from chain.consensus.citizen import CitizenNode, Replica
from chain.consensus.crypto import SignatureVerifier, Signer
from chain.consensus.evidence import Evidence, check_certificate, verify_evidence
from chain.consensus.membership import genesis_membership
from chain.consensus.messages import (
    FINALIZE_ROUND,
    Block,
    BlockRequest,
    CommittedBlock,
    FinalBlock,
    Kind,
    Message,
    Proposal,
    QuorumCertificate,
    Tier,
    Vote,
    message_type,
)
from chain.consensus.node import (
    ALL,
    CITIZENS,
    SUPERNODES,
    WITNESSES,
    Alarm,
    ChainNode,
    Committed,
    Finalized,
    Output,
    StorageChecked,
    Timeouts,
    Witnessed,
)
from chain.consensus.supernode import SupernodeNode, supernode_timeouts
from chain.consensus.witness import WitnessNode
from chain.protocol import max_faulty

__all__ = [
    "BEHAVIOURS",
    "SKEW_RATES",
    "Crash",
    "FaultPlan",
    "Partition",
    "RunReport",
    "SimConfig",
    "Simulation",
    "Summary",
    "plan_faults",
    "simulate",
    "simulate_many",
]

Behaviour = Literal["crash", "amnesia", "equivocate", "bad-signature", "replay", "silent"]
BEHAVIOURS: tuple[Behaviour, ...] = (
    "crash",
    "amnesia",
    "equivocate",
    "bad-signature",
    "replay",
    "silent",
)
SKEW_RATES = (3, 4, 4, 5)
"""Clock rates, in local ticks per four global ticks: 0.75x to 1.25x.

Partial synchrony needs bounded drift. A timeout-based protocol cannot be
live when honest clocks differ by a factor of 2 or more: in each round the
fastest nodes give up on a slow proposer before it has started the round,
because the gap between their round starts grows with the timeouts as fast
as the fast nodes' wait does (the simulator found it with 0.5x and 2x).
"""
KEY_SEED = b"riik-simulator"


@dataclass(frozen=True)
class SimConfig:
    """The shape of a simulated network and how hostile it is."""

    witnesses: int = 4
    supernodes: int = 4
    citizens: int = 3
    faulty_witnesses: int = 1
    faulty_supernodes: int = 1
    target_height: int = 5
    max_ticks: int | None = None
    """Liveness bound; by default computed from the GST, target and takeover timeout."""
    citizen_threshold: int | None = None
    """``w``; by default a majority of the citizens."""
    takeover_ticks: int = 24
    gst: int | None = None
    """Global stabilisation tick; by default drawn per run between 10 and 60."""
    drop: float = 0.1
    duplicate: float = 0.05
    max_delay: int = 6
    max_delay_after_gst: int = 2
    partitions: bool = True
    crashes: bool = True
    clock_skew: bool = True
    corrupt_replicas: bool = True
    registries: tuple[str, ...] = ("business", "property")
    challenge_every: int = 2
    chain_id: str = "riik-sim"

    @property
    def witness_tolerance(self) -> int:
        """f of the witness board."""
        return max_faulty(self.witnesses)

    @property
    def supernode_tolerance(self) -> int:
        """F of the supernodes."""
        return max_faulty(self.supernodes)

    @property
    def liveness_expected(self) -> bool:
        """Finality must advance: at most F supernodes faulty (witnesses may all fail)."""
        return self.faulty_supernodes <= self.supernode_tolerance

    @property
    def threshold(self) -> int:
        """The citizen threshold ``w`` in use."""
        if self.citizen_threshold is not None:
            return self.citizen_threshold
        return self.citizens // 2 + 1 if self.citizens else 0

    def bound(self, gst: int) -> int:
        """Global ticks by which the target height must be final (and witnessed)."""
        if self.max_ticks is not None:
            return self.max_ticks
        # A slow clock (0.75x) stretches every local timeout. A height
        # costs the witness wait (takeover) plus BFT rounds; up to about F+1
        # rounds can go to faulty proposers and to unwinding locks, and each
        # round's timeouts grow, hence the allowance per tolerated fault.
        per_height = 2 * self.takeover_ticks + 40 * (self.supernode_tolerance + 1) + 20
        return gst + self.target_height * per_height + 120

    def validate(self) -> None:
        """Raise ValueError for a configuration that cannot run."""
        if self.witnesses < 1 or self.supernodes < 1 or self.citizens < 0:
            raise ValueError("need at least one witness and one supernode")
        if not 0 <= self.faulty_witnesses <= self.witnesses:
            raise ValueError("faulty witnesses must be between 0 and the number of witnesses")
        if not 0 <= self.faulty_supernodes <= self.supernodes:
            raise ValueError("faulty supernodes must be between 0 and the number of supernodes")
        if self.target_height < 1:
            raise ValueError("target height must be at least 1")
        if self.citizens and not 1 <= self.threshold <= self.citizens:
            raise ValueError("citizen threshold must be between 1 and the number of citizens")


@dataclass(frozen=True)
class Crash:
    """``node`` goes down at tick ``at`` and (unless ``restart`` is None) comes back."""

    node: str
    at: int
    restart: int | None = None
    keep_state: bool = True


@dataclass(frozen=True)
class Partition:
    """From ``start`` to ``end`` no message crosses between ``side`` and the rest."""

    start: int
    end: int
    side: tuple[str, ...]


@dataclass(frozen=True)
class FaultPlan:
    """Everything that goes wrong in one run (generated from the seed, or given)."""

    gst: int
    behaviours: Mapping[str, Behaviour] = field(default_factory=dict)
    crashes: tuple[Crash, ...] = ()
    partitions: tuple[Partition, ...] = ()
    skew: Mapping[str, int] = field(default_factory=dict)
    """Local ticks per four global ticks (3, 4 or 5: see :data:`SKEW_RATES`); default 4."""
    drop: float = 0.0
    duplicate: float = 0.0
    max_delay: int = 1
    max_delay_after_gst: int = 1
    corrupt_replicas: tuple[str, ...] = ()

    def summary(self) -> dict[str, Any]:
        """JSON-native description, for reports."""
        return {
            "gst": self.gst,
            "behaviours": dict(sorted(self.behaviours.items())),
            "crashes": [
                {"node": c.node, "at": c.at, "restart": c.restart, "keep_state": c.keep_state}
                for c in self.crashes
            ],
            "partitions": [
                {"start": p.start, "end": p.end, "side": list(p.side)} for p in self.partitions
            ],
            "skew": {name: rate for name, rate in sorted(self.skew.items()) if rate != 4},
            "drop": self.drop,
            "duplicate": self.duplicate,
            "max_delay": self.max_delay,
            "corrupt_replicas": list(self.corrupt_replicas),
        }


def node_names(config: SimConfig) -> tuple[list[str], list[str], list[str]]:
    """Witness, supernode and citizen names of a configuration."""
    return (
        [f"witness-{i}" for i in range(1, config.witnesses + 1)],
        [f"supernode-{i}" for i in range(1, config.supernodes + 1)],
        [f"citizen-{i}" for i in range(1, config.citizens + 1)],
    )


def plan_faults(config: SimConfig, rng: random.Random) -> FaultPlan:
    """Draw the faults of one run from ``rng``."""
    witnesses, supernodes, citizens = node_names(config)
    gst = config.gst if config.gst is not None else rng.randint(10, 60)
    behaviours: dict[str, Behaviour] = {}
    crashes: list[Crash] = []
    for names, count, tolerance in (
        (witnesses, config.faulty_witnesses, config.witness_tolerance),
        (supernodes, config.faulty_supernodes, config.supernode_tolerance),
    ):
        faulty = rng.sample(names, count)
        for index, name in enumerate(faulty):
            behaviour: Behaviour = rng.choice(BEHAVIOURS) if index < tolerance else "crash"
            behaviours[name] = behaviour
            if behaviour == "crash":
                crashes.append(Crash(name, rng.randint(0, gst), None))
            elif behaviour == "amnesia":
                at = rng.randint(0, gst)
                crashes.append(Crash(name, at, at + rng.randint(3, 30), keep_state=False))
    honest = [n for n in witnesses + supernodes if n not in behaviours]
    if config.crashes and honest and rng.random() < 0.5:
        # An honest node crashes and restarts with its persisted state, before GST.
        name = rng.choice(honest)
        at = rng.randint(0, max(gst - 1, 0))
        crashes.append(Crash(name, at, rng.randint(at + 1, max(gst, at + 1)), keep_state=True))
    partitions = []
    everyone = witnesses + supernodes + citizens
    if config.partitions and rng.random() < 0.5 and gst > 2:
        start = rng.randint(0, gst - 2)
        side = tuple(sorted(rng.sample(everyone, rng.randint(1, len(everyone) - 1))))
        partitions.append(Partition(start, rng.randint(start + 1, gst), side))
    skew = {}
    if config.clock_skew:
        skew = {name: rng.choice(SKEW_RATES) for name in everyone}
    corrupt: tuple[str, ...] = ()
    if config.corrupt_replicas and citizens and rng.random() < 0.3:
        corrupt = (rng.choice(citizens),)
    return FaultPlan(
        gst=gst,
        behaviours=behaviours,
        crashes=tuple(crashes),
        partitions=tuple(partitions),
        skew=skew,
        drop=config.drop,
        duplicate=config.duplicate,
        max_delay=config.max_delay,
        max_delay_after_gst=config.max_delay_after_gst,
        corrupt_replicas=corrupt,
    )


@lru_cache(maxsize=256)
def sim_signer(name: str) -> Signer:
    """The simulator's key of ``name`` (deterministic and cached: key objects are costly)."""
    return Signer.from_seed(name, KEY_SEED)


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


@dataclass
class RunReport:
    """What happened in one run, and whether it was safe and live."""

    seed: int
    ticks: int
    gst: int
    bound: int
    final_height: int
    final_heights: dict[str, int]
    committed_height: int
    witnessed_height: int
    takeover_blocks: int
    safety_violations: list[str]
    liveness_expected: bool
    liveness_failure: str | None
    evidence: list[dict[str, Any]]
    refused: dict[str, int]
    messages: dict[str, Any]
    storage: dict[str, int]
    faults: dict[str, Any]
    target_height: int

    @property
    def halted(self) -> bool:
        """Finality stopped short of the target where liveness was not expected."""
        return not self.liveness_expected and self.final_height < self.target_height

    @property
    def ok(self) -> bool:
        """No safety violation and no liveness failure."""
        return not self.safety_violations and self.liveness_failure is None

    def to_dict(self) -> dict[str, Any]:
        """JSON-native report."""
        return {
            "seed": self.seed,
            "ok": self.ok,
            "ticks": self.ticks,
            "gst": self.gst,
            "bound": self.bound,
            "target_height": self.target_height,
            "final_height": self.final_height,
            "final_heights": self.final_heights,
            "committed_height": self.committed_height,
            "witnessed_height": self.witnessed_height,
            "takeover_blocks": self.takeover_blocks,
            "safety_violations": self.safety_violations,
            "liveness_expected": self.liveness_expected,
            "liveness_failure": self.liveness_failure,
            "halted": self.halted,
            "evidence": self.evidence,
            "refused": self.refused,
            "messages": self.messages,
            "storage": self.storage,
            "faults": self.faults,
        }


class _Down:
    """What a crashed node left behind."""

    def __init__(self, snapshot: dict[str, Any], keep_state: bool) -> None:
        self.snapshot = snapshot
        self.keep_state = keep_state


class Simulation:
    """One seeded run: nodes, network, faults and the checker."""

    def __init__(self, config: SimConfig, seed: int, plan: FaultPlan | None = None) -> None:
        config.validate()
        self.config = config
        self.seed = seed
        self.plan = plan if plan is not None else plan_faults(config, random.Random(f"plan/{seed}"))
        self.rng = random.Random(f"net/{seed}")
        self.chain_id = config.chain_id
        self.witness_names, self.supernode_names, self.citizen_names = node_names(config)
        self.names = self.witness_names + self.supernode_names + self.citizen_names
        self.groups = {
            WITNESSES: self.witness_names,
            SUPERNODES: self.supernode_names,
            CITIZENS: self.citizen_names,
            ALL: self.names,
        }
        self.verifier = SignatureVerifier()
        self.membership = genesis_membership(
            self.chain_id,
            supernodes=[sim_signer(n) for n in self.supernode_names],
            witnesses=[sim_signer(n) for n in self.witness_names],
            citizens=[sim_signer(n) for n in self.citizen_names],
            citizen_threshold=config.threshold or None,
            verifier=self.verifier,
        )
        self.ledger = SimLedger(seed, config.registries)
        self.faulty = dict(self.plan.behaviours)
        self.bad_replicas = set(self.plan.corrupt_replicas)
        self.nodes: dict[str, ChainNode] = {}
        self.down: dict[str, _Down] = {}
        self.replicas: dict[str, Replica] = {}
        for name in self.names:
            self.nodes[name] = self._new_node(name)
        self.time = 0
        self._queue: list[tuple[int, int, str, str, Message]] = []
        self._seq = 0
        self._skew_acc = dict.fromkeys(self.names, 0)
        # Observations for the checker.
        self.committed: dict[str, dict[int, bytes]] = {n: {} for n in self.witness_names}
        self.finalized: dict[str, dict[int, bytes]] = {n: {} for n in self.names}
        self.final_certs: dict[tuple[int, bytes], FinalBlock] = {}
        self.witnessed: dict[str, int] = {n: 0 for n in self.supernode_names}
        self.alarms: list[tuple[str, Alarm]] = []
        self.evidence: dict[tuple[Any, ...], Evidence] = {}
        self.refused: dict[str, int] = {}
        self.storage = {"passed": 0, "failed": 0, "unanswered": 0}
        self.storage_violations: list[str] = []
        self.stats: dict[str, Any] = {"sent": 0, "delivered": 0, "dropped": 0, "duplicated": 0}
        self.by_type: dict[str, int] = {}
        # Byzantine memory.
        self._alt_blocks: dict[tuple[str, int, int], Block] = {}
        self._alt_votes: dict[tuple[Any, ...], Vote] = {}
        self._heard: dict[str, list[Vote]] = {n: [] for n in self.faulty}

    # -- nodes --

    def _timeouts(self, name: str) -> Timeouts:
        if name in self.supernode_names:
            return supernode_timeouts(self.config.takeover_ticks)
        return Timeouts()

    def _new_node(
        self, name: str, snapshot: dict[str, Any] | None = None, keep: bool = True
    ) -> ChainNode:
        signer = sim_signer(name)
        common: dict[str, Any] = {
            "chain_id": self.chain_id,
            "membership": self.membership,
            "signer": signer,
        }
        if name in self.witness_names:
            if snapshot is not None and keep:
                return WitnessNode.restore(
                    snapshot,
                    propose_block=self.ledger.build,
                    check_header=self.ledger.check,
                    timeouts=self._timeouts(name),
                    **common,
                )
            return WitnessNode(
                name=name,
                propose_block=self.ledger.build,
                check_header=self.ledger.check,
                timeouts=self._timeouts(name),
                **common,
            )
        if name in self.supernode_names:
            options: dict[str, Any] = {
                "check_header": self.ledger.check,
                "log_source": self.ledger,
                "timeouts": self._timeouts(name),
                "challenge_every": self.config.challenge_every,
                "challenge_seed": str(self.seed).encode(),
            }
            if snapshot is not None and keep:
                return SupernodeNode.restore(
                    snapshot, propose_block=self.ledger.build, **options, **common
                )
            last_signed = None if snapshot is None else SupernodeNode.signed_state(snapshot)
            return SupernodeNode(
                name=name,
                propose_block=self.ledger.build,
                last_signed=last_signed,
                **options,
                **common,
            )
        replica = self.replicas.setdefault(name, Replica())
        if snapshot is not None and keep:
            return CitizenNode.restore(snapshot, source=self.ledger, replica=replica, **common)
        return CitizenNode(name=name, source=self.ledger, replica=replica, **common)

    def _snapshot(self, node: ChainNode) -> dict[str, Any]:
        assert isinstance(node, WitnessNode | SupernodeNode | CitizenNode)
        # Through JSON, as a database column would carry it.
        state: dict[str, Any] = json.loads(json.dumps(node.snapshot()))
        return state

    # -- network --

    def _partitioned(self, a: str, b: str) -> bool:
        for partition in self.plan.partitions:
            if partition.start <= self.time < partition.end and (
                (a in partition.side) != (b in partition.side)
            ):
                return True
        return False

    def _transmit(self, src: str, dst: str, message: Message) -> None:
        self.stats["sent"] += 1
        kind = message_type(message)
        self.by_type[kind] = self.by_type.get(kind, 0) + 1
        before_gst = self.time < self.plan.gst
        if before_gst and self.plan.drop and self.rng.random() < self.plan.drop:
            self.stats["dropped"] += 1
            return
        limit = self.plan.max_delay if before_gst else self.plan.max_delay_after_gst
        self._push(self.time + self.rng.randint(1, max(limit, 1)), src, dst, message)
        if before_gst and self.plan.duplicate and self.rng.random() < self.plan.duplicate:
            self.stats["duplicated"] += 1
            self._push(self.time + self.rng.randint(1, max(limit, 1)), src, dst, message)

    def _push(self, at: int, src: str, dst: str, message: Message) -> None:
        self._seq += 1
        heapq.heappush(self._queue, (at, self._seq, src, dst, message))

    def _recipients(self, to: str, sender: str) -> list[str]:
        group = self.groups.get(to)
        if group is None:
            return [to] if to in self.nodes else []
        return [name for name in group if name != sender]

    def _emit(self, name: str, out: Output) -> None:
        for decision in out.decisions:
            self._observe(name, decision)
        for evidence in out.evidence:
            if name in self.faulty:
                continue
            if evidence.attributable:
                self.evidence.setdefault(evidence.key, evidence)
            else:
                self.refused[evidence.kind] = self.refused.get(evidence.kind, 0) + 1
        behaviour = self.faulty.get(name)
        for send in out.sends:
            recipients = self._recipients(send.to, name)
            if behaviour is None or behaviour in ("crash", "amnesia", "replay"):
                for dst in recipients:
                    self._transmit(name, dst, send.message)
            elif behaviour == "silent":
                continue
            elif behaviour == "bad-signature":
                corrupted = _corrupt(send.message)
                for dst in recipients:
                    self._transmit(name, dst, corrupted)
            else:
                self._equivocate(name, recipients, send.message)

    def _observe(self, name: str, decision: Any) -> None:
        if isinstance(decision, Committed):
            self.committed[name][decision.height] = decision.block.hash
        elif isinstance(decision, Finalized):
            final = decision.final
            self.finalized[name][final.height] = final.block.hash
            self.final_certs.setdefault((final.height, final.block.hash), final)
        elif isinstance(decision, Witnessed):
            self.witnessed[name] = max(self.witnessed[name], decision.height)
        elif isinstance(decision, Alarm):
            self.alarms.append((name, decision))
        elif isinstance(decision, StorageChecked):
            if decision.ok:
                self.storage["passed"] += 1
            elif decision.reason == "no answer":
                self.storage["unanswered"] += 1
            else:
                self.storage["failed"] += 1
                if decision.citizen not in self.bad_replicas and name not in self.faulty:
                    self.storage_violations.append(
                        f"honest citizen {decision.citizen} failed a storage challenge "
                        f"({decision.registry} seq {decision.seq})"
                    )

    # -- byzantine behaviour --

    def _equivocate(self, name: str, recipients: list[str], message: Message) -> None:
        alt = self._alternative(name, message)
        for index, dst in enumerate(recipients):
            if alt is None or index % 2 == 0:
                self._transmit(name, dst, message)
            if alt is not None and (index % 2 == 1 or index == 0):
                # Recipient 0 gets both: someone must be able to prove it.
                self._transmit(name, dst, alt)

    def _alternative(self, name: str, message: Message) -> Message | None:
        signer = sim_signer(name)
        if isinstance(message, Proposal):
            key = (name, message.height, message.round)
            block = self._alt_blocks.get(key)
            if block is None:
                header = dict(message.block.header)
                header["sealed_at"] = f"{header.get('sealed_at')}/equivocation"
                block = Block.from_header(header)
                self._alt_blocks[key] = block
            return Proposal.sign(
                signer,
                chain_id=self.chain_id,
                tier=message.vote.tier,
                round=message.round,
                block=block,
            )
        if isinstance(message, Vote) and message.kind in ("prevote", "precommit", "finalize"):
            alt_block = self._alt_blocks.get((name, message.height, message.round))
            if alt_block is not None and message.kind != "finalize":
                alt_hash = alt_block.hash
            else:
                alt_hash = hashlib.sha256(b"alt" + (message.block_hash or b"nil")).digest()
            if alt_hash == message.block_hash:
                return None
            memo = (*message.slot, alt_hash)
            vote = self._alt_votes.get(memo)
            if vote is None:
                vote = Vote.sign(
                    signer,
                    chain_id=message.chain_id,
                    tier=message.tier,
                    kind=message.kind,
                    height=message.height,
                    round=message.round,
                    block_hash=alt_hash,
                )
                self._alt_votes[memo] = vote
            return vote
        return None

    def _byzantine_extras(self, name: str) -> None:
        behaviour = self.faulty.get(name)
        node = self.nodes.get(name)
        if behaviour not in ("replay", "bad-signature") or node is None or self.rng.random() > 0.2:
            return
        honest = [n for n in self.witness_names + self.supernode_names if n not in self.faulty]
        if not honest:
            return
        target = self.rng.choice(honest)
        target_node = self.nodes.get(target)
        height = target_node.height if isinstance(target_node, BftNode) else 1
        if behaviour == "replay":
            choice = self.rng.randrange(4)
            if choice == 0:
                # One of its own votes, signed on a staging chain, replayed here.
                tier: Tier = "witness" if name in self.witness_names else "supernode"
                staged = Vote.sign(
                    sim_signer(name),
                    chain_id=f"{self.chain_id}-staging",
                    tier=tier,
                    kind="prevote",
                    height=height,
                    round=0,
                    block_hash=None,
                )
                self._transmit(name, target, staged)
                return
            heard = [v for v in self._heard.get(name, []) if v.height != height]
            if not heard:
                return
            vote = self.rng.choice(heard)
            if choice == 1:
                self._transmit(name, target, vote)  # an old vote, as it was
            elif choice == 2:
                # Relabelled for the target's height: the signature no longer matches.
                self._transmit(name, target, replace(vote, height=height))
            elif isinstance(target_node, BftNode):
                # A witness commit certificate for the target's height made of
                # replayed votes (to a witness: a peer commit; to a supernode:
                # a committed block to certify).
                header = self.ledger.build(
                    BlockRequest(self.chain_id, height, 0, target_node.last_final_hash, name, 0)
                )
                block = Block.from_header(header)
                votes = tuple(v for v in heard if v.kind == "precommit" and v.tier == "witness")[:4]
                if not votes:
                    return
                qc = QuorumCertificate("witness", "precommit", height, 0, block.hash, votes)
                self._transmit(name, target, CommittedBlock(block, qc))
            return
        signer = sim_signer(name)
        wrong_tier: Tier = "supernode" if name in self.witness_names else "witness"
        kind: Kind = "finalize" if wrong_tier == "supernode" else "precommit"
        choice = self.rng.randrange(2)
        if choice == 0:
            # A vote for a tier this node is not in, properly signed with its own key.
            wrong = Vote.sign(
                signer,
                chain_id=self.chain_id,
                tier=wrong_tier,
                kind=kind,
                height=height,
                round=0,
                block_hash=hashlib.sha256(b"wrong-tier").digest(),
            )
            dst = self.rng.choice(
                self.supernode_names if wrong_tier == "supernode" else self.witness_names
            )
            self._transmit(name, dst, wrong)
        else:
            # A vote forged in an honest peer's name.
            peers = self.witness_names if name in self.witness_names else self.supernode_names
            victim = self.rng.choice(peers)
            forged = Vote(
                chain_id=self.chain_id,
                tier="witness" if name in self.witness_names else "supernode",
                kind="prevote",
                height=height,
                round=0,
                block_hash=None,
                signer=victim,
                key_id=sim_signer(victim).key_id,
                signature=self.rng.randbytes(64),
            )
            self._transmit(name, target, forged)

    # -- running --

    def _crash(self, name: str, keep_state: bool) -> None:
        node = self.nodes.pop(name, None)
        if node is not None:
            self.down[name] = _Down(self._snapshot(node), keep_state)

    def _restart(self, name: str) -> None:
        down = self.down.pop(name, None)
        if down is None:
            return
        node = self._new_node(name, down.snapshot, down.keep_state)
        self.nodes[name] = node
        self._emit(name, node.start())

    def _apply_crashes(self) -> None:
        for crash in self.plan.crashes:
            if crash.at == self.time and crash.node in self.nodes:
                self._crash(crash.node, crash.keep_state)
            if crash.restart == self.time and crash.node in self.down:
                self._restart(crash.node)
        if self.time == self.plan.gst:
            # Honest nodes are up after GST, whatever the plan said.
            for name in sorted(self.down):
                if name not in self.faulty:
                    self._restart(name)

    def _deliver(self) -> None:
        while self._queue and self._queue[0][0] <= self.time:
            _, _, src, dst, message = heapq.heappop(self._queue)
            node = self.nodes.get(dst)
            if node is None or self._partitioned(src, dst):
                self.stats["dropped"] += 1
                continue
            self.stats["delivered"] += 1
            if dst in self._heard and isinstance(message, Vote) and message.signer != dst:
                heard = self._heard[dst]
                if len(heard) < 200:
                    heard.append(message)
            self._emit(dst, node.handle(src, message))

    def _tick_nodes(self) -> None:
        for name in self.names:
            node = self.nodes.get(name)
            if node is None:
                continue
            self._skew_acc[name] += self.plan.skew.get(name, 4)
            while self._skew_acc[name] >= 4:
                self._skew_acc[name] -= 4
                self._emit(name, node.tick())
            self._byzantine_extras(name)

    def _honest(self, names: Sequence[str]) -> list[str]:
        return [name for name in names if name not in self.faulty]

    def _done(self) -> bool:
        target = self.config.target_height
        for name in self._honest(self.supernode_names):
            node = self.nodes.get(name)
            if node is None or node.last_final < target:
                return False
        if self._witnessing_expected():
            return max(self.witnessed.values(), default=0) >= target
        return True

    def _witnessing_expected(self) -> bool:
        honest = [c for c in self.citizen_names if c not in self.bad_replicas]
        return bool(self.citizen_names) and len(honest) >= self.config.threshold

    def run(self) -> RunReport:
        """Run until the target is final everywhere honest, or the bound passes."""
        bound = self.config.bound(self.plan.gst)
        self._apply_crashes()  # nodes down from tick 0 never start
        for name in self.names:
            node = self.nodes.get(name)
            if node is not None:
                self._emit(name, node.start())
        self._corrupt_replicas()
        while self.time < bound:
            self.time += 1
            self._apply_crashes()
            self._deliver()
            self._tick_nodes()
            self._corrupt_replicas()
            if self._done():
                break
        return self._report(bound)

    def _corrupt_replicas(self) -> None:
        # A citizen that lost data: its first stored leaf is garbage.
        for name in self.plan.corrupt_replicas:
            replica = self.replicas.get(name)
            if replica is None:
                continue
            for leaves in replica.leaves.values():
                if leaves and not leaves[0].startswith(b"corrupt"):
                    leaves[0] = b"corrupt" + leaves[0]

    # -- the checker --

    def _chains(self) -> dict[str, list[bytes]]:
        chains = {}
        for name in self._honest(self.witness_names + self.supernode_names):
            node = self.nodes.get(name)
            if node is not None:
                chains[name] = node.final_chain()
            elif name in self.down:
                chains[name] = [
                    FinalBlock.from_record(record).block.hash
                    for record in self.down[name].snapshot.get("finals", [])
                ]
        return chains

    def _check_safety(self) -> list[str]:
        violations: list[str] = []
        honest_witnesses = self._honest(self.witness_names)
        heights = sorted({h for n in honest_witnesses for h in self.committed[n]})
        for height in heights:
            blocks = {
                self.committed[n][height] for n in honest_witnesses if height in self.committed[n]
            }
            if len(blocks) > 1:
                violations.append(f"height {height}: {len(blocks)} different committed blocks")
        finals: dict[int, set[bytes]] = {}
        for height, digest in self.final_certs:
            finals.setdefault(height, set()).add(digest)
        for height in sorted(finals):
            if len(finals[height]) > 1:
                violations.append(f"height {height}: {len(finals[height])} different final blocks")
        for (height, digest), final in sorted(self.final_certs.items()):
            result = check_certificate(
                final.qc,
                self.membership.validator_set("supernode", height),
                tier="supernode",
                kind="finalize",
                height=height,
                round=FINALIZE_ROUND,
                block_hash=digest,
            )
            if not result.valid:
                violations.append(f"height {height}: a final block without a valid certificate")
        chains = self._chains()
        longest = max(chains.values(), key=len, default=[])
        for name, chain in sorted(chains.items()):
            if chain != longest[: len(chain)]:
                violations.append(f"{name}: final chain is not a prefix of the longest one")
        for name, alarm in self.alarms:
            if name in self.faulty or name in self.bad_replicas:
                continue
            violations.append(
                f"{name}: alarm {alarm.kind} at height {alarm.height}: {alarm.detail}"
            )
        for evidence in self.evidence.values():
            if not verify_evidence(evidence, self.membership):
                violations.append(f"unverifiable evidence against {evidence.vote.signer}")
            if evidence.vote.signer not in self.faulty:
                violations.append(f"equivocation evidence against honest {evidence.vote.signer}")
        violations.extend(self.storage_violations)
        return violations

    def _report(self, bound: int) -> RunReport:
        target = self.config.target_height
        final_heights = {}
        for name in self.supernode_names:
            node = self.nodes.get(name)
            if name not in self.faulty:
                final_heights[name] = node.last_final if node is not None else 0
        final_height = min(final_heights.values(), default=0)
        witnessed = max(self.witnessed.values(), default=0)
        liveness_failure = None
        if self.config.liveness_expected:
            if final_height < target:
                liveness_failure = (
                    f"final height {final_height} of {target} after {self.time} ticks "
                    f"(bound {bound})"
                )
            elif self._witnessing_expected() and witnessed < target:
                liveness_failure = (
                    f"witnessed height {witnessed} of {target} after {self.time} ticks"
                )
        honest_supernode = next(
            (self.nodes[n] for n in self._honest(self.supernode_names) if n in self.nodes), None
        )
        takeovers = 0
        if honest_supernode is not None:
            supernodes = set(self.supernode_names)
            takeovers = sum(
                1 for f in honest_supernode.finals.values() if f.block.proposer in supernodes
            )
        committed = max(
            (max(self.committed[n], default=0) for n in self._honest(self.witness_names)), default=0
        )
        evidence = [
            {
                "signer": e.vote.signer,
                "tier": e.vote.tier,
                "kind": e.vote.kind,
                "height": e.vote.height,
                "round": e.vote.round,
            }
            for e in sorted(self.evidence.values(), key=lambda e: e.key)
        ]
        return RunReport(
            seed=self.seed,
            ticks=self.time,
            gst=self.plan.gst,
            bound=bound,
            final_height=final_height,
            final_heights=final_heights,
            committed_height=committed,
            witnessed_height=witnessed,
            takeover_blocks=takeovers,
            safety_violations=self._check_safety(),
            liveness_expected=self.config.liveness_expected,
            liveness_failure=liveness_failure,
            evidence=evidence,
            refused=dict(sorted(self.refused.items())),
            messages={**self.stats, "by_type": dict(sorted(self.by_type.items()))},
            storage=dict(self.storage),
            faults=self.plan.summary(),
            target_height=target,
        )


def _corrupt(message: Message) -> Message:
    """The same message with its own signature broken (bad-signature behaviour)."""
    if isinstance(message, Vote):
        return replace(message, signature=_flip(message.signature))
    if isinstance(message, Proposal):
        return replace(message, vote=replace(message.vote, signature=_flip(message.vote.signature)))
    return message


def _flip(signature: bytes) -> bytes:
    return signature[:-1] + bytes([signature[-1] ^ 0x01]) if signature else b"\x00"


def simulate(config: SimConfig, seed: int, plan: FaultPlan | None = None) -> RunReport:
    """Run one seeded simulation and check it."""
    return Simulation(config, seed, plan).run()


def simulate_many(config: SimConfig, seeds: Sequence[int]) -> list[RunReport]:
    """Run the given seeds in order (a unit of work for a process pool)."""
    return [simulate(config, seed) for seed in seeds]


@dataclass
class Summary:
    """Many runs of one configuration, summed up."""

    config: SimConfig
    first_seed: int
    runs: int = 0
    safety_violations: int = 0
    liveness_failures: int = 0
    halted: int = 0
    evidence_recorded: int = 0
    takeover_blocks: int = 0
    refused: dict[str, int] = field(default_factory=dict)
    messages: dict[str, int] = field(
        default_factory=lambda: {"sent": 0, "delivered": 0, "dropped": 0, "duplicated": 0}
    )
    storage: dict[str, int] = field(
        default_factory=lambda: {"passed": 0, "failed": 0, "unanswered": 0}
    )
    unsafe_seeds: list[int] = field(default_factory=list)
    not_live_seeds: list[int] = field(default_factory=list)
    halted_seeds: list[int] = field(default_factory=list)
    failures: list[dict[str, Any]] = field(default_factory=list)
    max_ticks: int = 0
    total_ticks: int = 0
    min_final_height: int | None = None
    max_final_height: int = 0

    def add(self, report: RunReport) -> None:
        """Count one run."""
        self.runs += 1
        self.safety_violations += len(report.safety_violations)
        self.evidence_recorded += len(report.evidence)
        self.takeover_blocks += report.takeover_blocks
        for kind, count in report.refused.items():
            self.refused[kind] = self.refused.get(kind, 0) + count
        for key in self.messages:
            self.messages[key] += int(report.messages[key])
        for key in self.storage:
            self.storage[key] += report.storage[key]
        self.max_ticks = max(self.max_ticks, report.ticks)
        self.total_ticks += report.ticks
        low = self.min_final_height
        self.min_final_height = (
            report.final_height if low is None else min(low, report.final_height)
        )
        self.max_final_height = max(self.max_final_height, report.final_height)
        if report.safety_violations:
            self.unsafe_seeds.append(report.seed)
        if report.liveness_failure is not None:
            self.liveness_failures += 1
            self.not_live_seeds.append(report.seed)
        if report.halted:
            self.halted += 1
            self.halted_seeds.append(report.seed)
        if not report.ok and len(self.failures) < 10:
            self.failures.append(
                {
                    "seed": report.seed,
                    "safety_violations": report.safety_violations[:5],
                    "liveness_failure": report.liveness_failure,
                    "faults": report.faults,
                }
            )

    @property
    def ok(self) -> bool:
        """No safety violation, and no liveness failure where liveness was expected."""
        return self.safety_violations == 0 and self.liveness_failures == 0

    def expected(self) -> str:
        """What these runs must show, in words."""
        config = self.config
        faults = (
            f"{config.faulty_witnesses} of {config.witnesses} witnesses faulty "
            f"(f = {config.witness_tolerance}), {config.faulty_supernodes} of "
            f"{config.supernodes} supernodes faulty (F = {config.supernode_tolerance})"
        )
        if not config.liveness_expected:
            return (
                f"{faults}: more than F supernodes faulty, so finality may halt (the excess "
                "faults are crashes); safety must hold in every run"
            )
        extra = ""
        if config.faulty_witnesses > config.witness_tolerance:
            extra = "; more than f witnesses faulty, so the supernodes take over block production"
        return (
            f"{faults}: safety in every run and height {config.target_height} final"
            f"{' and witnessed' if config.citizens else ''} within the tick bound{extra}"
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-native summary (the ``consensus simulate --json`` object)."""
        config = self.config
        return {
            "runs": self.runs,
            "seeds": [self.first_seed, self.first_seed + self.runs - 1] if self.runs else [],
            "config": {
                "witnesses": config.witnesses,
                "supernodes": config.supernodes,
                "citizens": config.citizens,
                "citizen_threshold": config.threshold,
                "faulty_witnesses": config.faulty_witnesses,
                "faulty_supernodes": config.faulty_supernodes,
                "target_height": config.target_height,
                "max_ticks": config.max_ticks,
                "takeover_ticks": config.takeover_ticks,
            },
            "expected": self.expected(),
            "liveness_expected": config.liveness_expected,
            "ok": self.ok,
            "safety_violations": self.safety_violations,
            "liveness_failures": self.liveness_failures,
            "halted": self.halted,
            "evidence_recorded": self.evidence_recorded,
            "failing_seeds": {"safety": self.unsafe_seeds, "liveness": self.not_live_seeds},
            "halted_seeds": self.halted_seeds[:50],
            "failures": self.failures,
            "final_height": {"min": self.min_final_height or 0, "max": self.max_final_height},
            "takeover_blocks": self.takeover_blocks,
            "ticks": {
                "max": self.max_ticks,
                "mean": round(self.total_ticks / self.runs, 1) if self.runs else 0,
            },
            "refused_messages": dict(sorted(self.refused.items())),
            "messages": self.messages,
            "storage_challenges": self.storage,
        }
