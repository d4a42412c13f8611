"""The court's cross-registry processes: final judgments act in the business and
property registries exactly once, also when the process dies between the effect
and its tracking (in-process and as a real process killed with SIGKILL)."""

from __future__ import annotations

import importlib
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from chain.ledger.models import LedgerEntry
from registries.business.application import BusinessRegistry
from registries.business.domain import company_id
from registries.business.models import CompanyRecord
from registries.common.application import running
from registries.common.models import ProjectionPosition
from registries.common.projections import catch_up_all
from registries.court import processes
from registries.court.application import CourtRegistry
from registries.court.domain import Case
from registries.court.models import EnforcementRecord
from registries.court.processes import (
    InsolvencyLiquidation,
    SeizureNotes,
    court_cause,
    court_entry_of,
    run_process,
    run_processes,
)
from tests.factories import database_env
from tests.registries.court.helpers import (
    TODAY,
    CaseSetup,
    add_party,
    app,
    company,
    declare_final,
    entries,
    insolvency_case,
    judgment,
    land_unit,
    open_case,
    person,
    run,
)

pytestmark = pytest.mark.usefixtures("event_store")
ROOT = Path(__file__).resolve().parents[3]


def _property_has_seizures() -> bool:
    try:
        module = importlib.import_module("registries.property.application")
    except ModuleNotFoundError:
        return False
    registry = getattr(module, "PropertyRegistry", None)
    return hasattr(registry, "note_seizure") and hasattr(registry, "lift_seizure")


needs_seizures = pytest.mark.skipif(
    not _property_has_seizures(),
    reason="registries.property.application.PropertyRegistry lacks note_seizure/lift_seizure",
)


def liquidations(code: str) -> list[LedgerEntry]:
    return entries("business", "LiquidationEntered", company_id(code))


def seizure_events(unit: str, name: str) -> list[LedgerEntry]:
    from registries.property.vocabulary import land_unit_id

    return entries("property", name, land_unit_id(unit))


def final_event(case: CaseSetup, judgment_number: int) -> LedgerEntry:
    """The court ledger entry of the event that made the judgment final."""
    case_id = app().case(case.number).id
    version = app().case(case.number).judgments[judgment_number].final_version
    return LedgerEntry.objects.get(
        registry="court", originator_id=case_id, originator_version=version
    )


def notification_of(entry: LedgerEntry) -> int:
    """The court notification id of the event a court ledger entry records."""
    for notification in app().recorder.select_notifications(start=None, limit=10_000):
        if (notification.originator_id, notification.originator_version) == (
            entry.originator_id,
            entry.originator_version,
        ):
            return int(notification.id)
    raise AssertionError(f"no notification for {entry}")


def last_notification() -> int:
    return int(app().recorder.max_notification_id() or 0)


def position(name: str) -> int:
    # The processes' positions are in the court's database (ADR 0069).
    positions = ProjectionPosition.objects.using(CourtRegistry.database())
    found = positions.filter(projection=name, application="court").first()
    return found.notification_id if found is not None else 0


def silently_final(case: CaseSetup, number: int) -> None:
    """Declare final without catching up anything (the processes do not run)."""
    app().declare_final(case.number, number, case.judge, TODAY)


# Insolvency -> liquidation ------------------------------------------------------------------


def test_a_final_insolvency_puts_the_company_into_liquidation_with_a_verifiable_cause() -> None:
    debtor = company()
    case = insolvency_case(debtor)
    assert liquidations(debtor) == []  # not final yet: nothing happens
    declare_final(case, 1)

    [entry] = liquidations(debtor)
    cause = running(BusinessRegistry).company(debtor).liquidation_cause
    court_event = final_event(case, 1)
    assert cause == (
        f"court:{court_event.originator_id}:{court_event.originator_version}@{court_event.seq}"
    )
    assert court_entry_of(cause) == court_event
    assert court_event.topic.endswith("Case.JudgmentBecameFinal")
    record = CompanyRecord.objects.get(registry_code=debtor)
    assert (record.status, record.liquidation_cause) == ("in_liquidation", cause)
    assert case.number in record.liquidation_reason
    enforcement = EnforcementRecord.objects.get(cause=cause)
    assert (enforcement.outcome, enforcement.registry, enforcement.action, enforcement.target) == (
        "done",
        "business",
        "enter_liquidation",
        debtor,
    )
    assert (enforcement.case_number, enforcement.judgment, enforcement.court_seq) == (
        case.number,
        1,
        court_event.seq,
    )
    # Running again changes nothing.
    assert run_processes() == 0
    assert len(liquidations(debtor)) == 1
    assert entry.seq == LedgerEntry.objects.filter(registry="business").latest("seq").seq


def test_a_cause_that_does_not_match_its_court_entry_is_not_followed() -> None:
    debtor = company()
    case = insolvency_case(debtor)
    declare_final(case, 1)
    cause = running(BusinessRegistry).company(debtor).liquidation_cause
    head, seq = cause.rsplit("@", 1)
    assert court_entry_of(f"{head}@{int(seq) - 1}") is None
    prefix, version_seq = cause.rsplit(":", 1)
    assert court_entry_of(f"{prefix}:9{version_seq}") is None
    assert court_entry_of("court:not-a-cause") is None


def test_an_insolvency_under_appeal_acts_only_when_the_appeal_is_dismissed() -> None:
    debtor = company()
    case = open_case(title="Bankruptcy petition")
    creditor = person("Kati", "Laen")
    add_party(case, creditor, "creditor")
    add_party(case, debtor, "debtor")
    judgment(
        case,
        "insolvency-declaration",
        company_code=debtor,
        given_on=TODAY - timedelta(days=3),
    )
    run(lambda a: a.file_appeal(case.number, 1, creditor, "Wrong debtor.", TODAY))
    assert liquidations(debtor) == []
    from tests.registries.court.helpers import judge

    appeal_judge = judge()
    run(lambda a: a.decide_appeal(case.number, 1, "dismissed", "Stands.", appeal_judge, TODAY))
    assert len(liquidations(debtor)) == 1


def test_an_insolvency_set_aside_on_appeal_never_acts() -> None:
    debtor = company()
    case = open_case(title="Bankruptcy petition")
    creditor = person("Kati", "Laen")
    add_party(case, creditor, "creditor")
    add_party(case, debtor, "debtor")
    judgment(
        case,
        "insolvency-declaration",
        company_code=debtor,
        given_on=TODAY - timedelta(days=3),
    )
    run(lambda a: a.file_appeal(case.number, 1, creditor, "Wrong debtor.", TODAY))
    from tests.registries.court.helpers import judge

    appeal_judge = judge()
    run(lambda a: a.decide_appeal(case.number, 1, "allowed", "Set aside.", appeal_judge, TODAY))
    assert liquidations(debtor) == []
    assert not EnforcementRecord.objects.exists()


def test_a_refused_liquidation_is_recorded_and_not_retried() -> None:
    debtor = company()
    running(BusinessRegistry).enter_liquidation(debtor, "Owners' decision", "registrar")
    case = insolvency_case(debtor)
    declare_final(case, 1)
    enforcement = EnforcementRecord.objects.get()
    assert enforcement.outcome == "refused"
    assert "is in liquidation" in enforcement.detail
    assert len(liquidations(debtor)) == 1  # the owners' one
    assert position(InsolvencyLiquidation.name) == last_notification()
    assert run_processes() == 0


def test_killed_after_the_liquidation_but_before_tracking_it_liquidates_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    debtor = company()
    case = insolvency_case(debtor)
    silently_final(case, 1)
    before = position(InsolvencyLiquidation.name)

    def crash() -> None:
        raise RuntimeError("killed between the effect and its tracking")

    monkeypatch.setattr(processes, "after_effect", crash)
    with pytest.raises(RuntimeError, match="killed between"):
        run_process(InsolvencyLiquidation)
    assert len(liquidations(debtor)) == 1  # the effect happened ...
    assert position(InsolvencyLiquidation.name) == before  # ... its tracking did not
    assert not EnforcementRecord.objects.exists()

    monkeypatch.undo()
    catch_up_all()  # the restarted process does it all again
    assert len(liquidations(debtor)) == 1
    cause = court_cause(app().case(case.number).id, final_event(case, 1).originator_version)
    assert running(BusinessRegistry).company(debtor).liquidation_cause == cause
    assert EnforcementRecord.objects.get(cause=cause).outcome == "done"
    assert position(InsolvencyLiquidation.name) == notification_of(final_event(case, 1))
    assert CompanyRecord.objects.get(registry_code=debtor).status == "in_liquidation"


def test_catch_up_all_survives_a_failing_process_and_retries_on_the_next_run(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    debtor = company()
    case = insolvency_case(debtor)
    silently_final(case, 1)

    def crash() -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(processes, "after_effect", crash)
    with caplog.at_level(logging.ERROR, logger="registries.court.processes"):
        catch_up_all()
    assert "court process court-process-liquidation failed" in caplog.text
    monkeypatch.undo()
    catch_up_all()
    assert len(liquidations(debtor)) == 1
    assert EnforcementRecord.objects.get().outcome == "done"


# Seizures -> part III of the title register --------------------------------------------------


def seizure_case(unit: str) -> CaseSetup:
    case = open_case(title="Securing a claim")
    add_party(case, person(), "plaintiff")
    add_party(case, person("Jüri", "Võlg"), "defendant")
    judgment(case, "seizure-order", cadastral=unit, summary="The unit is seized.")
    return case


@needs_seizures
def test_a_final_seizure_order_notes_a_seizure_and_a_final_lift_removes_it() -> None:
    from registries.property.application import PropertyRegistry
    from registries.property.models import RestrictionRecord

    unit = land_unit()
    case = seizure_case(unit)
    assert seizure_events(unit, "SeizureNoted") == []
    declare_final(case, 1)
    [noted] = seizure_events(unit, "SeizureNoted")
    seizure_cause = court_cause(app().case(case.number).id, final_event(case, 1).originator_version)
    assert court_entry_of(seizure_cause) == final_event(case, 1)
    note = RestrictionRecord.objects.get(unit__cadastral_code=unit, kind="seizure")
    assert (note.cause, note.court_case, note.order_reference, note.active) == (
        seizure_cause,
        case.number,
        f"{case.number}/1",
        True,
    )

    lift = judgment(
        case, "seizure-lift", cadastral=unit, lifts=1, given_on=TODAY, summary="Lifted."
    )
    app().declare_final(case.number, lift, case.judge, TODAY + timedelta(days=31))
    catch_up_all()
    [lifted] = seizure_events(unit, "SeizureLifted")
    lift_cause = court_cause(app().case(case.number).id, final_event(case, lift).originator_version)
    note.refresh_from_db()
    assert (note.active, note.removed_cause) == (False, lift_cause)
    assert running(PropertyRegistry).land_unit(unit).active_seizures() == []
    assert [e.action for e in EnforcementRecord.objects.order_by("court_seq")] == [
        "note_seizure",
        "lift_seizure",
    ]
    assert noted.seq < lifted.seq


@needs_seizures
def test_killed_after_noting_the_seizure_but_before_tracking_it_notes_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    unit = land_unit()
    case = seizure_case(unit)
    silently_final(case, 1)

    def crash() -> None:
        raise RuntimeError("killed between the effect and its tracking")

    monkeypatch.setattr(processes, "after_effect", crash)
    with pytest.raises(RuntimeError):
        run_process(SeizureNotes)
    assert len(seizure_events(unit, "SeizureNoted")) == 1
    assert position(SeizureNotes.name) < notification_of(final_event(case, 1))
    monkeypatch.undo()
    catch_up_all()
    catch_up_all()
    [noted] = seizure_events(unit, "SeizureNoted")
    assert position(SeizureNotes.name) == notification_of(final_event(case, 1))
    assert EnforcementRecord.objects.get().outcome == "done"
    # Liquidation follows its own position through the same log, with nothing to do.
    assert position(InsolvencyLiquidation.name) == position(SeizureNotes.name)
    assert noted.seq == LedgerEntry.objects.filter(registry="property").latest("seq").seq


@needs_seizures
def test_killed_after_lifting_the_seizure_but_before_tracking_it_lifts_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    unit = land_unit()
    case = seizure_case(unit)
    declare_final(case, 1)
    lift = judgment(case, "seizure-lift", cadastral=unit, lifts=1, given_on=TODAY)
    app().declare_final(case.number, lift, case.judge, TODAY + timedelta(days=31))

    def crash() -> None:
        raise RuntimeError("killed")

    monkeypatch.setattr(processes, "after_effect", crash)
    with pytest.raises(RuntimeError):
        run_process(SeizureNotes)
    monkeypatch.undo()
    catch_up_all()
    assert len(seizure_events(unit, "SeizureLifted")) == 1
    assert len(seizure_events(unit, "SeizureNoted")) == 1


@needs_seizures
def test_a_seizure_of_an_unknown_land_unit_is_recorded_as_refused() -> None:
    case = seizure_case("78401:101:9999")
    declare_final(case, 1)
    enforcement = EnforcementRecord.objects.get()
    assert (enforcement.outcome, enforcement.target) == ("refused", "78401:101:9999")
    assert "no land unit" in enforcement.detail


# A real process killed with SIGKILL ---------------------------------------------------------------


def _wait_for(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {seconds}s waiting for {what}")


@pytest.fixture
def catch_up_process() -> Iterator[Callable[..., subprocess.Popen[bytes]]]:
    """Start ``catch_up_all()`` in a separate process on this test's database."""
    started: list[subprocess.Popen[bytes]] = []

    def start(**extra_env: str) -> subprocess.Popen[bytes]:
        env = {**os.environ, **database_env(), **extra_env}
        code = (
            "import django; django.setup(); "
            "from registries.common.projections import catch_up_all; catch_up_all()"
        )
        child = subprocess.Popen(
            [sys.executable, "-c", code],
            cwd=ROOT,
            env={**env, "DJANGO_SETTINGS_MODULE": "config.settings"},
            start_new_session=True,
        )
        started.append(child)
        return child

    yield start
    for child in started:
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait(timeout=10)


@pytest.mark.slow
def test_a_process_killed_with_sigkill_after_the_liquidation_liquidates_once(
    catch_up_process: Callable[..., subprocess.Popen[bytes]],
) -> None:
    debtor = company()
    case = insolvency_case(debtor)
    silently_final(case, 1)
    doomed = catch_up_process(RIIK_FAULT_PAUSE_AFTER_EFFECT="60")
    _wait_for(lambda: len(liquidations(debtor)) == 1, 60, "the liquidation in the child process")
    os.killpg(doomed.pid, signal.SIGKILL)
    doomed.wait(timeout=10)
    assert doomed.returncode == -signal.SIGKILL
    assert position(InsolvencyLiquidation.name) < notification_of(final_event(case, 1))
    assert not EnforcementRecord.objects.exists()

    survivor = catch_up_process()  # a fresh process, no fault
    assert survivor.wait(timeout=60) == 0
    [_] = liquidations(debtor)
    assert position(InsolvencyLiquidation.name) == notification_of(final_event(case, 1))
    enforcement = EnforcementRecord.objects.get()
    assert enforcement.outcome == "done"
    assert running(BusinessRegistry).company(debtor).liquidation_cause == enforcement.cause
    assert CompanyRecord.objects.get(registry_code=debtor).liquidation_cause == enforcement.cause


@needs_seizures
@pytest.mark.slow
def test_a_process_killed_with_sigkill_after_the_seizure_notes_it_once(
    catch_up_process: Callable[..., subprocess.Popen[bytes]],
) -> None:
    unit = land_unit()
    case = seizure_case(unit)
    silently_final(case, 1)
    doomed = catch_up_process(RIIK_FAULT_PAUSE_AFTER_EFFECT="60")
    _wait_for(lambda: len(seizure_events(unit, "SeizureNoted")) == 1, 60, "the seizure note")
    os.killpg(doomed.pid, signal.SIGKILL)
    doomed.wait(timeout=10)
    assert position(SeizureNotes.name) < notification_of(final_event(case, 1))

    catch_up_all()  # this process restarts the follower
    assert len(seizure_events(unit, "SeizureNoted")) == 1
    assert position(SeizureNotes.name) == notification_of(final_event(case, 1))
    assert EnforcementRecord.objects.get().outcome == "done"


def test_the_final_event_topic_is_what_the_processes_follow() -> None:
    assert processes.FINAL_TOPIC == "registries.court.domain:Case.JudgmentBecameFinal"
    assert Case.JudgmentBecameFinal.__name__ == "JudgmentBecameFinal"
