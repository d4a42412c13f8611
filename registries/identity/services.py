"""What other registries ask the identity registry (the contract they build against).

Every function a command decides on first catches up the identity read models
(so a person, key or appointment recorded a moment ago is seen) and then reads
them with the Django ORM; the helpers that only show names beside codes
(:func:`names_of`, :func:`name_of`, :func:`workplaces_of`) read them as
they stand. None of them writes an event. Malformed codes are simply unknown: the
functions answer ``False``/``None`` rather than raise.

Riik identifies officials the Estonian way: a Django user whose username is a
valid personal code *is* that person (:func:`official_code_of`). Within
:func:`acting_only_as` (the access layer wraps each request made with an e-ID
sign-in token in it), the holder of the token holds no role but the token's, so
every role check, wherever it is asked, treats a citizen token as a citizen.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date
from typing import Any, TypeVar

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.db.models import Model, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, Concat

from registries.common.codes import InvalidCodeError, validate_personal_code, validate_registry_code
from registries.common.errors import InvalidCommand, UnknownParty
from registries.common.projections import catch_up
from registries.common.texts import N_, Message, on_field
from registries.identity.models import (
    AppointmentRecord,
    OrganisationRecord,
    PersonRecord,
    PublicKeyRecord,
    RepresentativeRecord,
)
from registries.identity.projections import PROJECTIONS
from registries.identity.vocabulary import ACTIVE, ORGANISATION_KINDS, REVOKED

__all__ = [
    "acting_only_as",
    "current_public_key",
    "current_representation",
    "has_role",
    "is_official",
    "is_representative",
    "living_persons",
    "name_of",
    "names_beside",
    "names_of",
    "official_code_of",
    "organisation_exists",
    "person_alive",
    "person_exists",
    "public_key_at",
    "register_organisations",
    "require_organisation",
    "require_party",
    "require_people",
    "require_person",
    "signed_by",
    "verify_signature",
    "with_names",
    "workplaces_of",
]

log = logging.getLogger(__name__)
Row = TypeVar("Row", bound=Model)

OrganisationRegister = Callable[[str], bool]
"""``registry code -> bool``: whether a register above identity holds the organisation."""

_organisation_registers: list[OrganisationRegister] = []


# (personal code, "registry/role" or "" for none): the only role that person acts in now.
_acting: ContextVar[tuple[str, str] | None] = ContextVar("riik_acting_only_as", default=None)


@contextmanager
def acting_only_as(personal_code: str, role: str) -> Iterator[None]:
    """Within the block, the person holds no role but ``role`` (``registry/role``; ""
    for none): what the credentials of the request being served allow."""
    reset = _acting.set((personal_code, role))
    try:
        yield
    finally:
        _acting.reset(reset)


def _acting_role(personal_code: str) -> str | None:
    """The only role the person may act in now, or None when not narrowed."""
    acting = _acting.get()
    return acting[1] if acting is not None and acting[0] == personal_code else None


# Inside :func:`caught_up_once`: the read models were caught up at its start, and the
# people found since, by code, with the day they died (None: alive).
_caught_up: ContextVar[dict[str, date | None] | None] = ContextVar(
    "identity_caught_up", default=None
)


def _fresh() -> None:
    if _caught_up.get() is not None:
        return
    for projection in PROJECTIONS:
        catch_up(projection)


@contextmanager
def caught_up_once() -> Iterator[None]:
    """Within the block, the identity read models are caught up once, at its start.

    A batched command checks the people of every item (hundreds of founders
    or owners); catching up before each check would cost a few queries each
    time for nothing, as the batch itself writes no identity events the
    checks read. A person found once is not looked up again in the block.
    """
    _fresh()
    token = _caught_up.set({})
    try:
        yield
    finally:
        _caught_up.reset(token)


def _valid_personal_code(code: object) -> bool:
    if not isinstance(code, str):
        return False
    try:
        validate_personal_code(code)
    except InvalidCodeError:
        return False
    return True


def person_exists(personal_code: str) -> bool:
    """Whether the population register holds this person (alive or dead)."""
    if not _valid_personal_code(personal_code):
        return False
    _fresh()
    return PersonRecord.objects.filter(personal_code=personal_code).exists()


def person_alive(personal_code: str) -> bool:
    """Whether the population register holds this person and no death is recorded."""
    if not _valid_personal_code(personal_code):
        return False
    _fresh()
    return PersonRecord.objects.filter(personal_code=personal_code, died_on=None).exists()


def living_persons() -> list[str]:
    """The personal codes of every living person of the population register, in order."""
    _fresh()
    return list(
        PersonRecord.objects.filter(died_on=None)
        .order_by("personal_code")
        .values_list("personal_code", flat=True)
    )


def organisation_exists(registry_code: str) -> bool:
    """Whether an organisation with this registry code is registered."""
    if not isinstance(registry_code, str):
        return False
    try:
        validate_registry_code(registry_code)
    except InvalidCodeError:
        return False
    _fresh()
    return OrganisationRecord.objects.filter(registry_code=registry_code).exists()


def has_role(personal_code: str, registry: str, role: str) -> bool:
    """Whether this living person is appointed (and not dismissed) as ``role`` of ``registry``
    (and may act in it now, :func:`acting_only_as`)."""
    if not _valid_personal_code(personal_code):
        return False
    if _acting_role(personal_code) not in (None, f"{registry}/{role}"):
        return False
    _fresh()
    return AppointmentRecord.objects.filter(
        person__personal_code=personal_code,
        person__died_on=None,
        registry=registry,
        role=role,
        active=True,
    ).exists()


def is_official(personal_code: str) -> bool:
    """Whether this living person holds any appointment in any registry (and may act
    as an official now, :func:`acting_only_as`)."""
    if not _valid_personal_code(personal_code):
        return False
    acting = _acting_role(personal_code)
    if acting is not None:
        return bool(acting) and has_role(personal_code, *acting.split("/", 1))
    _fresh()
    return AppointmentRecord.objects.filter(
        person__personal_code=personal_code, person__died_on=None, active=True
    ).exists()


def current_public_key(personal_code: str) -> bytes | None:
    """The person's active raw 32-byte Ed25519 key (not rotated away, not revoked)."""
    if not _valid_personal_code(personal_code):
        return None
    _fresh()
    key = (
        PublicKeyRecord.objects.filter(
            person__personal_code=personal_code, person__died_on=None, status=ACTIVE
        )
        .values_list("public_key", flat=True)
        .first()
    )
    return bytes.fromhex(key) if key is not None else None


def public_key_at(personal_code: str, key_id: str) -> bytes | None:
    """Any key of the person by key id (active, rotated or expired), None if revoked."""
    if not _valid_personal_code(personal_code) or not isinstance(key_id, str):
        return None
    _fresh()
    key = (
        PublicKeyRecord.objects.filter(person__personal_code=personal_code, key_id=key_id.lower())
        .exclude(status=REVOKED)
        .values_list("public_key", flat=True)
        .first()
    )
    return bytes.fromhex(key) if key is not None else None


def verify_signature(personal_code: str, message: bytes, signature: bytes) -> bool:
    """Whether ``signature`` is the person's current key's Ed25519 signature of ``message``.

    False for an unknown person, no key, a revoked or rotated-away key, a bad
    signature or malformed input; never raises for any of these.
    """
    if not isinstance(message, bytes | bytearray) or not isinstance(signature, bytes | bytearray):
        return False
    key = current_public_key(personal_code)
    return key is not None and signed_by(key, message, signature)


def signed_by(key: bytes, message: bytes, signature: bytes) -> bool:
    """Whether ``signature`` is the Ed25519 signature of ``message`` by raw public ``key``.

    For a caller that already holds the signer's current key (from
    :func:`current_public_key`); never raises for malformed input.
    """
    try:
        Ed25519PublicKey.from_public_bytes(key).verify(bytes(signature), bytes(message))
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True


def official_code_of(user: Any) -> str | None:
    """The personal code a Django user stands for: their username, if it is a valid code."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    username = user.get_username() if hasattr(user, "get_username") else None
    return username if _valid_personal_code(username) else None


def is_representative(registry_code: str, personal_code: str) -> bool:
    """Whether the identity registry records the person as a current representative
    of the organisation (one that is not a company)."""
    return current_representation(registry_code, personal_code) is not None


def represents_an_organisation(personal_code: str) -> bool:
    """Whether this living person is a current representative of any organisation
    (recorded by an identity registrar)."""
    if not _valid_personal_code(personal_code):
        return False
    _fresh()
    return RepresentativeRecord.objects.filter(
        person__personal_code=personal_code, person__died_on=None, active=True
    ).exists()


def current_representation(registry_code: str, personal_code: str) -> int | None:
    """The id of the person's current representation of the organisation as the
    identity registry records it (each appointment its own), or None."""
    return (
        RepresentativeRecord.objects.filter(
            organisation_code=registry_code, person__personal_code=personal_code, active=True
        )
        .values_list("pk", flat=True)
        .first()
    )


def register_organisations(register: OrganisationRegister) -> None:
    """Also count an organisation as existing when ``register`` holds it (the business
    registry's companies); registered in the registry's ``AppConfig.ready()``."""
    if register not in _organisation_registers:
        _organisation_registers.append(register)


# The one rule for every person or organisation a command names ------------------------


def require_person(code: object, field: str, *, alive: bool = False) -> str:
    """``code`` of a person the population register holds (and, if ``alive``, not dead).

    Raises :class:`InvalidCommand` for a malformed code and :class:`UnknownParty`
    (400, naming ``field`` and the code) for an unknown or, where it matters, a
    deceased person. Every registry checks the people its commands name here.
    """
    if not isinstance(code, str):
        raise InvalidCommand(
            Message(N_("{field}: a personal code is text of 11 digits"), {"field": field})
        )
    try:
        validate_personal_code(code)
    except InvalidCodeError as error:
        raise InvalidCommand(on_field(field, error.message)) from None
    _fresh()
    known = _caught_up.get()
    if known is not None and code in known:
        found: tuple[date | None] | None = (known[code],)
    else:
        found = PersonRecord.objects.filter(personal_code=code).values_list("died_on").first()
        if known is not None and found is not None:
            known[code] = found[0]
    if found is None:
        raise UnknownParty(
            Message(
                N_("{field}: no person with personal code {code} in the population register"),
                {"field": field, "code": code},
            )
        )
    if alive and found[0] is not None:
        raise UnknownParty(
            Message(N_("{field}: the person {code} is deceased"), {"field": field, "code": code})
        )
    return code


def require_people(codes: Iterable[object], field: str, *, alive: bool = False) -> None:
    """:func:`require_person` for each of ``codes`` (founders, board members)."""
    for code in codes:
        require_person(code, field, alive=alive)


def require_organisation(code: object, field: str, kind: str | None = None) -> str:
    """``code`` of a registered organisation (of ``kind``, when given).

    The identity registry's organisations, and those a register above it holds
    (:func:`register_organisations`: the business registry's companies).
    """
    if not isinstance(code, str):
        raise InvalidCommand(
            Message(N_("{field}: a registry code is text of 8 digits"), {"field": field})
        )
    try:
        validate_registry_code(code)
    except InvalidCodeError as error:
        raise InvalidCommand(on_field(field, error.message)) from None
    _fresh()
    recorded = OrganisationRecord.objects.filter(registry_code=code).values_list("kind").first()
    elsewhere = recorded is None and any(register(code) for register in _organisation_registers)
    if recorded is None and not elsewhere:
        if kind is None:
            raise UnknownParty(
                Message(
                    N_("{field}: no organisation with registry code {code}"),
                    {"field": field, "code": code},
                )
            )
        raise UnknownParty(
            Message(
                N_("{field}: no {kind} with registry code {code}"),
                {"field": field, "kind": ORGANISATION_KINDS[kind], "code": code},
            )
        )
    actual = recorded[0] if recorded is not None else "company"
    if kind is not None and actual != kind:
        raise InvalidCommand(
            Message(
                N_("{field}: the organisation {code} is not a {kind}"),
                {"field": field, "code": code, "kind": ORGANISATION_KINDS[kind]},
            )
        )
    return code


def require_party(code: object, field: str, *, alive: bool = False) -> str:
    """A person (11-digit personal code) or an organisation (8-digit registry code)."""
    if isinstance(code, str) and len(code) == 11:
        return require_person(code, field, alive=alive)
    return require_organisation(code, field)


def names_of(codes: Iterable[str]) -> dict[str, str]:
    """The names of these persons and organisations by code: one query for any number
    of people (and one for any number of organisations).

    Codes the identity registry does not know are left out: the caller shows
    the bare code. Only for codes whose holder the viewer may see.
    """
    wanted = {code for code in codes if isinstance(code, str)}
    people = [code for code in wanted if len(code) == 11]
    organisations = [code for code in wanted if len(code) == 8]
    # Shown, not decided on: the read models as they stand (no catch-up queries).
    names = {
        code: f"{first} {last}"
        for code, first, last in (
            PersonRecord.objects.filter(personal_code__in=people).values_list(
                "personal_code", "first_name", "last_name"
            )
            if people
            else []
        )
    }
    if organisations:
        names.update(
            OrganisationRecord.objects.filter(registry_code__in=organisations).values_list(
                "registry_code", "name"
            )
        )
    return names


def name_of(code_field: str) -> Coalesce:
    """The name of the person or organisation whose code is in ``code_field`` of the
    outer query, as an annotation: names beside codes in the same query, however
    many rows (None for a code the identity registry does not know)."""
    person = (
        PersonRecord.objects.filter(personal_code=OuterRef(code_field))
        .annotate(full_name=Concat("first_name", Value(" "), "last_name"))
        .values("full_name")[:1]
    )
    organisation = OrganisationRecord.objects.filter(registry_code=OuterRef(code_field)).values(
        "name"
    )[:1]
    return Coalesce(Subquery(person), Subquery(organisation))


def with_names(rows: QuerySet[Row], code_field: str) -> QuerySet[Row]:
    """``rows`` with each one's ``name`` (:func:`name_of` its ``code_field``) in the
    same query, where the identity registry's read models share their database.

    A registry in a database of its own (ADR 0069) cannot join them: ``rows``
    come back without ``name``, and the caller shows :func:`names_of` (one more
    query) or the bare codes.
    """
    if rows.db != PersonRecord.objects.db:
        return rows
    named: QuerySet[Row] = rows.annotate(name=name_of(code_field))
    return named


def names_beside(rows: Iterable[dict[str, Any]], code_field: str) -> dict[str, str]:
    """The names of the codes in ``code_field`` of ``rows`` (``vars()`` of records
    fetched :func:`with_names`): their own ``name`` when it came with them, else
    :func:`names_of` in one query (the registry is in a database of its own)."""
    listed = list(rows)
    if all("name" in row for row in listed):
        return {row[code_field]: row["name"] for row in listed if row["name"]}
    return names_of(row[code_field] for row in listed)


def workplaces_of(codes: Iterable[str], registry: str) -> dict[str, str]:
    """The organisation (registry code) where each of these officials works for
    ``registry`` (a doctor's hospital, a judge's court), by personal code, in one query.

    The latest appointment counts, ended or not: a read made years ago was made
    there. Officials with no organisation are left out.
    """
    wanted = [code for code in codes if isinstance(code, str) and len(code) == 11]
    if not wanted:
        return {}
    workplaces: dict[str, str] = {}
    for code, organisation in (
        AppointmentRecord.objects.filter(person__personal_code__in=wanted, registry=registry)
        .exclude(organisation_code="")
        .order_by("appointed_seq")
        .values_list("person__personal_code", "organisation_code")
    ):
        workplaces[code] = organisation  # the latest appointment wins
    return workplaces
