"""The one write path: get, update with one concurrency policy, create."""

from __future__ import annotations

from typing import Any

import pytest
from eventsourcing.persistence import IntegrityError as EventStoreConflict

from registries.business.application import BusinessRegistry
from registries.business.domain import Company, company_id
from registries.common.application import ATTEMPTS, Ref, running
from registries.common.errors import Conflict, NotFound
from tests.factories import register_company

pytestmark = pytest.mark.usefixtures("event_store")

ADDRESS = "Tartu, Raekoja plats 1"


def company(code: str) -> Ref[Company]:
    return Ref(Company, company_id(code), f"company with registry code {code}")


def test_get_names_what_is_missing() -> None:
    with pytest.raises(NotFound, match=r"^no company with registry code 10000018$"):
        running(BusinessRegistry).get(company("10000018"))
    ref = Ref(Company, company_id("10000018"), "company with registry code 10000018", field="code")
    with pytest.raises(NotFound, match=r"^code: no company with registry code 10000018$"):
        running(BusinessRegistry).get(ref)


def test_update_decides_again_after_a_lost_race(monkeypatch: pytest.MonkeyPatch) -> None:
    code = register_company()
    app = running(BusinessRegistry)
    save = BusinessRegistry.save
    decided: list[int] = []

    def decide(c: Company) -> None:
        decided.append(c.version)
        if len(decided) == 1:  # another command is saved meanwhile
            other = app.company(code)
            other.increase_capital(100, "other")
            save(app, other)
        c.change_address(ADDRESS, "registrar")

    app.update(company(code), decide)
    assert decided == [1, 2]  # decided again on the winner's state
    assert (app.company(code).address, app.company(code).version) == (ADDRESS, 3)


def test_update_refuses_after_losing_every_attempt(monkeypatch: pytest.MonkeyPatch) -> None:
    code = register_company()
    app = running(BusinessRegistry)
    decided: list[int] = []

    def always_loses(self: BusinessRegistry, *aggregates: Any, **kwargs: Any) -> Any:
        raise EventStoreConflict("version taken")

    def decide(c: Company) -> None:
        decided.append(c.version)
        c.change_address(ADDRESS, "registrar")

    monkeypatch.setattr(BusinessRegistry, "save", always_loses)
    with pytest.raises(
        Conflict,
        match=f"^the company with registry code {code} was changed by other commands at the same",
    ):
        app.update(company(code), decide)
    assert decided == [1] * ATTEMPTS


def test_update_saves_nothing_when_nothing_was_decided(monkeypatch: pytest.MonkeyPatch) -> None:
    code = register_company()
    app = running(BusinessRegistry)

    def must_not_save(self: BusinessRegistry, *aggregates: Any, **kwargs: Any) -> Any:
        raise AssertionError("nothing to save")

    monkeypatch.setattr(BusinessRegistry, "save", must_not_save)
    assert app.update(company(code), lambda c: c.registry_code) == code


def test_a_uniqueness_clash_is_refused_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    app = running(BusinessRegistry)
    aggregate = app.company(register_company())
    saves: list[object] = []

    def clashes(self: BusinessRegistry, *aggregates: Any, **kwargs: Any) -> Any:
        saves.append(aggregates)
        raise EventStoreConflict("id taken")

    monkeypatch.setattr(BusinessRegistry, "save", clashes)
    with pytest.raises(Conflict, match=r"^code taken$"):
        app.create(aggregate, taken="code taken")
    assert len(saves) == 1
