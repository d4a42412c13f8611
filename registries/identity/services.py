"""What other registries ask the identity registry (the contract they build against).

Every function first catches up the identity read models (so a person, key or
appointment recorded a moment ago is seen) and then reads them with the Django
ORM. None of them writes an event. Malformed codes are simply unknown: the
functions answer ``False``/``None`` rather than raise.

Riik identifies officials the Estonian way: a Django user whose username is a
valid personal code *is* that person (:func:`official_code_of`). Within
:func:`acting_only_as` (the access layer wraps each request made with an e-ID
sign-in token in it), the holder of the token holds no role but the token's, so
every role check, wherever it is asked, treats a citizen token as a citizen.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from registries.common.codes import InvalidCodeError, validate_personal_code, validate_registry_code
from registries.common.projections import catch_up
from registries.identity.domain import ACTIVE, REVOKED
from registries.identity.models import (
    AppointmentRecord,
    OrganisationRecord,
    PersonRecord,
    PublicKeyRecord,
    RepresentativeRecord,
)
from registries.identity.projections import PROJECTIONS

__all__ = [
    "acting_only_as",
    "current_public_key",
    "current_representation",
    "has_role",
    "is_official",
    "is_representative",
    "official_code_of",
    "organisation_exists",
    "person_alive",
    "person_exists",
    "public_key_at",
    "signed_by",
    "verify_signature",
]

log = logging.getLogger(__name__)

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


def _fresh() -> None:
    for projection in PROJECTIONS:
        catch_up(projection)


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
