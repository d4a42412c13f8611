"""The court registry's aggregates and events (pure: no Django, no I/O, no clock).

A :class:`Case` holds everything one court case decides by itself: its
parties, hearings, judgments, appeals and whether it is closed. Every rule
that the case can check alone is checked here, before an event is recorded;
the calendar date is always an argument (``today``), never read from a clock.

Rules (who may act is passed in as ``actor``, a personal code):

* Only the judge assigned to the case adds parties, schedules hearings,
  records judgments, declares them final and closes the case. Being a judge of
  the court registry at all (an active appointment) is checked by the
  application before the case is asked.
* An appeal is decided by a judge of the court registry *other than* the
  case's judge: nobody sits on an appeal against their own judgment.
* Appeals are filed by parties (persons, by their own personal code) within
  the deadline: 30 days for civil and administrative cases, 15 for criminal
  ones, counted from the judgment date; the last day of the deadline still
  counts.
* A judgment becomes final when its appeal deadline has passed without an
  appeal (the judge's explicit :meth:`Case.declare_final`), or when the last
  pending appeal against it is dismissed. An allowed appeal sets it aside; it
  never becomes final and has no effect elsewhere.
* Nothing changes on a closed case; a case closes only when no appeal is
  pending and every judgment is final or set aside. Hearings still scheduled
  after the closing day are cancelled with it.

A judge of a criminal case authorises **covert access** to the data of named
parties of the case (:meth:`Case.check_covert_access` says when):
the authorisations are an aggregate of their own in
:mod:`registries.court.covert`, not events of the case, so that a party
fetching the receipts of their case's events is not told of them.

Case numbers follow the Estonian form ``2-25-1234``: the kind digit (1
criminal, 2 civil, 3 administrative), the two-digit year and a serial that the
:class:`CaseDocket` of that kind and year hands out in order.

The registry's vocabulary (constants, value objects, ids, input checks) is in
:mod:`registries.court.vocabulary`; the checks the case runs before recording
parties, hearings, judgments, appeals and covert access are pure functions in
:mod:`registries.court.checks`. The aggregates stay here, so their event topics
(``registries.court.domain:Case.*``) are unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import TypeVar
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from registries.common.codes import InvalidCodeError, validate_personal_code, validate_registry_code
from registries.common.errors import Conflict, InvalidCommand, NotFound
from registries.common.texts import N_, Message, on_field
from registries.court.checks import (
    check_appeal,
    check_can_become_final,
    check_covert_names,
    check_decision,
    check_judgment_kind,
    check_new_party,
    check_no_clash,
    order_targets,
)
from registries.court.vocabulary import (
    ALLOWED,
    APPEAL_DAYS,
    APPEAL_DISMISSED,
    APPEALED,
    CANCELLED,
    CLOSED,
    CLOSED_REASON,
    CRIMINAL,
    DEADLINE_PASSED,
    FINAL,
    KIND_DIGITS,
    MAX_ROOM_LENGTH,
    MAX_TEXT_LENGTH,
    MAX_TITLE_LENGTH,
    MOOT,
    OPEN,
    PENDING,
    SCHEDULED,
    SET_ASIDE,
    Appeal,
    Hearing,
    Judgment,
    NotAllowed,
    Order,
    Party,
    case_id,
    case_number,
    check_case_number,
    check_kind,
    check_starts_at,
    clean_text,
    docket_id,
    party_kind,
)

_T = TypeVar("_T")


@dataclass
class _State:
    parties: list[Party] = field(default_factory=list)
    hearings: dict[int, Hearing] = field(default_factory=dict)
    judgments: dict[int, Judgment] = field(default_factory=dict)
    appeals: dict[int, Appeal] = field(default_factory=dict)


class CaseDocket(Aggregate):
    """Hands out the serials of one kind of case in one year, in order.

    Opening a case saves the docket's next serial together with the case, so
    two openings at once collide on the docket's version and one retries.
    """

    @staticmethod
    def create_id(kind: str, year: int) -> UUID:
        return docket_id(kind, year)

    class Started(Aggregate.Created):
        kind: str
        year: int

    class NumberAssigned(Aggregate.Event):
        serial: int
        number: str

    @event(Started)
    def __init__(self, kind: str, year: int) -> None:
        self.kind = kind
        self.year = year
        self.last_serial = 0

    def next_number(self) -> str:
        """Take the next serial; return the case number it makes."""
        serial = self.last_serial + 1
        number = case_number(self.kind, self.year, serial)
        self._number_assigned(serial=serial, number=number)
        return number

    @event(NumberAssigned)
    def _number_assigned(self, serial: int, number: str) -> None:
        self.last_serial = serial


class Case(Aggregate):
    """A court case, identified by its case number."""

    @staticmethod
    def create_id(number: str) -> UUID:
        return case_id(number)

    class Opened(Aggregate.Created):
        number: str
        kind: str
        court_code: str
        judge: str
        title: str
        public: bool
        opened_on: date
        actor: str

    class PartyAdded(Aggregate.Event):
        code: str
        party_kind: str
        role: str
        actor: str

    class HearingScheduled(Aggregate.Event):
        hearing: int
        starts_at: datetime
        room: str
        actor: str

    class HearingRescheduled(Aggregate.Event):
        hearing: int
        starts_at: datetime
        room: str
        actor: str

    class HearingCancelled(Aggregate.Event):
        hearing: int
        reason: str
        actor: str

    class JudgmentRecorded(Aggregate.Event):
        judgment: int
        kind: str
        summary: str
        given_on: date
        appeal_deadline: date
        company_code: str
        cadastral_code: str
        lifts: int
        actor: str

    class AppealFiled(Aggregate.Event):
        appeal: int
        judgment: int
        appellant: str
        grounds: str
        filed_on: date
        actor: str

    class AppealDecided(Aggregate.Event):
        appeal: int
        judgment: int
        decision: str
        summary: str
        decided_on: date
        actor: str

    class JudgmentBecameFinal(Aggregate.Event):
        """The judgment is final: what it orders takes effect (in other registries too).

        Carries what the order needs, so a follower acts on this event alone:
        the kind, the debtor company or the land unit, and for a lift the
        seizure-order judgment it lifts and the version of the event that made
        that one final.
        """

        case_number: str
        judgment: int
        kind: str
        final_on: date
        ground: str
        company_code: str
        cadastral_code: str
        lifts: int
        lifts_final_version: int
        actor: str

    class JudgmentSetAside(Aggregate.Event):
        judgment: int
        appeal: int
        actor: str

    class Closed(Aggregate.Event):
        outcome: str
        closed_on: date
        cancelled_hearings: list[int]
        """Hearings still scheduled after the closing day, cancelled with the case."""
        actor: str

    @event(Opened)
    def __init__(
        self,
        number: str,
        kind: str,
        court_code: str,
        judge: str,
        title: str,
        public: bool,
        opened_on: date,
        actor: str,
    ) -> None:
        self.number = number
        self.kind = kind
        self.court_code = court_code
        self.judge = judge
        self.title = title
        self.public = public
        self.opened_on = opened_on
        self.status = OPEN
        self.closed_on: date | None = None
        self.outcome = ""
        self._state = _State()

    @classmethod
    def open(
        cls,
        *,
        number: str,
        kind: str,
        court_code: str,
        judge: str,
        title: str,
        public: bool,
        opened_on: date,
        actor: str,
    ) -> Case:
        """Check a new case and record its opening."""
        check_case_number(number)
        check_kind(kind)
        if not number.startswith(f"{KIND_DIGITS[kind]}-"):
            raise InvalidCommand(
                Message(
                    N_("number: {number} is not the number of a {kind} case"),
                    {"number": number, "kind": kind},
                )
            )
        try:
            validate_registry_code(court_code)
        except InvalidCodeError as error:
            raise InvalidCommand(on_field("court_code", error.message)) from None
        try:
            validate_personal_code(judge)
        except InvalidCodeError as error:
            raise InvalidCommand(on_field("judge", error.message)) from None
        return cls(
            number=number,
            kind=kind,
            court_code=court_code,
            judge=judge,
            title=clean_text("title", title, MAX_TITLE_LENGTH),
            public=bool(public),
            opened_on=opened_on,
            actor=actor,
        )

    # What the case holds.

    @property
    def parties(self) -> list[Party]:
        return list(self._state.parties)

    @property
    def hearings(self) -> dict[int, Hearing]:
        return dict(self._state.hearings)

    @property
    def judgments(self) -> dict[int, Judgment]:
        return dict(self._state.judgments)

    @property
    def appeals(self) -> dict[int, Appeal]:
        return dict(self._state.appeals)

    def is_party(self, code: str) -> bool:
        return any(party.code == code for party in self._state.parties)

    def appeal_deadline(self, given_on: date) -> date:
        """The last day on which a judgment given on ``given_on`` may be appealed."""
        return given_on + timedelta(days=APPEAL_DAYS[self.kind])

    # Guards.

    def _require_open(self, what: str) -> None:
        if self.status == CLOSED:
            raise Conflict(
                Message(
                    N_("{what}: case {number} is closed"), {"what": what, "number": self.number}
                )
            )

    def _require_judge(self, actor: str, what: str) -> None:
        if actor != self.judge:
            raise NotAllowed(
                Message(
                    N_("{what}: only the judge assigned to case {number} may do this"),
                    {"what": what, "number": self.number},
                )
            )

    def _entry(self, entries: dict[int, _T], missing: str, kind: str, number: int) -> _T:
        try:
            return entries[number]
        except KeyError:
            raise NotFound(Message(missing, {"number": self.number, kind: number})) from None

    def _judgment(self, number: int) -> Judgment:
        missing = N_("case {number} has no judgment {judgment}")
        return self._entry(self._state.judgments, missing, "judgment", number)

    def _hearing(self, number: int) -> Hearing:
        missing = N_("case {number} has no hearing {hearing}")
        return self._entry(self._state.hearings, missing, "hearing", number)

    def _appeal(self, number: int) -> Appeal:
        missing = N_("case {number} has no appeal {appeal}")
        return self._entry(self._state.appeals, missing, "appeal", number)

    def _not_before_opening(self, name: str, day: date) -> None:
        if day < self.opened_on:
            raise InvalidCommand(
                Message(
                    N_(
                        "{name}: {day:%Y-%m-%d} is before the case was opened "
                        "({opened_on:%Y-%m-%d})"
                    ),
                    {"name": name, "day": day, "opened_on": self.opened_on},
                )
            )

    def check_covert_access(self, persons: list[str], registries: list[str], actor: str) -> None:
        """Whether the judge may authorise covert reads of these persons' data.

        Rules, in order: the case is a criminal case, open, and ``actor`` is its
        judge; at least one registry, each one of :data:`COVERT_REGISTRIES`; at
        least one person, each a natural-person party of the case.
        """
        if self.kind != CRIMINAL:
            raise InvalidCommand(
                Message(
                    N_(
                        "number: covert access is authorised in a criminal case; {number} is a "
                        "{kind} case"
                    ),
                    {"number": self.number, "kind": self.kind},
                )
            )
        self._require_open("authorise covert access")
        self._require_judge(actor, "authorise covert access")
        check_covert_names(self.number, persons, registries, self._state.parties)

    # Parties.

    def add_party(self, code: str, role: str, actor: str) -> None:
        """Add a party (a person by personal code, an organisation by registry code)."""
        self._require_open("add party")
        self._require_judge(actor, "add party")
        kind = party_kind(code)
        check_new_party(self.number, self.kind, code, role, self._state.parties)
        self._party_added(code=code, party_kind=kind, role=role, actor=actor)

    @event(PartyAdded)
    def _party_added(self, code: str, party_kind: str, role: str, actor: str) -> None:
        self._state.parties.append(Party(code, party_kind, role))

    # Hearings.

    def schedule_hearing(self, starts_at: datetime, room: str, actor: str, today: date) -> int:
        """Schedule a hearing; return its number in the case."""
        self._require_open("schedule hearing")
        self._require_judge(actor, "schedule hearing")
        check_starts_at(starts_at, today)
        room = clean_text("room", room, MAX_ROOM_LENGTH)
        check_no_clash(self.number, self._state.hearings, starts_at, other_than=0)
        number = len(self._state.hearings) + 1
        self._hearing_scheduled(hearing=number, starts_at=starts_at, room=room, actor=actor)
        return number

    @event(HearingScheduled)
    def _hearing_scheduled(self, hearing: int, starts_at: datetime, room: str, actor: str) -> None:
        self._state.hearings[hearing] = Hearing(hearing, starts_at, room)

    def reschedule_hearing(
        self, hearing: int, starts_at: datetime, room: str, actor: str, today: date
    ) -> None:
        """Move a scheduled hearing to another time or room."""
        self._require_open("reschedule hearing")
        self._require_judge(actor, "reschedule hearing")
        current = self._hearing(hearing)
        if current.status != SCHEDULED:
            raise Conflict(
                Message(
                    N_("hearing: hearing {hearing} of {number} is {status}"),
                    {"hearing": hearing, "number": self.number, "status": current.status},
                )
            )
        check_starts_at(starts_at, today)
        room = clean_text("room", room, MAX_ROOM_LENGTH)
        if (starts_at, room) == (current.starts_at, current.room):
            raise InvalidCommand(N_("starts_at: the hearing is already scheduled then and there"))
        check_no_clash(self.number, self._state.hearings, starts_at, other_than=hearing)
        self._hearing_rescheduled(hearing=hearing, starts_at=starts_at, room=room, actor=actor)

    @event(HearingRescheduled)
    def _hearing_rescheduled(
        self, hearing: int, starts_at: datetime, room: str, actor: str
    ) -> None:
        self._state.hearings[hearing] = replace(
            self._state.hearings[hearing], starts_at=starts_at, room=room
        )

    def cancel_hearing(self, hearing: int, reason: str, actor: str) -> None:
        """Cancel a scheduled hearing."""
        self._require_open("cancel hearing")
        self._require_judge(actor, "cancel hearing")
        current = self._hearing(hearing)
        if current.status != SCHEDULED:
            raise Conflict(
                Message(
                    N_("hearing: hearing {hearing} of {number} is {status}"),
                    {"hearing": hearing, "number": self.number, "status": current.status},
                )
            )
        self._hearing_cancelled(
            hearing=hearing, reason=clean_text("reason", reason, MAX_TEXT_LENGTH), actor=actor
        )

    @event(HearingCancelled)
    def _hearing_cancelled(self, hearing: int, reason: str, actor: str) -> None:
        self._state.hearings[hearing] = replace(
            self._state.hearings[hearing], status=CANCELLED, reason=reason
        )

    # Judgments.

    def record_judgment(self, order: Order, actor: str, today: date) -> int:
        """Record a judgment given on ``order.given_on``; return its number in the case."""
        self._require_open("record judgment")
        self._require_judge(actor, "record judgment")
        check_judgment_kind(order.kind, self.kind)
        summary = clean_text("summary", order.summary, MAX_TEXT_LENGTH)
        if order.given_on > today:
            raise InvalidCommand(
                Message(
                    N_("given_on: {given_on:%Y-%m-%d} is in the future"),
                    {"given_on": order.given_on},
                )
            )
        self._not_before_opening("given_on", order.given_on)
        company, cadastral, lifts = order_targets(
            order, self.number, self._state.parties, self._state.judgments
        )
        number = len(self._state.judgments) + 1
        self._judgment_recorded(
            judgment=number,
            kind=order.kind,
            summary=summary,
            given_on=order.given_on,
            appeal_deadline=self.appeal_deadline(order.given_on),
            company_code=company,
            cadastral_code=cadastral,
            lifts=lifts,
            actor=actor,
        )
        return number

    @event(JudgmentRecorded)
    def _judgment_recorded(
        self,
        judgment: int,
        kind: str,
        summary: str,
        given_on: date,
        appeal_deadline: date,
        company_code: str,
        cadastral_code: str,
        lifts: int,
        actor: str,
    ) -> None:
        self._state.judgments[judgment] = Judgment(
            number=judgment,
            kind=kind,
            summary=summary,
            given_on=given_on,
            appeal_deadline=appeal_deadline,
            judge=actor,
            company_code=company_code,
            cadastral_code=cadastral_code,
            lifts=lifts,
        )

    def declare_final(self, judgment: int, actor: str, today: date) -> None:
        """Declare a judgment final: its appeal deadline has passed and nobody appealed."""
        self._require_open("declare final")
        self._require_judge(actor, "declare final")
        current = self._judgment(judgment)
        check_can_become_final(self.number, current, today)
        self._become_final(current, today, DEADLINE_PASSED, actor)

    def _become_final(self, judgment: Judgment, today: date, ground: str, actor: str) -> None:
        lifted = self._state.judgments.get(judgment.lifts) if judgment.lifts else None
        self._judgment_became_final(
            case_number=self.number,
            judgment=judgment.number,
            kind=judgment.kind,
            final_on=today,
            ground=ground,
            company_code=judgment.company_code,
            cadastral_code=judgment.cadastral_code,
            lifts=judgment.lifts,
            lifts_final_version=lifted.final_version if lifted is not None else 0,
            actor=actor,
        )

    @event(JudgmentBecameFinal)
    def _judgment_became_final(
        self,
        case_number: str,
        judgment: int,
        kind: str,
        final_on: date,
        ground: str,
        company_code: str,
        cadastral_code: str,
        lifts: int,
        lifts_final_version: int,
        actor: str,
    ) -> None:
        # Applied before the library sets the new version: this event's
        # version is the current one plus one.
        self._state.judgments[judgment] = replace(
            self._state.judgments[judgment],
            status=FINAL,
            final_on=final_on,
            final_version=self.version + 1,
        )
        if lifts:
            self._state.judgments[lifts] = replace(self._state.judgments[lifts], lifted_by=judgment)

    # Appeals.

    def file_appeal(
        self, judgment: int, appellant: str, grounds: str, today: date, actor: str
    ) -> int:
        """A party appeals a judgment within the deadline; return the appeal's number."""
        self._require_open("file appeal")
        current = self._judgment(judgment)
        check_appeal(
            self.number, current, appellant, self.is_party(appellant), today, self._state.appeals
        )
        number = len(self._state.appeals) + 1
        self._appeal_filed(
            appeal=number,
            judgment=judgment,
            appellant=appellant,
            grounds=clean_text("grounds", grounds, MAX_TEXT_LENGTH),
            filed_on=today,
            actor=actor,
        )
        return number

    @event(AppealFiled)
    def _appeal_filed(
        self, appeal: int, judgment: int, appellant: str, grounds: str, filed_on: date, actor: str
    ) -> None:
        self._state.appeals[appeal] = Appeal(appeal, judgment, appellant, grounds, filed_on)
        self._state.judgments[judgment] = replace(self._state.judgments[judgment], status=APPEALED)

    def decide_appeal(
        self, appeal: int, decision: str, summary: str, actor: str, today: date
    ) -> None:
        """Decide an appeal: dismissed (the judgment stands) or allowed (it is set aside).

        The judgment becomes final when its last pending appeal is dismissed.
        """
        self._require_open("decide appeal")
        current = self._appeal(appeal)
        judges = (self.judge, self._state.judgments[current.judgment].judge)
        check_decision(self.number, current, decision, actor, judges, today)
        summary = clean_text("summary", summary, MAX_TEXT_LENGTH)
        self._appeal_decided(
            appeal=appeal,
            judgment=current.judgment,
            decision=decision,
            summary=summary,
            decided_on=today,
            actor=actor,
        )
        judgment = self._state.judgments[current.judgment]
        if decision == ALLOWED:
            self._judgment_set_aside(judgment=judgment.number, appeal=appeal, actor=actor)
        elif not any(
            a.judgment == judgment.number and a.status == PENDING
            for a in self._state.appeals.values()
        ):
            self._become_final(judgment, today, APPEAL_DISMISSED, actor)

    @event(AppealDecided)
    def _appeal_decided(
        self,
        appeal: int,
        judgment: int,
        decision: str,
        summary: str,
        decided_on: date,
        actor: str,
    ) -> None:
        self._state.appeals[appeal] = replace(
            self._state.appeals[appeal], status=decision, decided_on=decided_on
        )

    @event(JudgmentSetAside)
    def _judgment_set_aside(self, judgment: int, appeal: int, actor: str) -> None:
        self._state.judgments[judgment] = replace(self._state.judgments[judgment], status=SET_ASIDE)
        for other in list(self._state.appeals.values()):
            if other.judgment == judgment and other.status == PENDING:
                self._state.appeals[other.number] = replace(other, status=MOOT)

    # Closing.

    def close(self, outcome: str, actor: str, today: date) -> None:
        """Close the case: nothing pending, every judgment final or set aside."""
        self._require_open("close case")
        self._require_judge(actor, "close case")
        outcome = clean_text("outcome", outcome, MAX_TEXT_LENGTH)
        self._not_before_opening("closed_on", today)
        for judgment in self._state.judgments.values():
            if judgment.status not in (FINAL, SET_ASIDE):
                raise Conflict(
                    Message(
                        N_("close case: judgment {number} of {case} is not final yet"),
                        {"number": judgment.number, "case": self.number},
                    )
                )
        later = [
            h.number
            for h in self._state.hearings.values()
            if h.status == SCHEDULED and h.starts_at.date() > today
        ]
        self._closed(outcome=outcome, closed_on=today, cancelled_hearings=later, actor=actor)

    @event(Closed)
    def _closed(
        self, outcome: str, closed_on: date, cancelled_hearings: list[int], actor: str
    ) -> None:
        self.status = CLOSED
        self.outcome = outcome
        self.closed_on = closed_on
        for number in cancelled_hearings:
            self._state.hearings[number] = replace(
                self._state.hearings[number], status=CANCELLED, reason=CLOSED_REASON
            )
