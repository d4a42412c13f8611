"""The land register's aggregates and events (pure: no Django, no I/O).

A :class:`LandUnit` is one registered immovable (kinnisasi) with its title
register in four parts:

* **I description**: area, intended purpose, address;
* **II owners**: persons (personal code) and organisations (registry code) with
  exact shares (``fractions.Fraction``, written ``numerator/denominator``) that
  always add up to exactly one;
* **III restrictions and encumbrances**: servitudes, usufructs, rights of
  pre-emption, building rights and, entered only by a court order, seizure
  notes;
* **IV mortgages**: amount in euro cents, creditor organisation and rank. The
  rank is the order of recording (1, 2, 3, ...), i.e. ledger order; a release
  never renumbers the others.

A transfer of ownership needs a notary's endorsement: an Ed25519 signature
over :func:`transfer_message`, which binds the unit, the sellers, the buyers
with their shares, the price, the unit's version at signing time and the
chain id. The application checks the signature against the identity
registry; the aggregate records it in the event, so anyone can re-check it
later (:func:`endorsement_holds`).

Rules that one land unit can check by itself are checked here, before an
event is recorded. Conflicts with an earlier event of the unit name that
event by its version (:class:`EarlierEvent`); the application turns the
version into the event's ledger seq.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from eventsourcing.domain import Aggregate, event

from chain.encoding import canonical
from registries.common.codes import (
    ORGANISATION,
    PERSON,
    party_kind,
)
from registries.common.errors import Conflict, InvalidCommand, NotFound, RegistryError
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


# The notary's endorsement --------------------------------------------------------------


def transfer_message(
    *,
    cadastral_code: str,
    sellers: Sequence[str],
    buyers: Iterable[tuple[str, str | Fraction]] | Iterable[Holding],
    price_cents: int,
    unit_version: int,
    chain_id: str,
) -> bytes:
    """The canonical bytes a notary signs to endorse a title transfer.

    ``chain.encoding.canonical`` of::

        {"kind": "title-transfer", "cadastral_code": "78401:101:0010",
         "from": ["<seller code>", ...],                     # sorted
         "to": [{"owner": "<code>", "share": "n/d"}, ...],   # sorted by owner, lowest terms
         "price_cents": 12300000, "unit_version": 3, "chain_id": "riik-dev"}

    ``unit_version`` is the land unit aggregate's version the notary saw: the
    signature is void once anything else is recorded on the unit, so it cannot
    be replayed on a later state; ``chain_id`` keeps it from being replayed on
    another chain. Sorting and lowest terms make the bytes independent of the
    order in which the parties are listed.
    """
    to: list[dict[str, str]] = []
    for item in buyers:
        if isinstance(item, Holding):
            owner, share = item.owner, item.share
        else:
            owner, raw = item
            share = raw if isinstance(raw, Fraction) else Fraction(raw.replace(" ", ""))
        to.append({"owner": owner, "share": format_share(share)})
    return canonical(
        {
            "kind": TRANSFER_KIND,
            "cadastral_code": cadastral_code,
            "from": sorted(sellers),
            "to": sorted(to, key=lambda entry: entry["owner"]),
            "price_cents": price_cents,
            "unit_version": unit_version,
            "chain_id": chain_id,
        }
    )


@dataclass(frozen=True)
class Endorsement:
    """A notary's checked signature of a transfer, as recorded in its event."""

    notary: str
    key_id: str
    signature: bytes
    chain_id: str


def endorsement_holds(
    *,
    cadastral_code: str,
    recorded: Mapping[str, Any],
    public_key: bytes,
) -> bool:
    """Re-check a recorded transfer's endorsement with the notary's public key.

    ``recorded`` holds the event's ``sellers``, ``buyers``, ``price_cents``,
    ``unit_version``, ``chain_id`` and ``signature`` (hex); ``public_key`` is the
    notary's key named by the event's ``notary_key_id`` (identity's
    ``public_key_at``). Never raises on bad input.
    """
    try:
        message = transfer_message(
            cadastral_code=cadastral_code,
            sellers=list(recorded["sellers"]),
            buyers=[(b["owner"], b["share"]) for b in recorded["buyers"]],
            price_cents=int(recorded["price_cents"]),
            unit_version=int(recorded["unit_version"]),
            chain_id=str(recorded["chain_id"]),
        )
        Ed25519PublicKey.from_public_bytes(public_key).verify(
            bytes.fromhex(str(recorded["signature"])), message
        )
    except (InvalidSignature, KeyError, TypeError, ValueError, ZeroDivisionError):
        return False
    return True


def _check_notary_not_party(notary: str, sellers: Sequence[str], buyers: Sequence[Holding]) -> None:
    """A notary cannot endorse a transfer they are a party to."""
    if notary in {*sellers, *(b.owner for b in buyers)}:
        raise InvalidEndorsement(
            Message(
                N_("notary: the notary {notary} is a party to this transfer and cannot endorse it"),
                {"notary": notary},
            )
        )


@dataclass(frozen=True)
class TransferApplication:
    """A transfer of ownership filed for a notary to endorse.

    ``unit_version`` is the unit's version that the application's event made:
    the version the notary signs. Once anything else is recorded on the unit,
    the application can no longer be endorsed as filed.
    """

    number: int
    sellers: tuple[str, ...]
    buyers: tuple[tuple[str, str], ...]
    price_cents: int
    notary: str
    unit_version: int


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


# The aggregate ---------------------------------------------------------------------------


class LandUnit(Aggregate):
    """A land unit and its four-part title register, identified by its cadastral code."""

    @staticmethod
    def create_id(cadastral_code: str) -> UUID:
        """Land units are found by their public cadastral code."""
        return land_unit_id(cadastral_code)

    class Registered(Aggregate.Created):
        cadastral_code: str
        area_m2: int
        purpose: str
        address: str
        owners: list[dict[str, str]]
        actor: str

    @event(Registered)
    def __init__(
        self,
        cadastral_code: str,
        area_m2: int,
        purpose: str,
        address: str,
        owners: list[dict[str, str]],
        actor: str,
    ) -> None:
        self.cadastral_code = cadastral_code
        self.area_m2 = area_m2
        self.purpose = purpose
        self.address = address
        self.owners: dict[str, Fraction] = {h.owner: h.share for h in holdings_from(owners)}
        # Owner code -> version of the event that last ended their ownership.
        self.former_owners: dict[str, int] = {}
        # Version of the event that made the current owners the owners.
        self.owners_version = 1
        self.restrictions: dict[int, Restriction] = {}
        self.restrictions_entered = 0
        self.mortgages: dict[int, Mortgage] = {}
        self.mortgages_entered = 0
        # Cause (a court event) -> version of the event it caused (idempotency).
        self.causes: dict[str, int] = {}
        # Seizure cause -> number of the part III entry it created.
        self.seizures: dict[str, int] = {}
        # Transfer applications filed for a notary to endorse, by number (1, 2, ...).
        self.applications: dict[int, TransferApplication] = {}
        # Payment id of a purchase settled against payment -> (buyer, seller, price,
        # version of its transfer): the same purchase again is answered, not redone.
        self.purchases: dict[str, tuple[str, str, int, int]] = {}

    @classmethod
    def register(
        cls,
        *,
        cadastral_code: str,
        area_m2: int,
        purpose: str,
        address: str,
        owners: Iterable[tuple[str, str | Fraction]],
        actor: str,
    ) -> LandUnit:
        """Check a first registration and record it."""
        return cls(
            cadastral_code=validate_cadastral_code(cadastral_code),
            area_m2=check_area(area_m2),
            purpose=check_purpose(purpose),
            address=check_text(address, "address", MAX_ADDRESS_LENGTH),
            owners=[h.as_dict() for h in check_holdings(owners, "owners")],
            actor=actor,
        )

    # Views of the state.

    def holdings(self) -> list[Holding]:
        """Part II: the current owners and their shares."""
        return [Holding(owner, share) for owner, share in self.owners.items()]

    def active_seizures(self) -> list[Restriction]:
        return [r for r in self.restrictions.values() if r.kind == SEIZURE]

    def mortgages_in_rank_order(self) -> list[Mortgage]:
        """Part IV: current mortgages, first rank first."""
        return [self.mortgages[rank] for rank in sorted(self.mortgages)]

    def _refuse_under_seizure(self, what: str) -> None:
        seizures = self.active_seizures()
        if seizures:
            orders = ", ".join(
                f"{s.order_reference} (court case {s.court_case})"
                if s.court_case
                else s.order_reference
                for s in seizures
            )
            raise UnderSeizure(
                Message(
                    N_("{what}: the unit {cadastral_code} is under seizure by order {orders}"),
                    {"what": what, "cadastral_code": self.cadastral_code, "orders": orders},
                )
            )

    # Part I.

    class DescriptionChanged(Aggregate.Event):
        area_m2: int
        purpose: str
        address: str
        actor: str

    def change_description(self, area_m2: int, purpose: str, address: str, actor: str) -> None:
        """Correct or update part I (after a survey, a change of purpose, a new address)."""
        area_m2 = check_area(area_m2)
        purpose = check_purpose(purpose)
        address = check_text(address, "address", MAX_ADDRESS_LENGTH)
        if (area_m2, purpose, address) == (self.area_m2, self.purpose, self.address):
            raise InvalidCommand(N_("address: the new description is the same as the current one"))
        self._description_changed(area_m2=area_m2, purpose=purpose, address=address, actor=actor)

    @event(DescriptionChanged)
    def _description_changed(self, area_m2: int, purpose: str, address: str, actor: str) -> None:
        self.area_m2 = area_m2
        self.purpose = purpose
        self.address = address

    # Part II: transfers.

    class OwnershipTransferred(Aggregate.Event):
        sellers: list[str]
        buyers: list[dict[str, str]]
        owners: list[dict[str, str]]
        price_cents: int
        unit_version: int
        notary: str
        notary_key_id: str
        signature: str
        chain_id: str
        actor: str
        parties_signatures: list[dict[str, str]] | None = None
        """The sellers' and buyers' signatures when they applied online (e-service)."""
        payment_id: str = ""
        """The buyer's payment of the price in money, settled in the same transaction."""

    def transfer(
        self,
        *,
        sellers: Sequence[str],
        buyers: Sequence[Holding],
        price_cents: int,
        unit_version: int,
        endorsement: Endorsement,
        actor: str,
        parties_signatures: list[dict[str, str]] | None = None,
        payment_id: str = "",
    ) -> None:
        """Transfer the sellers' whole shares to the buyers, as endorsed by a notary.

        ``payment_id`` names the buyer's payment of the price when it is
        settled in money in the same transaction (delivery versus payment).

        Checked in this order: a seizure note blocks it; every seller must own
        the unit now; the notary must have signed the current state (version);
        the buyers' shares must add up to the sellers' shares, so that part II
        still adds up to exactly one.
        """
        self._refuse_under_seizure("transfer")
        self._check_sellers(sellers)
        if unit_version != self.version:
            if unit_version > self.version or unit_version < 1:
                raise InvalidCommand(
                    Message(
                        N_(
                            "unit_version: the unit {cadastral_code} is at version {version}, "
                            "there is no version {unit_version}"
                        ),
                        {
                            "cadastral_code": self.cadastral_code,
                            "version": self.version,
                            "unit_version": unit_version,
                        },
                    )
                )
            raise StaleEndorsement(
                Message(
                    N_(
                        "unit_version: the notary signed version {unit_version} of the unit "
                        "{cadastral_code}, which has changed since (at {at}; now version "
                        "{version}): a signature cannot be replayed on a later state, the notary "
                        "must endorse the current one"
                    ),
                    {
                        "unit_version": unit_version,
                        "cadastral_code": self.cadastral_code,
                        "version": self.version,
                    },
                ),
                unit_version + 1,
            )
        _check_notary_not_party(endorsement.notary, sellers, buyers)
        sold = sum((self.owners[s] for s in sellers), Fraction(0))
        check_holdings(((b.owner, b.share) for b in buyers), "buyers", total=sold)
        after = dict(self.owners)
        for seller in sellers:
            del after[seller]
        for buyer in buyers:
            after[buyer.owner] = after.get(buyer.owner, Fraction(0)) + buyer.share
        if after == self.owners:
            raise InvalidCommand(N_("buyers: the transfer would not change the owners"))
        assert sum(after.values(), Fraction(0)) == 1
        self._ownership_transferred(
            sellers=list(sellers),
            buyers=[b.as_dict() for b in buyers],
            owners=[Holding(o, s).as_dict() for o, s in after.items()],
            price_cents=check_cents(price_cents, "price_cents", minimum=0),
            unit_version=unit_version,
            notary=endorsement.notary,
            notary_key_id=endorsement.key_id,
            signature=endorsement.signature.hex(),
            chain_id=endorsement.chain_id,
            actor=actor,
            parties_signatures=parties_signatures,
            payment_id=payment_id,
        )

    def _check_sellers(self, sellers: Sequence[str]) -> None:
        """Every seller is listed once and owns the unit now."""
        if not sellers:
            raise InvalidCommand(N_("sellers: at least one seller is required"))
        if len(set(sellers)) != len(sellers):
            raise InvalidCommand(N_("sellers: a seller is listed twice"))
        for seller in sellers:
            if seller in self.owners:
                continue
            ended = self.former_owners.get(seller)
            if ended is not None:
                raise NotAnOwner(
                    Message(
                        N_(
                            "sellers: the seller {seller} no longer owns the unit "
                            "{cadastral_code}: transferred at {at}"
                        ),
                        {"seller": seller, "cadastral_code": self.cadastral_code},
                    ),
                    ended,
                )
            raise NotAnOwner(
                Message(
                    N_(
                        "sellers: {seller} is not an owner of the unit {cadastral_code} (its "
                        "owners since {at}: {choices})"
                    ),
                    {
                        "seller": seller,
                        "cadastral_code": self.cadastral_code,
                        "choices": ", ".join(self.owners),
                    },
                ),
                self.owners_version,
            )

    class TransferApplied(Aggregate.Event):
        number: int
        sellers: list[str]
        buyers: list[dict[str, str]]
        price_cents: int
        notary: str
        actor: str

    def apply_for_transfer(
        self,
        *,
        sellers: Sequence[str],
        buyers: Sequence[Holding],
        price_cents: int,
        notary: str,
        actor: str,
    ) -> int:
        """File an application to transfer ownership for ``notary`` to endorse; its number.

        The same checks as the transfer itself, so that the notary is never
        asked to sign what the register would refuse. The notary endorses the
        unit's version after this event (the application is part of that state).
        """
        self._refuse_under_seizure("transfer")
        self._check_sellers(sellers)
        _check_notary_not_party(notary, sellers, buyers)
        sold = sum((self.owners[s] for s in sellers), Fraction(0))
        check_holdings(((b.owner, b.share) for b in buyers), "buyers", total=sold)
        number = len(self.applications) + 1
        self._transfer_applied(
            number=number,
            sellers=list(sellers),
            buyers=[b.as_dict() for b in buyers],
            price_cents=check_cents(price_cents, "price_cents", minimum=0),
            notary=notary,
            actor=actor,
        )
        return number

    @event(TransferApplied)
    def _transfer_applied(
        self,
        number: int,
        sellers: list[str],
        buyers: list[dict[str, str]],
        price_cents: int,
        notary: str,
        actor: str,
    ) -> None:
        self.applications[number] = TransferApplication(
            number=number,
            sellers=tuple(sellers),
            buyers=tuple((b["owner"], b["share"]) for b in buyers),
            price_cents=price_cents,
            notary=notary,
            unit_version=self.version + 1,
        )

    @event(OwnershipTransferred)
    def _ownership_transferred(
        self,
        sellers: list[str],
        buyers: list[dict[str, str]],
        owners: list[dict[str, str]],
        price_cents: int,
        unit_version: int,
        notary: str,
        notary_key_id: str,
        signature: str,
        chain_id: str,
        actor: str,
        parties_signatures: list[dict[str, str]] | None = None,
        payment_id: str = "",
    ) -> None:
        version = self.version + 1
        if payment_id:
            self.purchases[payment_id] = (buyers[0]["owner"], sellers[0], price_cents, version)
        self.owners = {h.owner: h.share for h in holdings_from(owners)}
        for seller in sellers:
            if seller not in self.owners:
                self.former_owners[seller] = version
        for owner in self.owners:
            self.former_owners.pop(owner, None)
        self.owners_version = version

    # Part III.

    class RestrictionAdded(Aggregate.Event):
        number: int
        kind: str
        description: str
        beneficiary: str
        actor: str

    class RestrictionRemoved(Aggregate.Event):
        number: int
        actor: str

    class SeizureNoted(Aggregate.Event):
        number: int
        order_reference: str
        court_case: str
        cause: str
        actor: str

    class SeizureLifted(Aggregate.Event):
        number: int
        seizure_cause: str
        cause: str
        actor: str

    def add_restriction(self, kind: str, description: str, beneficiary: str, actor: str) -> int:
        """Enter a servitude, usufruct, ... into part III; return its entry number."""
        if kind == SEIZURE:
            raise InvalidCommand(
                N_("kind: a seizure note is entered only by a court's seizure order (note_seizure)")
            )
        if kind not in RESTRICTION_KINDS:
            raise InvalidCommand(
                Message(
                    N_("kind: {kind!r} is not one of {choices}"),
                    {"kind": kind, "choices": ", ".join(RESTRICTION_KINDS)},
                )
            )
        description = check_text(description, "description", MAX_TEXT_LENGTH)
        beneficiary = check_text(beneficiary, "beneficiary", MAX_REFERENCE_LENGTH, required=False)
        if kind == "usufruct" and not beneficiary:
            raise InvalidCommand(N_("beneficiary: a usufruct is held by a person or organisation"))
        if beneficiary == self.cadastral_code:
            raise InvalidCommand(
                N_("beneficiary: a land unit cannot be encumbered in its own favour")
            )
        number = self.restrictions_entered + 1
        self._restriction_added(
            number=number, kind=kind, description=description, beneficiary=beneficiary, actor=actor
        )
        return number

    @event(RestrictionAdded)
    def _restriction_added(
        self, number: int, kind: str, description: str, beneficiary: str, actor: str
    ) -> None:
        self.restrictions[number] = Restriction(number, kind, description, beneficiary)
        self.restrictions_entered = number

    def remove_restriction(self, number: int, actor: str) -> None:
        """Delete a part III entry (a seizure note only by the court's lift)."""
        restriction = self._restriction(number)
        if restriction.kind == SEIZURE:
            raise Conflict(
                Message(
                    N_(
                        "number: entry {number} is a seizure note by order {order_reference}; "
                        "only the court lifts it (lift_seizure)"
                    ),
                    {"number": number, "order_reference": restriction.order_reference},
                )
            )
        self._restriction_removed(number=number, actor=actor)

    @event(RestrictionRemoved)
    def _restriction_removed(self, number: int, actor: str) -> None:
        del self.restrictions[number]

    def _restriction(self, number: int) -> Restriction:
        restriction = self.restrictions.get(number)
        if restriction is None:
            what = "was removed" if 0 < number <= self.restrictions_entered else "does not exist"
            raise NotFound(
                Message(
                    N_("part III entry {number} of the unit {cadastral_code} {what}"),
                    {"number": number, "cadastral_code": self.cadastral_code, "what": what},
                )
            )
        return restriction

    def note_seizure(
        self, order_reference: str, court_case: str, cause: str, actor: str
    ) -> int | None:
        """Note a court's seizure order in part III; the same ``cause`` again changes nothing.

        Returns the new entry's number, or None when ``cause`` was already handled.
        """
        cause = check_text(cause, "cause", MAX_REFERENCE_LENGTH)
        if cause in self.causes:
            return None
        order_reference = check_text(order_reference, "order_reference", MAX_REFERENCE_LENGTH)
        court_case = check_text(court_case, "court_case", MAX_REFERENCE_LENGTH, required=False)
        number = self.restrictions_entered + 1
        self._seizure_noted(
            number=number,
            order_reference=order_reference,
            court_case=court_case,
            cause=cause,
            actor=actor,
        )
        return number

    @event(SeizureNoted)
    def _seizure_noted(
        self, number: int, order_reference: str, court_case: str, cause: str, actor: str
    ) -> None:
        self.restrictions[number] = Restriction(
            number,
            SEIZURE,
            seizure_description(order_reference, court_case),
            order_reference=order_reference,
            court_case=court_case,
            cause=cause,
        )
        self.restrictions_entered = number
        self.causes[cause] = self.version + 1
        self.seizures[cause] = number

    def lift_seizure(self, seizure_cause: str, cause: str, actor: str) -> bool:
        """Remove the seizure note that ``seizure_cause`` created; the same ``cause`` again
        changes nothing. Returns whether an event was recorded."""
        cause = check_text(cause, "cause", MAX_REFERENCE_LENGTH)
        if cause in self.causes:
            return False
        seizure_cause = check_text(seizure_cause, "seizure_cause", MAX_REFERENCE_LENGTH)
        number = self.seizures.get(seizure_cause)
        if number is None:
            raise NotFound(
                Message(
                    N_(
                        "seizure_cause: no seizure note on the unit {cadastral_code} was caused "
                        "by {seizure_cause!r}"
                    ),
                    {"cadastral_code": self.cadastral_code, "seizure_cause": seizure_cause},
                )
            )
        if number not in self.restrictions:
            raise Conflict(
                Message(
                    N_(
                        "seizure_cause: the seizure note caused by {seizure_cause!r} (part III "
                        "entry {number}) has already been lifted"
                    ),
                    {"seizure_cause": seizure_cause, "number": number},
                )
            )
        self._seizure_lifted(number=number, seizure_cause=seizure_cause, cause=cause, actor=actor)
        return True

    @event(SeizureLifted)
    def _seizure_lifted(self, number: int, seizure_cause: str, cause: str, actor: str) -> None:
        del self.restrictions[number]
        self.causes[cause] = self.version + 1

    # Part IV.

    class MortgageRegistered(Aggregate.Event):
        rank: int
        amount_cents: int
        creditor: str
        actor: str

    class MortgageReleased(Aggregate.Event):
        rank: int
        actor: str

    def register_mortgage(self, amount_cents: int, creditor: str, actor: str) -> int:
        """Enter a mortgage in part IV; it ranks after every mortgage entered before it."""
        self._refuse_under_seizure("mortgage")
        amount_cents = check_cents(amount_cents, "amount_cents", minimum=1)
        if party_kind(creditor, "creditor") != ORGANISATION:
            raise InvalidCommand(
                N_("creditor: a mortgage creditor is an organisation (registry code)")
            )
        rank = self.mortgages_entered + 1
        self._mortgage_registered(
            rank=rank, amount_cents=amount_cents, creditor=creditor, actor=actor
        )
        return rank

    @event(MortgageRegistered)
    def _mortgage_registered(self, rank: int, amount_cents: int, creditor: str, actor: str) -> None:
        self.mortgages[rank] = Mortgage(rank, amount_cents, creditor)
        self.mortgages_entered = rank

    def release_mortgage(self, rank: int, actor: str) -> None:
        """Delete a mortgage from part IV; the others keep their ranks."""
        if rank not in self.mortgages:
            what = "was released" if 0 < rank <= self.mortgages_entered else "does not exist"
            raise NotFound(
                Message(
                    N_("the mortgage of rank {rank} on the unit {cadastral_code} {what}"),
                    {"rank": rank, "cadastral_code": self.cadastral_code, "what": what},
                )
            )
        self._mortgage_released(rank=rank, actor=actor)

    @event(MortgageReleased)
    def _mortgage_released(self, rank: int, actor: str) -> None:
        del self.mortgages[rank]


__all__ = [
    "ALL_RESTRICTION_KINDS",
    "PURPOSES",
    "RESTRICTION_KINDS",
    "SEIZURE",
    "EarlierEvent",
    "Endorsement",
    "Holding",
    "InvalidCadastralCode",
    "InvalidEndorsement",
    "InvalidShares",
    "LandUnit",
    "Mortgage",
    "NotAnOwner",
    "Restriction",
    "StaleEndorsement",
    "TransferApplication",
    "UnderSeizure",
    "check_holdings",
    "endorsement_holds",
    "format_share",
    "land_unit_id",
    "parse_share",
    "parse_signature",
    "party_kind",
    "transfer_message",
    "validate_cadastral_code",
]


def parse_signature(text: str | bytes, field: str = "signature") -> bytes:
    """An Ed25519 signature (64 bytes) written as 128 hex digits or as base64."""
    if isinstance(text, bytes):
        raw = text
    elif isinstance(text, str):
        compact = "".join(text.split())
        if not compact:
            raise InvalidCommand(
                Message(
                    N_("{field}: a transfer of ownership needs the notary's signature"),
                    {"field": field},
                )
            )
        if re.fullmatch(r"[0-9a-fA-F]{128}", compact):
            raw = bytes.fromhex(compact)
        else:
            try:
                raw = base64.b64decode(compact + "=" * (-len(compact) % 4), validate=True)
            except (binascii.Error, ValueError):
                raw = b"?"  # neither hex nor base64
    else:
        raw = b""
    if not raw:
        raise InvalidCommand(
            Message(
                N_("{field}: a transfer of ownership needs the notary's signature"),
                {"field": field},
            )
        )
    if len(raw) != SIGNATURE_LENGTH:
        raise InvalidCommand(
            Message(
                N_(
                    "{field}: an Ed25519 signature is {SIGNATURE_LENGTH} bytes, written as 128 "
                    "hex digits or 88 base64 characters"
                ),
                {"field": field, "SIGNATURE_LENGTH": SIGNATURE_LENGTH},
            )
        )
    return raw
