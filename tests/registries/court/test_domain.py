"""The court registry's rules, checked on the aggregates alone (no database)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest

from registries.common.codes import personal_code, registry_code
from registries.common.errors import Conflict, InvalidCommand, NotFound
from registries.court.covert import CovertAccess
from registries.court.domain import Case, CaseDocket
from registries.court.vocabulary import APPEAL_DAYS, NotAllowed, Order, case_id, check_case_number

JUDGE = personal_code(date(1970, 1, 2), "F", 11)
OTHER_JUDGE = personal_code(date(1968, 6, 7), "M", 12)
PLAINTIFF = personal_code(date(1980, 5, 17), "M", 13)
DEFENDANT = personal_code(date(1985, 3, 14), "F", 14)
STRANGER = personal_code(date(1990, 12, 31), "F", 15)
COURT = registry_code(123, kind_digit=7)
COMPANY = registry_code(4567, kind_digit=1)
UNIT = "78401:101:0010"
OPENED = date(2026, 1, 5)
GIVEN = date(2026, 2, 2)
TODAY = date(2026, 2, 2)


def new_case(kind: str = "civil", number: str | None = None, public: bool = True) -> Case:
    digit = {"criminal": 1, "civil": 2, "administrative": 3}[kind]
    return Case.open(
        number=number or f"{digit}-26-1",
        kind=kind,
        court_code=COURT,
        judge=JUDGE,
        title="Claim for unpaid rent",
        public=public,
        opened_on=OPENED,
        actor=JUDGE,
    )


def with_parties(kind: str = "civil") -> Case:
    case = new_case(kind)
    if kind == "criminal":
        case.add_party(DEFENDANT, "accused", JUDGE)
    elif kind == "administrative":
        case.add_party(PLAINTIFF, "applicant", JUDGE)
        case.add_party(COURT, "respondent", JUDGE)
    else:
        case.add_party(PLAINTIFF, "plaintiff", JUDGE)
        case.add_party(DEFENDANT, "defendant", JUDGE)
    return case


def judged(kind: str = "civil", judgment_kind: str = "damages") -> Case:
    case = with_parties(kind)
    case.record_judgment(Order(judgment_kind, "Judgment text.", GIVEN), JUDGE, TODAY)
    return case


def event_names(case: Case) -> list[str]:
    return [type(e).__name__ for e in case.collect_events()]


def at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


# Case numbers and opening ------------------------------------------------------------------


def test_the_docket_hands_out_serials_in_order_per_kind_and_year() -> None:
    docket = CaseDocket(kind="civil", year=2025)
    assert [docket.next_number() for _ in range(3)] == ["2-25-1", "2-25-2", "2-25-3"]
    assert CaseDocket(kind="criminal", year=2026).next_number() == "1-26-1"
    assert CaseDocket(kind="administrative", year=2030).next_number() == "3-30-1"


@pytest.mark.parametrize("number", ["2-25-1234", "1-26-1", "3-99-9999999"])
def test_well_formed_case_numbers_are_accepted(number: str) -> None:
    assert check_case_number(number) == number


@pytest.mark.parametrize("number", ["4-25-1", "2-2025-1", "2-25-0", "2-25-01", "2_25_1", ""])
def test_malformed_case_numbers_are_refused(number: str) -> None:
    with pytest.raises(InvalidCommand, match="must look like 2-25-1234"):
        check_case_number(number)


def test_case_id_comes_from_the_public_case_number() -> None:
    assert new_case().id == case_id("2-26-1")


def test_opening_checks_kind_number_court_judge_and_title() -> None:
    with pytest.raises(InvalidCommand, match="kind"):
        Case.open(
            number="2-26-1",
            kind="family",
            court_code=COURT,
            judge=JUDGE,
            title="x",
            public=True,
            opened_on=OPENED,
            actor=JUDGE,
        )
    with pytest.raises(InvalidCommand, match="not the number of a criminal case"):
        new_case("criminal", number="2-26-1")
    bad = {"court_code": "12345670", "judge": "12345678901", "title": "   "}
    for name, value in bad.items():
        fields = {
            "number": "2-26-1",
            "kind": "civil",
            "court_code": COURT,
            "judge": JUDGE,
            "title": "Claim",
            "public": True,
            "opened_on": OPENED,
            "actor": JUDGE,
            name: value,
        }
        with pytest.raises(InvalidCommand, match=rf"^{name}: "):
            Case.open(**fields)  # type: ignore[arg-type]


# Parties ------------------------------------------------------------------------------------


def test_parties_are_persons_or_organisations_with_a_role_of_the_case_kind() -> None:
    case = new_case()
    case.add_party(PLAINTIFF, "plaintiff", JUDGE)
    case.add_party(COMPANY, "defendant", JUDGE)
    assert [(p.code, p.kind, p.role) for p in case.parties] == [
        (PLAINTIFF, "person", "plaintiff"),
        (COMPANY, "organisation", "defendant"),
    ]
    with pytest.raises(InvalidCommand, match="role: a party of a civil case is one of"):
        case.add_party(STRANGER, "accused", JUDGE)
    criminal = new_case("criminal")
    with pytest.raises(InvalidCommand, match="role"):
        criminal.add_party(STRANGER, "plaintiff", JUDGE)


@pytest.mark.parametrize("code", ["12345678901", "1234567", "1234567x", ""])
def test_a_party_with_an_invalid_code_is_refused(code: str) -> None:
    with pytest.raises(InvalidCommand, match=r"^code: "):
        new_case().add_party(code, "plaintiff", JUDGE)


def test_the_same_party_is_not_added_twice() -> None:
    case = with_parties()
    with pytest.raises(Conflict, match="already a party"):
        case.add_party(PLAINTIFF, "creditor", JUDGE)


def test_only_the_cases_judge_adds_parties() -> None:
    with pytest.raises(NotAllowed, match="only the judge assigned to case 2-26-1"):
        new_case().add_party(PLAINTIFF, "plaintiff", OTHER_JUDGE)


# Hearings -----------------------------------------------------------------------------------


def test_hearings_are_scheduled_rescheduled_and_cancelled() -> None:
    case = with_parties()
    first = case.schedule_hearing(at(TODAY), "Room 201", JUDGE, TODAY)
    second = case.schedule_hearing(at(TODAY, 14), "Room 201", JUDGE, TODAY)
    case.reschedule_hearing(first, at(TODAY + timedelta(days=7)), "Room 105", JUDGE, TODAY)
    case.cancel_hearing(second, "The parties settled.", JUDGE)
    hearings = case.hearings
    assert (hearings[1].starts_at, hearings[1].room) == (at(TODAY + timedelta(days=7)), "Room 105")
    assert (hearings[2].status, hearings[2].reason) == ("cancelled", "The parties settled.")
    with pytest.raises(Conflict, match="hearing 2 of 2-26-1 is cancelled"):
        case.cancel_hearing(second, "again", JUDGE)
    with pytest.raises(Conflict, match="cancelled"):
        case.reschedule_hearing(second, at(TODAY, 9), "Room 1", JUDGE, TODAY)
    with pytest.raises(NotFound, match="no hearing 9"):
        case.cancel_hearing(9, "x", JUDGE)


def test_a_hearing_is_not_scheduled_in_the_past_without_time_zone_or_at_a_taken_time() -> None:
    case = with_parties()
    with pytest.raises(InvalidCommand, match="in the past"):
        case.schedule_hearing(at(TODAY - timedelta(days=1)), "Room 1", JUDGE, TODAY)
    with pytest.raises(InvalidCommand, match="time zone"):
        case.schedule_hearing(datetime(2026, 3, 1, 10), "Room 1", JUDGE, TODAY)
    with pytest.raises(InvalidCommand, match="room"):
        case.schedule_hearing(at(TODAY), " ", JUDGE, TODAY)
    case.schedule_hearing(at(TODAY), "Room 1", JUDGE, TODAY)
    with pytest.raises(Conflict, match="already scheduled"):
        case.schedule_hearing(at(TODAY), "Room 2", JUDGE, TODAY)


def test_only_the_cases_judge_schedules_hearings() -> None:
    with pytest.raises(NotAllowed):
        with_parties().schedule_hearing(at(TODAY), "Room 1", OTHER_JUDGE, TODAY)


# Judgments ----------------------------------------------------------------------------------


def test_a_judgment_gets_its_appeal_deadline_from_the_case_kind() -> None:
    for kind, days in APPEAL_DAYS.items():
        case = judged(kind, "dismissal")
        assert case.judgments[1].appeal_deadline == GIVEN + timedelta(days=days)
    assert APPEAL_DAYS == {"civil": 30, "criminal": 15, "administrative": 30}


def test_only_the_cases_judge_records_a_judgment() -> None:
    case = with_parties()
    with pytest.raises(NotAllowed, match="record judgment: only the judge assigned"):
        case.record_judgment(Order("damages", "x", GIVEN), OTHER_JUDGE, TODAY)
    assert event_names(case)[-1] == "PartyAdded"


def test_a_judgment_kind_must_fit_the_case_kind() -> None:
    with pytest.raises(InvalidCommand, match="a conviction judgment is not given in a civil case"):
        with_parties().record_judgment(Order("conviction", "x", GIVEN), JUDGE, TODAY)
    with pytest.raises(InvalidCommand, match="not one of"):
        with_parties().record_judgment(Order("verdict", "x", GIVEN), JUDGE, TODAY)


def test_a_judgment_date_is_not_in_the_future_nor_before_the_opening() -> None:
    case = with_parties()
    with pytest.raises(InvalidCommand, match=r"given_on: .* is in the future"):
        case.record_judgment(Order("damages", "x", TODAY + timedelta(days=1)), JUDGE, TODAY)
    with pytest.raises(InvalidCommand, match="before the case was opened"):
        case.record_judgment(Order("damages", "x", OPENED - timedelta(days=1)), JUDGE, TODAY)


def test_an_insolvency_is_declared_only_against_a_debtor_company_of_the_case() -> None:
    case = new_case()
    case.add_party(PLAINTIFF, "creditor", JUDGE)
    case.add_party(DEFENDANT, "debtor", JUDGE)
    order = Order("insolvency-declaration", "Bankrupt.", GIVEN, company_code=COMPANY)
    with pytest.raises(InvalidCommand, match="company_code: an insolvency is declared against"):
        case.record_judgment(order, JUDGE, TODAY)
    case.add_party(COMPANY, "debtor", JUDGE)
    assert case.record_judgment(order, JUDGE, TODAY) == 1
    assert case.judgments[1].company_code == COMPANY


def test_a_seizure_order_names_a_valid_cadastral_code() -> None:
    case = with_parties()
    with pytest.raises(InvalidCommand, match="cadastral_code"):
        case.record_judgment(
            Order("seizure-order", "x", GIVEN, cadastral_code="78401-101"), JUDGE, TODAY
        )
    number = case.record_judgment(
        Order("seizure-order", "x", GIVEN, cadastral_code=UNIT), JUDGE, TODAY
    )
    assert case.judgments[number].cadastral_code == UNIT


def test_other_judgments_name_no_company_or_land() -> None:
    with pytest.raises(InvalidCommand, match="names no company"):
        with_parties().record_judgment(
            Order("damages", "x", GIVEN, cadastral_code=UNIT), JUDGE, TODAY
        )


def test_a_lift_names_a_final_seizure_order_of_the_same_land_unit_once() -> None:
    case = with_parties()
    seizure = case.record_judgment(
        Order("seizure-order", "x", GIVEN, cadastral_code=UNIT), JUDGE, TODAY
    )
    later = GIVEN + timedelta(days=40)
    lift = Order("seizure-lift", "Lifted.", later, cadastral_code=UNIT, lifts=seizure)
    with pytest.raises(Conflict, match="is not final; appeal it instead"):
        case.record_judgment(lift, JUDGE, later)
    case.declare_final(seizure, JUDGE, later)
    with pytest.raises(InvalidCommand, match="lifts: name the seizure-order judgment"):
        case.record_judgment(
            Order("seizure-lift", "x", later, cadastral_code=UNIT, lifts=9), JUDGE, later
        )
    with pytest.raises(InvalidCommand, match="seized 78401:101:0010, not 78401:101:0011"):
        case.record_judgment(
            Order("seizure-lift", "x", later, cadastral_code="78401:101:0011", lifts=seizure),
            JUDGE,
            later,
        )
    number = case.record_judgment(lift, JUDGE, later)
    with pytest.raises(Conflict, match=f"judgment {number} already lifts judgment {seizure}"):
        case.record_judgment(lift, JUDGE, later)


def test_no_judgment_on_a_closed_case() -> None:
    case = with_parties()
    case.close("Claim withdrawn.", JUDGE, TODAY)
    with pytest.raises(Conflict, match="record judgment: case 2-26-1 is closed"):
        case.record_judgment(Order("damages", "x", GIVEN), JUDGE, TODAY)
    commands: list[Callable[[], object]] = [
        lambda: case.add_party(STRANGER, "creditor", JUDGE),
        lambda: case.schedule_hearing(at(TODAY), "Room 1", JUDGE, TODAY),
        lambda: case.close("again", JUDGE, TODAY),
    ]
    for command in commands:
        with pytest.raises(Conflict, match="is closed"):
            command()


# Appeals and finality ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "days"), [("civil", 30), ("administrative", 30), ("criminal", 15)]
)
def test_an_appeal_on_the_last_day_of_the_deadline_is_accepted(kind: str, days: int) -> None:
    case = judged(kind, "dismissal")
    appellant = case.parties[0].code
    last_day = GIVEN + timedelta(days=days)
    assert case.file_appeal(1, appellant, "Wrong in law.", last_day, appellant) == 1
    assert case.judgments[1].status == "appealed"


@pytest.mark.parametrize(
    ("kind", "days"), [("civil", 30), ("administrative", 30), ("criminal", 15)]
)
def test_an_appeal_the_day_after_the_deadline_is_refused(kind: str, days: int) -> None:
    case = judged(kind, "dismissal")
    appellant = case.parties[0].code
    with pytest.raises(Conflict, match=f"deadline .* ended on {GIVEN + timedelta(days=days)}"):
        case.file_appeal(1, appellant, "Late.", GIVEN + timedelta(days=days + 1), appellant)
    assert event_names(case)[-1] == "JudgmentRecorded"


def test_only_a_party_appeals() -> None:
    case = judged()
    with pytest.raises(NotAllowed, match="only a party of case 2-26-1 may appeal"):
        case.file_appeal(1, STRANGER, "I disagree.", TODAY, STRANGER)


def test_an_appeal_needs_grounds_a_judgment_given_already_and_is_filed_once() -> None:
    case = judged()
    with pytest.raises(InvalidCommand, match="grounds"):
        case.file_appeal(1, PLAINTIFF, " ", TODAY, PLAINTIFF)
    with pytest.raises(InvalidCommand, match="given only on"):
        case.file_appeal(1, PLAINTIFF, "Early.", GIVEN - timedelta(days=1), PLAINTIFF)
    with pytest.raises(NotFound, match="no judgment 5"):
        case.file_appeal(5, PLAINTIFF, "x", TODAY, PLAINTIFF)
    case.file_appeal(1, PLAINTIFF, "Wrong.", TODAY, PLAINTIFF)
    with pytest.raises(Conflict, match="already appealed judgment 1"):
        case.file_appeal(1, PLAINTIFF, "Wrong again.", TODAY, PLAINTIFF)
    assert case.file_appeal(1, DEFENDANT, "Also wrong.", TODAY, DEFENDANT) == 2


def test_declaring_final_waits_for_the_day_after_the_deadline() -> None:
    case = judged()
    deadline = GIVEN + timedelta(days=30)
    with pytest.raises(Conflict, match=f"runs until {deadline}; .* final from"):
        case.declare_final(1, JUDGE, deadline)
    case.declare_final(1, JUDGE, deadline + timedelta(days=1))
    judgment = case.judgments[1]
    assert (judgment.status, judgment.final_on) == ("final", deadline + timedelta(days=1))
    assert judgment.final_version == case.version
    with pytest.raises(Conflict, match="judgment 1 of 2-26-1 is final"):
        case.declare_final(1, JUDGE, deadline + timedelta(days=2))
    with pytest.raises(Conflict, match="is final"):
        case.file_appeal(1, PLAINTIFF, "Too late.", deadline, PLAINTIFF)


def test_a_judgment_under_appeal_is_not_declared_final() -> None:
    case = judged()
    case.file_appeal(1, DEFENDANT, "Wrong.", TODAY, DEFENDANT)
    with pytest.raises(Conflict, match="an appeal against judgment 1 of 2-26-1 is pending"):
        case.declare_final(1, JUDGE, TODAY + timedelta(days=60))


def test_only_the_cases_judge_declares_final() -> None:
    with pytest.raises(NotAllowed):
        judged().declare_final(1, OTHER_JUDGE, TODAY + timedelta(days=60))


def test_a_dismissed_appeal_makes_the_judgment_final_once_no_other_is_pending() -> None:
    case = judged()
    case.file_appeal(1, PLAINTIFF, "Too little.", TODAY, PLAINTIFF)
    case.file_appeal(1, DEFENDANT, "Too much.", TODAY, DEFENDANT)
    case.collect_events()
    later = TODAY + timedelta(days=90)
    case.decide_appeal(1, "dismissed", "The judgment stands.", OTHER_JUDGE, later)
    assert event_names(case) == ["AppealDecided"]
    assert case.judgments[1].status == "appealed"
    case.decide_appeal(2, "dismissed", "The judgment stands.", OTHER_JUDGE, later)
    assert event_names(case) == ["AppealDecided", "JudgmentBecameFinal"]
    assert (case.judgments[1].status, case.judgments[1].final_on) == ("final", later)


def test_an_allowed_appeal_sets_the_judgment_aside_and_moots_the_others() -> None:
    case = judged()
    case.file_appeal(1, PLAINTIFF, "Too little.", TODAY, PLAINTIFF)
    case.file_appeal(1, DEFENDANT, "Too much.", TODAY, DEFENDANT)
    case.collect_events()
    case.decide_appeal(2, "allowed", "Set aside.", OTHER_JUDGE, TODAY)
    assert event_names(case) == ["AppealDecided", "JudgmentSetAside"]
    assert case.judgments[1].status == "set_aside"
    assert [a.status for a in case.appeals.values()] == ["moot", "allowed"]
    with pytest.raises(Conflict, match="appeal 1 of 2-26-1 is moot"):
        case.decide_appeal(1, "dismissed", "x", OTHER_JUDGE, TODAY)
    with pytest.raises(Conflict, match="set aside"):
        case.declare_final(1, JUDGE, TODAY + timedelta(days=60))


def test_the_cases_judge_does_not_decide_an_appeal_against_their_own_judgment() -> None:
    case = judged()
    case.file_appeal(1, PLAINTIFF, "Wrong.", TODAY, PLAINTIFF)
    with pytest.raises(NotAllowed, match="may not decide an appeal against their own judgment"):
        case.decide_appeal(1, "dismissed", "x", JUDGE, TODAY)
    with pytest.raises(InvalidCommand, match="decision: 'upheld' is not one of"):
        case.decide_appeal(1, "upheld", "x", OTHER_JUDGE, TODAY)
    with pytest.raises(InvalidCommand, match="filed only on"):
        case.decide_appeal(1, "dismissed", "x", OTHER_JUDGE, TODAY - timedelta(days=1))
    with pytest.raises(NotFound, match="no appeal 3"):
        case.decide_appeal(3, "dismissed", "x", OTHER_JUDGE, TODAY)


def test_the_final_event_carries_what_the_order_needs() -> None:
    case = new_case()
    case.add_party(PLAINTIFF, "creditor", JUDGE)
    case.add_party(COMPANY, "debtor", JUDGE)
    case.record_judgment(
        Order("insolvency-declaration", "Bankrupt.", GIVEN, company_code=COMPANY), JUDGE, TODAY
    )
    case.record_judgment(
        Order("seizure-order", "Seized.", GIVEN, cadastral_code=UNIT), JUDGE, TODAY
    )
    final_day = GIVEN + timedelta(days=31)
    case.declare_final(1, JUDGE, final_day)
    case.declare_final(2, JUDGE, final_day)
    seizure_final_version = case.version
    case.record_judgment(
        Order("seizure-lift", "Lifted.", final_day, cadastral_code=UNIT, lifts=2), JUDGE, final_day
    )
    case.declare_final(3, JUDGE, final_day + timedelta(days=31))
    finals = [e for e in case.collect_events() if isinstance(e, Case.JudgmentBecameFinal)]
    assert [(e.case_number, e.judgment, e.kind, e.ground) for e in finals] == [
        ("2-26-1", 1, "insolvency-declaration", "appeal-deadline-passed"),
        ("2-26-1", 2, "seizure-order", "appeal-deadline-passed"),
        ("2-26-1", 3, "seizure-lift", "appeal-deadline-passed"),
    ]
    assert finals[0].company_code == COMPANY
    assert finals[1].cadastral_code == UNIT
    assert (finals[2].lifts, finals[2].lifts_final_version) == (2, seizure_final_version)
    assert finals[1].originator_version == seizure_final_version
    assert case.judgments[2].lifted_by == 3


# Closing ----------------------------------------------------------------------------------------


def test_a_case_closes_only_when_every_judgment_is_final_or_set_aside() -> None:
    case = judged()
    with pytest.raises(Conflict, match="judgment 1 of 2-26-1 is not final yet"):
        case.close("Decided.", JUDGE, TODAY)
    with pytest.raises(NotAllowed):
        case.close("Decided.", OTHER_JUDGE, TODAY)
    later = TODAY + timedelta(days=31)
    held = case.schedule_hearing(at(TODAY), "Room 1", JUDGE, TODAY)
    coming = case.schedule_hearing(at(later + timedelta(days=1)), "Room 1", JUDGE, TODAY)
    case.declare_final(1, JUDGE, later)
    case.close("Decided.", JUDGE, later)
    assert case.hearings[held].status == "scheduled"  # it took place
    assert (case.hearings[coming].status, case.hearings[coming].reason) == (
        "cancelled",
        "the case was closed",
    )
    assert (case.status, case.closed_on, case.outcome) == ("closed", later, "Decided.")
    with pytest.raises(Conflict, match="file appeal: case 2-26-1 is closed"):
        case.file_appeal(1, PLAINTIFF, "x", later, PLAINTIFF)


# Covert access ---------------------------------------------------------------------------------


def test_the_judge_of_a_criminal_case_authorises_covert_access_to_its_parties_data() -> None:
    case = with_parties("criminal")
    access = CovertAccess(number=case.number)
    access.authorise(case, [DEFENDANT], ["health"], JUDGE)
    assert access.granted == {(DEFENDANT, "health")}
    with pytest.raises(Conflict, match="already authorised"):
        access.authorise(case, [DEFENDANT], ["health"], JUDGE)
    access.authorise(case, [DEFENDANT], ["health", "court"], JUDGE)
    assert access.granted == {(DEFENDANT, "health"), (DEFENDANT, "court")}


@pytest.mark.parametrize(
    ("kind", "persons", "registries", "actor", "error", "message"),
    [
        ("civil", [DEFENDANT], ["health"], JUDGE, InvalidCommand, "in a criminal case"),
        ("criminal", [DEFENDANT], ["health"], OTHER_JUDGE, NotAllowed, "only the judge"),
        ("criminal", [STRANGER], ["health"], JUDGE, InvalidCommand, "not a party"),
        ("criminal", [], ["health"], JUDGE, InvalidCommand, "at least one party"),
        ("criminal", [DEFENDANT], ["business"], JUDGE, InvalidCommand, "registries"),
        ("criminal", [DEFENDANT], [], JUDGE, InvalidCommand, "at least one registry"),
    ],
)
def test_covert_access_is_refused_outside_its_rules(
    kind: str,
    persons: list[str],
    registries: list[str],
    actor: str,
    error: type[Exception],
    message: str,
) -> None:
    case = with_parties(kind)
    access = CovertAccess(number=case.number)
    with pytest.raises(error, match=message):
        access.authorise(case, persons, registries, actor)
    assert access.granted == set()
