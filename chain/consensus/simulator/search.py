"""The search over the adversary's choices: random, or guided towards slow decisions.

Pure: each run is ``simulate(config, seed + i, plan)`` with a plan drawn as
usual and an adversary :class:`~chain.consensus.simulator.faults.Policy`
drawn from ``random.Random(f"search/{seed}")``, so a whole search is
reproduced from its first seed, and one run from its seed and its policy
(both in its report's ``faults``).

*Random* draws every policy afresh. *Guided* is a hill climb: it keeps the
policy of the run that delayed decisions most (:func:`delay_score`) and
mostly tries small changes of it, so the search spends its runs near the
schedules that hurt.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import replace
from typing import Literal

from chain.consensus.simulator.checker import RunReport
from chain.consensus.simulator.faults import Policy, SimConfig, plan_faults, random_policy
from chain.consensus.simulator.runner import simulate

__all__ = ["SEARCHES", "Search", "delay_score", "mutate", "search"]

Search = Literal["random", "guided"]
SEARCHES: tuple[Search, ...] = ("random", "guided")


def delay_score(report: RunReport) -> float:
    """How much a run delayed decisions: ticks used of the bound, plus heights short of target."""
    short = max(report.target_height - report.final_height, 0)
    return report.ticks / max(report.bound, 1) + short


def mutate(policy: Policy, rng: random.Random) -> Policy:
    """``policy`` with each odd moved a little (kept within 0..1)."""

    def nudge(value: float) -> float:
        return min(1.0, max(0.0, value + rng.uniform(-0.2, 0.2)))

    return Policy(
        withhold=nudge(policy.withhold),
        tamper=nudge(policy.tamper),
        relay=nudge(policy.relay),
        replay=nudge(policy.replay),
        slow=nudge(policy.slow),
    )


def search(
    config: SimConfig, seeds: Sequence[int], how: Search = "guided"
) -> tuple[list[RunReport], Policy | None]:
    """Run ``seeds`` with searched adversary policies; the reports and the worst policy found."""
    if not seeds:
        return [], None
    rng = random.Random(f"search/{seeds[0]}/{how}")
    reports: list[RunReport] = []
    best: tuple[float, Policy] | None = None
    for seed in seeds:
        plan = plan_faults(config, random.Random(f"plan/{seed}"))
        if how == "guided" and best is not None and rng.random() < 0.75:
            policy = mutate(best[1], rng)
        else:
            policy = random_policy(rng)
        report = simulate(config, seed, replace(plan, policy=policy))
        reports.append(report)
        score = delay_score(report)
        if best is None or score > best[0]:
            best = (score, policy)
    return reports, None if best is None else best[1]
