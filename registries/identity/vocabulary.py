"""The identity registry's vocabulary: registries, roles and who may hold them,
organisation kinds, limits, key statuses, the refusals of self-appointment and
four eyes, and the input checks every command of :mod:`registries.identity.domain`
applies (pure: no Django, no I/O).
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import date
from uuid import NAMESPACE_URL, UUID, uuid5

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from registries.common.codes import InvalidCodeError, validate_personal_code, validate_registry_code
from registries.common.errors import InvalidCommand, RegistryError
from registries.common.texts import N_, Message

REGISTRIES = ("identity", "business", "property", "health", "court")
ROLES = ("registrar", "judge", "investigator", "notary", "doctor", "pharmacist", "auditor")
# In which registries each role acts.
ROLE_REGISTRIES: dict[str, frozenset[str]] = {
    "registrar": frozenset({"identity", "business", "property", "health"}),
    "judge": frozenset({"court"}),
    # Investigators read covertly the data of the parties of criminal cases (no police
    # registry yet: the court's cases are what their investigations rest on).
    "investigator": frozenset({"court"}),
    "notary": frozenset({"property"}),
    "doctor": frozenset({"health"}),
    "pharmacist": frozenset({"health"}),
    "auditor": frozenset(REGISTRIES),
}
# Appointments to the roles that read persons' health or court data take effect only
# when a second identity registrar confirms them (four eyes): every role of the
# health and court registries (a health registrar sees record metadata), and
# auditors, who read the payloads of every registry's events.
CONFIRMED_ROLES = frozenset({"doctor", "pharmacist", "judge", "investigator", "auditor"})
CONFIRMED_REGISTRIES = frozenset({"health", "court"})
IDENTITY_REGISTRAR = ("identity", "registrar")
ORGANISATION_KINDS = {
    "company": "company",
    "ngo": "non-profit association",
    "state_agency": "state agency",
    "bank": "bank",
    "central_bank": "central bank",
    "notary_office": "notary office",
    "hospital": "hospital",
    "pharmacy": "pharmacy",
    "law_firm": "law firm",
    "court": "court",
}
# An official of these roles, when appointed at an organisation, works for one of these kinds.
ROLE_ORGANISATION_KINDS: dict[str, frozenset[str]] = {
    "judge": frozenset({"court"}),
    "notary": frozenset({"notary_office"}),
    "doctor": frozenset({"hospital", "company", "ngo"}),
    "pharmacist": frozenset({"pharmacy"}),
}
MAX_NAME_LENGTH = 100
MAX_ORGANISATION_NAME_LENGTH = 200
MAX_REASON_LENGTH = 500
MAX_TITLE_LENGTH = 100
# Organisations of these kinds are represented by their management board in the
# business registry, not by representatives recorded here.
BOARD_REPRESENTED_KINDS = frozenset({"company"})
PUBLIC_KEY_LENGTH = 32  # raw Ed25519

# Key statuses: the one key in use; replaced by a newer key (old signatures
# still verify); withdrawn (nothing verifies against it any more); the holder
# died (old signatures still verify).
ACTIVE = "active"
ROTATED = "rotated"
REVOKED = "revoked"
EXPIRED = "expired"
KEY_STATUSES = (ACTIVE, ROTATED, REVOKED, EXPIRED)

_NAMESPACE = uuid5(NAMESPACE_URL, "https://riik.example/identity")


class SelfAppointment(RegistryError):
    """An official appointing, or confirming the appointment of, themselves."""

    status = 403
    title = N_("No self-appointment")
    slug = "self-appointment"


class FourEyes(RegistryError):
    """The registrar who proposed an appointment, or asked for an erasure, approving it too."""

    status = 409
    title = N_("Four eyes: a second registrar must confirm")
    slug = "four-eyes"


NO_SELF_APPOINTMENT = (
    "no self-appointment: an official never appoints, or confirms the appointment of, "
    "themselves; another identity registrar must"
)


def needs_confirmation(registry: str, role: str) -> bool:
    """Whether an appointment takes a second registrar's confirmation (four eyes): the
    role reads persons' health or court data (:data:`CONFIRMED_ROLES`,
    :data:`CONFIRMED_REGISTRIES`), or it is the identity registrar's, who appoints
    every other official."""
    return (
        role in CONFIRMED_ROLES
        or registry in CONFIRMED_REGISTRIES
        or (registry, role) == IDENTITY_REGISTRAR
    )


# Codes and ids -------------------------------------------------------------------------


def checked_personal_code(code: str, field: str = "personal_code") -> date:
    """The birth date an isikukood encodes, or InvalidCommand saying which part is wrong."""
    try:
        return validate_personal_code(code)
    except InvalidCodeError as error:
        raise InvalidCommand(
            Message(N_("{field}: {error}"), {"field": field, "error": error})
        ) from None


def checked_registry_code(code: str, field: str = "registry_code") -> str:
    """An 8-digit registry code, or InvalidCommand saying what is wrong."""
    try:
        return validate_registry_code(code)
    except InvalidCodeError as error:
        raise InvalidCommand(
            Message(N_("{field}: {error}"), {"field": field, "error": error})
        ) from None


def sex_of(code: str) -> str:
    """``M`` or ``F``: odd first digits are men, even ones women."""
    return "M" if int(code[0]) % 2 == 1 else "F"


def person_code_digest(code: str, pepper: bytes) -> str:
    """HMAC-SHA256 of a personal code under the registry's secret pepper (hex)."""
    return hmac.new(pepper, code.encode("ascii"), hashlib.sha256).hexdigest()


def person_code_index_id(digest: str) -> UUID:
    """Aggregate id of the index entry of the personal code with this digest."""
    return uuid5(_NAMESPACE, f"person-code:{digest}")


def organisation_id(registry_code: str) -> UUID:
    """Aggregate id of the organisation with this (public) registry code."""
    return uuid5(_NAMESPACE, f"organisation:{registry_code}")


def key_id_of(public_key: bytes) -> str:
    """Key id: the first 8 bytes of SHA-256 of the raw public key, in hex."""
    return hashlib.sha256(public_key).digest()[:8].hex()


def check_public_key(public_key: bytes, field: str = "public_key") -> bytes:
    """A raw 32-byte Ed25519 public key that decodes to a curve point."""
    if not isinstance(public_key, bytes) or len(public_key) != PUBLIC_KEY_LENGTH:
        raise InvalidCommand(
            Message(N_("{field}: an Ed25519 public key is exactly 32 bytes"), {"field": field})
        )
    try:
        Ed25519PublicKey.from_public_bytes(public_key)
    except ValueError:
        raise InvalidCommand(
            Message(N_("{field}: not a valid Ed25519 public key"), {"field": field})
        ) from None
    return public_key


# Names, roles ---------------------------------------------------------------------------

_NAME_PUNCTUATION = frozenset(" -'.\u2019")  # U+2019: the typographic apostrophe


def check_name(name: str, field: str, max_length: int = MAX_NAME_LENGTH) -> str:
    """A person's name: letters, spaces, hyphens and apostrophes; 1-100 characters."""
    name = " ".join(name.split())
    if not name:
        raise InvalidCommand(Message(N_("{field}: must not be empty"), {"field": field}))
    if len(name) > max_length:
        raise InvalidCommand(
            Message(
                N_("{field}: at most {max_length} characters"),
                {"field": field, "max_length": max_length},
            )
        )
    if not all(ch.isalpha() or ch in _NAME_PUNCTUATION for ch in name):
        raise InvalidCommand(
            Message(
                N_("{field}: may contain only letters, spaces, hyphens and apostrophes"),
                {"field": field},
            )
        )
    if not any(ch.isalpha() for ch in name):
        raise InvalidCommand(Message(N_("{field}: must contain letters"), {"field": field}))
    return name


def check_organisation_name(name: str) -> str:
    """An organisation's name: a non-empty line of at most 200 characters."""
    name = " ".join(name.split())
    if not name:
        raise InvalidCommand(N_("name: must not be empty"))
    if len(name) > MAX_ORGANISATION_NAME_LENGTH:
        raise InvalidCommand(
            Message(
                N_("name: at most {MAX_ORGANISATION_NAME_LENGTH} characters"),
                {"MAX_ORGANISATION_NAME_LENGTH": MAX_ORGANISATION_NAME_LENGTH},
            )
        )
    return name


def check_kind(kind: str) -> str:
    """One of :data:`ORGANISATION_KINDS`."""
    if kind not in ORGANISATION_KINDS:
        raise InvalidCommand(
            Message(
                N_("kind: {kind!r} is not one of {choices}"),
                {"kind": kind, "choices": ", ".join(ORGANISATION_KINDS)},
            )
        )
    return kind


def article(word: str) -> str:
    """``a judge``, ``an auditor``."""
    return f"an {word}" if word[:1] in "aeiou" else f"a {word}"


def check_role(registry: str, role: str) -> None:
    """The role exists, the registry exists and the role acts in that registry."""
    if registry not in REGISTRIES:
        raise InvalidCommand(
            Message(
                N_("registry: {registry!r} is not one of {choices}"),
                {"registry": registry, "choices": ", ".join(REGISTRIES)},
            )
        )
    if role not in ROLES:
        raise InvalidCommand(
            Message(
                N_("role: {role!r} is not one of {choices}"),
                {"role": role, "choices": ", ".join(ROLES)},
            )
        )
    if registry not in ROLE_REGISTRIES[role]:
        allowed = " or ".join(sorted(ROLE_REGISTRIES[role]))
        raise InvalidCommand(
            Message(
                N_("role: {role} acts in the {allowed} registry, not in the {registry} registry"),
                {"role": article(role), "allowed": allowed, "registry": registry},
            )
        )


def check_role_organisation(role: str, organisation_code: str, kind: str) -> None:
    """An official of ``role`` may work for an organisation of this kind."""
    allowed = ROLE_ORGANISATION_KINDS.get(role)
    if allowed is not None and kind not in allowed:
        kinds = " or ".join(ORGANISATION_KINDS[k] for k in sorted(allowed))
        raise InvalidCommand(
            Message(
                N_(
                    "organisation_code: {role} works for a {kinds}; {organisation_code} is a {kind}"
                ),
                {
                    "role": article(role),
                    "kinds": kinds,
                    "organisation_code": organisation_code,
                    "kind": ORGANISATION_KINDS.get(kind, kind),
                },
            )
        )


def check_title(title: str) -> str:
    """A representative's title (such as "chief executive"): one line of 1-100 characters."""
    title = " ".join(title.split())
    if not title:
        raise InvalidCommand(
            N_("title: say in which capacity the person represents the organisation")
        )
    if len(title) > MAX_TITLE_LENGTH:
        raise InvalidCommand(
            Message(
                N_("title: at most {MAX_TITLE_LENGTH} characters"),
                {"MAX_TITLE_LENGTH": MAX_TITLE_LENGTH},
            )
        )
    if not any(ch.isalpha() for ch in title):
        raise InvalidCommand(N_("title: must contain letters"))
    return title


def check_represented_kind(organisation_code: str, kind: str) -> None:
    """Representatives are recorded here only for organisations that are not companies."""
    if kind in BOARD_REPRESENTED_KINDS:
        raise InvalidCommand(
            Message(
                N_(
                    "organisation_code: {organisation_code} is a {kind}; a "
                    "company is represented by its management board in the business registry"
                ),
                {
                    "organisation_code": organisation_code,
                    "kind": ORGANISATION_KINDS[kind],
                },
            )
        )
