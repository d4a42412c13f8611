"""Seeded fault-injection runs: safety always, liveness within the fault tolerance."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chain.consensus.simulator.checker import Summary
from chain.consensus.simulator.faults import (
    BEHAVIOURS,
    Crash,
    FaultPlan,
    Partition,
    SimConfig,
    node_names,
)
from chain.consensus.simulator.runner import simulate
from chain.management.commands.consensus import run_seeds

DEFAULT = SimConfig()


def batch(config: SimConfig, seeds: range, jobs: int = 1) -> Summary:
    summary = Summary(config, seeds.start)
    for reports in run_seeds(config, seeds, jobs):
        for report in reports:
            summary.add(report)
    return summary


@pytest.mark.slow
def test_500_seeded_runs_of_the_default_fault_mix_are_safe_and_live() -> None:
    started = time.perf_counter()
    # Two processes (the CI machine has two cores); the result does not depend on it.
    summary = batch(DEFAULT, range(1000, 1500), jobs=2)
    elapsed = time.perf_counter() - started
    assert summary.runs == 500
    assert summary.safety_violations == 0, summary.failures
    assert summary.liveness_failures == 0, summary.failures
    assert summary.min_final_height == DEFAULT.target_height
    # The mix really is hostile: equivocations caught, forgeries refused, takeovers.
    assert summary.evidence_recorded > 100
    assert summary.refused["invalid-signature"] > 0
    assert summary.refused["wrong-tier"] > 0
    assert summary.refused["replay"] > 0
    assert summary.messages["dropped"] > 0
    assert summary.messages["duplicated"] > 0
    assert summary.storage["passed"] > 0
    assert summary.storage["failed"] > 0  # corrupted replicas
    print(
        f"\n500 runs in {elapsed:.1f} s ({500 / elapsed:.0f} runs/s), max {summary.max_ticks} ticks"
    )


def test_more_than_f_faulty_witnesses_the_supernodes_take_over_and_finality_continues() -> None:
    for faulty in (2, 4):
        config = replace(DEFAULT, faulty_witnesses=faulty)
        summary = batch(config, range(30))
        assert summary.safety_violations == 0, summary.failures
        assert summary.liveness_failures == 0, summary.failures
        assert summary.takeover_blocks > 0


def test_more_than_f_faulty_supernodes_halts_safely() -> None:
    config = replace(DEFAULT, faulty_supernodes=2, faulty_witnesses=2)
    assert not config.liveness_expected
    summary = batch(config, range(30))
    assert summary.safety_violations == 0, summary.failures
    assert summary.liveness_failures == 0, "liveness is not expected, so not a failure"
    assert summary.halted > 0
    assert "may halt" in summary.expected()


def test_seven_node_tiers_tolerate_two_faults_each() -> None:
    config = SimConfig(
        witnesses=7, supernodes=7, citizens=5, faulty_witnesses=2, faulty_supernodes=2
    )
    summary = batch(config, range(15))
    assert summary.ok, summary.failures


def test_the_same_seed_gives_the_same_report() -> None:
    first = simulate(DEFAULT, 42).to_dict()
    assert simulate(DEFAULT, 42).to_dict() == first
    assert simulate(DEFAULT, 43).to_dict() != first


def plan(gst: int = 10, **fields: object) -> FaultPlan:
    return FaultPlan(gst=gst, drop=0.05, max_delay=3, **fields)  # type: ignore[arg-type]


def test_with_every_witness_down_every_block_is_a_takeover_block() -> None:
    witnesses, _, _ = node_names(DEFAULT)
    config = replace(DEFAULT, faulty_witnesses=4)
    crashed = plan(
        behaviours=dict.fromkeys(witnesses, "crash"),
        crashes=tuple(Crash(name, 0) for name in witnesses),
    )
    report = simulate(config, 7, crashed)
    assert report.ok, report.to_dict()
    assert report.takeover_blocks == DEFAULT.target_height
    assert report.committed_height == 0


def test_an_equivocating_supernode_is_caught_and_changes_nothing() -> None:
    report = simulate(DEFAULT, 3, plan(behaviours={"supernode-2": "equivocate"}))
    assert report.ok, report.to_dict()
    signers = {e["signer"] for e in report.evidence}
    assert signers == {"supernode-2"}
    assert {e["kind"] for e in report.evidence} >= {"prevote", "precommit", "finalize"}


def test_forgers_and_replayers_are_refused_and_change_nothing() -> None:
    # Several seeds: whether a replayer gets to replay in one run depends on
    # the draws, which move whenever the honest nodes send fewer messages.
    refused: Counter[str] = Counter()
    for seed in (3, 5, 7):
        report = simulate(
            DEFAULT, seed, plan(behaviours={"witness-2": "replay", "supernode-3": "bad-signature"})
        )
        assert report.ok, report.to_dict()
        assert report.evidence == []
        refused.update(report.refused)
    assert refused["invalid-signature"] > 0
    assert refused["replay"] > 0


def test_relays_that_never_pass_a_decision_on_delay_it_and_never_lose_it() -> None:
    # Witness-2 and supernode-2 vote but send no commit certificate, final
    # block or cosign request: at the heights they relay, the other relay
    # of the f + 1 (honest) and the resend timers carry the decision.
    withholding = {"witness-2": "withhold-decisions", "supernode-2": "withhold-decisions"}
    for seed in (13, 14):
        report = simulate(DEFAULT, seed, plan(behaviours=withholding))
        assert report.ok, report.to_dict()
        assert report.final_height >= DEFAULT.target_height
        assert report.witnessed_height >= DEFAULT.target_height - 1


def test_honest_crashes_with_persisted_state_and_a_healed_partition_stay_safe_and_live() -> None:
    report = simulate(
        DEFAULT,
        11,
        plan(
            gst=40,
            crashes=(Crash("supernode-1", 5, 30), Crash("witness-3", 8, 25)),
            partitions=(Partition(2, 35, ("supernode-2", "witness-1", "citizen-1")),),
            skew={"supernode-4": 3, "witness-2": 5},
        ),
    )
    assert report.ok, report.to_dict()
    assert report.final_height == DEFAULT.target_height


# --- random fault schedules -------------------------------------------------------------

SMALL = SimConfig(citizens=2, target_height=3, faulty_witnesses=1, faulty_supernodes=1)
WITNESSES, SUPERNODES, CITIZENS = node_names(SMALL)
EVERYONE = WITNESSES + SUPERNODES + CITIZENS


@st.composite
def fault_plans(draw: st.DrawFn) -> tuple[SimConfig, FaultPlan]:
    gst = draw(st.integers(0, 40))
    behaviours = {}
    crashes = []
    for names in (WITNESSES, SUPERNODES):
        # Up to one byzantine member (f = F = 1), any number of crashed ones.
        byzantine = draw(st.sampled_from([None, *names]))
        if byzantine is not None:
            behaviour = draw(st.sampled_from(BEHAVIOURS))
            behaviours[byzantine] = behaviour
            if behaviour in ("crash", "amnesia"):
                at = draw(st.integers(0, gst))
                restart = at + draw(st.integers(1, 30)) if behaviour == "amnesia" else None
                crashes.append(Crash(byzantine, at, restart, keep_state=behaviour != "amnesia"))
        for name in draw(st.lists(st.sampled_from(names), max_size=2, unique=True)):
            if name in behaviours:
                continue
            at = draw(st.integers(0, gst + 20))
            if draw(st.booleans()):
                behaviours[name] = "crash"  # down for good: beyond the tolerance
                crashes.append(Crash(name, at))
            else:
                # Honest: back with its persisted state (at GST at the latest).
                crashes.append(Crash(name, at, at + draw(st.integers(1, 30))))
    partitions = tuple(
        Partition(start, start + length, tuple(side))
        for start, length, side in draw(
            st.lists(
                st.tuples(
                    st.integers(0, gst + 10),
                    st.integers(1, 30),
                    st.lists(st.sampled_from(EVERYONE), min_size=1, max_size=6, unique=True),
                ),
                max_size=2,
            )
        )
    )
    skew = draw(st.dictionaries(st.sampled_from(EVERYONE), st.integers(3, 5), max_size=5))
    faulty_w = sum(1 for n in behaviours if n in WITNESSES)
    faulty_s = sum(1 for n in behaviours if n in SUPERNODES)
    config = replace(SMALL, faulty_witnesses=faulty_w, faulty_supernodes=faulty_s)
    fault_plan = FaultPlan(
        gst=gst,
        behaviours=behaviours,
        crashes=tuple(crashes),
        partitions=partitions,
        skew=skew,
        drop=draw(st.sampled_from([0.0, 0.1, 0.3])),
        duplicate=draw(st.sampled_from([0.0, 0.2])),
        max_delay=draw(st.integers(1, 8)),
        max_delay_after_gst=draw(st.integers(1, 3)),
        corrupt_replicas=tuple(draw(st.lists(st.sampled_from(CITIZENS), max_size=1))),
    )
    return config, fault_plan


@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(fault_plans(), st.integers(0, 2**32))
def test_safety_holds_under_any_fault_schedule(
    case: tuple[SimConfig, FaultPlan], seed: int
) -> None:
    config, fault_plan = case
    report = simulate(config, seed, fault_plan)
    assert report.safety_violations == [], report.to_dict()
    if config.liveness_expected:
        assert report.liveness_failure is None, report.to_dict()
