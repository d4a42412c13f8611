"""The checker: what a run must show, one run's report, many runs summed up.

SAFETY: no two committed blocks at one height among honest witnesses; no
two final blocks at one height (whoever observed them); every final block
with a valid certificate; every honest node's final chain a prefix of every
other's; no alarm at an honest node; no equivocation evidence against an
honest node, and all of it verifiable; no honest citizen failing a storage
challenge. LIVENESS, when at most F supernodes are faulty: every honest
supernode has the target height final, and witnessed when enough honest
citizens exist, within the run's tick bound. Beyond F a halt is allowed
(a safe halt), a safety violation never.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from chain.consensus.evidence import Evidence, check_certificate, verify_evidence
from chain.consensus.membership import Membership
from chain.consensus.messages import FINALIZE_ROUND, FinalBlock
from chain.consensus.node import Alarm, Committed, Finalized, Output, StorageChecked, Witnessed
from chain.consensus.simulator.faults import SimConfig

__all__ = ["Observations", "RunReport", "Summary"]


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
    fault_classes: list[str]
    choices: int
    """Choice points of the adversary in this run (0 without one)."""

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
            "fault_classes": self.fault_classes,
            "adversary_choices": self.choices,
        }


class Observations:
    """What the honest nodes decided and reported, as the checker needs it."""

    def __init__(
        self,
        *,
        witnesses: list[str],
        supernodes: list[str],
        names: list[str],
        faulty: Mapping[str, str],
        bad_replicas: set[str],
    ) -> None:
        self.faulty = faulty
        self.bad_replicas = bad_replicas
        self.committed: dict[str, dict[int, bytes]] = {n: {} for n in witnesses}
        self.finalized: dict[str, dict[int, bytes]] = {n: {} for n in names}
        self.final_certs: dict[tuple[int, bytes], FinalBlock] = {}
        self.witnessed: dict[str, int] = {n: 0 for n in supernodes}
        self.alarms: list[tuple[str, Alarm]] = []
        self.evidence: dict[tuple[Any, ...], Evidence] = {}
        self.refused: dict[str, int] = {}
        self.storage = {"passed": 0, "failed": 0, "unanswered": 0}
        self.storage_violations: list[str] = []

    def record(self, name: str, out: Output) -> None:
        """Note the decisions and evidence of one output of ``name``."""
        for decision in out.decisions:
            self.observe(name, decision)
        for evidence in out.evidence:
            if name in self.faulty:
                continue
            if evidence.attributable:
                self.evidence.setdefault(evidence.key, evidence)
            else:
                self.refused[evidence.kind] = self.refused.get(evidence.kind, 0) + 1

    def observe(self, name: str, decision: Any) -> None:
        """Note one decision."""
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

    def check_safety(
        self, membership: Membership, honest_witnesses: list[str], chains: dict[str, list[bytes]]
    ) -> list[str]:
        """Every safety violation the observations show (empty: safe)."""
        violations: list[str] = []
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
                membership.validator_set("supernode", height),
                tier="supernode",
                kind="finalize",
                height=height,
                round=FINALIZE_ROUND,
                block_hash=digest,
            )
            if not result.valid:
                violations.append(f"height {height}: a final block without a valid certificate")
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
            if not verify_evidence(evidence, membership):
                violations.append(f"unverifiable evidence against {evidence.vote.signer}")
            if evidence.vote.signer not in self.faulty:
                violations.append(f"equivocation evidence against honest {evidence.vote.signer}")
        violations.extend(self.storage_violations)
        return violations


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
    fault_classes: dict[str, int] = field(default_factory=dict)
    """Runs that exercised each fault class."""
    adversary_choices: int = 0
    """Choice points the adversary met over all runs."""
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
        for fault_class in report.fault_classes:
            self.fault_classes[fault_class] = self.fault_classes.get(fault_class, 0) + 1
        self.adversary_choices += report.choices
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

    def refused_total(self) -> int:
        """Messages refused over all runs (bad signatures, replays, wrong tiers)."""
        return sum(self.refused.values())

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
            "schedules_explored": self.runs,
            "adversary_choices": self.adversary_choices,
            "fault_classes": dict(sorted(self.fault_classes.items())),
        }
