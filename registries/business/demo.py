"""Synthetic companies for ``manage.py demo``: plausible Estonian businesses.

Everything goes through the registry's commands (so every company's history
is on the ledger as a real registry would have it): registration on a past
date, then some address and board changes, capital increases, annual reports,
and a few liquidations and deletions. Deterministic for a given ``rng``.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from datetime import date, timedelta

from django.utils import timezone

from registries.business.application import BusinessRegistry, Registration
from registries.business.domain import AnnualReport, company_name_id
from registries.common.application import running
from registries.common.seeding import in_batches
from registries.identity import services as identity

ACTOR = "demo"

_HEADS = [
    "Põhja",
    "Lõuna",
    "Ida",
    "Lääne",
    "Mere",
    "Metsa",
    "Kivi",
    "Tamme",
    "Kase",
    "Järve",
    "Saare",
    "Vana",
    "Uue",
    "Päikese",
    "Tuule",
    "Kalju",
    "Linnu",
    "Karu",
    "Hundi",
    "Ilves",
    "Sini",
    "Kuld",
    "Hõbe",
    "Rukki",
    "Lepa",
    "Pärna",
    "Valge",
    "Musta",
    "Liiva",
    "Jõe",
]
_TAILS = [
    "rannik",
    "kivi",
    "tee",
    "puit",
    "ehitus",
    "tarkvara",
    "logistika",
    "kaubandus",
    "konsult",
    "energia",
    "disain",
    "aed",
    "talu",
    "meedia",
    "tehnika",
    "pagar",
    "vili",
    "auto",
    "kodu",
    "sild",
    "torn",
    "laev",
    "valgus",
    "andmed",
    "mets",
    "koda",
    "paik",
]
_EXTRAS = ["", "", "", " Grupp", " Invest", " Holding", " Partnerid", " Teenused", " Lahendused"]
_STREETS = {
    "Tallinn": (
        [
            "Narva mnt",
            "Pärnu mnt",
            "Tartu mnt",
            "Viru",
            "Lai",
            "Pikk",
            "Kentmanni",
            "Tornimäe",
            "Sõpruse pst",
            "Mustamäe tee",
            "Peterburi tee",
            "Tehnika",
        ],
        ["10117", "10141", "10115", "10111", "10133", "10123", "10116", "10145", "13424"],
    ),
    "Tartu": (
        ["Rüütli", "Riia", "Turu", "Ülikooli", "Raatuse", "Vanemuise", "Võru"],
        ["51003", "51007", "51014", "50090", "51009", "51004", "50111"],
    ),
    "Pärnu": (["Rüütli", "Riia mnt", "Tallinna mnt", "Papiniidu"], ["80010", "80011", "80042"]),
    "Narva": (["Puškini", "Tallinna mnt", "Kreenholmi"], ["20308", "20303", "20104"]),
    "Viljandi": (["Tallinna", "Lossi", "Riia mnt"], ["71020", "71004", "71009"]),
    "Kuressaare": (["Tallinna", "Lossi", "Kauba"], ["93811", "93819", "93815"]),
    "Rakvere": (["Pikk", "Tallinna", "Lõuna põik"], ["44307", "44310", "44311"]),
}
_CITY_WEIGHTS = {
    "Tallinn": 10,
    "Tartu": 4,
    "Pärnu": 2,
    "Narva": 1,
    "Viljandi": 1,
    "Kuressaare": 1,
    "Rakvere": 1,
}
_FORMS = ["OÜ"] * 16 + ["AS"] * 3 + ["MTÜ"] * 2 + ["TÜ", "UÜ"]
_LIQUIDATION_REASONS = [
    "Decision of the shareholders' general meeting",
    "Bankruptcy declared by Harju County Court",
    "Expiry of the term set in the articles of association",
    "Net assets below the minimum required by the Commercial Code",
]


def _name(rng: random.Random, legal_form: str) -> str:
    return f"{rng.choice(_HEADS)}{rng.choice(_TAILS)}{rng.choice(_EXTRAS)} {legal_form}"


def _address(rng: random.Random) -> str:
    city = rng.choices(list(_CITY_WEIGHTS), weights=list(_CITY_WEIGHTS.values()))[0]
    streets, postcodes = _STREETS[city]
    number = rng.randint(1, 120)
    flat = f"-{rng.randint(1, 60)}" if rng.random() < 0.3 else ""
    return f"{rng.choice(streets)} {number}{flat}, {rng.choice(postcodes)} {city}"


def _people(rng: random.Random, low: int, high: int, living: list[str]) -> list[str]:
    """Some living people of the population register (founders and board members must be)."""
    return rng.sample(living, min(rng.randint(low, high), len(living)))


def _capital_cents(rng: random.Random, legal_form: str) -> int:
    if legal_form == "AS":
        return rng.choice([25_000, 30_000, 50_000, 100_000, 250_000]) * 100
    if legal_form == "OÜ":
        return rng.choice([1, 2_500, 2_500, 2_500, 5_000, 10_000, 35_000]) * 100
    return 0


def _new_registration(
    app: BusinessRegistry,
    rng: random.Random,
    living: list[str],
    batch: Sequence[tuple[Registration, date]],
) -> tuple[Registration, date]:
    """A made-up registration on a past day, under a name neither the registry nor
    ``batch`` has (so a batch is seldom sent again for a clash).

    Its first founder pays the state fee and founds nothing else in ``batch``:
    a batch settles every fee together, and one float pays one fee at a time.
    """
    registered_on = timezone.localdate() - timedelta(days=rng.randint(30, 365 * 20))
    legal_form = rng.choice(_FORMS)
    payers = {registration.founders[0] for registration, _ in batch}
    founders = _people(rng, 1, 3, living)
    while founders[0] in payers and len(payers) < len(living):
        founders = _people(rng, 1, 3, living)
    names = {registration.name for registration, _ in batch}
    for attempt in range(50):
        name = _name(rng, legal_form)
        if attempt >= 10:  # a crowded registry: make the name distinctive
            name = f"{name.rsplit(' ', 1)[0]} {rng.randint(2, 999)} {legal_form}"
        if name not in names and company_name_id(name) not in app.repository:
            break
    registration = Registration(
        name=name,
        legal_form=legal_form,
        share_capital_cents=_capital_cents(rng, legal_form),
        founders=founders,
        board=_people(rng, 1, 3, living),
        address=_address(rng),
    )
    return registration, registered_on


def _register_batch(
    app: BusinessRegistry,
    batch: list[tuple[Registration, date]],
    ready_to_pay: Callable[[str], None],
) -> list[tuple[str, date]]:
    """Register a batch of companies in one transaction; their codes and registration days.

    A batch has one registration day (the command's ``today``): its first item's.
    """
    for registration, _ in batch:
        ready_to_pay(registration.founders[0])  # the state fee
    day = batch[0][1]
    codes = app.register_companies([registration for registration, _ in batch], ACTOR, day)
    return [(code, day) for code in codes]


def _live_a_life(
    app: BusinessRegistry,
    rng: random.Random,
    code: str,
    registered_on: date,
    today: date,
    living: list[str],
    ready_to_pay: Callable[[str], None],
) -> None:
    """Some of what happens to a company after registration."""
    if rng.random() < 0.2:
        app.change_address(code, _address(rng), ACTOR)
    if rng.random() < 0.15:
        board = _people(rng, 1, 3, living)
        if sorted(board) != sorted(app.company(code).board):  # the same board is no change
            app.change_board(code, board, ACTOR)
    if rng.random() < 0.3:
        app.increase_capital(code, rng.choice([1_000, 5_000, 10_000, 50_000]) * 100, ACTOR)
    if rng.random() < 0.7:
        first = max(registered_on.year, today.year - 4)
        for year in range(first, today.year):
            revenue = rng.randint(0, 5_000_000) * 100
            margin = rng.uniform(-0.15, 0.25)
            report = AnnualReport(
                year=year,
                revenue_cents=revenue,
                net_profit_cents=int(revenue * margin) // 100 * 100,
                employees=rng.randint(0, 80),
            )
            ready_to_pay(code)  # the company pays the report's state fee
            app.file_annual_report(code, report, ACTOR, today)
    roll = rng.random()
    if roll < 0.08:
        app.enter_liquidation(code, rng.choice(_LIQUIDATION_REASONS), ACTOR)
        if roll < 0.03:
            app.delete_company(code, ACTOR)


def seed_companies(
    count: int,
    rng: random.Random,
    progress: Callable[[int], None] | None = None,
    ready_to_pay: Callable[[str], None] = lambda payer: None,
) -> list[str]:
    """Register ``count`` companies with a plausible history; return their codes.

    Companies are registered in batches, one transaction each
    (:func:`~registries.common.seeding.in_batches`), each batch on one past
    day; ``progress(n)`` is called after each batch of ``n``. The read models
    are not caught up here (the caller does it once at the end). Founders and
    board members are drawn from the living people of the population register.
    ``ready_to_pay(code)`` is called before each command that charges a state
    fee, with its payer (the money demo funds their wallet).
    """
    app = running(BusinessRegistry)
    today = timezone.localdate()
    living = identity.living_persons()
    if not living:
        msg = "the population register holds no living person to found a company"
        raise RuntimeError(msg)
    codes = []
    batches = in_batches(
        count,
        lambda batch: _new_registration(app, rng, living, batch),
        lambda batch: _register_batch(app, batch, ready_to_pay),
    )
    for registered in batches:
        for code, registered_on in registered:
            _live_a_life(app, rng, code, registered_on, today, living, ready_to_pay)
            codes.append(code)
        if progress is not None:
            progress(len(registered))
    return codes
