"""Estonian identification codes (pure).

Personal identification codes (isikukood) and registry codes of legal persons
share one check-digit rule: weights 1-9,1; if the remainder mod 11 is 10, use
weights 3-9,1,2,3; if that is 10 again, the check digit is 0.
"""

from __future__ import annotations

import re
from datetime import date

from registries.common.errors import InvalidCommand
from registries.common.texts import N_, Message, on_field

_FIRST_WEIGHTS = (1, 2, 3, 4, 5, 6, 7, 8, 9, 1)
_SECOND_WEIGHTS = (3, 4, 5, 6, 7, 8, 9, 1, 2, 3)
_CENTURY = {1: 1800, 2: 1800, 3: 1900, 4: 1900, 5: 2000, 6: 2000, 7: 2100, 8: 2100}


class InvalidCodeError(ValueError):
    """A code that is not a valid identification code; the message says why
    (``message``: the same, to be shown in the reader's language)."""

    def __init__(self, message: Message) -> None:
        super().__init__(str(message))
        self.message = message


def check_digit(digits: str) -> int:
    """Check digit of the leading digits of a code (10 digits or 7 digits)."""
    values = [int(d) for d in digits]
    total = sum(v * w for v, w in zip(values, _FIRST_WEIGHTS, strict=False))
    remainder = total % 11
    if remainder == 10:
        total = sum(v * w for v, w in zip(values, _SECOND_WEIGHTS, strict=False))
        remainder = total % 11
        if remainder == 10:
            remainder = 0
    return remainder


def validate_personal_code(code: str) -> date:
    """Check an isikukood and return the birth date it encodes."""
    if not re.fullmatch(r"[0-9]{11}", code):
        raise InvalidCodeError(
            Message(N_("personal code {code!r} must be exactly 11 digits"), {"code": code})
        )
    first = int(code[0])
    if first not in _CENTURY:
        raise InvalidCodeError(
            Message(
                N_("personal code {code}: first digit must be 1-8 (century and sex)"),
                {"code": code},
            )
        )
    try:
        born = date(_CENTURY[first] + int(code[1:3]), int(code[3:5]), int(code[5:7]))
    except ValueError:
        raise InvalidCodeError(
            Message(N_("personal code {code}: birth date does not exist"), {"code": code})
        ) from None
    if check_digit(code[:10]) != int(code[10]):
        raise InvalidCodeError(
            Message(N_("personal code {code}: check digit is wrong"), {"code": code})
        )
    return born


def validate_registry_code(code: str) -> str:
    """Check an 8-digit registry code of a legal person and return it."""
    if not re.fullmatch(r"[0-9]{8}", code):
        raise InvalidCodeError(
            Message(N_("registry code {code!r} must be exactly 8 digits"), {"code": code})
        )
    if check_digit(code[:7]) != int(code[7]):
        raise InvalidCodeError(
            Message(N_("registry code {code}: check digit is wrong"), {"code": code})
        )
    return code


def registry_code(serial: int, kind_digit: int = 1) -> str:
    """Registry code for a 6-digit serial; the first digit names the kind of person
    (1 companies, 8 non-profit associations)."""
    if not 0 <= serial < 1_000_000:
        raise ValueError("serial must have at most 6 digits")
    head = f"{kind_digit}{serial:06d}"
    return head + str(check_digit(head))


def personal_code(born: date, sex: str, serial: int) -> str:
    """Build a valid isikukood (used by the demo data and tests)."""
    century = (born.year - 1800) // 100
    first = century * 2 + (1 if sex == "M" else 2)
    head = f"{first}{born:%y%m%d}{serial:03d}"
    return head + str(check_digit(head))


PERSON = "person"
ORGANISATION = "organisation"


def party_kind(code: str, field: str) -> str:
    """``person`` for a valid personal code, ``organisation`` for a valid registry code.

    The registries that name either kind of party (owners, buyers, creditors,
    wallet holders) read it from the code's form; ``field`` names the input in
    the refusal (an :class:`~registries.common.errors.InvalidCommand`).
    """
    if not isinstance(code, str):
        raise InvalidCommand(
            Message(N_("{field}: a personal code or registry code is a string"), {"field": field})
        )
    try:
        if len(code) == 11:
            validate_personal_code(code)
            return PERSON
        if len(code) == 8:
            validate_registry_code(code)
            return ORGANISATION
    except InvalidCodeError as error:
        raise InvalidCommand(on_field(field, error.message)) from None
    raise InvalidCommand(
        Message(
            N_(
                "{field}: {code!r} is neither a personal code (11 digits) nor a registry code of "
                "an organisation (8 digits)"
            ),
            {"field": field, "code": code},
        )
    )


class InvalidPersonalCode(InvalidCommand):
    """A personal code that is malformed: the message says which part is wrong."""

    title = N_("Malformed personal code")
    slug = "invalid-personal-code"


class InvalidRegistryCode(InvalidCommand):
    """A registry code that is not 8 digits or whose check digit is wrong."""

    title = N_("Malformed registry code")
    slug = "invalid-registry-code"


def checked_personal_code(code: str) -> str:
    """``code`` if it is a valid personal code, else a 400 problem saying why."""
    try:
        validate_personal_code(code)
    except InvalidCodeError as error:
        raise InvalidPersonalCode(error.message) from None
    return code


def checked_registry_code(code: str) -> str:
    """``code`` if it is a well-formed registry code, else a 400 problem."""
    try:
        return validate_registry_code(code)
    except InvalidCodeError as error:
        raise InvalidRegistryCode(error.message) from None
