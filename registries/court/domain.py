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
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from registries.common.codes import InvalidCodeError, validate_personal_code, validate_registry_code
from registries.common.errors import Conflict, InvalidCommand, NotFound, RegistryError
from registries.common.texts import N_, Message, on_field

CIVIL = "civil"
CRIMINAL = "criminal"
ADMINISTRATIVE = "administrative"
CASE_KINDS = {
    CRIMINAL: "criminal case (kriminaalasi)",
    CIVIL: "civil case (tsiviilasi)",
    ADMINISTRATIVE: "administrative case (haldusasi)",
}
KIND_DIGITS = {CRIMINAL: 1, CIVIL: 2, ADMINISTRATIVE: 3}
APPEAL_DAYS = {CIVIL: 30, CRIMINAL: 15, ADMINISTRATIVE: 30}

# Which roles a party may have in each kind of case.
PARTY_ROLES: dict[str, tuple[str, ...]] = {
    CIVIL: ("plaintiff", "defendant", "applicant", "debtor", "creditor"),
    CRIMINAL: ("accused",),
    ADMINISTRATIVE: ("applicant", "respondent"),
}
ALL_PARTY_ROLES = tuple(dict.fromkeys(role for roles in PARTY_ROLES.values() for role in roles))
PERSON = "person"
ORGANISATION = "organisation"

INSOLVENCY = "insolvency-declaration"
SEIZURE_ORDER = "seizure-order"
SEIZURE_LIFT = "seizure-lift"
# Judgment kinds and the kinds of case they are given in.
JUDGMENT_KINDS: dict[str, tuple[str, ...]] = {
    INSOLVENCY: (CIVIL,),
    SEIZURE_ORDER: (CIVIL, CRIMINAL),
    SEIZURE_LIFT: (CIVIL, CRIMINAL),
    "conviction": (CRIMINAL,),
    "acquittal": (CRIMINAL,),
    "damages": (CIVIL, ADMINISTRATIVE),
    "annulment": (ADMINISTRATIVE,),
    "dismissal": (CIVIL, CRIMINAL, ADMINISTRATIVE),
}

# Judgment statuses.
APPEALABLE = "appealable"
APPEALED = "appealed"
FINAL = "final"
SET_ASIDE = "set_aside"
# Appeal statuses and decisions: a dismissed appeal leaves the judgment
# standing; an allowed one sets it aside; the other pending appeals against a
# judgment that is set aside have nothing left to decide (moot).
PENDING = "pending"
DISMISSED = "dismissed"
ALLOWED = "allowed"
MOOT = "moot"
APPEAL_DECISIONS = (DISMISSED, ALLOWED)
# Why a judgment became final.
DEADLINE_PASSED = "appeal-deadline-passed"
APPEAL_DISMISSED = "appeal-dismissed"
# Hearing statuses.
SCHEDULED = "scheduled"
CANCELLED = "cancelled"
# Case statuses.
OPEN = "open"
CLOSED = "closed"

CLOSED_REASON = "the case was closed"
MAX_TITLE_LENGTH = 200
MAX_TEXT_LENGTH = 4000
MAX_ROOM_LENGTH = 50
MAX_PARTIES = 200
# The registries whose data a judge may authorise covert reads of.
COVERT_REGISTRIES = ("health", "court")

NAMESPACE = uuid5(NAMESPACE_URL, "https://riik.example/court")
_CASE_NUMBER = re.compile(r"^([1-3])-([0-9]{2})-([1-9][0-9]{0,6})$")
_CADASTRAL_CODE = re.compile(r"^[0-9]{5}:[0-9]{3}:[0-9]{4}$")


class NotAllowed(RegistryError):
    """The actor may not issue this command (not the case's judge, not a party)."""

    status = 403
    title = N_("Not allowed")
    slug = "not-allowed"


def case_id(number: str) -> UUID:
    """Aggregate id of the case with this (public) case number."""
    return uuid5(NAMESPACE, f"case:{number}")


def docket_id(kind: str, year: int) -> UUID:
    """Aggregate id of the docket that numbers the cases of ``kind`` in ``year``."""
    return uuid5(NAMESPACE, f"docket:{kind}:{year}")


def case_number(kind: str, year: int, serial: int) -> str:
    """``case_number("civil", 2025, 1234)`` -> ``2-25-1234``."""
    return f"{KIND_DIGITS[kind]}-{year % 100:02d}-{serial}"


def check_case_number(number: str) -> str:
    """A well-formed case number (``2-25-1234``), or InvalidCommand."""
    if not isinstance(number, str) or not _CASE_NUMBER.match(number):
        raise InvalidCommand(
            Message(
                N_(
                    "case number {number!r} must look like 2-25-1234 (1 criminal, 2 civil, 3 "
                    "administrative; year; serial)"
                ),
                {"number": number},
            )
        )
    return number


def check_kind(kind: str) -> str:
    if kind not in CASE_KINDS:
        raise InvalidCommand(
            Message(
                N_("kind: {kind!r} is not one of {choices}"),
                {"kind": kind, "choices": ", ".join(CASE_KINDS)},
            )
        )
    return kind


def check_cadastral_code(code: str) -> str:
    """A cadastral code of the form ``78401:101:0010``."""
    if not isinstance(code, str) or not _CADASTRAL_CODE.match(code):
        raise InvalidCommand(
            Message(
                N_("cadastral_code: {code!r} must look like 78401:101:0010 (5, 3 and 4 digits)"),
                {"code": code},
            )
        )
    return code


def party_kind(code: str) -> str:
    """A party's kind from its code: an 11-digit personal code or an 8-digit registry code."""
    if not isinstance(code, str):
        raise InvalidCommand(N_("code: must be a personal code or a registry code"))
    try:
        if len(code) == 11:
            validate_personal_code(code)
            return PERSON
        validate_registry_code(code)
    except InvalidCodeError as error:
        raise InvalidCommand(on_field("code", error.message)) from None
    return ORGANISATION


def _text(name: str, value: str, limit: int) -> str:
    value = " ".join(value.split()) if isinstance(value, str) else ""
    if not value:
        raise InvalidCommand(Message(N_("{name}: must not be empty"), {"name": name}))
    if len(value) > limit:
        raise InvalidCommand(
            Message(N_("{name}: at most {limit} characters"), {"name": name, "limit": limit})
        )
    return value


def check_starts_at(starts_at: datetime, today: date) -> datetime:
    """A hearing time with a time zone, not on a day already past."""
    if starts_at.tzinfo is None or starts_at.utcoffset() is None:
        raise InvalidCommand(N_("starts_at: give the hearing time with its time zone"))
    if starts_at.date() < today:
        raise InvalidCommand(
            Message(N_("starts_at: {starts_at:%Y-%m-%d} is in the past"), {"starts_at": starts_at})
        )
    return starts_at


@dataclass(frozen=True)
class Party:
    code: str
    kind: str
    role: str


@dataclass(frozen=True)
class Hearing:
    number: int
    starts_at: datetime
    room: str
    status: str = SCHEDULED
    reason: str = ""


@dataclass(frozen=True)
class Order:
    """What a judgment orders, as the judge gives it."""

    kind: str
    summary: str
    given_on: date
    company_code: str = ""
    """insolvency-declaration: the debtor company (a party by registry code)."""
    cadastral_code: str = ""
    """seizure-order and seizure-lift: the land unit."""
    lifts: int = 0
    """seizure-lift: the number of the (final) seizure-order judgment it lifts."""


@dataclass(frozen=True)
class Judgment:
    number: int
    kind: str
    summary: str
    given_on: date
    appeal_deadline: date
    judge: str
    company_code: str = ""
    cadastral_code: str = ""
    lifts: int = 0
    status: str = APPEALABLE
    final_on: date | None = None
    final_version: int = 0
    """Version of the case event that made it final (names it on the chain)."""
    lifted_by: int = 0


@dataclass(frozen=True)
class Appeal:
    number: int
    judgment: int
    appellant: str
    grounds: str
    filed_on: date
    status: str = PENDING
    decided_on: date | None = None


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
            title=_text("title", title, MAX_TITLE_LENGTH),
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

    def _judgment(self, number: int) -> Judgment:
        try:
            return self._state.judgments[number]
        except KeyError:
            raise NotFound(
                Message(
                    N_("case {number} has no judgment {judgment}"),
                    {"number": self.number, "judgment": number},
                )
            ) from None

    def _hearing(self, number: int) -> Hearing:
        try:
            return self._state.hearings[number]
        except KeyError:
            raise NotFound(
                Message(
                    N_("case {number} has no hearing {hearing}"),
                    {"number": self.number, "hearing": number},
                )
            ) from None

    def _appeal(self, number: int) -> Appeal:
        try:
            return self._state.appeals[number]
        except KeyError:
            raise NotFound(
                Message(
                    N_("case {number} has no appeal {appeal}"),
                    {"number": self.number, "appeal": number},
                )
            ) from None

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
        if not registries:
            raise InvalidCommand(N_("registries: name at least one registry"))
        for registry in registries:
            if registry not in COVERT_REGISTRIES:
                raise InvalidCommand(
                    Message(
                        N_("registries: {registry!r} is not one of {choices}"),
                        {"registry": registry, "choices": ", ".join(COVERT_REGISTRIES)},
                    )
                )
        if not persons:
            raise InvalidCommand(N_("persons: name at least one party of the case"))
        parties = {party.code for party in self._state.parties if party.kind == PERSON}
        for person in persons:
            if person not in parties:
                raise InvalidCommand(
                    Message(
                        N_(
                            "persons: {person} is not a party of case {number} (a person); covert "
                            "access is authorised only to the data of the case's parties"
                        ),
                        {"person": person, "number": self.number},
                    )
                )

    # Parties.

    def add_party(self, code: str, role: str, actor: str) -> None:
        """Add a party (a person by personal code, an organisation by registry code)."""
        self._require_open("add party")
        self._require_judge(actor, "add party")
        kind = party_kind(code)
        roles = PARTY_ROLES[self.kind]
        if role not in roles:
            raise InvalidCommand(
                Message(
                    N_("role: a party of a {kind} case is one of {choices}, not {role!r}"),
                    {"kind": self.kind, "choices": ", ".join(roles), "role": role},
                )
            )
        for party in self._state.parties:
            if party.code == code:
                raise Conflict(
                    Message(
                        N_("code: {code} is already a party ({role}) of {number}"),
                        {"code": code, "role": party.role, "number": self.number},
                    )
                )
        if len(self._state.parties) >= MAX_PARTIES:
            raise Conflict(
                Message(
                    N_("code: case {number} already has {MAX_PARTIES} parties"),
                    {"number": self.number, "MAX_PARTIES": MAX_PARTIES},
                )
            )
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
        room = _text("room", room, MAX_ROOM_LENGTH)
        self._no_clash(starts_at, other_than=0)
        number = len(self._state.hearings) + 1
        self._hearing_scheduled(hearing=number, starts_at=starts_at, room=room, actor=actor)
        return number

    def _no_clash(self, starts_at: datetime, other_than: int) -> None:
        for hearing in self._state.hearings.values():
            if (
                hearing.number != other_than
                and hearing.status == SCHEDULED
                and hearing.starts_at == starts_at
            ):
                raise Conflict(
                    Message(
                        N_(
                            "starts_at: hearing {number} of {case} is already scheduled at "
                            "{starts_at:%Y-%m-%d %H:%M}"
                        ),
                        {"number": hearing.number, "case": self.number, "starts_at": starts_at},
                    )
                )

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
        room = _text("room", room, MAX_ROOM_LENGTH)
        if (starts_at, room) == (current.starts_at, current.room):
            raise InvalidCommand(N_("starts_at: the hearing is already scheduled then and there"))
        self._no_clash(starts_at, other_than=hearing)
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
            hearing=hearing, reason=_text("reason", reason, MAX_TEXT_LENGTH), actor=actor
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
        allowed = JUDGMENT_KINDS.get(order.kind)
        if allowed is None:
            raise InvalidCommand(
                Message(
                    N_("kind: {kind!r} is not one of {choices}"),
                    {"kind": order.kind, "choices": ", ".join(JUDGMENT_KINDS)},
                )
            )
        if self.kind not in allowed:
            raise InvalidCommand(
                Message(
                    N_("kind: a {kind} judgment is not given in a {case_kind} case"),
                    {"kind": order.kind, "case_kind": self.kind},
                )
            )
        summary = _text("summary", order.summary, MAX_TEXT_LENGTH)
        if order.given_on > today:
            raise InvalidCommand(
                Message(
                    N_("given_on: {given_on:%Y-%m-%d} is in the future"),
                    {"given_on": order.given_on},
                )
            )
        self._not_before_opening("given_on", order.given_on)
        company, cadastral, lifts = self._check_targets(order)
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

    def _check_targets(self, order: Order) -> tuple[str, str, int]:
        """What an insolvency or seizure judgment acts on (nothing for the other kinds)."""
        if order.kind == INSOLVENCY:
            code = order.company_code
            debtors = [p for p in self._state.parties if p.role == "debtor"]
            if not any(p.code == code and p.kind == ORGANISATION for p in debtors):
                raise InvalidCommand(
                    Message(
                        N_(
                            "company_code: an insolvency is declared against a company that is a "
                            "debtor party of {number} (by registry code); {code} is not"
                        ),
                        {"number": self.number, "code": code or "none"},
                    )
                )
            return code, "", 0
        if order.kind == SEIZURE_ORDER:
            return "", check_cadastral_code(order.cadastral_code), 0
        if order.kind == SEIZURE_LIFT:
            cadastral = check_cadastral_code(order.cadastral_code)
            seizure = self._state.judgments.get(order.lifts)
            if seizure is None or seizure.kind != SEIZURE_ORDER:
                raise InvalidCommand(
                    Message(
                        N_("lifts: name the seizure-order judgment of {number} that is lifted"),
                        {"number": self.number},
                    )
                )
            if seizure.cadastral_code != cadastral:
                raise InvalidCommand(
                    Message(
                        N_(
                            "cadastral_code: judgment {number} seized {cadastral_code}, not "
                            "{cadastral}"
                        ),
                        {
                            "number": seizure.number,
                            "cadastral_code": seizure.cadastral_code,
                            "cadastral": cadastral,
                        },
                    )
                )
            if seizure.status != FINAL:
                raise Conflict(
                    Message(
                        N_(
                            "lifts: the seizure order (judgment {number}) is not final; appeal it "
                            "instead"
                        ),
                        {"number": seizure.number},
                    )
                )
            for other in self._state.judgments.values():
                if (
                    other.kind == SEIZURE_LIFT
                    and other.lifts == seizure.number
                    and other.status != SET_ASIDE
                ):
                    raise Conflict(
                        Message(
                            N_("lifts: judgment {number} already lifts judgment {lifted}"),
                            {"number": other.number, "lifted": seizure.number},
                        )
                    )
            return "", cadastral, seizure.number
        if order.company_code or order.cadastral_code or order.lifts:
            raise InvalidCommand(
                Message(
                    N_("kind: a {kind} judgment names no company, land unit or seizure"),
                    {"kind": order.kind},
                )
            )
        return "", "", 0

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
        if current.status == APPEALED:
            raise Conflict(
                Message(
                    N_("judgment: an appeal against judgment {judgment} of {number} is pending"),
                    {"judgment": judgment, "number": self.number},
                )
            )
        if current.status != APPEALABLE:
            raise Conflict(
                Message(
                    N_("judgment: judgment {judgment} of {number} is {status}"),
                    {
                        "judgment": judgment,
                        "number": self.number,
                        "status": current.status.replace("_", " "),
                    },
                )
            )
        if today <= current.appeal_deadline:
            raise Conflict(
                Message(
                    N_(
                        "judgment: the appeal deadline of judgment {judgment} runs until "
                        "{appeal_deadline:%Y-%m-%d}; it can be declared final from "
                        "{final_from:%Y-%m-%d}"
                    ),
                    {
                        "judgment": judgment,
                        "appeal_deadline": current.appeal_deadline,
                        "final_from": current.appeal_deadline + timedelta(days=1),
                    },
                )
            )
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
        if not self.is_party(appellant):
            raise NotAllowed(
                Message(
                    N_("appellant: only a party of case {number} may appeal"),
                    {"number": self.number},
                )
            )
        if current.status in (FINAL, SET_ASIDE):
            raise Conflict(
                Message(
                    N_("judgment: judgment {judgment} of {number} is {status}"),
                    {
                        "judgment": judgment,
                        "number": self.number,
                        "status": current.status.replace("_", " "),
                    },
                )
            )
        if today < current.given_on:
            raise InvalidCommand(
                Message(
                    N_("filed_on: judgment {judgment} was given only on {given_on}"),
                    {"judgment": judgment, "given_on": current.given_on},
                )
            )
        if today > current.appeal_deadline:
            raise Conflict(
                Message(
                    N_(
                        "judgment: the appeal deadline of judgment {judgment} of {number} ended "
                        "on {appeal_deadline:%Y-%m-%d}"
                    ),
                    {
                        "judgment": judgment,
                        "number": self.number,
                        "appeal_deadline": current.appeal_deadline,
                    },
                )
            )
        for appeal in self._state.appeals.values():
            if appeal.judgment == judgment and appeal.appellant == appellant:
                raise Conflict(
                    Message(
                        N_(
                            "judgment: {appellant} has already appealed judgment {judgment} "
                            "(appeal {number})"
                        ),
                        {"appellant": appellant, "judgment": judgment, "number": appeal.number},
                    )
                )
        number = len(self._state.appeals) + 1
        self._appeal_filed(
            appeal=number,
            judgment=judgment,
            appellant=appellant,
            grounds=_text("grounds", grounds, MAX_TEXT_LENGTH),
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
        if actor == self.judge or actor == self._state.judgments[current.judgment].judge:
            raise NotAllowed(
                Message(
                    N_(
                        "decide appeal: the judge of case {number} may not decide an appeal "
                        "against their own judgment"
                    ),
                    {"number": self.number},
                )
            )
        if decision not in APPEAL_DECISIONS:
            raise InvalidCommand(
                Message(
                    N_("decision: {decision!r} is not one of {choices}"),
                    {"decision": decision, "choices": ", ".join(APPEAL_DECISIONS)},
                )
            )
        if current.status != PENDING:
            raise Conflict(
                Message(
                    N_("appeal: appeal {appeal} of {number} is {status}"),
                    {"appeal": appeal, "number": self.number, "status": current.status},
                )
            )
        if today < current.filed_on:
            raise InvalidCommand(
                Message(
                    N_("decided_on: appeal {appeal} was filed only on {filed_on}"),
                    {"appeal": appeal, "filed_on": current.filed_on},
                )
            )
        summary = _text("summary", summary, MAX_TEXT_LENGTH)
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
        outcome = _text("outcome", outcome, MAX_TEXT_LENGTH)
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
