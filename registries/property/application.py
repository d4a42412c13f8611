"""Commands of the land register (kinnistusraamat).

**Legal rank by order of arrival.** Of two commands on one unit, the one saved
first is first in the ledger; the other is decided again on the new state (the
registries' one write path, :mod:`registries.common.application`). A transfer
that lost to another transfer is thus refused with the reason, naming the
winner's ledger seq ("the seller ... no longer owns the unit ...: transferred at
ledger seq N"); mortgages take their rank in the order they are saved.

**Endorsements.** A transfer of ownership is only recorded with a notary's
Ed25519 signature over :func:`~registries.property.endorsement.transfer_message`,
checked against the identity registry (the notary holds the property notary
role; the signature verifies with their current e-ID key). The endorsement
(notary, key id, signature, chain id) is stored in the event. A refused
signature says what went wrong when the registry can tell: the notary signed
another version of the unit, other shares than the application's, or with a
key that is not their current one.

**Transfer applications.** A registrar (or a seller) files an application that
names the notary (:meth:`PropertyRegistry.apply_for_transfer`); the notary
sees it awaiting their endorsement and endorses exactly its terms
(:meth:`PropertyRegistry.endorse_application`), which files the transfer.

**Contract with the court registry**: :meth:`PropertyRegistry.note_seizure` and
:meth:`PropertyRegistry.lift_seizure`, both idempotent by ``cause``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import TypeVar
from uuid import UUID

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.conf import settings

from chain.ledger.models import LedgerEntry
from registries.common.application import Decision, Ref, RegistryApplication
from registries.common.codes import PERSON, party_kind
from registries.common.errors import Conflict, InvalidCommand, NotFound, UnknownParty
from registries.common.payments import TITLE_TRANSFER, Charge, fee
from registries.common.texts import N_, Message
from registries.identity import services as identity
from registries.identity.models import PublicKeyRecord
from registries.identity.vocabulary import ACTIVE, key_id_of
from registries.property.domain import LandUnit
from registries.property.endorsement import (
    Endorsement,
    TransferApplication,
    parse_signature,
    transfer_message,
)
from registries.property.vocabulary import (
    MAX_OWNERS,
    EarlierEvent,
    Holding,
    InvalidEndorsement,
    check_cents,
    check_holdings,
    land_unit_id,
    validate_cadastral_code,
)

T = TypeVar("T")

# How many earlier versions of a unit a refused signature is tried against to
# explain it (each is one Ed25519 verification; a mistake is nearly always recent).
VERSIONS_TRIED = 50


@dataclass(frozen=True)
class Transfer:
    """A notary-endorsed application to transfer ownership of a land unit.

    ``sellers`` give up their whole shares; ``buyers`` receive shares of the
    whole unit (``"n/d"``) that add up to the sellers' shares together.
    ``unit_version`` is the unit's version the notary signed;
    ``signature`` is the notary's Ed25519 signature of
    :meth:`PropertyRegistry.transfer_message` (raw bytes, or text as 128 hex
    digits or base64).
    """

    sellers: list[str]
    buyers: list[tuple[str, str]]
    price_cents: int
    unit_version: int
    notary: str
    signature: bytes | str


@dataclass(frozen=True)
class NewLandUnit:
    """A land unit to register in a batch (:meth:`PropertyRegistry.register_land_units`):
    its cadastral code, Part I and first owners as ``(code, share)``."""

    cadastral_code: str
    area_m2: int
    purpose: str
    address: str
    owners: Sequence[tuple[str, str]]


def _taken(code: str) -> str:
    return f"cadastral_code: the land unit {code} is already registered"


@dataclass(frozen=True)
class Purchase:
    """A purchase settled against payment: the unit's version that its transfer made,
    and whether this was a repetition of a purchase recorded before."""

    version: int
    repeated: bool


class PropertyRegistry(RegistryApplication):
    """The land register: land units and their four-part title register."""

    name = "property"

    # Part I and first registration.

    def register_land_unit(
        self,
        cadastral_code: str,
        area_m2: int,
        purpose: str,
        address: str,
        owners: Iterable[tuple[str, str]],
        actor: str,
    ) -> str:
        """Register a land unit with its first owners; return its cadastral code."""
        new = NewLandUnit(cadastral_code, area_m2, purpose, address, list(owners))
        decision = self._registered(new, actor)
        self.create(*decision.aggregates, taken=_taken(decision.result))
        return decision.result

    def register_land_units(self, units: Sequence[NewLandUnit], actor: str) -> list[str]:
        """Register many land units in ONE transaction (a cadastral import, the seeder);
        return their cadastral codes in order.

        Each is decided as :meth:`register_land_unit` decides it; one refused (a
        malformed or taken code, an unknown owner, shares that do not add up)
        refuses all, naming it (``land_units.3``), and nothing is written
        (:meth:`~registries.common.application.RegistryApplication.batch`).
        """
        with identity.caught_up_once():
            return self.batch(units, lambda new: self._registered(new, actor), field="land_units")

    def _registered(self, new: NewLandUnit, actor: str) -> Decision[str]:
        """A first registration decided, nothing saved (Conflict if the code is taken)."""
        code = validate_cadastral_code(new.cadastral_code)
        unit = LandUnit.register(
            cadastral_code=code,
            area_m2=new.area_m2,
            purpose=new.purpose,
            address=new.address,
            owners=list(new.owners),
            actor=actor,
        )
        if unit.id in self.repository:
            raise Conflict(_taken(code))
        self._check_parties(unit.holdings(), "owners")
        return Decision([unit], code)

    def change_description(
        self, cadastral_code: str, area_m2: int, purpose: str, address: str, actor: str
    ) -> None:
        """Change part I: area, intended purpose, address."""
        self._update(
            cadastral_code, lambda unit: unit.change_description(area_m2, purpose, address, actor)
        )

    # Part II.

    def transfer_message(self, cadastral_code: str, transfer: Transfer) -> bytes:
        """The canonical bytes the notary signs for ``transfer`` on this registry's chain."""
        code = validate_cadastral_code(cadastral_code)
        if isinstance(transfer.unit_version, bool) or not isinstance(transfer.unit_version, int):
            raise InvalidCommand(
                N_("unit_version: the unit's version the notary signed (a number)")
            )
        if len(transfer.sellers) > MAX_OWNERS:
            raise InvalidCommand(
                Message(N_("sellers: at most {MAX_OWNERS} sellers"), {"MAX_OWNERS": MAX_OWNERS})
            )
        for seller in transfer.sellers:
            party_kind(seller, "sellers")
        return transfer_message(
            cadastral_code=code,
            sellers=transfer.sellers,
            buyers=self._buyers(transfer),
            price_cents=check_cents(transfer.price_cents, "price_cents", minimum=0),
            unit_version=transfer.unit_version,
            chain_id=settings.RIIK_CHAIN_ID,
        )

    def transfer_ownership(
        self,
        cadastral_code: str,
        transfer: Transfer,
        actor: str,
        parties_signatures: list[dict[str, str]] | None = None,
        price: Charge | None = None,
    ) -> int:
        """Record a notary-endorsed transfer of ownership; return the unit's new version.

        ``parties_signatures``: the sellers' and buyers' verified signatures when
        they applied online together with the notary. ``price``: the buyer's
        payment to the seller, settled with the transfer (:meth:`buy`). The
        first buyer pays the title transfer's state fee in the same transaction.

        Nothing is written without a valid endorsement: a missing or malformed
        signature, a signer who is not a property notary, a signature by
        another key or over other data, a signature of an earlier state of
        the unit, or a seller who does not own the unit.
        """
        code = validate_cadastral_code(cadastral_code)
        self.transfer_message(code, transfer)  # malformed terms are refused first
        buyers = self._buyers(transfer)
        signature = parse_signature(transfer.signature)
        self.land_unit(code)  # 404 before anything else is looked up
        self._check_parties(buyers, "buyers")
        endorsement = self._endorsement(code, transfer, signature)

        def decide(unit: LandUnit) -> int:
            unit.transfer(
                sellers=transfer.sellers,
                buyers=buyers,
                price_cents=transfer.price_cents,
                unit_version=transfer.unit_version,
                endorsement=endorsement,
                actor=actor,
                parties_signatures=parties_signatures,
                payment_id=price.payment_id if price else "",
            )
            return unit.version

        # The (first) buyer pays the state fee; a purchase's price moves too.
        reference = f"{code}-v{transfer.unit_version}"
        charges = [fee(TITLE_TRANSFER, buyers[0].owner, reference), price]
        return self._update(code, decide, charges)

    def buy(
        self,
        cadastral_code: str,
        transfer: Transfer,
        payment_id: str,
        buyer_signatures: list[dict[str, str]],
        actor: str,
    ) -> Purchase:
        """Settle a notary-endorsed purchase delivery versus payment.

        The buyer (the one buyer of the whole transfer) pays the price to the
        seller (one seller) from their wallet, with their verified e-ID
        signatures over the terms and ``payment_id``. The payment, the
        seller's credit, the state fee and the endorsed title change are saved
        in ONE transaction (``save_settling``), so they are in one ledger
        transaction and one block, or none of them is: a buyer short of funds,
        a stale endorsement or a lost race on the wallet writes nothing.

        The same purchase again (its payment id, buyer, seller and price) is
        answered with the recorded one and records nothing; the payment id of
        another purchase of the unit is refused.
        """
        if len(transfer.sellers) != 1 or len(transfer.buyers) != 1:
            raise InvalidCommand(
                "buyers: a purchase settled against payment has one seller and one buyer"
            )
        if isinstance(transfer.price_cents, bool) or not isinstance(transfer.price_cents, int):
            raise InvalidCommand("price_cents: a whole number of euro cents")
        if transfer.price_cents < 1:
            raise InvalidCommand("price_cents: a purchase has a price of at least 1 cent")
        price = Charge(
            payment_id=payment_id,
            payer=transfer.buyers[0][0],
            payee=transfer.sellers[0],
            amount_cents=transfer.price_cents,
            signatures=tuple(buyer_signatures),
        )
        recorded = self.land_unit(cadastral_code).purchases.get(payment_id)
        if recorded is not None:
            buyer, seller, cents, version = recorded
            if (buyer, seller, cents) != (price.payer, price.payee, price.amount_cents):
                raise Conflict(
                    f"payment_id: {payment_id} paid for another purchase of this unit "
                    f"(its version {version}); choose a new id"
                )
            return Purchase(version, repeated=True)
        version = self.transfer_ownership(cadastral_code, transfer, actor, buyer_signatures, price)
        return Purchase(version, repeated=False)

    def apply_for_transfer(
        self,
        cadastral_code: str,
        sellers: list[str],
        buyers: list[tuple[str, str]],
        price_cents: int,
        notary: str,
        actor: str,
    ) -> int:
        """File a transfer application for ``notary`` to endorse; return its number."""
        code = validate_cadastral_code(cadastral_code)
        holdings = check_holdings(buyers, "buyers", total=None)
        for seller in sellers:
            party_kind(seller, "sellers")
        self.land_unit(code)  # 404 before anything else is looked up
        self._check_parties(holdings, "buyers")
        self._check_notary(notary)
        return self._update(
            code,
            lambda unit: unit.apply_for_transfer(
                sellers=sellers,
                buyers=holdings,
                price_cents=price_cents,
                notary=notary,
                actor=actor,
            ),
        )

    def application(self, cadastral_code: str, number: int) -> TransferApplication:
        """Transfer application ``number`` of the unit, or NotFound."""
        unit = self.land_unit(cadastral_code)
        if number not in unit.applications:
            raise NotFound(
                Message(
                    N_("number: the land unit {cadastral_code} has no application {number}"),
                    {"cadastral_code": unit.cadastral_code, "number": number},
                )
            )
        return unit.applications[number]

    def application_transfer(
        self, cadastral_code: str, number: int, signature: bytes | str = b""
    ) -> Transfer:
        """The transfer that application ``number`` asks for (what its notary signs)."""
        application = self.application(cadastral_code, number)
        return Transfer(
            sellers=list(application.sellers),
            buyers=list(application.buyers),
            price_cents=application.price_cents,
            unit_version=application.unit_version,
            notary=application.notary,
            signature=signature,
        )

    def endorse_application(
        self, cadastral_code: str, number: int, notary: str, signature: bytes | str, actor: str
    ) -> int:
        """The named notary endorses application ``number``: its transfer is filed.

        Returns the unit's new version. Refused like any transfer (a stale
        version, a signature by another key or over other terms), and for a
        notary whom the application does not name.
        """
        transfer = self.application_transfer(cadastral_code, number, signature)
        if transfer.notary != notary:
            raise InvalidEndorsement(
                Message(
                    N_(
                        "notary: application {number} asks notary {notary} to endorse it, not "
                        "{other}"
                    ),
                    {"number": number, "notary": transfer.notary, "other": notary},
                )
            )
        return self.transfer_ownership(cadastral_code, transfer, actor)

    # Part III.

    def add_restriction(
        self, cadastral_code: str, kind: str, description: str, beneficiary: str, actor: str
    ) -> int:
        """Enter a restriction or encumbrance in part III; return its entry number."""
        beneficiary = " ".join(beneficiary.split()) if isinstance(beneficiary, str) else beneficiary
        if beneficiary:
            self._check_beneficiary(beneficiary)
        return self._update(
            cadastral_code,
            lambda unit: unit.add_restriction(kind, description, beneficiary, actor),
        )

    def remove_restriction(self, cadastral_code: str, number: int, actor: str) -> None:
        """Delete a part III entry (not a seizure note: the court lifts those)."""
        self._update(cadastral_code, lambda unit: unit.remove_restriction(number, actor))

    def note_seizure(
        self, cadastral_code: str, order_reference: str, court_case: str, cause: str, actor: str
    ) -> None:
        """Court contract: note a seizure order in part III of the unit.

        Idempotent by ``cause`` (the court event that ordered it): the same
        cause again records nothing. While the note stands, transfers and new
        mortgages are refused.
        """
        self._update(
            cadastral_code,
            lambda unit: unit.note_seizure(order_reference, court_case, cause, actor),
        )

    def lift_seizure(self, cadastral_code: str, seizure_cause: str, cause: str, actor: str) -> None:
        """Court contract: remove the seizure note that ``seizure_cause`` created.

        Idempotent by ``cause`` (the court event that lifted it).
        """
        self._update(cadastral_code, lambda unit: unit.lift_seizure(seizure_cause, cause, actor))

    # Part IV.

    def add_mortgage(
        self, cadastral_code: str, amount_cents: int, creditor: str, actor: str
    ) -> int:
        """Enter a mortgage in part IV; return its rank (order of recording)."""
        party_kind(creditor, "creditor")
        identity.require_organisation(creditor, "creditor")
        return self._update(
            cadastral_code, lambda unit: unit.register_mortgage(amount_cents, creditor, actor)
        )

    def release_mortgage(self, cadastral_code: str, rank: int, actor: str) -> None:
        """Delete a mortgage from part IV (the others keep their ranks)."""
        self._update(cadastral_code, lambda unit: unit.release_mortgage(rank, actor))

    # Reading.

    def land_unit(self, cadastral_code: str) -> LandUnit:
        """The land unit with this cadastral code (validated), or NotFound."""
        return self.get(self._unit(cadastral_code))

    def ledger_seq(self, unit_id: UUID, version: int) -> int | None:
        """The ledger seq of the unit's event of this version (None if not stored)."""
        seq: int | None = (
            LedgerEntry.objects.filter(
                registry=self.name, originator_id=unit_id, originator_version=version
            )
            .values_list("seq", flat=True)
            .first()
        )
        return seq

    # Helpers.

    @staticmethod
    def _unit(cadastral_code: str) -> Ref[LandUnit]:
        code = validate_cadastral_code(cadastral_code)
        return Ref(
            LandUnit,
            land_unit_id(code),
            Message(N_("land unit with cadastral code {code}"), {"code": code}),
        )

    def _update(
        self,
        cadastral_code: str,
        decide: Callable[[LandUnit], T],
        charges: Sequence[Charge | None] = (),
    ) -> T:
        """:meth:`update` the unit, paying ``charges`` in the same transaction; a refusal
        citing an earlier event names its ledger seq."""
        ref = self._unit(cadastral_code)

        def attempt() -> T:
            unit = self.get(ref)
            try:
                result = decide(unit)
            except EarlierEvent as refusal:
                seq = self.ledger_seq(unit.id, refusal.version)
                if seq is None:
                    raise
                raise refusal.located(seq) from None
            if unit.pending_events:
                self.save_settling([unit], charges)
            return result

        return self.retrying(attempt, ref.what)

    @staticmethod
    def _buyers(transfer: Transfer) -> list[Holding]:
        # The total is checked against the sellers' shares by the aggregate.
        return check_holdings(transfer.buyers, "buyers", total=None)

    def _check_parties(self, holdings: Iterable[Holding], field: str) -> None:
        """Every owner or buyer is a living person or a registered organisation."""
        for holding in holdings:
            self._check_party(holding.owner, field)

    @staticmethod
    def _check_party(code: str, field: str) -> None:
        # A deceased person cannot acquire property.
        party_kind(code, field)
        identity.require_party(code, field, alive=True)

    def _check_beneficiary(self, beneficiary: str) -> None:
        """A servitude or usufruct benefits a person, an organisation or another land unit."""
        if ":" in beneficiary:
            code = validate_cadastral_code(beneficiary, "beneficiary")
            if land_unit_id(code) not in self.repository:
                raise UnknownParty(
                    Message(
                        N_("beneficiary: no land unit with cadastral code {code}"), {"code": code}
                    )
                )
            return
        self._check_party(beneficiary, "beneficiary")

    @staticmethod
    def _check_notary(notary: str) -> None:
        """``notary`` is a person holding the property notary role."""
        if party_kind(notary, "notary") != PERSON:
            raise InvalidCommand(N_("notary: a notary is a person: give their personal code"))
        identity.require_person(notary, "notary")
        if not identity.has_role(notary, "property", "notary"):
            raise InvalidEndorsement(
                Message(
                    N_(
                        "notary: {notary} is not a notary of the property registry; only a notary "
                        "may endorse a transfer of ownership"
                    ),
                    {"notary": notary},
                )
            )

    def _endorsement(self, code: str, transfer: Transfer, signature: bytes) -> Endorsement:
        """Check the notary's signature of ``transfer`` with the identity registry."""
        notary = transfer.notary
        self._check_notary(notary)
        key = identity.current_public_key(notary)
        if key is None:
            raise InvalidEndorsement(
                Message(
                    N_("notary: the notary {notary} has no active e-ID key"), {"notary": notary}
                )
            )
        message = self.transfer_message(code, transfer)
        if not identity.verify_signature(notary, message, signature):
            raise self._refusal(code, transfer, key, signature)
        if not _verifies(key, signature, message):
            # The identity registry checked another key: it was rotated in between.
            raise self._refusal(code, transfer, key, signature)
        return Endorsement(notary, key_id_of(key), signature, settings.RIIK_CHAIN_ID)

    def _refusal(
        self, code: str, transfer: Transfer, key: bytes, signature: bytes
    ) -> InvalidEndorsement:
        """Why ``signature`` does not endorse ``transfer``, as specifically as can be told.

        Tried in turn: the notary's current key over another version of the
        unit (it changed since they signed), over the shares of an application
        for them on this unit (the shares differ), and the notary's other keys
        (rotated, expired or revoked) over the transfer itself.
        """
        notary = transfer.notary
        current = key_id_of(key)
        refused = (
            f"signature: not the signature of notary {notary} (key {current}) over this transfer"
        )

        def signs(public: bytes, candidate: Transfer) -> bool:
            return _verifies(public, signature, self.transfer_message(code, candidate))

        unit = self.land_unit(code)
        for version in range(unit.version, max(unit.version - VERSIONS_TRIED, 0), -1):
            if version != transfer.unit_version and signs(
                key, replace(transfer, unit_version=version)
            ):
                return InvalidEndorsement(
                    f"{refused}: the notary signed version {version} of the land unit, but this "
                    f"transfer is for version {transfer.unit_version} and the unit is now at "
                    f"version {unit.version}: it changed since they signed; the notary must "
                    "endorse the current version"
                )
        for application in unit.applications.values():
            applied = list(application.buyers)
            if (
                application.notary == notary
                and _shares(applied) != _shares(transfer.buyers)
                and signs(key, replace(transfer, buyers=applied))
            ):
                return InvalidEndorsement(
                    f"{refused}: the notary signed the shares {_shares(applied)} of application "
                    f"{application.number}, but this transfer gives {_shares(transfer.buyers)}"
                )
        others = PublicKeyRecord.objects.filter(person__personal_code=notary).exclude(
            key_id=current
        )
        for other in others.exclude(status=ACTIVE).order_by("-valid_from_seq"):
            if signs(bytes.fromhex(other.public_key), transfer):
                return InvalidEndorsement(
                    f"{refused}: it was made with their {other.status} key {other.key_id}, "
                    "not their current e-ID key; sign again with the current key"
                )
        return InvalidEndorsement(f"{refused}: it was made with another key or over other data")


def _verifies(public: bytes, signature: bytes, message: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(public).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True


def _shares(buyers: Iterable[tuple[str, str]]) -> str:
    """``38001010003 1/2, 48501010002 1/2``."""
    return ", ".join(f"{owner} {share}" for owner, share in sorted(buyers))


__all__ = ["NewLandUnit", "PropertyRegistry", "Purchase", "Transfer"]
