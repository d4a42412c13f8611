"""The land register's commands against a real event store, ledger and identity registry."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date
from typing import Any
from uuid import UUID

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.db import connections

from chain.ledger.models import LedgerEntry
from registries.common.errors import (
    Conflict,
    InvalidCommand,
    NotFound,
    RegistryError,
    UnknownParty,
)
from registries.identity import services as identity_services
from registries.property.application import PropertyRegistry, Transfer
from registries.property.domain import LandUnit
from registries.property.endorsement import endorsement_holds
from registries.property.models import (
    LandUnitRecord,
    MortgageRecord,
    RestrictionRecord,
    TransferRecord,
)
from registries.property.vocabulary import (
    InvalidCadastralCode,
    InvalidEndorsement,
    InvalidShares,
    NotAnOwner,
    StaleEndorsement,
    UnderSeizure,
    land_unit_id,
)
from tests.registries.identity import helpers as identity
from tests.registries.property.helpers import (
    app,
    bank,
    cadastral_code,
    notary,
    owner,
    person_with_key,
    register_unit,
    run,
    signature_of,
    signed_transfer,
    version_of,
    written,
)

pytestmark = pytest.mark.usefixtures("event_store")


def events_of(code: str) -> list[Any]:
    return list(app().events.get(land_unit_id(code)))


def seq_of(code: str, version: int) -> int:
    return int(
        LedgerEntry.objects.get(
            registry="property", originator_id=land_unit_id(code), originator_version=version
        ).seq
    )


# Registration and part I --------------------------------------------------------------------


def test_registration_writes_one_event_with_its_ledger_entry_and_the_read_model() -> None:
    mari, seb = owner(), bank()
    code = register_unit([(mari, "3/4"), (seb, "1/4")])
    assert written() == (1, 1)
    record = LandUnitRecord.objects.get(cadastral_code=code)
    assert record.aggregate_id == land_unit_id(code)
    assert record.ledger_seq == 1
    assert {(o.owner_code, o.owner_kind, o.share) for o in record.owners.all()} == {
        (mari, "person", "3/4"),
        (seb, "organisation", "1/4"),
    }


def test_a_land_unit_is_registered_only_once() -> None:
    code = register_unit()
    before = written()
    with pytest.raises(Conflict, match=f"land unit {code} is already registered"):
        register_unit(code=code)
    assert written() == before


@pytest.mark.parametrize(
    ("owners", "error", "why"),
    [
        (lambda m, o: [(m, "1/2")], InvalidShares, "add up to 1/2, not exactly one"),
        (lambda m, o: [(m, "1/2"), (o, "2/3")], InvalidShares, "add up to 7/6"),
        (lambda m, o: [(m, "0.5"), (o, "0.5")], InvalidShares, "exact fraction"),
        (lambda m, o: [("12345678901", "1/1")], InvalidCommand, "birth date does not exist"),
    ],
)
def test_a_registration_with_bad_owners_writes_nothing(
    owners: Callable[[str, str], list[tuple[str, str]]], error: type[Exception], why: str
) -> None:
    shares = owners(owner(), owner())
    before = written()
    with pytest.raises(error, match=why):
        run(lambda a: a.register_land_unit(cadastral_code(), 10, "forest", "Metsa", shares, "r"))
    assert written() == before


def test_owners_must_be_known_to_the_identity_registry_and_alive() -> None:
    stranger = identity.new_code()
    with pytest.raises(UnknownParty, match=f"no person with personal code {stranger}"):
        register_unit([(stranger, "1/1")])
    unknown_bank = "10000018"
    with pytest.raises(UnknownParty, match=f"no organisation with registry code {unknown_bank}"):
        register_unit([(unknown_bank, "1/1")])
    late = owner()
    identity.run(lambda a: a.record_death(late, date(2020, 1, 1), "registrar"))
    with pytest.raises(UnknownParty, match="deceased"):
        register_unit([(late, "1/1")])
    assert written() == (0, 0)


def test_an_invalid_cadastral_code_is_refused_with_a_clear_message() -> None:
    with pytest.raises(InvalidCadastralCode, match="the section must be exactly 3 digits"):
        register_unit(code="78401:1010:0010")
    with pytest.raises(InvalidCadastralCode):
        app().land_unit("nonsense")
    with pytest.raises(NotFound, match="no land unit with cadastral code 78401:999:9999"):
        app().land_unit("78401:999:9999")


def test_change_description_updates_part_i() -> None:
    code = register_unit()
    run(lambda a: a.change_description(code, 2_000, "commercial", "Pikk 2, Tallinn", "r"))
    record = LandUnitRecord.objects.get(cadastral_code=code)
    assert (record.area_m2, record.purpose, record.address) == (
        2_000,
        "commercial",
        "Pikk 2, Tallinn",
    )
    assert record.version == 2


# Part III and IV ---------------------------------------------------------------------------


def test_restrictions_are_entered_and_removed_with_known_beneficiaries() -> None:
    neighbour = register_unit()
    code = register_unit()
    holder = owner()
    assert run(lambda a: a.add_restriction(code, "servitude", "Right of way", neighbour, "r")) == 1
    assert run(lambda a: a.add_restriction(code, "usufruct", "Lifelong", holder, "r")) == 2
    with pytest.raises(UnknownParty, match="no land unit with cadastral code 78401:101:9999"):
        app().add_restriction(code, "servitude", "Right of way", "78401:101:9999", "r")
    with pytest.raises(InvalidCommand, match="only by a court's seizure order"):
        app().add_restriction(code, "seizure", "Arrest", "", "r")
    run(lambda a: a.remove_restriction(code, 1, "r"))
    rows = list(RestrictionRecord.objects.filter(unit_id=code).values_list("number", "active"))
    assert rows == [(1, False), (2, True)]


def test_mortgages_rank_by_ledger_order_and_release_keeps_the_others_ranks() -> None:
    code = register_unit()
    lender = bank()
    ranks = [run(lambda a, n=n: a.add_mortgage(code, n * 100_000, lender, "r")) for n in (1, 2, 3)]
    assert ranks == [1, 2, 3]
    run(lambda a: a.release_mortgage(code, 2, "r"))
    assert run(lambda a: a.add_mortgage(code, 500, lender, "r")) == 4
    mortgages = list(MortgageRecord.objects.filter(unit_id=code).order_by("ledger_seq"))
    assert [m.rank for m in mortgages] == [1, 2, 3, 4]  # rank order is ledger order
    assert [m.rank for m in mortgages if m.active] == [1, 3, 4]
    assert mortgages[1].released_seq is not None


def test_a_mortgage_on_an_unknown_unit_is_not_found_and_an_unknown_creditor_refused() -> None:
    lender = bank()
    with pytest.raises(NotFound, match="no land unit with cadastral code 78401:101:9999"):
        app().add_mortgage("78401:101:9999", 100, lender, "r")
    code = register_unit()
    with pytest.raises(UnknownParty, match="no organisation with registry code 10000018"):
        app().add_mortgage(code, 100, "10000018", "r")
    assert written() == (1, 1)


# Transfers and their endorsement -------------------------------------------------------------


def test_a_notary_endorsed_transfer_records_the_endorsement_on_the_chain() -> None:
    seller, buyer, clerk = owner(), owner("Jaan", "Kask"), notary()
    code = register_unit([(seller, "1/1")])
    transfer = signed_transfer(code, clerk, [seller], [(buyer, "1/1")])
    assert run(lambda a: a.transfer_ownership(code, transfer, "registrar")) == 2
    event = events_of(code)[-1]
    assert isinstance(event, LandUnit.OwnershipTransferred)
    assert event.notary == clerk.code
    assert event.signature == signature_of(transfer).hex()
    assert event.unit_version == 1
    key_id = event.notary_key_id
    # Anyone can re-check it later with the key the identity registry kept.
    public = identity_services.public_key_at(clerk.code, key_id)
    assert public is not None
    assert endorsement_holds(cadastral_code=code, recorded=event.__dict__, public_key=public)
    record = TransferRecord.objects.get(unit_id=code)
    assert (record.notary, record.notary_key_id, record.signature) == (
        clerk.code,
        key_id,
        signature_of(transfer).hex(),
    )
    assert list(
        LandUnitRecord.objects.get(pk=code).owners.values_list("owner_code", flat=True)
    ) == [buyer]


def _refused(code: str, transfer: Transfer, error: type[RegistryError], why: str) -> None:
    before = written()
    with pytest.raises(error, match=why):
        run(lambda a: a.transfer_ownership(code, transfer, "registrar"))
    assert written() == before


@pytest.fixture
def sale() -> tuple[str, str, str]:
    """A unit wholly owned by a seller, and a buyer: (code, seller, buyer)."""
    seller, buyer = owner(), owner("Jaan", "Kask")
    return register_unit([(seller, "1/1")]), seller, buyer


def test_a_transfer_without_a_signature_writes_nothing(sale: tuple[str, str, str]) -> None:
    code, seller, buyer = sale
    transfer = signed_transfer(code, notary(), [seller], [(buyer, "1/1")])
    unsigned = Transfer(**{**transfer.__dict__, "signature": b""})
    _refused(code, unsigned, InvalidCommand, "signature: a transfer of ownership needs")


def test_a_transfer_with_a_bad_signature_writes_nothing(sale: tuple[str, str, str]) -> None:
    code, seller, buyer = sale
    transfer = signed_transfer(code, notary(), [seller], [(buyer, "1/1")])
    garbage = Transfer(**{**transfer.__dict__, "signature": bytes(64)})
    _refused(code, garbage, InvalidEndorsement, "signature: not the signature of notary")
    short = Transfer(**{**transfer.__dict__, "signature": b"\x01" * 10})
    _refused(code, short, InvalidCommand, "64 bytes")


def test_a_signature_over_other_terms_is_a_forgery(sale: tuple[str, str, str]) -> None:
    code, seller, buyer = sale
    transfer = signed_transfer(code, notary(), [seller], [(buyer, "1/1")], price_cents=100)
    forged = Transfer(**{**transfer.__dict__, "price_cents": 1})  # the price was changed
    _refused(code, forged, InvalidEndorsement, "over this transfer")


def test_a_transfer_signed_by_a_non_notary_writes_nothing(sale: tuple[str, str, str]) -> None:
    code, seller, buyer = sale
    impostor = person_with_key()
    transfer = signed_transfer(code, impostor, [seller], [(buyer, "1/1")])
    _refused(code, transfer, InvalidEndorsement, "is not a notary of the property registry")


def test_a_notary_named_with_someone_elses_key_writes_nothing(sale: tuple[str, str, str]) -> None:
    code, seller, buyer = sale
    real, impostor = notary(), person_with_key()
    transfer = signed_transfer(code, impostor, [seller], [(buyer, "1/1")], notary_code=real.code)
    _refused(code, transfer, InvalidEndorsement, f"not the signature of notary {real.code}")
    # A second notary's genuine key does not speak for the first either.
    other = notary()
    transfer = signed_transfer(code, other, [seller], [(buyer, "1/1")], notary_code=real.code)
    _refused(code, transfer, InvalidEndorsement, f"not the signature of notary {real.code}")


def test_a_dismissed_notary_or_one_without_a_key_cannot_endorse(sale: tuple[str, str, str]) -> None:
    code, seller, buyer = sale
    former = notary()
    identity.run(lambda a: a.dismiss_official(former.code, "property", "notary", None, "registrar"))
    transfer = signed_transfer(code, former, [seller], [(buyer, "1/1")])
    _refused(code, transfer, InvalidEndorsement, "is not a notary")
    keyless = identity.official("property", "notary")
    transfer = signed_transfer(code, former, [seller], [(buyer, "1/1")], notary_code=keyless)
    _refused(code, transfer, InvalidEndorsement, "has no active e-ID key")


def test_a_signature_cannot_be_replayed_on_a_later_unit_version(sale: tuple[str, str, str]) -> None:
    code, seller, buyer = sale
    clerk = notary()
    early = signed_transfer(code, clerk, [seller], [(buyer, "1/1")])
    run(lambda a: a.add_mortgage(code, 1_000_000, bank(), "r"))  # the unit changes
    seq = seq_of(code, 2)
    _refused(
        code,
        early,
        StaleEndorsement,
        f"signed version 1 .* has changed since \\(at ledger seq {seq}; now version 2\\)",
    )
    # Claiming the current version with the old signature does not help either.
    bumped = Transfer(**{**early.__dict__, "unit_version": 2})
    _refused(code, bumped, InvalidEndorsement, "not the signature of notary")


def test_a_transfer_by_a_non_owner_is_refused(sale: tuple[str, str, str]) -> None:
    code, _seller, buyer = sale
    stranger = owner("Toomas", "Teder")
    transfer = signed_transfer(code, notary(), [stranger], [(buyer, "1/1")])
    _refused(code, transfer, NotAnOwner, f"{stranger} is not an owner of the unit {code}")


def test_a_transfer_to_an_unknown_buyer_is_refused(sale: tuple[str, str, str]) -> None:
    code, seller, _buyer = sale
    stranger = identity.new_code()
    transfer = signed_transfer(code, notary(), [seller], [(stranger, "1/1")])
    _refused(code, transfer, UnknownParty, f"buyers: no person with personal code {stranger}")


def test_co_owners_transfer_part_of_the_unit_and_shares_still_add_up_to_one() -> None:
    anna, jaan, kadri = owner("Anna"), owner("Jaan"), owner("Kadri")
    code = register_unit([(anna, "1/3"), (jaan, "2/3")])
    clerk = notary()
    bad = signed_transfer(code, clerk, [anna], [(kadri, "1/2")])
    _refused(code, bad, InvalidShares, "buyers: the shares 1/2 add up to 1/2, not exactly 1/3")
    good = signed_transfer(code, clerk, [anna], [(kadri, "1/6"), (jaan, "1/6")])
    run(lambda a: a.transfer_ownership(code, good, "registrar"))
    owners = dict(LandUnitRecord.objects.get(pk=code).owners.values_list("owner_code", "share"))
    assert owners == {jaan: "5/6", kadri: "1/6"}


# The court's contract: seizure notes -----------------------------------------------------------


def test_note_and_lift_seizure_are_idempotent_by_cause_and_record_the_cause() -> None:
    code = register_unit()
    registry = app()
    registry.note_seizure(code, "order 2-25-77/3", "2-25-77", "court:judgment:9", "court")
    once = written()
    registry.note_seizure(code, "order 2-25-77/3", "2-25-77", "court:judgment:9", "court")
    assert written() == once
    registry.lift_seizure(code, "court:judgment:9", "court:decision:12", "court")
    lifted = written()
    registry.lift_seizure(code, "court:judgment:9", "court:decision:12", "court")
    assert written() == lifted
    noted, removed = events_of(code)[1:]
    assert isinstance(noted, LandUnit.SeizureNoted)
    assert (noted.cause, noted.order_reference, noted.court_case) == (
        "court:judgment:9",
        "order 2-25-77/3",
        "2-25-77",
    )
    assert isinstance(removed, LandUnit.SeizureLifted)
    assert (removed.cause, removed.seizure_cause) == ("court:decision:12", "court:judgment:9")


def test_a_seizure_note_blocks_transfers_until_it_is_lifted(sale: tuple[str, str, str]) -> None:
    code, seller, buyer = sale
    clerk = notary()
    run(lambda a: a.note_seizure(code, "order 1-25-5/1", "1-25-5", "court:order:1", "court"))
    record = LandUnitRecord.objects.get(pk=code)
    assert record.under_seizure
    transfer = signed_transfer(code, clerk, [seller], [(buyer, "1/1")])
    _refused(code, transfer, UnderSeizure, "under seizure by order order 1-25-5/1")
    run(lambda a: a.lift_seizure(code, "court:order:1", "court:order:2", "court"))
    assert not LandUnitRecord.objects.get(pk=code).under_seizure
    transfer = signed_transfer(code, clerk, [seller], [(buyer, "1/1")])
    run(lambda a: a.transfer_ownership(code, transfer, "registrar"))
    seizure = RestrictionRecord.objects.get(unit_id=code)
    assert (seizure.active, seizure.cause, seizure.removed_cause) == (
        False,
        "court:order:1",
        "court:order:2",
    )


def test_seizure_of_an_unknown_or_malformed_unit_is_refused() -> None:
    with pytest.raises(NotFound):
        app().note_seizure("78401:101:9999", "order", "case", "court:1", "court")
    with pytest.raises(InvalidCadastralCode):
        app().note_seizure("78401", "order", "case", "court:1", "court")
    code = register_unit()
    with pytest.raises(NotFound, match="was caused by 'court:never'"):
        app().lift_seizure(code, "court:never", "court:2", "court")


# Order of arrival --------------------------------------------------------------------------------


def race(monkeypatch: pytest.MonkeyPatch, *commands: Callable[[], object]) -> list[object]:
    """Run the commands in threads that all load the unit before any of them saves."""
    barrier = threading.Barrier(len(commands), timeout=20)
    local = threading.local()
    save = PropertyRegistry.save

    def racing_save(self: PropertyRegistry, *args: Any, **kwargs: Any) -> Any:
        if not getattr(local, "waited", False):
            local.waited = True
            barrier.wait()
        return save(self, *args, **kwargs)

    monkeypatch.setattr(PropertyRegistry, "save", racing_save)
    outcomes: list[object] = [None] * len(commands)

    def worker(index: int) -> None:
        try:
            outcomes[index] = commands[index]()
        except BaseException as error:  # reported to the test below
            outcomes[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(commands))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def test_two_conflicting_transfers_at_once_the_earlier_in_the_ledger_wins(
    monkeypatch: pytest.MonkeyPatch, sale: tuple[str, str, str]
) -> None:
    code, seller, buyer = sale
    rival = owner("Rein", "Rebane")
    first = signed_transfer(code, notary(), [seller], [(buyer, "1/1")])
    second = signed_transfer(code, notary(), [seller], [(rival, "1/1")])
    registry = app()
    outcomes = race(
        monkeypatch,
        lambda: registry.transfer_ownership(code, first, "registrar"),
        lambda: registry.transfer_ownership(code, second, "registrar"),
    )
    winners = [o for o in outcomes if o == 2]
    losers = [o for o in outcomes if isinstance(o, NotAnOwner)]
    assert (len(winners), len(losers)) == (1, 1), outcomes
    winner_seq = seq_of(code, 2)
    assert f"no longer owns the unit {code}: transferred at ledger seq {winner_seq}" in str(
        losers[0]
    )
    assert written() == (2, 2)
    owner_now = next(iter(registry.land_unit(code).owners))
    assert owner_now == (buyer if outcomes[0] == 2 else rival)


def test_a_transfer_and_a_seizure_at_once_are_decided_by_ledger_order(
    monkeypatch: pytest.MonkeyPatch, sale: tuple[str, str, str]
) -> None:
    code, seller, buyer = sale
    transfer = signed_transfer(code, notary(), [seller], [(buyer, "1/1")])
    registry = app()
    outcomes = race(
        monkeypatch,
        lambda: registry.transfer_ownership(code, transfer, "registrar"),
        lambda: registry.note_seizure(code, "order 9", "case 9", "court:9", "court"),
    )
    events = [type(e).__name__ for e in events_of(code)]
    if events[1] == "SeizureNoted":  # the seizure arrived first: the transfer is refused
        assert isinstance(outcomes[0], UnderSeizure), outcomes
        assert events == ["Registered", "SeizureNoted"]
    else:  # the transfer arrived first; the seizure is still noted, after it
        assert outcomes[0] == 2, outcomes
        assert events == ["Registered", "OwnershipTransferred", "SeizureNoted"]
    assert outcomes[1] is None


def test_concurrent_mortgages_take_ranks_in_ledger_order(monkeypatch: pytest.MonkeyPatch) -> None:
    code = register_unit()
    lenders = [bank("Põhjapank AS"), bank("Läänemere Pank AS"), bank("Kodupank AS")]
    registry = app()
    outcomes = race(
        monkeypatch,
        *[
            (lambda lender=lender: registry.add_mortgage(code, 1_000_000, lender, "registrar"))
            for lender in lenders
        ],
    )
    assert sorted(outcomes) == [1, 2, 3]  # type: ignore[type-var]
    unit = registry.land_unit(code)
    by_rank = [unit.mortgages[rank].creditor for rank in (1, 2, 3)]
    in_ledger_order = [
        e.creditor for e in events_of(code) if isinstance(e, LandUnit.MortgageRegistered)
    ]
    assert by_rank == in_ledger_order


def test_every_event_has_exactly_one_ledger_entry() -> None:
    code = register_unit()
    run(lambda a: a.add_mortgage(code, 100, bank(), "r"))
    run(lambda a: a.note_seizure(code, "o", "c", "court:1", "court"))
    run(lambda a: a.lift_seizure(code, "court:1", "court:2", "court"))
    entries = list(
        LedgerEntry.objects.filter(registry="property")
        .order_by("seq")
        .values_list("seq", "originator_id", "originator_version")
    )
    assert [seq for seq, _, _ in entries] == [1, 2, 3, 4]
    with connections[PropertyRegistry.database()].cursor() as cursor:
        cursor.execute("SELECT originator_id, originator_version FROM property_events")
        stored = {(UUID(str(o)), int(v)) for o, v in cursor.fetchall()}
    assert stored == {(UUID(str(o)), int(v)) for _, o, v in entries}
    assert version_of(code) == 4


def test_signing_keys_are_checked_by_the_identity_registry_only() -> None:
    # A key that was never registered cannot endorse, even for the right notary code.
    code = register_unit()
    seller = LandUnitRecord.objects.get(pk=code).owners.get().owner_code
    clerk = notary()
    rogue = type(clerk)(clerk.code, Ed25519PrivateKey.generate())
    transfer = signed_transfer(code, rogue, [seller], [(owner(), "1/1")])
    _refused(code, transfer, InvalidEndorsement, "not the signature of notary")
