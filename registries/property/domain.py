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

A transfer of ownership records a notary's endorsement
(:mod:`registries.property.endorsement`). The registry's vocabulary (purposes,
limits, refusals, shares, input checks) is in :mod:`registries.property.vocabulary`.

Rules that one land unit can check by itself are checked here, before an
event is recorded. Conflicts with an earlier event of the unit name that
event by its version (:class:`~registries.property.vocabulary.EarlierEvent`);
the application turns the version into the event's ledger seq.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from fractions import Fraction
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from registries.common.codes import (
    ORGANISATION,
    party_kind,
)
from registries.common.errors import Conflict, InvalidCommand, NotFound
from registries.common.texts import N_, Message
from registries.property.endorsement import (
    Endorsement,
    TransferApplication,
    check_notary_not_party,
)
from registries.property.vocabulary import (
    MAX_ADDRESS_LENGTH,
    MAX_REFERENCE_LENGTH,
    MAX_TEXT_LENGTH,
    RESTRICTION_KINDS,
    SEIZURE,
    Holding,
    Mortgage,
    NotAnOwner,
    Restriction,
    StaleEndorsement,
    UnderSeizure,
    check_area,
    check_cents,
    check_holdings,
    check_purpose,
    check_text,
    holdings_from,
    land_unit_id,
    seizure_description,
    validate_cadastral_code,
)

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
        check_notary_not_party(endorsement.notary, sellers, buyers)
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
        check_notary_not_party(notary, sellers, buyers)
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
    "LandUnit",
    "party_kind",
]
