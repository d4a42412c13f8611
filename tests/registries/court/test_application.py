"""Court commands through the registry: identity checks, permissions, read models, ledger."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from chain.ledger.models import LedgerEntry
from registries.common.codes import registry_code
from registries.common.errors import Conflict, InvalidCommand, NotFound, UnknownParty
from registries.court.models import AppealRecord, CaseRecord, HearingRecord, JudgmentRecord
from registries.court.vocabulary import NotAllowed, Order
from tests.registries.court.helpers import (
    TODAY,
    add_party,
    company,
    court,
    declare_final,
    judge,
    judgment,
    open_case,
    person,
    run,
)
from tests.registries.identity import helpers as identity

pytestmark = pytest.mark.usefixtures("event_store")


def court_entries() -> int:
    return LedgerEntry.objects.filter(registry="court").count()


def test_case_numbers_are_assigned_in_order_per_kind_and_year() -> None:
    who, where = judge(), court()
    day = date(2025, 6, 1)

    def opened(kind: str, on: date = day) -> str:
        return str(run(lambda a: a.open_case(kind, where, who, "A case", True, who, on)))

    assert [opened("civil"), opened("civil"), opened("criminal")] == ["2-25-1", "2-25-2", "1-25-1"]
    assert opened("administrative", date(2026, 1, 2)) == "3-26-1"
    record = CaseRecord.objects.get(number="2-25-2")
    assert (record.kind, record.court_code, record.judge_code, record.status) == (
        "civil",
        where,
        who,
        "open",
    )
    assert (
        record.ledger_seq
        == LedgerEntry.objects.get(
            registry="court", originator_id=record.aggregate_id, originator_version=1
        ).seq
    )


def test_only_a_judge_opens_a_case_and_assigns_a_judge() -> None:
    registrar = identity.official("business", "registrar")
    where = court()
    with pytest.raises(NotAllowed, match="only a judge of the court registry"):
        run(lambda a: a.open_case("civil", where, registrar, "x", True, registrar, TODAY))
    who = judge()
    with pytest.raises(InvalidCommand, match=f"judge: {registrar} is not a judge"):
        run(lambda a: a.open_case("civil", where, registrar, "x", True, who, TODAY))
    unknown = registry_code(999_001, kind_digit=7)
    with pytest.raises(UnknownParty, match=f"court_code: no court with registry code {unknown}"):
        run(lambda a: a.open_case("civil", unknown, who, "x", True, who, TODAY))
    assert court_entries() == 0


def test_parties_must_exist_in_identity_or_the_business_registry() -> None:
    case = open_case()
    known_person, organisation, firm = person(), identity.organisation("bank", "Pank AS"), company()
    add_party(case, known_person, "plaintiff")
    add_party(case, organisation, "defendant")
    add_party(case, firm, "creditor")
    before = court_entries()
    unknown_person = identity.new_code()
    with pytest.raises(
        UnknownParty, match=f"code: no person with personal code {unknown_person} in the"
    ):
        add_party(case, unknown_person, "defendant")
    unknown = registry_code(999_002)
    with pytest.raises(UnknownParty, match=f"code: no organisation with registry code {unknown}"):
        add_party(case, unknown, "defendant")
    assert court_entries() == before
    parties = CaseRecord.objects.get(number=case.number).parties.all()
    assert [(p.code, p.party_kind, p.role) for p in parties] == [
        (known_person, "person", "plaintiff"),
        (organisation, "organisation", "defendant"),
        (firm, "organisation", "creditor"),
    ]


def test_a_business_registrar_cannot_record_a_judgment() -> None:
    case = open_case()
    registrar = identity.official("business", "registrar")
    before = court_entries()
    order = Order("dismissal", "Dismissed.", TODAY)
    with pytest.raises(NotAllowed, match="only a judge of the court registry may do this"):
        run(lambda a: a.record_judgment(case.number, order, registrar, TODAY))
    assert court_entries() == before
    assert not JudgmentRecord.objects.exists()


def test_a_judge_of_another_case_cannot_record_a_judgment_but_decides_its_appeals() -> None:
    case = open_case()
    plaintiff = person()
    add_party(case, plaintiff, "plaintiff")
    other = judge()
    order = Order("dismissal", "Dismissed.", TODAY)
    with pytest.raises(NotAllowed, match="only the judge assigned to case"):
        run(lambda a: a.record_judgment(case.number, order, other, TODAY))
    number = judgment(case, "dismissal", given_on=TODAY - timedelta(days=5))
    appeal = run(lambda a: a.file_appeal(case.number, number, plaintiff, "Wrong.", TODAY))
    with pytest.raises(NotAllowed, match="against their own judgment"):
        run(lambda a: a.decide_appeal(case.number, appeal, "dismissed", "x", case.judge, TODAY))
    run(lambda a: a.decide_appeal(case.number, appeal, "dismissed", "Stands.", other, TODAY))
    record = JudgmentRecord.objects.get(case_id=case.number, number=number)
    assert (record.status, record.final_ground, record.final_on) == (
        "final",
        "appeal-dismissed",
        TODAY,
    )
    decided = AppealRecord.objects.get(case_id=case.number, number=appeal)
    assert (decided.status, decided.decided_by, decided.decision_summary) == (
        "dismissed",
        other,
        "Stands.",
    )


def test_a_dismissed_judge_can_no_longer_act_on_their_case() -> None:
    case = open_case()
    identity.run(lambda a: a.dismiss_official(case.judge, "court", "judge", None, "registrar"))
    with pytest.raises(NotAllowed, match="only a judge of the court registry"):
        add_party(case, person(), "plaintiff")


def test_hearings_judgments_appeals_and_closing_show_in_the_read_models() -> None:
    case = open_case()
    plaintiff, defendant = person(), person("Jüri", "Õunapuu")
    add_party(case, plaintiff, "plaintiff")
    add_party(case, defendant, "defendant")
    starts = datetime(2026, 4, 1, 9, 30, tzinfo=UTC)
    hearing = run(lambda a: a.schedule_hearing(case.number, starts, "Room 201", case.judge, TODAY))
    later = starts + timedelta(days=7)
    run(lambda a: a.reschedule_hearing(case.number, hearing, later, "Room 5", case.judge, TODAY))
    second = run(lambda a: a.schedule_hearing(case.number, starts, "Room 1", case.judge, TODAY))
    run(lambda a: a.cancel_hearing(case.number, second, "Settled in part.", case.judge))
    hearings = HearingRecord.objects.filter(case_id=case.number).order_by("number")
    assert [(h.starts_at, h.room, h.status, h.cancel_reason) for h in hearings] == [
        (later, "Room 5", "scheduled", ""),
        (starts, "Room 1", "cancelled", "Settled in part."),
    ]
    number = judgment(case, given_on=TODAY - timedelta(days=31))
    record = JudgmentRecord.objects.get(case_id=case.number, number=number)
    assert (record.status, record.appeal_deadline, record.judge_code) == (
        "appealable",
        TODAY - timedelta(days=1),
        case.judge,
    )
    with pytest.raises(Conflict, match=r"deadline .* ended"):
        run(lambda a: a.file_appeal(case.number, number, defendant, "Late.", TODAY))
    declare_final(case, number)
    record.refresh_from_db()
    assert record.final_seq is not None
    final_entry = LedgerEntry.objects.get(registry="court", seq=record.final_seq)
    assert final_entry.topic.endswith("Case.JudgmentBecameFinal")
    run(lambda a: a.close_case(case.number, "Judgment final.", case.judge, TODAY))
    closed = CaseRecord.objects.get(number=case.number)
    assert (closed.status, closed.closed_on, closed.outcome) == ("closed", TODAY, "Judgment final.")
    assert closed.ledger_seq == LedgerEntry.objects.filter(registry="court").latest("seq").seq
    first = HearingRecord.objects.get(case_id=case.number, number=hearing)
    assert (first.status, first.cancel_reason) == ("cancelled", "the case was closed")
    with pytest.raises(Conflict, match="is closed"):
        judgment(case)


def test_unknown_and_malformed_case_numbers() -> None:
    who = judge()
    with pytest.raises(NotFound, match="no case with number 2-25-77"):
        run(lambda a: a.add_party("2-25-77", person(), "plaintiff", who))
    with pytest.raises(InvalidCommand, match="must look like"):
        run(lambda a: a.add_party("2/25/77", person(), "plaintiff", who))
