"""Searching for attacks: the adversary, Twins, amnesia (issue 15).

The fixed byzantine templates found none of issue 15's findings; these runs
let an adversary choose what to rewrite, withhold, replay and when honest
messages arrive, run honest keys twice, and roll honest nodes back.
"""

from __future__ import annotations

import time
from dataclasses import replace

import pytest

from chain.consensus.simulator.checker import RunReport, Summary
from chain.consensus.simulator.faults import (
    BEHAVIOURS,
    Crash,
    FaultPlan,
    Partition,
    Policy,
    SimConfig,
    node_names,
)
from chain.consensus.simulator.runner import simulate, simulate_many
from chain.consensus.simulator.search import search

SHORT = SimConfig(
    citizens=0,
    target_height=1,
    gst=8,
    takeover_ticks=10,
    max_delay=3,
    honest_amnesia=True,
)
"""Short runs (one height, no citizens): a thousand of them fit in a minute on one core."""


def summed(config: SimConfig, reports: list[RunReport]) -> Summary:
    summary = Summary(config, reports[0].seed if reports else 0)
    for report in reports:
        summary.add(report)
    return summary


def test_1000_adversarial_runs_are_safe_and_live_within_f_and_F() -> None:
    started = time.perf_counter()
    adversary = replace(SHORT, behaviours=("adversary",))
    guided, worst = search(adversary, range(0, 300), "guided")
    randomly, _ = search(adversary, range(300, 500), "random")
    twins = replace(SHORT, behaviours=("twins",))
    amnesia = replace(SHORT, behaviours=BEHAVIOURS)
    summaries = [
        summed(adversary, guided + randomly),
        summed(twins, simulate_many(twins, range(500, 750))),
        summed(amnesia, simulate_many(amnesia, range(750, 1000))),
    ]
    elapsed = time.perf_counter() - started
    assert sum(s.runs for s in summaries) == 1000
    for summary in summaries:
        assert summary.safety_violations == 0, summary.failures
        assert summary.liveness_failures == 0, summary.failures
    classes = {c for s in summaries for c in s.fault_classes}
    assert {"adversary", "twins", "honest-amnesia"} <= classes
    assert summaries[0].adversary_choices > 10_000
    assert summaries[0].refused_total() > 0, "rewritten signed fields were refused"
    assert worst is not None
    print(f"\n1000 adversarial runs in {elapsed:.1f} s on one core")


def test_the_search_is_reproducible_from_its_seed() -> None:
    config = replace(SHORT, behaviours=("adversary",))
    first, worst = search(config, range(40, 52), "guided")
    again, worst_again = search(config, range(40, 52), "guided")
    assert [r.to_dict() for r in first] == [r.to_dict() for r in again]
    assert worst == worst_again
    # One run is reproduced from its seed and the policy in its report.
    report = first[5]
    assert report.faults["policy"] == again[5].faults["policy"]


def test_beyond_f_and_F_the_adversary_gets_a_safe_halt_at_worst() -> None:
    config = replace(SHORT, behaviours=("adversary", "twins"), faulty_supernodes=2)
    summary = summed(config, simulate_many(config, range(60)))
    assert not config.liveness_expected
    assert summary.safety_violations == 0, summary.failures


def amnesia_plan(config: SimConfig) -> FaultPlan:
    """Supernodes 1-3 finalize a takeover block while 4 is cut off; then 2 and 3 lose it all.

    Both restart with the state they had at tick 0 and meet supernode 4,
    while supernode 1, the only one that remembers the block, is cut off.
    """
    witnesses, _, _ = node_names(config)
    return FaultPlan(
        gst=200,
        behaviours=dict.fromkeys(witnesses, "crash"),
        crashes=(
            *(Crash(name, 0) for name in witnesses),
            Crash("supernode-2", 25, 26, rollback=0),
            Crash("supernode-3", 25, 70, rollback=0),
        ),
        partitions=(Partition(0, 60, ("supernode-4",)), Partition(25, 200, ("supernode-1",))),
    )


def test_without_durable_signing_state_amnesia_makes_two_final_blocks() -> None:
    """The checker can fail: a node that forgets what it signed signs again."""
    config = SimConfig(
        citizens=0,
        faulty_witnesses=4,
        faulty_supernodes=0,
        target_height=1,
        takeover_ticks=12,
        max_ticks=260,
    )
    forgetful = simulate(replace(config, durable_signing=False), 1, amnesia_plan(config))
    assert "height 1: 2 different final blocks" in forgetful.safety_violations
    durable = simulate(config, 1, amnesia_plan(config))
    assert durable.safety_violations == []
    assert durable.liveness_failure is None


@pytest.mark.slow
def test_a_longer_guided_search_with_citizens_finds_nothing() -> None:
    config = replace(SimConfig(), behaviours=("adversary", "twins"), honest_amnesia=True)
    reports, _ = search(config, range(2000, 2300), "guided")
    summary = summed(config, reports)
    assert summary.safety_violations == 0, summary.failures
    assert summary.liveness_failures == 0, summary.failures


def test_the_relay_race_of_issue_15_does_not_stall_the_chain() -> None:
    """Honest messages take 3 ticks, the adversary's rewritten copies 1: it relays everything."""
    config = SimConfig(citizens=0, target_height=6)
    plan = FaultPlan(
        gst=0,
        behaviours={"witness-2": "adversary", "supernode-2": "adversary"},
        max_delay=3,
        max_delay_after_gst=3,
        policy=Policy(withhold=0.0, tamper=1.0, relay=1.0, replay=0.0, slow=1.0),
    )
    report = simulate(config, 15, plan)
    assert report.safety_violations == []
    assert report.liveness_failure is None
    assert report.final_height == 6
    assert report.refused.get("invalid-signature", 0) > 0, "the rewritten copies were refused"
