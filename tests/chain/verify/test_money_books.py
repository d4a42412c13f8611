"""The verifier's money rules stay in step with the money registry they replay."""

from __future__ import annotations

import dataclasses
import inspect

from eventsourcing.domain import Aggregate

from chain.verify import money as books
from registries.money import domain, quorum


def _money_events() -> dict[str, type]:
    """``Aggregate.Event`` name -> class, for every event of the money registry's aggregates."""
    events: dict[str, type] = {}
    for aggregate in vars(domain).values():
        if not (inspect.isclass(aggregate) and issubclass(aggregate, Aggregate)):
            continue
        if aggregate.__module__ != domain.__name__:
            continue
        for name, value in vars(aggregate).items():
            # ``Event`` and ``Created`` are the library's bases, never recorded as such.
            if name in ("Event", "Created"):
                continue
            if inspect.isclass(value) and issubclass(value, Aggregate.Event):
                events[f"{aggregate.__name__}.{name}"] = value
    return events


def test_the_verifier_knows_every_money_event_and_which_ones_move_cents() -> None:
    events = _money_events()
    known = set(books.WALLET_CHANGES) | set(books.SUPPLY_CHANGES) | set(books.NO_CHANGE)
    assert set(events) <= known, (
        f"add {sorted(set(events) - known)} to chain/verify/money.py (and say how they move cents)"
    )
    moving = {
        name
        for name, cls in events.items()
        if "amount_cents" in {field.name for field in dataclasses.fields(cls)}
    }
    assert moving == set(books.WALLET_CHANGES) | set(books.SUPPLY_CHANGES)


def test_the_verifier_spells_an_act_as_the_registry_signs_it() -> None:
    ours = books.act_message(
        chain_id="riik-test", act="issue", act_id="2026-01", wallet="70000001", amount_cents=12345
    )
    theirs = domain.act_message(
        chain_id="riik-test", act="issue", act_id="2026-01", wallet="70000001", amount_cents=12345
    )
    assert ours == theirs
    assert (books.ACT_KIND, books.ACT_ROUND) == (quorum.KIND, quorum.ROUND)
    assert {act for act, _ in books.SUPPLY_CHANGES.values()} == set(domain.ACTS)
