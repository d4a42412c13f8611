"""The identity registry's commands against a real event store and ledger."""

from __future__ import annotations

import os
import random
import stat
from datetime import date
from pathlib import Path
from unittest.mock import ANY
from uuid import UUID

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from chain.ledger.models import LedgerEntry
from registries.common.application import running
from registries.common.codes import personal_code, registry_code
from registries.common.errors import Conflict, InvalidCommand, NotFound
from registries.identity import services
from registries.identity.application import IdentityRegistry, code_pepper
from registries.identity.demo import MIN_PERSONS, seed_identity
from registries.identity.models import (
    AppointmentRecord,
    OrganisationRecord,
    PersonRecord,
    RepresentativeRecord,
)
from registries.identity.vocabulary import person_code_digest, person_code_index_id
from tests.registries.identity.helpers import (
    appoint,
    new_code,
    organisation,
    person,
    raw_public,
    run,
)

pytestmark = pytest.mark.usefixtures("event_store")

TODAY = date(2025, 6, 1)
_VALID = personal_code(date(1980, 5, 17), "M", 12)
WRONG_CHECK_DIGIT = _VALID[:-1] + str((int(_VALID[-1]) + 1) % 10)


def app() -> IdentityRegistry:
    return running(IdentityRegistry)


def stored_ids() -> list[UUID]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT originator_id FROM identity_events")
        return [UUID(str(row[0])) for row in cursor.fetchall()]


def stored_events() -> int:
    return len(stored_ids())


def ledger_entries() -> int:
    return LedgerEntry.objects.filter(registry="identity").count()


def written() -> tuple[int, int]:
    return stored_events(), ledger_entries()


def test_person_ids_are_random_and_no_stored_id_reveals_the_code() -> None:
    codes = [new_code(date(1990 + i, 1 + i, 1 + i), "MF"[i % 2]) for i in range(5)]
    for code in codes:
        app().register_person(code, "Mari", "Tamm", "registrar", TODAY)
    person_ids = {app().person(code).id for code in codes}
    assert all(pid.version == 4 for pid in person_ids)
    index_ids = {person_code_index_id(person_code_digest(c, code_pepper())) for c in codes}
    ids = set(stored_ids())
    assert ids == person_ids | index_ids
    originators = {
        UUID(str(o))
        for o in LedgerEntry.objects.filter(registry="identity").values_list(
            "originator_id", flat=True
        )
    }
    assert originators == ids
    for code in codes:
        for some_id in ids | originators:
            assert code not in str(some_id)
            assert code not in some_id.hex
            assert code not in str(some_id.int)
    # The index entry is found again only with the pepper.
    other = IdentityRegistry(pepper=b"not the registry's pepper")
    try:
        assert not other.person_exists(codes[0])
        assert app().person_exists(codes[0])
    finally:
        other.close()


def test_duplicate_person_is_a_conflict_and_writes_nothing() -> None:
    code = new_code()
    app().register_person(code, "Mari", "Tamm", "registrar", TODAY)
    before = written()
    with pytest.raises(Conflict, match=f"personal code {code} is already registered"):
        app().register_person(code, "Kadri", "Kask", "registrar", TODAY)
    assert written() == before


def test_a_concurrent_duplicate_loses_on_the_index_and_writes_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    code = new_code()
    first, second = IdentityRegistry(), IdentityRegistry()
    try:
        first.register_person(code, "Mari", "Tamm", "registrar", TODAY)
        before = written()
        # As if both had passed the early check before either saved: the index ids collide.
        monkeypatch.setattr(type(second.repository), "__contains__", lambda self, _id: False)
        with pytest.raises(Conflict, match="already registered"):
            second.register_person(code, "Kadri", "Kask", "registrar", TODAY)
        assert written() == before
    finally:
        first.close()
        second.close()


@pytest.mark.parametrize(
    ("code", "why"),
    [
        ("3800517012", "must be exactly 11 digits"),
        ("38002300120", "birth date does not exist"),
        (WRONG_CHECK_DIGIT, "check digit is wrong"),
    ],
)
def test_an_invalid_code_is_refused_saying_why_and_writes_nothing(code: str, why: str) -> None:
    before = written()
    with pytest.raises(InvalidCommand, match=f"^personal_code: .*{why}"):
        app().register_person(code, "Mari", "Tamm", "registrar", TODAY)
    assert written() == before


def test_unknown_person_is_not_found() -> None:
    code = new_code()
    with pytest.raises(NotFound, match=f"no person with personal code {code}"):
        app().change_name(code, "Mari", "Kask", "registrar")


def test_key_rotation_keeps_old_signatures_verifiable_via_public_key_at() -> None:
    code = person()
    old_key, new_key = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    old_id = run(lambda a: a.register_key(code, raw_public(old_key), "registrar"))
    old_signature = old_key.sign(b"contract of 2024")
    assert services.verify_signature(code, b"contract of 2024", old_signature)
    new_id = run(lambda a: a.rotate_key(code, raw_public(new_key), code))
    assert services.current_public_key(code) == raw_public(new_key)
    assert not services.verify_signature(code, b"contract of 2024", old_signature)
    assert services.verify_signature(code, b"2025", new_key.sign(b"2025"))
    # The old key is still known by its id, so old signatures verify against it.
    old_public = services.public_key_at(code, old_id)
    assert old_public == raw_public(old_key)
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    Ed25519PublicKey.from_public_bytes(old_public).verify(old_signature, b"contract of 2024")
    assert services.public_key_at(code, new_id) == raw_public(new_key)
    record = PersonRecord.objects.get(personal_code=code)
    old_row, new_row = record.keys.order_by("valid_from_seq")
    assert (old_row.status, new_row.status) == ("rotated", "active")
    assert old_row.valid_until_seq == new_row.valid_from_seq == record.ledger_seq


def test_a_revoked_key_fails_verify_signature_and_public_key_at() -> None:
    code = person()
    key = Ed25519PrivateKey.generate()
    key_id = run(lambda a: a.register_key(code, raw_public(key), "registrar"))
    signature = key.sign(b"message")
    assert services.verify_signature(code, b"message", signature)
    run(lambda a: a.revoke_key(code, key_id, "card stolen", "registrar"))
    assert not services.verify_signature(code, b"message", signature)
    assert services.current_public_key(code) is None
    assert services.public_key_at(code, key_id) is None
    # A new key may be registered after the revocation.
    fresh = Ed25519PrivateKey.generate()
    run(lambda a: a.register_key(code, raw_public(fresh), "registrar"))
    assert services.verify_signature(code, b"m", fresh.sign(b"m"))


def test_only_an_existing_living_person_can_be_appointed() -> None:
    before = written()
    with pytest.raises(NotFound, match="no person"):
        app().appoint_official(new_code(), "court", "judge", None, "registrar")
    code = person()
    app().record_death(code, date(2025, 1, 1), "registrar", TODAY)
    before = written()
    with pytest.raises(Conflict, match="cannot be appointed"):
        app().appoint_official(code, "court", "judge", None, "registrar")
    assert written() == before


def test_appointing_at_an_organisation_checks_it_exists_and_fits_the_role() -> None:
    code = person()
    court = organisation("court", "Harju Maakohus")
    bank = organisation("bank", "Põhjapank AS")
    before = written()
    with pytest.raises(NotFound, match="no organisation with registry code"):
        app().appoint_official(code, "court", "judge", registry_code(999_999, 7), "registrar")
    with pytest.raises(InvalidCommand, match="organisation_code: a judge works for a court"):
        app().appoint_official(code, "court", "judge", bank, "registrar")
    with pytest.raises(InvalidCommand, match="a judge acts in the court registry"):
        app().appoint_official(code, "business", "judge", None, "registrar")
    assert written() == before
    appoint(code, "court", "judge", court)
    assert services.has_role(code, "court", "judge")
    (appointment,) = AppointmentRecord.objects.filter(person__personal_code=code)
    assert appointment.organisation_code == court


def test_death_ends_appointments_and_keys_in_the_read_models() -> None:
    code = person()
    key = Ed25519PrivateKey.generate()
    key_id = run(lambda a: a.register_key(code, raw_public(key), "registrar"))
    appoint(code, "health", "doctor")
    assert services.has_role(code, "health", "doctor")
    run(lambda a: a.record_death(code, date(2025, 1, 1), "registrar", TODAY))
    assert not services.has_role(code, "health", "doctor")
    assert services.current_public_key(code) is None
    assert services.public_key_at(code, key_id) == raw_public(key)  # old signatures verify
    record = PersonRecord.objects.get(personal_code=code)
    assert record.died_on == date(2025, 1, 1)
    assert record.keys.get().status == "expired"
    assert not record.appointments.get().active


def test_organisations_are_unique_by_code() -> None:
    code = organisation("bank", "Põhjapank AS")
    before = written()
    with pytest.raises(Conflict, match=f"organisation {code} is already registered"):
        app().register_organisation(code, "Muu Pank AS", "bank", "registrar")
    assert written() == before
    record = OrganisationRecord.objects.get(registry_code=code)
    assert (record.name, record.kind) == ("Põhjapank AS", "bank")


def test_every_event_has_exactly_one_ledger_entry_with_gapless_seq() -> None:
    code = person()
    run(lambda a: a.change_name(code, "Mari", "Kask", "registrar"))
    run(lambda a: a.register_key(code, raw_public(Ed25519PrivateKey.generate()), "registrar"))
    run(lambda a: a.appoint_official(code, "identity", "auditor", None, "registrar"))
    run(lambda a: a.dismiss_official(code, "identity", "auditor", None, "registrar"))
    organisation()
    seqs = list(
        LedgerEntry.objects.filter(registry="identity")
        .order_by("seq")
        .values_list("seq", flat=True)
    )
    assert seqs == list(range(1, len(seqs) + 1))
    # Person: 5 events; its code index: 1; the organisation: 1.
    assert len(seqs) == stored_events() == 7
    # Seq 1 the registration, 2 its index entry (same save), 3-6 the person's other events.
    assert PersonRecord.objects.get(personal_code=code).ledger_seq == 6


def test_seeding_the_population_registers_officials_and_writes_keys_privately(
    tmp_path: Path,
) -> None:
    steps: list[int] = []
    with override_settings(RIIK_DATA_DIR=tmp_path):
        seed = seed_identity(random.Random(7), steps.append, persons=40)
    assert sum(steps) == 40 == len(seed.people) == len(set(seed.people))
    assert len(seed.identity_registrars) >= 2
    assert len(seed.business_registrars) >= 2
    assert len(seed.property_registrars) >= 2
    assert len(seed.judges) >= 3
    assert len(seed.notaries) >= 3
    assert len(seed.doctors) >= 3
    assert len(seed.pharmacists) >= 2
    assert len(seed.auditors) >= 1
    for organisations in (seed.banks, seed.notary_offices, seed.hospitals, seed.pharmacies):
        assert organisations
    assert seed.courts
    for registry, role, codes in [
        ("identity", "registrar", seed.identity_registrars),
        ("business", "registrar", seed.business_registrars),
        ("property", "registrar", seed.property_registrars),
        ("court", "judge", seed.judges),
        ("property", "notary", seed.notaries),
        ("health", "doctor", seed.doctors),
        ("health", "pharmacist", seed.pharmacists),
        ("identity", "auditor", seed.auditors),
    ]:
        assert seed.officials(registry, role) == codes
        assert all(services.has_role(code, registry, role) for code in codes)
    assert all(services.organisation_exists(code) for code in seed.organisations)
    assert set(seed.notaries) <= set(seed.keyholders)
    keys_dir = tmp_path / "demo-keys"
    assert stat.S_IMODE(os.stat(keys_dir).st_mode) == 0o700
    for code in seed.keyholders:
        path = seed.key_file(code)
        assert path.parent == keys_dir
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        private = load_pem_private_key(path.read_bytes(), password=None)
        assert isinstance(private, Ed25519PrivateKey)
        assert services.verify_signature(code, b"demo", private.sign(b"demo"))
    assert sorted(p.name for p in keys_dir.iterdir()) == sorted(f"{c}.pem" for c in seed.keyholders)
    assert all(not services.person_alive(code) for code in seed.deceased)
    ((hospital, head),) = seed.representatives
    assert hospital in seed.hospitals
    assert head in seed.keyholders
    (representation,) = RepresentativeRecord.objects.filter(person__personal_code=head)
    assert representation.organisation_code == hospital


def test_seeding_fewer_persons_than_officials_still_appoints_them_all(tmp_path: Path) -> None:
    with override_settings(RIIK_DATA_DIR=tmp_path):
        seed = seed_identity(random.Random(1), None, persons=0)
    assert len(seed.people) == MIN_PERSONS
    assert PersonRecord.objects.count() == 0  # the caller catches up
    assert services.person_exists(seed.judges[0])


def test_representatives_are_recorded_for_existing_organisations_that_are_not_companies() -> None:
    code = person()
    hospital = organisation("hospital", "Põhja Haigla")
    company = organisation("company", "Pagar OÜ")
    before = written()
    with pytest.raises(NotFound, match="no organisation with registry code"):
        app().appoint_representative(code, registry_code(999_998, 7), "director", "registrar")
    with pytest.raises(InvalidCommand, match="management board in the business registry"):
        app().appoint_representative(code, company, "director", "registrar")
    with pytest.raises(NotFound, match="no person"):
        app().appoint_representative(new_code(), hospital, "director", "registrar")
    assert written() == before
    run(lambda a: a.appoint_representative(code, hospital, "chief executive", "registrar"))
    (record,) = RepresentativeRecord.objects.filter(person__personal_code=code)
    assert (record.organisation_code, record.title, record.active) == (
        hospital,
        "chief executive",
        True,
    )
    assert record.appointed_by == "registrar"
    assert app().person(code).representations == {hospital: "chief executive"}  # reloaded
    run(lambda a: a.remove_representative(code, hospital, "registrar-2"))
    record.refresh_from_db()
    assert not record.active
    assert (record.ended_by, record.ended_seq) == ("registrar-2", record.ledger_seq)
    assert record.ended_seq is not None
    assert record.ended_seq > record.appointed_seq


def test_death_ends_representations_in_the_read_model() -> None:
    code = person()
    court = organisation("court", "Tartu Maakohus")
    run(lambda a: a.appoint_representative(code, court, "chairman of the court", "registrar"))
    run(lambda a: a.record_death(code, date(2025, 1, 1), "registrar", TODAY))
    assert not RepresentativeRecord.objects.get(person__personal_code=code).active


@pytest.mark.parametrize("names", [["Anu"], ["Anu", "Eva", "Liis", "Kai", "Tiiu", "Mall", "Ene"]])
def test_a_persons_load_checks_their_keys_in_one_query_however_many_events(
    names: list[str],
) -> None:
    code = person("Mari", "Tamm")
    for name in names:
        run(lambda app, name=name: app.change_name(code, name, "Tamm", "registrar"))
    app = running(IdentityRegistry)
    app.person(code)  # the keys are unwrapped and cached: only the check is left
    with CaptureQueriesContext(connection) as queries:
        loaded = app.person(code)
    assert loaded.first_name == names[-1]
    assert [q["sql"] for q in queries.captured_queries if "identity_personkey" in q["sql"]] == [ANY]
