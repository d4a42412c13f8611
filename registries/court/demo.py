"""Synthetic court cases for ``manage.py demo``.

Everything goes through the court registry's commands with the demo judges as
actors, on a simulated timeline in the past (opening, hearings, judgments,
appeals, finality, closing), so every case's history is on the ledger as a
real court would have written it. The first cases exercise the
cross-registry processes:

1. an insolvency declared final against an active demo company (the business
   registry puts it into liquidation),
2. a final seizure order on a demo land unit (a seizure note in part III),
3. a seizure order on another land unit, lifted by a later final judgment,
4. an appeal dismissed (the judgment becomes final) and one allowed (set aside).

The effects in the other registries happen when the caller catches up the
read models (``catch_up_all()`` runs the court's processes). Deterministic
for a given ``rng`` and the same inputs.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone

from registries.business.application import BusinessRegistry
from registries.business.domain import ACTIVE
from registries.common.application import running
from registries.common.errors import NotFound
from registries.court.application import CourtRegistry
from registries.court.vocabulary import (
    ADMINISTRATIVE,
    APPEAL_DAYS,
    CIVIL,
    CRIMINAL,
    INSOLVENCY,
    SEIZURE_LIFT,
    SEIZURE_ORDER,
    Order,
)
from registries.identity.demo import IdentitySeed

TALLINN = ZoneInfo("Europe/Tallinn")
_ROOMS = ["Saal 101", "Saal 105", "Saal 201", "Saal 204", "Saal 310"]
_TITLES = {
    CIVIL: [
        "Claim for unpaid rent",
        "Damages for a water leak",
        "Dispute over a sales contract",
        "Recovery of a loan",
        "Division of joint property",
        "Claim for unpaid wages",
    ],
    CRIMINAL: [
        "Theft (Penal Code § 199)",
        "Fraud (Penal Code § 209)",
        "Drunk driving (Penal Code § 424)",
        "Embezzlement (Penal Code § 201)",
    ],
    ADMINISTRATIVE: [
        "Annulment of a building permit",
        "Dispute over a planning decision",
        "Appeal against a tax assessment",
        "Refusal of a residence permit",
    ],
}
_SUMMARIES = {
    "damages": "The defendant shall pay the claimant {n} euros with interest.",
    "dismissal": "The claim is dismissed; each party bears its own costs.",
    "conviction": "The accused is found guilty and sentenced to {m} months' probation.",
    "acquittal": "The accused is acquitted.",
    "annulment": "The contested administrative act is annulled.",
}
# Ordinary cases take their kinds in this order (about half civil, a third criminal).
_KIND_CYCLE = [CIVIL, CRIMINAL, CIVIL, ADMINISTRATIVE, CIVIL, CRIMINAL]
_OUTCOMES = {
    CIVIL: ["damages", "damages", "dismissal"],
    CRIMINAL: ["conviction", "conviction", "acquittal"],
    ADMINISTRATIVE: ["annulment", "dismissal", "damages"],
}


@dataclass
class CourtSeed:
    """What the court seeder created."""

    cases: list[str] = field(default_factory=list)
    insolvencies: list[tuple[str, str]] = field(default_factory=list)
    """(case number, company registry code) of final insolvency declarations."""
    seizures: list[tuple[str, str]] = field(default_factory=list)
    """(case number, cadastral code) of final seizure orders still standing."""
    lifted_seizures: list[tuple[str, str]] = field(default_factory=list)
    """(case number, cadastral code) of seizure orders lifted by a final judgment."""
    appeals: int = 0


class _Timeline:
    """One case's commands on a simulated calendar."""

    def __init__(self, app: CourtRegistry, rng: random.Random, number: str, judge: str, day: date):
        self.app, self.rng, self.number, self.judge, self.day = app, rng, number, judge, day

    def later(self, low: int, high: int) -> date:
        self.day += timedelta(days=self.rng.randint(low, high))
        return self.day

    def hearing(self) -> int:
        self.later(7, 40)
        moment = datetime.combine(self.day, time(self.rng.choice([9, 10, 11, 13, 14])), TALLINN)
        return self.app.schedule_hearing(
            self.number, moment, self.rng.choice(_ROOMS), self.judge, self.day
        )

    def judgment(self, order_kind: str, summary: str, **targets: Any) -> int:
        given = self.later(10, 30)
        order = Order(order_kind, summary, given, **targets)
        return self.app.record_judgment(self.number, order, self.judge, given)

    def final(self, judgment: int, kind: str) -> None:
        self.later(APPEAL_DAYS[kind] + 1, APPEAL_DAYS[kind] + 5)
        self.app.declare_final(self.number, judgment, self.judge, self.day)


def _people(identity_seed: IdentitySeed) -> list[str]:
    """Living people who are not judges (judges do not sit in their own court as parties)."""
    excluded = set(identity_seed.judges) | set(identity_seed.deceased)
    return [p for p in identity_seed.people if p not in excluded]


def _active_companies(codes: list[str]) -> list[str]:
    app = running(BusinessRegistry)
    active = []
    for code in codes:
        try:
            if app.company(code).status == ACTIVE:
                active.append(code)
        except NotFound:
            continue
    return active


def seed_court(
    rng: random.Random,
    progress: Callable[[int], None] | None,
    cases: int,
    identity_seed: IdentitySeed,
    company_codes: list[str],
    cadastral_codes: list[str],
) -> CourtSeed:
    """Open ``cases`` court cases with plausible histories; see the module docstring.

    ``identity_seed`` is the :class:`~registries.identity.demo.IdentitySeed`
    (judges, courts, people); ``company_codes`` come from the business demo and
    ``cadastral_codes`` from the property demo. ``progress(1)`` is called after
    each case. The read models are not caught up here.
    """
    app = running(CourtRegistry)
    today = timezone.localdate()
    judges: list[str] = list(identity_seed.judges)
    courts: list[str] = list(identity_seed.courts)
    people = _people(identity_seed)
    seed = CourtSeed()
    if not judges or not courts or len(people) < 2 or cases <= 0:
        return seed

    def start(kind: str, title: str, days_ago: int) -> _Timeline:
        judge = rng.choice(judges)
        opened = today - timedelta(days=days_ago)
        number = app.open_case(
            kind, rng.choice(courts), judge, title, rng.random() > 0.1, judge, opened
        )
        seed.cases.append(number)
        if progress is not None:
            progress(1)
        return _Timeline(app, rng, number, judge, opened)

    def two_people() -> tuple[str, str]:
        first, second = rng.sample(people, 2)
        return first, second

    def other_judge(judge: str) -> str:
        others = [j for j in judges if j != judge]
        return rng.choice(others) if others else judge

    showcases: list[Callable[[], None]] = []
    companies = _active_companies(company_codes)
    if companies:

        def insolvency() -> None:
            debtor = companies[0]
            creditor, _ = two_people()
            case = start(CIVIL, "Bankruptcy petition", 300)
            app.add_party(case.number, creditor, "creditor", case.judge)
            app.add_party(case.number, debtor, "debtor", case.judge)
            case.hearing()
            number = case.judgment(
                INSOLVENCY, "The debtor is declared bankrupt.", company_code=debtor
            )
            case.final(number, CIVIL)
            seed.insolvencies.append((case.number, debtor))

        showcases.append(insolvency)
    if cadastral_codes:

        def seizure() -> None:
            unit = cadastral_codes[0]
            plaintiff, defendant = two_people()
            case = start(CIVIL, "Securing a claim for a loan", 280)
            app.add_party(case.number, plaintiff, "plaintiff", case.judge)
            app.add_party(case.number, defendant, "defendant", case.judge)
            number = case.judgment(
                SEIZURE_ORDER, "The land unit is seized to secure the claim.", cadastral_code=unit
            )
            case.final(number, CIVIL)
            seed.seizures.append((case.number, unit))

        showcases.append(seizure)
    if len(cadastral_codes) > 1:

        def lifted() -> None:
            unit = cadastral_codes[1]
            plaintiff, defendant = two_people()
            case = start(CIVIL, "Securing a claim for damages", 320)
            app.add_party(case.number, plaintiff, "plaintiff", case.judge)
            app.add_party(case.number, defendant, "defendant", case.judge)
            order = case.judgment(SEIZURE_ORDER, "The land unit is seized.", cadastral_code=unit)
            case.final(order, CIVIL)
            lift = case.judgment(
                SEIZURE_LIFT,
                "The debt is paid; the seizure is lifted.",
                cadastral_code=unit,
                lifts=order,
            )
            case.final(lift, CIVIL)
            app.close_case(case.number, "The claim was paid.", case.judge, case.later(1, 5))
            seed.lifted_seizures.append((case.number, unit))

        showcases.append(lifted)

    def appealed(allowed: bool) -> Callable[[], None]:
        def run() -> None:
            plaintiff, defendant = two_people()
            case = start(CIVIL, rng.choice(_TITLES[CIVIL]), 250)
            app.add_party(case.number, plaintiff, "plaintiff", case.judge)
            app.add_party(case.number, defendant, "defendant", case.judge)
            case.hearing()
            number = case.judgment(
                "damages", _SUMMARIES["damages"].format(n=rng.randint(5, 90) * 100)
            )
            appeal = app.file_appeal(
                case.number, number, defendant, "The amount is too high.", case.later(3, 20)
            )
            seed.appeals += 1
            decision = "allowed" if allowed else "dismissed"
            summary = "The judgment is set aside." if allowed else "The judgment stands."
            app.decide_appeal(
                case.number, appeal, decision, summary, other_judge(case.judge), case.later(30, 90)
            )
            if not allowed:
                app.close_case(case.number, "Judgment final.", case.judge, case.later(1, 10))

        return run

    showcases += [appealed(allowed=False), appealed(allowed=True)]
    for showcase in showcases[:cases]:
        showcase()

    for index in range(cases - min(cases, len(showcases))):
        kind = _KIND_CYCLE[index % len(_KIND_CYCLE)]
        _ordinary_case(app, rng, kind, today, start, two_people, other_judge, seed)
    return seed


def _ordinary_case(
    app: CourtRegistry,
    rng: random.Random,
    kind: str,
    today: date,
    start: Callable[[str, str, int], _Timeline],
    two_people: Callable[[], tuple[str, str]],
    other_judge: Callable[[str], str],
    seed: CourtSeed,
) -> None:
    """A case somewhere along its way: just opened, heard, judged, appealed, closed."""
    case = start(kind, rng.choice(_TITLES[kind]), rng.randint(0, 700))
    first, second = two_people()
    if kind == CRIMINAL:
        app.add_party(case.number, first, "accused", case.judge)
        parties = [first]
    elif kind == ADMINISTRATIVE:
        app.add_party(case.number, first, "applicant", case.judge)
        parties = [first]
    else:
        app.add_party(case.number, first, "plaintiff", case.judge)
        app.add_party(case.number, second, "defendant", case.judge)
        parties = [first, second]
    for _ in range(rng.randint(0, 2)):
        if case.day + timedelta(days=40) > today:
            return
        hearing = case.hearing()
        if rng.random() < 0.15:
            app.cancel_hearing(case.number, hearing, "A party is ill.", case.judge)
    if case.day + timedelta(days=30) > today:
        if rng.random() < 0.5:  # a hearing still to come
            moment = datetime.combine(
                today + timedelta(days=rng.randint(1, 60)), time(rng.choice([9, 11, 14])), TALLINN
            )
            app.schedule_hearing(case.number, moment, rng.choice(_ROOMS), case.judge, today)
        return
    outcome = rng.choice(_OUTCOMES[kind])
    summary = _SUMMARIES[outcome].format(n=rng.randint(2, 400) * 100, m=rng.randint(3, 24))
    number = case.judgment(outcome, summary)
    deadline_end = case.day + timedelta(days=APPEAL_DAYS[kind] + 5)
    if deadline_end > today:
        return  # the appeal deadline is still running
    if rng.random() < 0.2:
        appellant = rng.choice(parties)
        appeal = app.file_appeal(
            case.number, number, appellant, "The court erred in law.", case.later(2, 10)
        )
        seed.appeals += 1
        if case.day + timedelta(days=60) > today:
            return
        decision = "dismissed" if rng.random() < 0.7 else "allowed"
        summary = "The judgment stands." if decision == "dismissed" else "Set aside."
        app.decide_appeal(
            case.number, appeal, decision, summary, other_judge(case.judge), case.later(20, 60)
        )
    else:
        case.final(number, kind)
    if rng.random() < 0.8 and case.day + timedelta(days=10) <= today:
        app.close_case(case.number, "Decided.", case.judge, case.later(1, 10))
