"""Helpers for the court registry's tests: judges, courts, parties, companies, land units."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from django.db.models import Q

from chain.ledger.models import LedgerEntry
from registries.common.application import running
from registries.common.commands import issue
from registries.court.application import CourtRegistry
from registries.court.projections import PROJECTIONS
from registries.court.vocabulary import Order
from registries.property.application import PropertyRegistry
from tests.factories import register_company
from tests.registries.identity import helpers as identity

_parcels = itertools.count(7000)
TODAY = date(2026, 3, 2)


def run(command: Any) -> Any:
    """Issue a court command and catch up its read models (and run its processes)."""
    return issue(CourtRegistry, PROJECTIONS, command)


def app() -> CourtRegistry:
    return running(CourtRegistry)


def judge() -> str:
    """A judge of the court registry; return the personal code."""
    return identity.official("court", "judge")


def court() -> str:
    """A court (organisation); return its registry code."""
    return identity.organisation("court", "Harju Maakohus")


def person(first: str = "Mari", last: str = "Tamm") -> str:
    return identity.person(first, last)


def company() -> str:
    """A company in the business registry; return its registry code."""
    return register_company()


def cadastral_code() -> str:
    return f"78401:101:{next(_parcels) % 10_000:04d}"


def land_unit() -> str:
    """A registered land unit owned by a new person; return its cadastral code."""
    code = cadastral_code()
    owner = person("Peeter", "Maa")
    running(PropertyRegistry).register_land_unit(
        code, 1_250, "residential", "Lossi plats 1a, 10130 Tallinn", [(owner, "1/1")], "registrar"
    )
    return code


@dataclass
class CaseSetup:
    """A case with its judge and court (and, once added, its parties)."""

    number: str
    judge: str
    court: str


def open_case(
    kind: str = "civil",
    *,
    title: str = "Claim for unpaid rent",
    public: bool = True,
    opened_on: date = TODAY - timedelta(days=120),
    judge_code: str | None = None,
    court_code: str | None = None,
) -> CaseSetup:
    """Open a case through the registry (assigned to a new judge unless one is given)."""
    who = judge_code or judge()
    where = court_code or court()
    number = run(lambda a: a.open_case(kind, where, who, title, public, who, opened_on))
    return CaseSetup(str(number), who, where)


def add_party(case: CaseSetup, code: str, role: str) -> None:
    run(lambda a: a.add_party(case.number, code, role, case.judge))


def judgment(
    case: CaseSetup,
    kind: str = "damages",
    *,
    given_on: date = TODAY - timedelta(days=60),
    summary: str = "The defendant shall pay 1 200 euros.",
    company_code: str = "",
    cadastral: str = "",
    lifts: int = 0,
    today: date = TODAY,
) -> int:
    order = Order(kind, summary, given_on, company_code, cadastral, lifts)
    return int(run(lambda a: a.record_judgment(case.number, order, case.judge, today)))


def declare_final(case: CaseSetup, number: int, today: date = TODAY) -> None:
    run(lambda a: a.declare_final(case.number, number, case.judge, today))


def insolvency_case(debtor: str) -> CaseSetup:
    """A civil case with a creditor and the debtor company, and an insolvency judgment."""
    case = open_case(title="Bankruptcy petition")
    add_party(case, person("Kati", "Laen"), "creditor")
    add_party(case, debtor, "debtor")
    judgment(case, "insolvency-declaration", company_code=debtor, summary="Bankruptcy declared.")
    return case


def entries(registry: str, event_name: str, originator_id: UUID | None = None) -> list[LedgerEntry]:
    """Ledger entries of ``registry`` for events named ``event_name`` (of one aggregate)."""
    query = Q(registry=registry, topic__endswith=f".{event_name}")
    if originator_id is not None:
        query &= Q(originator_id=originator_id)
    return list(LedgerEntry.objects.filter(query).order_by("seq"))
