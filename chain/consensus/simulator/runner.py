"""One seeded run: nodes, network, faults, the checker; and many runs.

Pure: no Django, no I/O, no wall clock; a run is a function of
``(SimConfig, seed)`` (or of an explicit
:class:`~chain.consensus.simulator.faults.FaultPlan`), so any failing run is
reproduced by running its seed again.

Each global tick the network delivers the messages due, then every running
node gets its own clock ticks (clock skew: 0.75 to 1.25 times the global
rate; see :data:`~chain.consensus.simulator.faults.SKEW_RATES`). Honest
nodes that crashed have restarted by the GST (with their persisted state,
or with an older one and their durable signing state: amnesia).
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from typing import Any

from chain.consensus.citizen import CitizenNode, Replica
from chain.consensus.crypto import SignatureVerifier
from chain.consensus.membership import genesis_membership
from chain.consensus.messages import CommittedBlock, CosignRequest, FinalBlock
from chain.consensus.node import ALL, CITIZENS, SUPERNODES, WITNESSES, ChainNode, Output, Timeouts
from chain.consensus.simulator.adversary import Adversary, Templates
from chain.consensus.simulator.checker import Observations, RunReport
from chain.consensus.simulator.faults import (
    Crash,
    FaultPlan,
    SimConfig,
    node_names,
    plan_faults,
    sim_signer,
)
from chain.consensus.simulator.ledger import SimLedger
from chain.consensus.simulator.network import Network
from chain.consensus.supernode import SupernodeNode, supernode_timeouts
from chain.consensus.witness import WitnessNode

__all__ = ["Simulation", "signing_state", "simulate", "simulate_many"]

SIGNING_STATE = {
    "witness": ("bft",),
    "supernode": ("bft", "last_signed", "own_finalize"),
    "citizen": ("last", "last_vote"),
}
"""The snapshot parts a node's signatures depend on, per tier (durable before they leave)."""


def signing_state(tier: str, latest: dict[str, Any], older: dict[str, Any]) -> dict[str, Any]:
    """``older`` with the signing state of ``latest``: what an amnesic node restarts with."""
    return {**older, **{key: latest[key] for key in SIGNING_STATE[tier] if key in latest}}


class _Down:
    """What a crashed node left behind."""

    def __init__(self, snapshot: dict[str, Any], crash: Crash) -> None:
        self.snapshot = snapshot
        self.crash = crash


class Simulation:
    """One seeded run: nodes, network, faults and the checker."""

    def __init__(self, config: SimConfig, seed: int, plan: FaultPlan | None = None) -> None:
        config.validate()
        self.config = config
        self.seed = seed
        self.plan = plan if plan is not None else plan_faults(config, random.Random(f"plan/{seed}"))
        self.rng = random.Random(f"net/{seed}")
        self.network = Network(self.plan, self.rng)
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
        self.twins: dict[str, ChainNode] = {}
        """The second instance of each twinned node (same name, same keys)."""
        self.down: dict[str, _Down] = {}
        self.saved: dict[str, dict[str, Any]] = {}
        """Snapshots taken at a crash's rollback tick (what an amnesic node restarts from)."""
        self.replicas: dict[str, Replica] = {}
        for name in self.names:
            self.nodes[name] = self._new_node(name)
        for name in self.plan.twins:
            self.twins[name] = self._new_node(name)
        self.time = 0
        self._skew_acc = dict.fromkeys(self.names, 0)
        self.seen = Observations(
            witnesses=self.witness_names,
            supernodes=self.supernode_names,
            names=self.names,
            faulty=self.faulty,
            bad_replicas=self.bad_replicas,
        )
        self.templates = Templates(
            chain_id=self.chain_id,
            network=self.network,
            rng=self.rng,
            witness_names=self.witness_names,
            supernode_names=self.supernode_names,
            faulty=self.faulty,
            nodes=self.nodes,
            ledger=self.ledger,
        )
        controlled = {n for n, b in self.faulty.items() if b == "adversary"}
        self.adversary = (
            Adversary(
                network=self.network,
                rng=random.Random(f"adversary/{seed}"),
                policy=self.plan.policy,
                controlled=controlled,
                honest=[n for n in self.names if n not in self.faulty],
            )
            if controlled
            else None
        )

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

    def _tier(self, name: str) -> str:
        if name in self.witness_names:
            return "witness"
        return "supernode" if name in self.supernode_names else "citizen"

    def _snapshot(self, node: ChainNode) -> dict[str, Any]:
        assert isinstance(node, WitnessNode | SupernodeNode | CitizenNode)
        # Through JSON, as a database column would carry it.
        state: dict[str, Any] = json.loads(json.dumps(node.snapshot()))
        return state

    # -- network --

    def _recipients(self, to: str, sender: str) -> list[str]:
        group = self.groups.get(to)
        if group is None:
            return [to] if to in self.nodes else []
        return [name for name in group if name != sender]

    def _emit(self, name: str, out: Output, second: bool = False) -> None:
        """Record ``out`` of ``name`` (its twin instance when ``second``) and send its messages."""
        self.seen.record(name, out)
        behaviour = self.faulty.get(name)
        for send in out.sends:
            recipients = self._recipients(send.to, name)
            if behaviour is None:
                for dst in recipients:
                    delay = None
                    if self.adversary is not None and dst not in self.faulty:
                        delay = self.adversary.delay(name, dst, send.message)
                    self.network.transmit(name, dst, send.message, delay)
            elif behaviour == "adversary":
                assert self.adversary is not None
                self.adversary.send(name, recipients, send.message)
            elif behaviour == "twins":
                # Each instance talks to its own side of the network.
                side = self.plan.twins[name]
                for dst in recipients:
                    if (dst in side) == second:
                        self.network.transmit(name, dst, send.message)
            elif behaviour == "withhold-decisions":
                if not isinstance(send.message, CommittedBlock | FinalBlock | CosignRequest):
                    for dst in recipients:
                        self.network.transmit(name, dst, send.message)
            elif behaviour != "silent":
                self.templates.send(name, behaviour, recipients, send.message)

    def _deliver(self) -> None:
        self.network.time = self.time
        for src, dst, message in self.network.due():
            second = dst in self.twins and src in self.plan.twins[dst]
            node = self.twins.get(dst) if second else self.nodes.get(dst)
            if node is None or (dst in self.twins and dst not in self.nodes):
                self.network.stats["dropped"] += 1
                continue
            self.network.stats["delivered"] += 1
            self.templates.heard(dst, message)
            if self.adversary is not None and dst in self.adversary.controlled:
                self.adversary.received(dst, src, message)
            self._emit(dst, node.handle(src, message), second)

    def _tick_nodes(self) -> None:
        for name in self.names:
            node = self.nodes.get(name)
            if node is None:
                continue
            self._skew_acc[name] += self.plan.skew.get(name, 4)
            while self._skew_acc[name] >= 4:
                self._skew_acc[name] -= 4
                self._emit(name, node.tick())
                twin = self.twins.get(name)
                if twin is not None:
                    self._emit(name, twin.tick(), second=True)
            self.templates.extras(name)
        if self.adversary is not None:
            self.adversary.tick()

    # -- running --

    def _crash(self, crash: Crash) -> None:
        node = self.nodes.pop(crash.node, None)
        if node is not None:
            self.down[crash.node] = _Down(self._snapshot(node), crash)

    def _restart(self, name: str) -> None:
        down = self.down.pop(name, None)
        if down is None:
            return
        snapshot, keep = down.snapshot, down.crash.keep_state
        if down.crash.rollback is not None:
            # Writes after the rollback tick were lost; the signing state was
            # durable before each signature left, unless the model says not.
            older = self.saved.get(name)
            if self.config.durable_signing:
                base = older if older is not None else {**snapshot, "finals": []}
                snapshot = signing_state(self._tier(name), snapshot, base)
            elif older is not None:
                snapshot = older
            else:
                keep = False
                snapshot = {}
        node = self._new_node(name, snapshot or None, keep)
        if down.crash.rollback is not None:
            node.now = int(down.snapshot.get("now", 0))  # a clock is not rolled back
        self.nodes[name] = node
        self._emit(name, node.start())

    def _apply_crashes(self) -> None:
        for crash in self.plan.crashes:
            if crash.rollback == self.time and crash.node in self.nodes:
                self.saved[crash.node] = self._snapshot(self.nodes[crash.node])
            if crash.at == self.time and crash.node in self.nodes:
                self._crash(crash)
            if crash.restart == self.time and crash.node in self.down:
                self._restart(crash.node)
        if self.time == self.plan.gst:
            # Honest nodes are up after GST, whatever the plan said.
            for name in sorted(self.down):
                if name not in self.faulty:
                    self._restart(name)

    def _honest(self, names: Sequence[str]) -> list[str]:
        return [name for name in names if name not in self.faulty]

    def _done(self) -> bool:
        target = self.config.target_height
        for name in self._honest(self.supernode_names):
            node = self.nodes.get(name)
            if node is None or node.last_final < target:
                return False
        if self._witnessing_expected():
            return max(self.seen.witnessed.values(), default=0) >= target
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
                twin = self.twins.get(name)
                if twin is not None:
                    self._emit(name, twin.start(), second=True)
        self._corrupt_replicas()
        while self.time < bound:
            self.time += 1
            self.network.time = self.time
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

    def _report(self, bound: int) -> RunReport:
        target = self.config.target_height
        final_heights = {}
        for name in self.supernode_names:
            node = self.nodes.get(name)
            if name not in self.faulty:
                final_heights[name] = node.last_final if node is not None else 0
        final_height = min(final_heights.values(), default=0)
        witnessed = max(self.seen.witnessed.values(), default=0)
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
            (max(self.seen.committed[n], default=0) for n in self._honest(self.witness_names)),
            default=0,
        )
        evidence = [
            {
                "signer": e.vote.signer,
                "tier": e.vote.tier,
                "kind": e.vote.kind,
                "height": e.vote.height,
                "round": e.vote.round,
            }
            for e in sorted(self.seen.evidence.values(), key=lambda e: e.key)
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
            safety_violations=self.seen.check_safety(
                self.membership, self._honest(self.witness_names), self._chains()
            ),
            liveness_expected=self.config.liveness_expected,
            liveness_failure=liveness_failure,
            evidence=evidence,
            refused=dict(sorted(self.seen.refused.items())),
            messages={
                **self.network.stats,
                "by_type": dict(sorted(self.network.by_type.items())),
            },
            storage=dict(self.seen.storage),
            faults=self.plan.summary(),
            target_height=target,
            fault_classes=self.plan.fault_classes(),
            choices=0 if self.adversary is None else self.adversary.choices,
        )


def simulate(config: SimConfig, seed: int, plan: FaultPlan | None = None) -> RunReport:
    """Run one seeded simulation and check it."""
    return Simulation(config, seed, plan).run()


def simulate_many(config: SimConfig, seeds: Sequence[int]) -> list[RunReport]:
    """Run the given seeds in order (a unit of work for a process pool)."""
    return [simulate(config, seed) for seed in seeds]
