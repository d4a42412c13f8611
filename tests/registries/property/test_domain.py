"""The land register's rules, checked by the aggregate alone (no database)."""

from __future__ import annotations

import base64
import json
import re
from datetime import date
from fractions import Fraction

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from hypothesis import assume, given
from hypothesis import strategies as st

from registries.common.codes import party_kind, personal_code, registry_code
from registries.common.errors import Conflict, InvalidCommand, NotFound
from registries.property.domain import LandUnit
from registries.property.endorsement import (
    Endorsement,
    endorsement_holds,
    parse_signature,
    transfer_message,
)
from registries.property.vocabulary import (
    Holding,
    InvalidCadastralCode,
    InvalidEndorsement,
    InvalidShares,
    NotAnOwner,
    StaleEndorsement,
    UnderSeizure,
    check_holdings,
    format_share,
    land_unit_id,
    parse_share,
    validate_cadastral_code,
)

MARI = personal_code(date(1980, 5, 17), "F", 12)
JAAN = personal_code(date(1975, 2, 3), "M", 7)
KADRI = personal_code(date(1990, 12, 31), "F", 250)
NOTARY = personal_code(date(1966, 8, 1), "M", 31)
BANK = registry_code(123_456, kind_digit=1)
OTHER_BANK = registry_code(654_321, kind_digit=1)
CODE = "78401:101:0010"

cadastral_codes = st.from_regex(r"[0-9]{5}:[0-9]{3}:[0-9]{4}", fullmatch=True)


def unit(owners: list[tuple[str, str]] | None = None) -> LandUnit:
    return LandUnit.register(
        cadastral_code=CODE,
        area_m2=1_250,
        purpose="residential",
        address="Lossi plats 1a, 10130 Tallinn",
        owners=owners or [(MARI, "1/1")],
        actor="registrar",
    )


def endorsement(notary: str = NOTARY) -> Endorsement:
    return Endorsement(notary, "00" * 8, b"\x01" * 64, "riik-test")


def transfer(
    land: LandUnit,
    sellers: list[str],
    buyers: list[tuple[str, str]],
    *,
    version: int | None = None,
    notary: str = NOTARY,
) -> None:
    land.transfer(
        sellers=sellers,
        buyers=[Holding(owner, Fraction(share)) for owner, share in buyers],
        price_cents=12_000_000,
        unit_version=land.version if version is None else version,
        endorsement=endorsement(notary),
        actor="registrar",
    )


# Cadastral codes ---------------------------------------------------------------------------


@given(cadastral_codes)
def test_every_code_of_5_3_4_digits_is_a_cadastral_code(code: str) -> None:
    assert validate_cadastral_code(code) == code


@given(st.text(max_size=30))
def test_anything_else_is_refused_with_the_form_in_the_message(text: str) -> None:
    assume(not re.fullmatch(r"[0-9]{5}:[0-9]{3}:[0-9]{4}", text))
    with pytest.raises(InvalidCadastralCode, match=r"^cadastral_code: .*not a cadastral code"):
        validate_cadastral_code(text)


@pytest.mark.parametrize(
    ("code", "why"),
    [
        ("7840:101:0010", "the cadastral zone \\(municipality\\) must be exactly 5 digits"),
        ("78401:11:0010", "the section must be exactly 3 digits"),
        ("78401:101:10", "the parcel number must be exactly 4 digits"),
        ("78401:101:001a", "the parcel number must be exactly 4 digits"),
        ("784011010010", "it has the form 78401:101:0010"),
        ("78401-101-0010", "it has the form 78401:101:0010"),
        ("78401:101:0010:1", "it has the form 78401:101:0010"),
        ("", "it has the form"),
    ],
)
def test_a_malformed_cadastral_code_is_refused_saying_which_part(code: str, why: str) -> None:
    with pytest.raises(InvalidCadastralCode, match=why):
        validate_cadastral_code(code)


@given(cadastral_codes, cadastral_codes)
def test_land_unit_ids_derive_from_the_code(first: str, second: str) -> None:
    assert land_unit_id(first) == land_unit_id(first)
    assert (land_unit_id(first) == land_unit_id(second)) == (first == second)


# Shares ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "share"),
    [
        ("1/2", Fraction(1, 2)),
        ("2/4", Fraction(1, 2)),
        ("1", Fraction(1)),
        (" 3 / 8 ", Fraction(3, 8)),
    ],
)
def test_shares_are_exact_fractions(text: str, share: Fraction) -> None:
    assert parse_share(text) == share


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("0.5", "exact fraction"),
        ("1/3.0", "exact fraction"),
        ("-1/2", "exact fraction"),
        ("half", "exact fraction"),
        ("1/0", "zero denominator"),
        ("0/5", "greater than 0"),
        ("3/2", "cannot exceed 1"),
        ("1/1234567890123", "at most 12 digits"),
    ],
)
def test_a_malformed_share_is_refused_saying_why(text: str, why: str) -> None:
    with pytest.raises(InvalidShares, match=why):
        parse_share(text)


def test_shares_are_written_in_lowest_terms() -> None:
    assert format_share(Fraction(2, 4)) == "1/2"
    assert format_share(Fraction(1)) == "1/1"


@given(st.lists(st.integers(min_value=1, max_value=10**6), min_size=1, max_size=12))
def test_shares_that_add_up_to_exactly_one_are_accepted(weights: list[int]) -> None:
    total = sum(weights)
    owners = [
        (personal_code(date(1980, 1, 1), "M", i), Fraction(w, total)) for i, w in enumerate(weights)
    ]
    holdings = check_holdings([(o, format_share(s)) for o, s in owners], "owners")
    assert sum(h.share for h in holdings) == 1


@given(
    st.lists(
        st.fractions(min_value=Fraction(1, 10**6), max_value=1, max_denominator=10**6),
        min_size=1,
        max_size=8,
    )
)
def test_shares_are_refused_unless_they_add_up_to_exactly_one(shares: list[Fraction]) -> None:
    owners = [
        (personal_code(date(1980, 1, 1), "F", i), format_share(s)) for i, s in enumerate(shares)
    ]
    if sum(shares) == 1:
        assert len(check_holdings(owners, "owners")) == len(shares)
    else:
        with pytest.raises(
            InvalidShares, match=r"^owners: the shares .* add up to .*, not exactly one"
        ):
            check_holdings(owners, "owners")


def test_a_share_off_by_the_smallest_amount_is_refused() -> None:
    with pytest.raises(
        InvalidShares, match="add up to 1999999999997/1999999999998, not exactly one"
    ):
        check_holdings([(MARI, "1/2"), (JAAN, "499999999999/999999999999")], "owners")


def test_one_owner_listed_twice_is_refused() -> None:
    with pytest.raises(InvalidCommand, match=f"owners: {MARI} is listed twice"):
        check_holdings([(MARI, "1/2"), (MARI, "1/2")], "owners")


@pytest.mark.parametrize(("code", "kind"), [(MARI, "person"), (BANK, "organisation")])
def test_owners_are_persons_or_organisations(code: str, kind: str) -> None:
    assert party_kind(code, "owners") == kind


@pytest.mark.parametrize(
    ("code", "why"),
    [
        ("12345", "neither a personal code"),
        (MARI[:-1] + str((int(MARI[-1]) + 1) % 10), "check digit is wrong"),
        (BANK[:-1] + str((int(BANK[-1]) + 1) % 10), "check digit is wrong"),
    ],
)
def test_malformed_owner_codes_are_refused(code: str, why: str) -> None:
    with pytest.raises(InvalidCommand, match=why):
        party_kind(code, "owners")


# Registration and part I ----------------------------------------------------------------------


def test_registration_records_all_four_parts() -> None:
    land = unit([(MARI, "2/3"), (BANK, "1/3")])
    assert land.id == land_unit_id(CODE)
    assert land.holdings() == [Holding(MARI, Fraction(2, 3)), Holding(BANK, Fraction(1, 3))]
    assert land.restrictions == {}
    assert land.mortgages == {}
    (registered,) = land.collect_events()
    assert isinstance(registered, LandUnit.Registered)
    assert registered.owners == [{"owner": MARI, "share": "2/3"}, {"owner": BANK, "share": "1/3"}]


@pytest.mark.parametrize(
    ("changes", "why"),
    [
        ({"area_m2": 0}, "area_m2: .*greater than 0"),
        ({"area_m2": 10**12}, "area_m2: at most"),
        ({"purpose": "castle"}, "purpose: 'castle' is not one of residential"),
        ({"address": "  "}, "address: must not be empty"),
        ({"cadastral_code": "78401:101:010"}, "parcel number"),
        ({"owners": [(MARI, "1/2")]}, "add up to 1/2, not exactly one"),
    ],
)
def test_a_bad_registration_is_refused(changes: dict[str, object], why: str) -> None:
    fields: dict[str, object] = {
        "cadastral_code": CODE,
        "area_m2": 100,
        "purpose": "forest",
        "address": "Metsa 1",
        "owners": [(MARI, "1/1")],
        "actor": "registrar",
    }
    fields.update(changes)
    with pytest.raises(InvalidCommand, match=why):
        LandUnit.register(**fields)  # type: ignore[arg-type]


def test_change_description_refuses_a_change_that_changes_nothing() -> None:
    land = unit()
    land.change_description(1_300, "commercial", "Lossi plats 1b, Tallinn", "registrar")
    assert (land.area_m2, land.purpose, land.address) == (
        1_300,
        "commercial",
        "Lossi plats 1b, Tallinn",
    )
    with pytest.raises(InvalidCommand, match="same as the current one"):
        land.change_description(1_300, "commercial", "Lossi plats 1b, Tallinn", "registrar")


# Part II: transfers ------------------------------------------------------------------------


def test_a_transfer_moves_the_sellers_whole_shares_to_the_buyers() -> None:
    land = unit([(MARI, "1/2"), (JAAN, "1/2")])
    transfer(land, [MARI], [(KADRI, "1/4"), (JAAN, "1/4")])
    assert dict(land.owners) == {JAAN: Fraction(3, 4), KADRI: Fraction(1, 4)}
    event = land.collect_events()[-1]
    assert isinstance(event, LandUnit.OwnershipTransferred)
    assert event.unit_version == 1
    assert (event.notary, event.signature) == (NOTARY, "01" * 64)
    assert event.owners == [{"owner": JAAN, "share": "3/4"}, {"owner": KADRI, "share": "1/4"}]


def test_buyers_shares_must_add_up_to_the_sellers_shares() -> None:
    land = unit([(MARI, "1/2"), (JAAN, "1/2")])
    with pytest.raises(
        InvalidShares, match=r"buyers: the shares 1/3 add up to 1/3, not exactly 1/2"
    ):
        transfer(land, [MARI], [(KADRI, "1/3")])
    assert len(land.pending_events) == 1  # only the registration


def test_a_transfer_by_a_non_owner_is_refused() -> None:
    land = unit()
    with pytest.raises(NotAnOwner, match=f"sellers: {JAAN} is not an owner of the unit {CODE}"):
        transfer(land, [JAAN], [(KADRI, "1/1")])


def test_a_former_owner_is_told_when_the_unit_was_transferred() -> None:
    land = unit()
    transfer(land, [MARI], [(JAAN, "1/1")])
    with pytest.raises(
        NotAnOwner, match=r"no longer owns the unit .*: transferred at version 2"
    ) as refusal:
        transfer(land, [MARI], [(KADRI, "1/1")])
    assert refusal.value.version == 2
    assert "transferred at ledger seq 41" in str(refusal.value.located(41))


def test_a_signature_of_an_earlier_version_cannot_be_replayed() -> None:
    land = unit([(MARI, "1/2"), (JAAN, "1/2")])
    land.register_mortgage(10_000_00, BANK, "registrar")
    with pytest.raises(
        StaleEndorsement, match=r"signed version 1 .* changed since .*version 2"
    ) as refusal:
        transfer(land, [MARI], [(KADRI, "1/2")], version=1)
    assert refusal.value.version == 2
    with pytest.raises(InvalidCommand, match="there is no version 7"):
        transfer(land, [MARI], [(KADRI, "1/2")], version=7)


def test_the_notary_cannot_endorse_a_transfer_to_themselves() -> None:
    land = unit()
    with pytest.raises(InvalidEndorsement, match="is a party to this transfer"):
        transfer(land, [MARI], [(NOTARY, "1/1")])


def test_a_transfer_that_changes_nothing_is_refused() -> None:
    land = unit()
    with pytest.raises(InvalidCommand, match="would not change the owners"):
        transfer(land, [MARI], [(MARI, "1/1")])


# Part III: restrictions and seizures -----------------------------------------------------------


def test_restrictions_are_numbered_and_removed() -> None:
    land = unit()
    first = land.add_restriction("servitude", "Right of way to the sea", "78401:101:0011", "r")
    second = land.add_restriction("usufruct", "Lifelong usufruct of the house", JAAN, "r")
    assert (first, second) == (1, 2)
    land.remove_restriction(1, "r")
    assert list(land.restrictions) == [2]
    with pytest.raises(NotFound, match=r"entry 1 .* was removed"):
        land.remove_restriction(1, "r")
    with pytest.raises(NotFound, match=r"entry 9 .* does not exist"):
        land.remove_restriction(9, "r")
    with pytest.raises(InvalidCommand, match="usufruct is held by"):
        land.add_restriction("usufruct", "Who?", "", "r")
    with pytest.raises(InvalidCommand, match="in its own favour"):
        land.add_restriction("servitude", "Loop", CODE, "r")


def test_seizure_notes_come_only_from_court_orders() -> None:
    land = unit()
    with pytest.raises(InvalidCommand, match="only by a court's seizure order"):
        land.add_restriction("seizure", "Arrest", "", "registrar")
    number = land.note_seizure("order 2-25-1234/7", "2-25-1234", "court:event:7", "court")
    with pytest.raises(Conflict, match="only the court lifts it"):
        land.remove_restriction(number or 0, "registrar")


def test_a_seizure_note_blocks_transfers_and_new_mortgages() -> None:
    land = unit()
    land.note_seizure("order 2-25-1234/7", "2-25-1234", "court:event:7", "court")
    with pytest.raises(
        UnderSeizure, match="under seizure by order order 2-25-1234/7 \\(court case 2-25-1234\\)"
    ):
        transfer(land, [MARI], [(JAAN, "1/1")])
    with pytest.raises(UnderSeizure):
        land.register_mortgage(1_000_00, BANK, "registrar")
    assert land.lift_seizure("court:event:7", "court:event:9", "court")
    transfer(land, [MARI], [(JAAN, "1/1")])
    assert list(land.owners) == [JAAN]


def test_seizure_and_lift_are_idempotent_by_cause() -> None:
    land = unit()
    assert land.note_seizure("order A", "case 1", "court:event:1", "court") == 1
    assert land.note_seizure("order A", "case 1", "court:event:1", "court") is None
    assert len(land.pending_events) == 2  # Registered and one SeizureNoted
    assert land.lift_seizure("court:event:1", "court:event:2", "court") is True
    assert land.lift_seizure("court:event:1", "court:event:2", "court") is False
    events = land.collect_events()
    assert [type(e).__name__ for e in events] == ["Registered", "SeizureNoted", "SeizureLifted"]
    assert events[1].cause == "court:event:1"  # type: ignore[attr-defined]
    assert events[2].cause == "court:event:2"  # type: ignore[attr-defined]
    assert events[2].seizure_cause == "court:event:1"  # type: ignore[attr-defined]
    with pytest.raises(Conflict, match="already been lifted"):
        land.lift_seizure("court:event:1", "court:event:3", "court")
    with pytest.raises(NotFound, match="was caused by 'court:event:404'"):
        land.lift_seizure("court:event:404", "court:event:4", "court")
    with pytest.raises(InvalidCommand, match="cause: must not be empty"):
        land.note_seizure("order B", "", " ", "court")


# Part IV: mortgages rank by order of recording -------------------------------------------------


def test_mortgages_rank_in_order_of_recording_and_a_release_renumbers_nothing() -> None:
    land = unit()
    ranks = [land.register_mortgage(amount, BANK, "r") for amount in (100_000_00, 50_000_00, 7_00)]
    assert ranks == [1, 2, 3]
    land.release_mortgage(2, "r")
    assert land.register_mortgage(20_000_00, OTHER_BANK, "r") == 4
    assert [m.rank for m in land.mortgages_in_rank_order()] == [1, 3, 4]
    assert land.mortgages[4].creditor == OTHER_BANK
    with pytest.raises(NotFound, match=r"rank 2 .* was released"):
        land.release_mortgage(2, "r")
    with pytest.raises(InvalidCommand, match="creditor is an organisation"):
        land.register_mortgage(1_00, MARI, "r")
    with pytest.raises(InvalidCommand, match="amount_cents"):
        land.register_mortgage(0, BANK, "r")


# The notary's message and signature -------------------------------------------------------------


def message(**changes: object) -> bytes:
    fields: dict[str, object] = {
        "cadastral_code": CODE,
        "sellers": [MARI, JAAN],
        "buyers": [(KADRI, "1/2"), (BANK, "2/4")],
        "price_cents": 12_000_000,
        "unit_version": 3,
        "chain_id": "riik-test",
    }
    fields.update(changes)
    return transfer_message(**fields)  # type: ignore[arg-type]


def test_the_transfer_message_is_canonical_json_of_the_documented_fields() -> None:
    assert json.loads(message()) == {
        "kind": "title-transfer",
        "cadastral_code": CODE,
        "from": sorted([MARI, JAAN]),
        "to": sorted(
            [{"owner": KADRI, "share": "1/2"}, {"owner": BANK, "share": "1/2"}],
            key=lambda e: e["owner"],
        ),
        "price_cents": 12_000_000,
        "unit_version": 3,
        "chain_id": "riik-test",
    }
    assert b" " not in message()
    # The order in which parties are listed does not matter.
    assert message(sellers=[JAAN, MARI], buyers=[(BANK, "1/2"), (KADRI, "1/2")]) == message()


@pytest.mark.parametrize(
    "change",
    [
        {"unit_version": 4},
        {"chain_id": "riik-prod"},
        {"price_cents": 1},
        {"buyers": [(KADRI, "1/4"), (BANK, "3/4")]},
        {"sellers": [MARI]},
        {"cadastral_code": "78401:101:0011"},
    ],
)
def test_every_field_is_bound_by_the_signature(change: dict[str, object]) -> None:
    assert message(**change) != message()


def test_a_recorded_endorsement_can_be_rechecked_by_anyone() -> None:
    key = Ed25519PrivateKey.generate()
    public = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    land = unit([(MARI, "1/2"), (JAAN, "1/2")])
    signed = transfer_message(
        cadastral_code=CODE,
        sellers=[MARI],
        buyers=[(KADRI, "1/2")],
        price_cents=12_000_000,
        unit_version=1,
        chain_id="riik-test",
    )
    land.transfer(
        sellers=[MARI],
        buyers=[Holding(KADRI, Fraction(1, 2))],
        price_cents=12_000_000,
        unit_version=1,
        endorsement=Endorsement(NOTARY, "k", key.sign(signed), "riik-test"),
        actor="registrar",
    )
    event = land.collect_events()[-1]
    recorded = dict(event.__dict__)
    assert endorsement_holds(cadastral_code=CODE, recorded=recorded, public_key=public)
    assert not endorsement_holds(
        cadastral_code=CODE, recorded={**recorded, "price_cents": 1}, public_key=public
    )
    other = Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    assert not endorsement_holds(cadastral_code=CODE, recorded=recorded, public_key=other)
    assert not endorsement_holds(cadastral_code=CODE, recorded={}, public_key=public)


def test_signatures_are_read_as_hex_or_base64() -> None:
    raw = bytes(range(64))

    assert parse_signature(raw.hex()) == raw
    assert parse_signature(base64.b64encode(raw).decode()) == raw
    assert parse_signature(base64.b64encode(raw).decode().rstrip("=")) == raw
    with pytest.raises(InvalidCommand, match="needs the notary's signature"):
        parse_signature("")
    with pytest.raises(InvalidCommand, match="64 bytes"):
        parse_signature("abcd")
    with pytest.raises(InvalidCommand, match="64 bytes"):
        parse_signature("not base64 at all!")
