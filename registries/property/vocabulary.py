"""The land register's vocabulary (pure: no Django, no I/O, no aggregate).

Purposes and restriction kinds, limits, the refusals a land unit raises,
cadastral codes and their aggregate ids, exact shares and holdings, the input
checks of part I-IV entries and the part III and IV entry records used by
:class:`~registries.property.domain.LandUnit`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from uuid import NAMESPACE_URL, UUID, uuid5

from registries.common.codes import (
    ORGANISATION,
    PERSON,
    party_kind,
)
from registries.common.errors import Conflict, InvalidCommand, RegistryError
from registries.common.texts import N_, Message

# Intended purposes of land (katastriüksuse sihtotstarbed).
PURPOSES = {
    "residential": "residential land (elamumaa)",
    "commercial": "commercial land (ärimaa)",
    "industrial": "industrial land (tootmismaa)",
    "agricultural": "agricultural land (maatulundusmaa)",
    "forest": "forest land (maatulundusmaa, metsamaa)",
    "transport": "transport land (transpordimaa)",
    "public": "land in public use (üldkasutatav maa)",
    "social": "social land (sotsiaalmaa)",
    "protected": "protected land (kaitsealune maa)",
    "mining": "mining land (mäetööstusmaa)",
    "defence": "defence land (riigikaitsemaa)",
    "water": "water bodies (veekogude maa)",
    "waste": "waste depository land (jäätmehoidlamaa)",
    "reserve": "reserve land (reservmaa)",
}
SEIZURE = "seizure"
# Part III entries a registrar enters; seizure notes come only from court orders.
RESTRICTION_KINDS = {
    "servitude": "servitude (servituut)",
    "usufruct": "usufruct (kasutusvaldus)",
    "pre_emption": "right of pre-emption (ostueesõigus)",
    "building_right": "right of superficies (hoonestusõigus)",
    "other": "other restriction or encumbrance",
}
ALL_RESTRICTION_KINDS = {**RESTRICTION_KINDS, SEIZURE: "seizure note (keelumärge)"}


MAX_AREA_M2 = 10**11  # larger than Estonia
MAX_CENTS = 10**15
MAX_ADDRESS_LENGTH = 300
MAX_TEXT_LENGTH = 2000
MAX_REFERENCE_LENGTH = 200
MAX_OWNERS = 100
MAX_SHARE_DIGITS = 12
SIGNATURE_LENGTH = 64  # Ed25519

TRANSFER_KIND = "title-transfer"
CADASTRAL_CODE_FORM = "78401:101:0010"
_CADASTRAL_CODE = re.compile(r"[0-9]{5}:[0-9]{3}:[0-9]{4}")
_CADASTRAL_PARTS = (
    ("cadastral zone (municipality)", 5),
    ("section", 3),
    ("parcel number", 4),
)
_SHARE = re.compile(r"([0-9]+)(?:/([0-9]+))?")

_NAMESPACE = uuid5(NAMESPACE_URL, "https://riik.example/property")


# Errors -------------------------------------------------------------------------------------


class InvalidCadastralCode(InvalidCommand):
    """A cadastral code not in the ``78401:101:0010`` form."""

    title = N_("Malformed cadastral code")
    slug = "invalid-cadastral-code"


class InvalidShares(InvalidCommand):
    """Shares that are malformed or do not add up to exactly one."""

    title = N_("Shares do not add up to one")
    slug = "invalid-shares"


class InvalidEndorsement(RegistryError):
    """The notary's endorsement of a transfer does not hold (nothing is written)."""

    status = 403
    title = N_("The notary's endorsement does not hold")
    slug = "invalid-endorsement"


class UnderSeizure(Conflict):
    """The unit carries a seizure note: no transfer, no new mortgage."""

    title = N_("The land unit is under seizure")
    slug = "under-seizure"


class EarlierEvent(Conflict):
    """A conflict with an earlier event of the unit, named by ``{at}`` in the message.

    The aggregate knows the event's version; the application, which knows the
    ledger, calls :meth:`located` to name its ledger seq instead.
    """

    def __init__(self, template: Message, version: int) -> None:
        self.template = template
        self.version = version
        super().__init__(self._at(Message(N_("version {version}"), {"version": version})))

    def _at(self, event: Message) -> Message:
        return Message(self.template.template, {**self.template.values, "at": event})

    def located(self, seq: int) -> EarlierEvent:
        """The same refusal naming the event's ledger seq."""
        located = type(self)(self.template, self.version)
        message = self._at(Message(N_("ledger seq {seq}"), {"seq": seq}))
        located.args = (str(message),)
        located.message = message
        return located


class NotAnOwner(EarlierEvent):
    """A seller who does not (or no longer) own the unit."""

    title = N_("The seller does not own this land unit")
    slug = "not-an-owner"


class StaleEndorsement(EarlierEvent):
    """A notary signed an earlier state of the unit: the signature cannot be replayed."""

    title = N_("The endorsement is for an earlier state of the land unit")
    slug = "stale-endorsement"


# Codes, shares ----------------------------------------------------------------------------


def validate_cadastral_code(code: str, field: str = "cadastral_code") -> str:
    """A cadastral code ``78401:101:0010``: 5-digit zone, 3-digit section, 4-digit parcel."""
    if not isinstance(code, str):
        raise InvalidCadastralCode(
            Message(
                N_("{field}: a cadastral code is a string such as 78401:101:0010"), {"field": field}
            )
        )
    if _CADASTRAL_CODE.fullmatch(code):
        return code
    shown = code if len(code) <= 40 else code[:40] + "..."
    parts = code.split(":")
    if len(parts) != 3:
        raise InvalidCadastralCode(
            Message(
                N_(
                    "{field}: {shown!r} is not a cadastral code: it has the form "
                    "{CADASTRAL_CODE_FORM} (5-digit cadastral zone, 3-digit section, 4-digit "
                    "parcel number, separated by colons)"
                ),
                {"field": field, "shown": shown, "CADASTRAL_CODE_FORM": CADASTRAL_CODE_FORM},
            )
        )
    for part, (name, length) in zip(parts, _CADASTRAL_PARTS, strict=True):
        if not re.fullmatch(f"[0-9]{{{length}}}", part):
            raise InvalidCadastralCode(
                Message(
                    N_(
                        "{field}: {shown!r} is not a cadastral code: the {name} must be exactly "
                        "{length} digits, not {part!r} (the form is {CADASTRAL_CODE_FORM})"
                    ),
                    {
                        "field": field,
                        "shown": shown,
                        "name": name,
                        "length": length,
                        "part": part,
                        "CADASTRAL_CODE_FORM": CADASTRAL_CODE_FORM,
                    },
                )
            )
    raise InvalidCadastralCode(
        Message(N_("{field}: {shown!r} is not a cadastral code"), {"field": field, "shown": shown})
    )  # pragma: no cover


def land_unit_id(cadastral_code: str) -> UUID:
    """Aggregate id of the land unit with this (public) cadastral code."""
    return uuid5(_NAMESPACE, f"land-unit:{cadastral_code}")


def parse_share(text: str | Fraction, field: str = "share") -> Fraction:
    """An exact share ``numerator/denominator`` (or ``1``), greater than 0 and at most 1."""
    if isinstance(text, Fraction):
        share = text
    else:
        if not isinstance(text, str):
            raise InvalidShares(
                Message(
                    N_(
                        "{field}: a share is written as a fraction string such as '1/2', not "
                        "{text!r}"
                    ),
                    {"field": field, "text": text},
                )
            )
        match = _SHARE.fullmatch(text.replace(" ", ""))
        if not match:
            raise InvalidShares(
                Message(
                    N_(
                        "{field}: {text!r} is not a share: write it as an exact fraction "
                        "numerator/denominator, such as 1/2 or 3/8"
                    ),
                    {"field": field, "text": text},
                )
            )
        numerator, denominator = match.group(1), match.group(2) or "1"
        if len(numerator) > MAX_SHARE_DIGITS or len(denominator) > MAX_SHARE_DIGITS:
            raise InvalidShares(
                Message(
                    N_("{field}: at most {MAX_SHARE_DIGITS} digits above and below"),
                    {"field": field, "MAX_SHARE_DIGITS": MAX_SHARE_DIGITS},
                )
            )
        if int(denominator) == 0:
            raise InvalidShares(
                Message(
                    N_("{field}: {text!r} has a zero denominator"), {"field": field, "text": text}
                )
            )
        share = Fraction(int(numerator), int(denominator))
    if share <= 0:
        raise InvalidShares(
            Message(
                N_("{field}: a share must be greater than 0, not {share}"),
                {"field": field, "share": format_share(share)},
            )
        )
    if share > 1:
        raise InvalidShares(
            Message(
                N_("{field}: a share cannot exceed 1, not {share}"),
                {"field": field, "share": format_share(share)},
            )
        )
    return share


def format_share(share: Fraction) -> str:
    """``Fraction(1, 2)`` -> ``1/2``; the whole is ``1/1`` (always lowest terms)."""
    return f"{share.numerator}/{share.denominator}"


@dataclass(frozen=True)
class Holding:
    """One owner's share of a land unit (part II) or one buyer's share in a transfer."""

    owner: str
    share: Fraction

    @property
    def kind(self) -> str:
        return PERSON if len(self.owner) == 11 else ORGANISATION

    def as_dict(self) -> dict[str, str]:
        return {"owner": self.owner, "share": format_share(self.share)}


def check_holdings(
    items: Iterable[tuple[str, str | Fraction]], field: str, *, total: Fraction | None = Fraction(1)
) -> list[Holding]:
    """Owners with their shares: valid codes, no one twice, each share in (0, 1].

    With ``total`` (exactly one by default) the shares must add up to it.
    """
    holdings: list[Holding] = []
    seen: set[str] = set()
    for owner, share in items:
        party_kind(owner, field)
        if owner in seen:
            raise InvalidCommand(
                Message(N_("{field}: {owner} is listed twice"), {"field": field, "owner": owner})
            )
        seen.add(owner)
        holdings.append(Holding(owner, parse_share(share, field)))
    if not holdings:
        raise InvalidCommand(
            Message(N_("{field}: at least one owner is required"), {"field": field})
        )
    if len(holdings) > MAX_OWNERS:
        raise InvalidCommand(
            Message(
                N_("{field}: at most {MAX_OWNERS} owners"),
                {"field": field, "MAX_OWNERS": MAX_OWNERS},
            )
        )
    added = sum((h.share for h in holdings), Fraction(0))
    if total is not None and added != total:
        shares = " + ".join(format_share(h.share) for h in holdings)
        wanted = "exactly one" if total == 1 else f"exactly {format_share(total)}"
        raise InvalidShares(
            Message(
                N_("{field}: the shares {shares} add up to {added}, not {wanted}"),
                {
                    "field": field,
                    "shares": shares,
                    "added": format_share(added),
                    "wanted": wanted,
                },
            )
        )
    return holdings


def holdings_from(data: Iterable[Mapping[str, str]]) -> list[Holding]:
    """Holdings as recorded in events (``{"owner": ..., "share": "n/d"}``)."""
    return [Holding(item["owner"], Fraction(item["share"])) for item in data]


def check_text(text: str, field: str, max_length: int, *, required: bool = True) -> str:
    """A line of text: spaces collapsed, within ``max_length``."""
    if not isinstance(text, str):
        raise InvalidCommand(Message(N_("{field}: must be text"), {"field": field}))
    text = " ".join(text.split())
    if required and not text:
        raise InvalidCommand(Message(N_("{field}: must not be empty"), {"field": field}))
    if len(text) > max_length:
        raise InvalidCommand(
            Message(
                N_("{field}: at most {max_length} characters"),
                {"field": field, "max_length": max_length},
            )
        )
    return text


def check_area(area_m2: int) -> int:
    if isinstance(area_m2, bool) or not isinstance(area_m2, int) or area_m2 <= 0:
        raise InvalidCommand(
            N_("area_m2: the area is a whole number of square metres greater than 0")
        )
    if area_m2 > MAX_AREA_M2:
        raise InvalidCommand(
            Message(N_("area_m2: at most {most} square metres"), {"most": MAX_AREA_M2})
        )
    return area_m2


def check_purpose(purpose: str) -> str:
    if purpose not in PURPOSES:
        raise InvalidCommand(
            Message(
                N_("purpose: {purpose!r} is not one of {choices}"),
                {"purpose": purpose, "choices": ", ".join(PURPOSES)},
            )
        )
    return purpose


def check_cents(amount: int, field: str, *, minimum: int) -> int:
    if isinstance(amount, bool) or not isinstance(amount, int) or amount < minimum:
        raise InvalidCommand(
            Message(
                N_("{field}: a whole number of euro cents, at least {minimum}"),
                {"field": field, "minimum": minimum},
            )
        )
    if amount > MAX_CENTS:
        raise InvalidCommand(
            Message(
                N_("{field}: at most {MAX_CENTS} cents"), {"field": field, "MAX_CENTS": MAX_CENTS}
            )
        )
    return amount


# Part III and IV entries ----------------------------------------------------------------


def seizure_description(order_reference: str, court_case: str) -> str:
    """The text of a seizure note in part III."""
    case = f" in court case {court_case}" if court_case else ""
    return f"Seizure by order {order_reference}{case}: no disposal of the unit"


@dataclass(frozen=True)
class Restriction:
    """A part III entry. Seizure notes also carry the court's order and the cause."""

    number: int
    kind: str
    description: str
    beneficiary: str = ""
    order_reference: str = ""
    court_case: str = ""
    cause: str = ""


@dataclass(frozen=True)
class Mortgage:
    """A part IV entry; ``rank`` is its order of recording on this unit."""

    rank: int
    amount_cents: int
    creditor: str


__all__ = [
    "ALL_RESTRICTION_KINDS",
    "PURPOSES",
    "RESTRICTION_KINDS",
    "SEIZURE",
    "EarlierEvent",
    "Holding",
    "InvalidCadastralCode",
    "InvalidEndorsement",
    "InvalidShares",
    "Mortgage",
    "NotAnOwner",
    "Restriction",
    "StaleEndorsement",
    "UnderSeizure",
    "check_holdings",
    "format_share",
    "land_unit_id",
    "parse_share",
    "validate_cadastral_code",
]
