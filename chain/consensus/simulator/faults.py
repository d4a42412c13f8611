"""The hostile world of a simulated run: its shape, and everything that goes wrong.

Pure: no Django, no I/O; a plan is drawn from a ``random.Random`` seeded
from the run's seed, so a run is reproduced by its seed.

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
``withhold-decisions`` votes as an honest node does but never passes a
                  decision on (commit certificates, final blocks, cosign
                  requests): a relay of its height that relays nothing
``adversary``     one adversary runs all such nodes with their keys and
                  spends seeded choices (:class:`Policy`): it withholds,
                  rewrites unsigned fields of what it sends and relays,
                  races honest messages with rewritten copies, replays, and
                  picks the delay of every honest message within the timing
                  model (:mod:`chain.consensus.simulator.adversary`)
``twins``         the node's keys run in two honest instances that talk to
                  different halves of the network (Bano et al., "Twins", 2020)

The first six are :data:`BEHAVIOURS`, the default mix; :data:`FAULT_CLASSES`
are all of them.

Honest nodes may crash and restart with their persisted state and, with
``SimConfig.honest_amnesia``, with the state they persisted some ticks
before the crash (a lost unsynced write). The **signing state** (what a
node's signatures depend on: a BFT node's height, round, step, locks and
signed votes; a supernode's last finalize signature; a citizen's last
cosigned checkpoint) is durable before a signature leaves, as the
:class:`chain.consensus.node.Output` contract requires; an amnesic restart
keeps it and loses the rest. ``SimConfig.durable_signing = False`` models a
node that breaks that contract, to show the checker finds what follows.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal

from chain.consensus.crypto import Signer
from chain.protocol import max_faulty

__all__ = [
    "BEHAVIOURS",
    "FAULT_CLASSES",
    "KEY_SEED",
    "SKEW_RATES",
    "Behaviour",
    "Crash",
    "FaultPlan",
    "Partition",
    "Policy",
    "SimConfig",
    "node_names",
    "plan_faults",
    "random_policy",
    "sim_signer",
]

Behaviour = Literal[
    "crash",
    "amnesia",
    "equivocate",
    "bad-signature",
    "replay",
    "silent",
    "withhold-decisions",
    "adversary",
    "twins",
]
BEHAVIOURS: tuple[Behaviour, ...] = (
    "crash",
    "amnesia",
    "equivocate",
    "bad-signature",
    "replay",
    "silent",
)
FAULT_CLASSES: tuple[Behaviour, ...] = (*BEHAVIOURS, "withhold-decisions", "adversary", "twins")

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
class Policy:
    """How the adversary spends its choices: one probability per kind of choice.

    The adversary draws every choice from its seeded RNG with these odds;
    the search (:mod:`chain.consensus.simulator.search`) tunes them towards
    the choices that delay decisions most.
    """

    withhold: float = 0.2
    """Drop one of its own messages to one recipient."""
    tamper: float = 0.3
    """Rewrite the fields of a message it sends or relays (signed ones break the signature)."""
    relay: float = 0.5
    """Race an honest message it received to the honest nodes, as a rewritten copy."""
    replay: float = 0.1
    """Per tick: send an old message it heard to an honest node."""
    slow: float = 0.5
    """Give an honest message the longest delay the timing model allows."""

    def summary(self) -> dict[str, float]:
        """JSON-native odds, rounded, for reports."""
        return {
            "withhold": round(self.withhold, 3),
            "tamper": round(self.tamper, 3),
            "relay": round(self.relay, 3),
            "replay": round(self.replay, 3),
            "slow": round(self.slow, 3),
        }


def random_policy(rng: random.Random) -> Policy:
    """Odds drawn at random (the random search)."""
    return Policy(
        withhold=rng.random() * 0.5,
        tamper=rng.random(),
        relay=rng.random(),
        replay=rng.random() * 0.3,
        slow=rng.random(),
    )


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
    behaviours: tuple[Behaviour, ...] = BEHAVIOURS
    """What the faulty nodes within the tolerance do (one drawn per node)."""
    honest_amnesia: bool = False
    """An honest node may restart with the state it persisted some ticks earlier."""
    durable_signing: bool = True
    """The signing state is durable before a signature leaves (see :mod:`.faults`)."""

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
        unknown = set(self.behaviours) - set(FAULT_CLASSES)
        if unknown or not self.behaviours:
            raise ValueError(f"behaviours must be some of {', '.join(FAULT_CLASSES)}")


@dataclass(frozen=True)
class Crash:
    """``node`` goes down at tick ``at`` and (unless ``restart`` is None) comes back."""

    node: str
    at: int
    restart: int | None = None
    keep_state: bool = True
    rollback: int | None = None
    """Restart with the state persisted at this earlier tick: later writes were lost."""


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
    twins: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Per twinned node, the nodes its second instance talks to (the first talks to the rest)."""
    policy: Policy = field(default_factory=lambda: Policy())
    """How the ``adversary`` nodes spend their choices."""

    def summary(self) -> dict[str, Any]:
        """JSON-native description, for reports."""
        return {
            "gst": self.gst,
            "behaviours": dict(sorted(self.behaviours.items())),
            "crashes": [
                {
                    "node": c.node,
                    "at": c.at,
                    "restart": c.restart,
                    "keep_state": c.keep_state,
                    "rollback": c.rollback,
                }
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
            "twins": {name: list(side) for name, side in sorted(self.twins.items())},
            "policy": self.policy.summary(),
        }

    def fault_classes(self) -> list[str]:
        """The fault classes this plan exercises (behaviours, crashes, partitions...)."""
        classes: set[str] = set(self.behaviours.values())
        faulty = set(self.behaviours)
        for crash in self.crashes:
            if crash.node not in faulty:
                classes.add("honest-amnesia" if crash.rollback is not None else "honest-crash")
        if self.partitions:
            classes.add("partition")
        if self.corrupt_replicas:
            classes.add("corrupt-replica")
        return sorted(classes)


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
    twins: dict[str, tuple[str, ...]] = {}
    for names, count, tolerance in (
        (witnesses, config.faulty_witnesses, config.witness_tolerance),
        (supernodes, config.faulty_supernodes, config.supernode_tolerance),
    ):
        faulty = rng.sample(names, count)
        for index, name in enumerate(faulty):
            behaviour: Behaviour = rng.choice(config.behaviours) if index < tolerance else "crash"
            behaviours[name] = behaviour
            if behaviour == "crash":
                crashes.append(Crash(name, rng.randint(0, gst), None))
            elif behaviour == "amnesia":
                at = rng.randint(0, gst)
                crashes.append(Crash(name, at, at + rng.randint(3, 30), keep_state=False))
            elif behaviour == "twins":
                # The second instance talks to a random half of the others
                # until the end of the run (a partition only the twins see).
                others = [n for n in witnesses + supernodes + citizens if n != name]
                twins[name] = tuple(sorted(rng.sample(others, len(others) // 2)))
    honest = [n for n in witnesses + supernodes if n not in behaviours]
    if config.crashes and honest and rng.random() < 0.5:
        # An honest node crashes and restarts with its persisted state, before GST.
        name = rng.choice(honest)
        at = rng.randint(0, max(gst - 1, 0))
        crashes.append(Crash(name, at, rng.randint(at + 1, max(gst, at + 1)), keep_state=True))
    if config.honest_amnesia and honest:
        # An honest node loses its unsynced writes: it restarts with the
        # state it had persisted a few ticks before the crash.
        name = rng.choice(honest)
        at = rng.randint(1, gst)
        crashes.append(
            Crash(name, at, at + rng.randint(1, 10), rollback=max(0, at - rng.randint(1, 20)))
        )
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
        twins=twins,
        policy=random_policy(rng) if "adversary" in behaviours.values() else Policy(),
    )


@lru_cache(maxsize=256)
def sim_signer(name: str) -> Signer:
    """The simulator's key of ``name`` (deterministic and cached: key objects are costly)."""
    return Signer.from_seed(name, KEY_SEED)
