"""The court registry's vocabulary: constants, value objects, ids and input checks.

Everything here is pure and imports nothing of the rest of the registry: the
case kinds and party roles, the statuses of judgments, appeals and hearings,
the aggregate ids and case numbers, the checks of single inputs and the
frozen records (:class:`Party`, :class:`Hearing`, :class:`Order`,
:class:`Judgment`, :class:`Appeal`) that a :class:`~registries.court.domain.Case`
holds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from uuid import NAMESPACE_URL, UUID, uuid5

from registries.common.codes import InvalidCodeError, validate_personal_code, validate_registry_code
from registries.common.errors import InvalidCommand, RegistryError
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
COVERT_REGISTRIES = ("health", "court", "money")

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


def clean_text(name: str, value: str, limit: int) -> str:
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
