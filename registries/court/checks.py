"""The checks a court case makes before recording a judgment, an appeal or covert access.

Pure functions of what the :class:`~registries.court.domain.Case` holds (its
number, parties, judgments and appeals), given as arguments: no clock, no I/O.
The case calls them after its own guards (open, the actor is its judge, the
judgment or appeal exists), so the order of the checks and their messages are
the case's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta

from registries.common.errors import Conflict, InvalidCommand
from registries.common.texts import N_, Message
from registries.court.vocabulary import (
    APPEAL_DECISIONS,
    APPEALABLE,
    APPEALED,
    COVERT_REGISTRIES,
    FINAL,
    INSOLVENCY,
    JUDGMENT_KINDS,
    MAX_PARTIES,
    ORGANISATION,
    PARTY_ROLES,
    PENDING,
    PERSON,
    SCHEDULED,
    SEIZURE_LIFT,
    SEIZURE_ORDER,
    SET_ASIDE,
    Appeal,
    Hearing,
    Judgment,
    NotAllowed,
    Order,
    Party,
    check_cadastral_code,
)


def check_covert_names(
    case: str, persons: list[str], registries: list[str], parties: Sequence[Party]
) -> None:
    """Covert access names registries of :data:`COVERT_REGISTRIES` and persons who are parties."""
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
    persons_of_case = {party.code for party in parties if party.kind == PERSON}
    for person in persons:
        if person not in persons_of_case:
            raise InvalidCommand(
                Message(
                    N_(
                        "persons: {person} is not a party of case {number} (a person); covert "
                        "access is authorised only to the data of the case's parties"
                    ),
                    {"person": person, "number": case},
                )
            )


def order_targets(
    order: Order, case: str, parties: Sequence[Party], judgments: Mapping[int, Judgment]
) -> tuple[str, str, int]:
    """What an insolvency or seizure judgment acts on (nothing for the other kinds)."""
    if order.kind == INSOLVENCY:
        code = order.company_code
        debtors = [p for p in parties if p.role == "debtor"]
        if not any(p.code == code and p.kind == ORGANISATION for p in debtors):
            raise InvalidCommand(
                Message(
                    N_(
                        "company_code: an insolvency is declared against a company that is a "
                        "debtor party of {number} (by registry code); {code} is not"
                    ),
                    {"number": case, "code": code or "none"},
                )
            )
        return code, "", 0
    if order.kind == SEIZURE_ORDER:
        return "", check_cadastral_code(order.cadastral_code), 0
    if order.kind == SEIZURE_LIFT:
        cadastral = check_cadastral_code(order.cadastral_code)
        seizure = judgments.get(order.lifts)
        if seizure is None or seizure.kind != SEIZURE_ORDER:
            raise InvalidCommand(
                Message(
                    N_("lifts: name the seizure-order judgment of {number} that is lifted"),
                    {"number": case},
                )
            )
        if seizure.cadastral_code != cadastral:
            raise InvalidCommand(
                Message(
                    N_(
                        "cadastral_code: judgment {number} seized {cadastral_code}, not {cadastral}"
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
        for other in judgments.values():
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


def check_can_become_final(case: str, current: Judgment, today: date) -> None:
    """The judge may declare ``current`` final: appealable, unappealed, its deadline passed."""
    judgment = current.number
    if current.status == APPEALED:
        raise Conflict(
            Message(
                N_("judgment: an appeal against judgment {judgment} of {number} is pending"),
                {"judgment": judgment, "number": case},
            )
        )
    if current.status != APPEALABLE:
        raise Conflict(
            Message(
                N_("judgment: judgment {judgment} of {number} is {status}"),
                {
                    "judgment": judgment,
                    "number": case,
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


def check_appeal(
    case: str,
    current: Judgment,
    appellant: str,
    is_party: bool,
    today: date,
    appeals: Mapping[int, Appeal],
) -> None:
    """A party may appeal ``current`` today (within its deadline, not twice)."""
    judgment = current.number
    if not is_party:
        raise NotAllowed(
            Message(
                N_("appellant: only a party of case {number} may appeal"),
                {"number": case},
            )
        )
    if current.status in (FINAL, SET_ASIDE):
        raise Conflict(
            Message(
                N_("judgment: judgment {judgment} of {number} is {status}"),
                {
                    "judgment": judgment,
                    "number": case,
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
                    "number": case,
                    "appeal_deadline": current.appeal_deadline,
                },
            )
        )
    for appeal in appeals.values():
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


def check_decision(
    case: str,
    current: Appeal,
    decision: str,
    actor: str,
    judges: tuple[str, ...],
    today: date,
) -> None:
    """``actor`` (no judge of the case or judgment) may decide pending ``current`` so."""
    appeal = current.number
    if actor in judges:
        raise NotAllowed(
            Message(
                N_(
                    "decide appeal: the judge of case {number} may not decide an appeal "
                    "against their own judgment"
                ),
                {"number": case},
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
                {"appeal": appeal, "number": case, "status": current.status},
            )
        )
    if today < current.filed_on:
        raise InvalidCommand(
            Message(
                N_("decided_on: appeal {appeal} was filed only on {filed_on}"),
                {"appeal": appeal, "filed_on": current.filed_on},
            )
        )


def check_new_party(
    case: str, case_kind: str, code: str, role: str, parties: Sequence[Party]
) -> None:
    """``code`` may join the case as a ``role``: a role of its kind, not yet a party, room left."""
    roles = PARTY_ROLES[case_kind]
    if role not in roles:
        raise InvalidCommand(
            Message(
                N_("role: a party of a {kind} case is one of {choices}, not {role!r}"),
                {"kind": case_kind, "choices": ", ".join(roles), "role": role},
            )
        )
    for party in parties:
        if party.code == code:
            raise Conflict(
                Message(
                    N_("code: {code} is already a party ({role}) of {number}"),
                    {"code": code, "role": party.role, "number": case},
                )
            )
    if len(parties) >= MAX_PARTIES:
        raise Conflict(
            Message(
                N_("code: case {number} already has {MAX_PARTIES} parties"),
                {"number": case, "MAX_PARTIES": MAX_PARTIES},
            )
        )


def check_no_clash(
    case: str, hearings: Mapping[int, Hearing], starts_at: datetime, other_than: int
) -> None:
    """No other scheduled hearing of the case starts at ``starts_at``."""
    for hearing in hearings.values():
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
                    {"number": hearing.number, "case": case, "starts_at": starts_at},
                )
            )


def check_judgment_kind(kind: str, case_kind: str) -> None:
    """A judgment of ``kind`` is one given in a case of ``case_kind``."""
    allowed = JUDGMENT_KINDS.get(kind)
    if allowed is None:
        raise InvalidCommand(
            Message(
                N_("kind: {kind!r} is not one of {choices}"),
                {"kind": kind, "choices": ", ".join(JUDGMENT_KINDS)},
            )
        )
    if case_kind not in allowed:
        raise InvalidCommand(
            Message(
                N_("kind: a {kind} judgment is not given in a {case_kind} case"),
                {"kind": kind, "case_kind": case_kind},
            )
        )
