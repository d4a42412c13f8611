"""Transfer applications that a notary endorses, and refusals that name the mistake."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from registries.identity.vocabulary import key_id_of
from registries.property.models import LandUnitRecord, TransferApplicationRecord, TransferRecord
from registries.property.vocabulary import InvalidEndorsement, StaleEndorsement
from tests.registries.identity import helpers as identity
from tests.registries.property.helpers import (
    Notary,
    app,
    bank,
    notary,
    owner,
    register_unit,
    run,
    signed_transfer,
    version_of,
    written,
)

pytestmark = pytest.mark.usefixtures("event_store")


def apply(code: str, seller: str, buyers: list[tuple[str, str]], clerk: Notary) -> int:
    return int(
        run(lambda a: a.apply_for_transfer(code, [seller], buyers, 12_000_000, clerk.code, "reg"))
    )


def endorse(code: str, number: int, clerk: Notary, key: Ed25519PrivateKey | None = None) -> int:
    transfer = app().application_transfer(code, number)
    message = app().transfer_message(code, transfer)
    signature = (key or clerk.key).sign(message)
    return int(
        run(lambda a: a.endorse_application(code, number, clerk.code, signature, clerk.code))
    )


def test_an_application_awaits_the_named_notary_who_endorses_it_into_a_transfer() -> None:
    seller, buyer, clerk = owner(), owner("Jaan", "Kask"), notary()
    code = register_unit([(seller, "1/1")])
    number = apply(code, seller, [(buyer, "1/1")], clerk)
    record = TransferApplicationRecord.objects.get(unit_id=code, number=number)
    assert record.awaiting
    assert record.unit_version == version_of(code) == 2
    endorse(code, number, clerk)
    record.refresh_from_db()
    assert record.transfer_version == 3
    assert not record.awaiting
    assert list(
        LandUnitRecord.objects.get(pk=code).owners.values_list("owner_code", flat=True)
    ) == [buyer]
    transfer = TransferRecord.objects.get(unit_id=code)
    assert transfer.notary == clerk.code
    assert transfer.unit_version == 2


def test_only_the_named_notary_endorses_an_application() -> None:
    seller, buyer, clerk, other = owner(), owner("Jaan", "Kask"), notary(), notary()
    code = register_unit([(seller, "1/1")])
    number = apply(code, seller, [(buyer, "1/1")], clerk)
    transfer = app().application_transfer(code, number)
    signature = other.key.sign(app().transfer_message(code, transfer))
    before = written()
    with pytest.raises(InvalidEndorsement, match=f"asks notary {clerk.code} to endorse it"):
        run(lambda a: a.endorse_application(code, number, other.code, signature, other.code))
    assert written() == before


def test_an_application_is_refused_as_the_transfer_would_be() -> None:
    seller, buyer, clerk = owner(), owner("Jaan", "Kask"), notary()
    code = register_unit([(seller, "1/1")])
    with pytest.raises(InvalidEndorsement, match="is a party to this transfer"):
        apply(code, seller, [(clerk.code, "1/1")], clerk)
    with pytest.raises(Exception, match="add up"):
        apply(code, seller, [(buyer, "1/2")], clerk)


def test_wrong_unit_version_says_which_version_was_signed_and_which_is_current() -> None:
    seller, buyer, clerk = owner(), owner("Jaan", "Kask"), notary()
    code = register_unit([(seller, "1/1")])
    number = apply(code, seller, [(buyer, "1/1")], clerk)
    run(lambda a: a.add_mortgage(code, 1_000_000, bank(), "r"))  # the unit changes: version 3
    with pytest.raises(StaleEndorsement, match=r"signed version 2 .* now version 3"):
        endorse(code, number, clerk)
    # A signature of version 2 sent as if for the current version names both versions.
    early = signed_transfer(code, clerk, [seller], [(buyer, "1/1")], unit_version=2)
    claimed = type(early)(**{**early.__dict__, "unit_version": 3})
    with pytest.raises(
        InvalidEndorsement,
        match="the notary signed version 2 of the land unit, but this transfer is for version 3 "
        "and the unit is now at version 3",
    ):
        run(lambda a: a.transfer_ownership(code, claimed, "registrar"))


def test_wrong_share_says_the_signed_shares_differ_from_the_transfers() -> None:
    seller, buyer, other, clerk = owner(), owner("Jaan", "Kask"), owner("Ants", "Saar"), notary()
    code = register_unit([(seller, "1/1")])
    number = apply(code, seller, [(buyer, "1/2"), (other, "1/2")], clerk)
    signature = clerk.key.sign(
        app().transfer_message(code, app().application_transfer(code, number))
    )
    changed = app().application_transfer(code, number, signature)
    changed = type(changed)(**{**changed.__dict__, "buyers": [(buyer, "3/4"), (other, "1/4")]})
    before = written()
    with pytest.raises(
        InvalidEndorsement,
        match=f"signed the shares {min(buyer, other)} 1/2, {max(buyer, other)} 1/2 of application "
        f"{number}, but this transfer gives",
    ):
        run(lambda a: a.transfer_ownership(code, changed, "registrar"))
    assert written() == before


@pytest.mark.parametrize("how", ["rotated", "revoked"])
def test_wrong_key_says_the_key_is_not_the_notarys_current_one(how: str) -> None:
    seller, buyer, clerk = owner(), owner("Jaan", "Kask"), notary()
    code = register_unit([(seller, "1/1")])
    number = apply(code, seller, [(buyer, "1/1")], clerk)
    old = key_id_of(identity.raw_public(clerk.key))
    new = Ed25519PrivateKey.generate()
    if how == "rotated":
        identity.run(lambda a: a.rotate_key(clerk.code, identity.raw_public(new), "registrar"))
    else:
        identity.run(lambda a: a.revoke_key(clerk.code, old, "lost", "registrar"))
        identity.run(lambda a: a.register_key(clerk.code, identity.raw_public(new), "registrar"))
    with pytest.raises(
        InvalidEndorsement,
        match=f"made with their {how} key {old}, not their current e-ID key",
    ):
        endorse(code, number, clerk)
    # With the current key it goes through.
    endorse(code, number, Notary(clerk.code, new))
