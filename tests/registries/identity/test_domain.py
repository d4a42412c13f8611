"""The identity registry's rules, checked without any database."""

from __future__ import annotations

import hashlib
from datetime import date
from uuid import NAMESPACE_URL, uuid5

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from registries.common.codes import (
    InvalidCodeError,
    check_digit,
    personal_code,
    registry_code,
    validate_personal_code,
)
from registries.common.errors import Conflict, InvalidCommand, NotFound
from registries.identity.domain import Organisation, Person, PersonCodeIndex
from registries.identity.vocabulary import (
    ACTIVE,
    EXPIRED,
    REVOKED,
    ROLE_REGISTRIES,
    ROTATED,
    FourEyes,
    SelfAppointment,
    check_role,
    key_id_of,
    needs_confirmation,
    person_code_digest,
    person_code_index_id,
    sex_of,
)
from tests.registries.identity.helpers import raw_public

TODAY = date(2025, 6, 1)
CODE = personal_code(date(1980, 5, 17), "M", 12)
PEPPER = b"test pepper"

births = st.dates(min_value=date(1800, 1, 1), max_value=date(2199, 12, 31))
sexes = st.sampled_from(["M", "F"])
serials = st.integers(min_value=0, max_value=999)


def decoded(code: str) -> tuple[date, str, str]:
    """What a valid code says: birth date, sex and serial."""
    return validate_personal_code(code), sex_of(code), code[7:10]


# Personal codes ---------------------------------------------------------------------


@given(born=births, sex=sexes, serial=serials)
def test_any_generated_personal_code_validates_and_decodes_to_its_parts(
    born: date, sex: str, serial: int
) -> None:
    code = personal_code(born, sex, serial)
    assert len(code) == 11
    assert decoded(code) == (born, sex, f"{serial:03d}")


@given(
    born=births,
    sex=sexes,
    serial=serials,
    position=st.integers(min_value=0, max_value=10),
    shift=st.integers(min_value=1, max_value=9),
)
def test_any_single_digit_change_is_rejected_or_decodes_differently(
    born: date, sex: str, serial: int, position: int, shift: int
) -> None:
    code = personal_code(born, sex, serial)
    digit = (int(code[position]) + shift) % 10
    changed = code[:position] + str(digit) + code[position + 1 :]
    try:
        meaning = decoded(changed)
    except InvalidCodeError:
        return
    assert position < 10  # a changed check digit is always caught
    assert meaning != decoded(code)


def test_a_wrong_check_digit_says_so() -> None:
    wrong = CODE[:-1] + str((int(CODE[-1]) + 1) % 10)
    with pytest.raises(InvalidCodeError, match="check digit is wrong"):
        validate_personal_code(wrong)


@pytest.mark.parametrize("head", ["3800230", "3810229", "3801301", "3800000", "3800431"])
def test_an_impossible_birth_date_says_so(head: str) -> None:
    code = head + "123"
    code += str(check_digit(code))
    with pytest.raises(InvalidCodeError, match="birth date does not exist"):
        validate_personal_code(code)


@pytest.mark.parametrize(
    ("code", "why"),
    [
        ("3800517012", "must be exactly 11 digits"),
        ("3800517012a", "must be exactly 11 digits"),
        ("98005170125", "first digit must be 1-8"),
        ("08005170125", "first digit must be 1-8"),
    ],
)
def test_malformed_codes_say_which_part_is_wrong(code: str, why: str) -> None:
    with pytest.raises(InvalidCodeError, match=why):
        validate_personal_code(code)


# Persons --------------------------------------------------------------------------------


def register(code: str = CODE, **changes: str) -> Person:
    fields = {"first_name": "Jaan", "last_name": "Tamm"}
    fields.update(changes)
    return Person.register(personal_code=code, actor="registrar", today=TODAY, **fields)


def test_registration_takes_birth_date_and_sex_from_the_code() -> None:
    person = register(personal_code(date(1975, 2, 3), "F", 7))
    assert (person.born, person.sex) == (date(1975, 2, 3), "F")
    assert person.id.version == 4  # random, not derived from the code
    assert [type(e).__name__ for e in person.collect_events()] == ["Registered"]


def test_registration_refuses_an_invalid_code_naming_the_field_and_the_part() -> None:
    with pytest.raises(InvalidCommand, match=r"^personal_code: .*check digit is wrong"):
        register(CODE[:-1] + str((int(CODE[-1]) + 1) % 10))


def test_registration_refuses_a_birth_date_in_the_future() -> None:
    with pytest.raises(InvalidCommand, match="in the future"):
        register(personal_code(date(2030, 1, 1), "M", 1))


@pytest.mark.parametrize(
    ("first", "why"),
    [
        ("", "must not be empty"),
        ("J4an", "only letters"),
        ("x" * 101, "at most 100"),
        ("--", "letters"),
    ],
)
def test_names_must_be_letters(first: str, why: str) -> None:
    with pytest.raises(InvalidCommand, match=f"first_name: .*{why}"):
        register(first_name=first)


def test_names_with_estonian_letters_hyphens_and_apostrophes_are_accepted() -> None:
    apostrophe = "\u2019"  # the typographic one, as well as '
    person = register(first_name="  Ülle-Mai ", last_name=f"O{apostrophe}Connor Õunapuu")
    assert (person.first_name, person.last_name) == ("Ülle-Mai", f"O{apostrophe}Connor Õunapuu")
    assert register(last_name="O'Connor").last_name == "O'Connor"


def test_change_name_and_death() -> None:
    person = register()
    person.change_name("Jaan", "Kask", "registrar")
    assert person.last_name == "Kask"
    with pytest.raises(InvalidCommand, match="same"):
        person.change_name("Jaan", "Kask", "registrar")
    with pytest.raises(InvalidCommand, match="before the birth date"):
        person.record_death(date(1970, 1, 1), "registrar", TODAY)
    with pytest.raises(InvalidCommand, match="in the future"):
        person.record_death(date(2026, 1, 1), "registrar", TODAY)
    person.record_death(date(2024, 12, 24), "registrar", TODAY)
    assert not person.alive
    with pytest.raises(Conflict, match="already recorded"):
        person.record_death(date(2024, 12, 24), "registrar", TODAY)
    with pytest.raises(Conflict, match="died on 2024-12-24"):
        person.change_name("Juhan", "Kask", "registrar")


# Keys ----------------------------------------------------------------------------------------


def test_key_id_is_the_first_8_bytes_of_sha256_in_hex() -> None:
    raw = raw_public(Ed25519PrivateKey.generate())
    assert key_id_of(raw) == hashlib.sha256(raw).hexdigest()[:16]


def test_key_history_keeps_rotated_keys_with_their_validity() -> None:
    person = register()
    first, second = (raw_public(Ed25519PrivateKey.generate()) for _ in range(2))
    with pytest.raises(Conflict, match="no active key"):
        person.rotate_key(first, "registrar")
    first_id = person.register_key(first, "registrar")
    with pytest.raises(Conflict, match="rotate it instead"):
        person.register_key(second, "registrar")
    second_id = person.rotate_key(second, "registrar")
    old, new = person.keys[first_id], person.keys[second_id]
    assert (old.status, old.valid_from, old.valid_until) == (ROTATED, 2, 3)
    assert (new.status, new.valid_from, new.valid_until) == (ACTIVE, 3, None)
    with pytest.raises(Conflict, match="already in this person's key history"):
        person.rotate_key(first, "registrar")
    person.revoke_key(first_id, "stolen card", "registrar")
    assert person.keys[first_id].status == REVOKED
    assert person.keys[first_id].valid_until == 3  # retired by the rotation, not the revocation
    with pytest.raises(Conflict, match="already revoked"):
        person.revoke_key(first_id, "again", "registrar")
    with pytest.raises(NotFound, match="has no key 0000000000000000"):
        person.revoke_key("0000000000000000", "lost", "registrar")
    with pytest.raises(InvalidCommand, match="reason"):
        person.revoke_key(second_id, "   ", "registrar")


@pytest.mark.parametrize("key", [b"", b"\x01" * 31, b"\x01" * 33, "ab" * 32])
def test_a_public_key_must_be_32_raw_bytes(key: object) -> None:
    with pytest.raises(InvalidCommand, match=r"public_key: .*32 bytes"):
        register().register_key(key, "registrar")  # type: ignore[arg-type]


def test_death_expires_the_active_key_and_ends_appointments() -> None:
    person = register()
    key_id = person.register_key(raw_public(Ed25519PrivateKey.generate()), "registrar")
    person.appoint("court", "judge", "", "registrar")
    person.record_death(date(2025, 1, 2), "registrar", TODAY)
    assert person.keys[key_id].status == EXPIRED
    assert person.appointments == set()
    with pytest.raises(Conflict, match="cannot be appointed"):
        person.appoint("court", "judge", "", "registrar")
    with pytest.raises(Conflict, match="died"):
        person.register_key(raw_public(Ed25519PrivateKey.generate()), "registrar")


# Roles -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("registry", "role"),
    [
        (registry, role)
        for role, registries in ROLE_REGISTRIES.items()
        for registry in sorted(registries)
    ],
)
def test_every_role_fits_its_registries(registry: str, role: str) -> None:
    check_role(registry, role)


@pytest.mark.parametrize(
    ("registry", "role", "message"),
    [
        ("business", "judge", "a judge acts in the court registry, not in the business registry"),
        (
            "court",
            "registrar",
            "a registrar acts in the business or health or identity or property",
        ),
        ("health", "notary", "a notary acts in the property registry"),
        ("property", "doctor", "a doctor acts in the health registry"),
        ("court", "pharmacist", "a pharmacist acts in the health registry"),
        ("tax", "auditor", "registry: 'tax' is not one of"),
        ("court", "bailiff", "role: 'bailiff' is not one of"),
    ],
)
def test_a_role_outside_its_registries_is_refused(registry: str, role: str, message: str) -> None:
    with pytest.raises(InvalidCommand, match=message):
        check_role(registry, role)


def test_appointments_are_unique_and_dismissal_needs_one() -> None:
    person = register()
    person.appoint("property", "notary", registry_code(5), "registrar", "notary_office")
    with pytest.raises(Conflict, match="already a notary of the property registry"):
        person.appoint("property", "notary", registry_code(5), "registrar", "notary_office")
    with pytest.raises(InvalidCommand, match="a notary works for a notary office"):
        person.appoint("property", "notary", registry_code(6), "registrar", "bank")
    with pytest.raises(NotFound, match=r"is not a notary of the property registry$"):
        person.dismiss("property", "notary", "", "registrar")
    person.dismiss("property", "notary", registry_code(5), "registrar")
    assert person.appointments == set()


# Index and organisations -------------------------------------------------------------------


def test_the_code_index_id_needs_the_pepper_and_never_shows_the_code() -> None:
    digest = person_code_digest(CODE, PEPPER)
    index_id = person_code_index_id(digest)
    assert CODE not in str(index_id)
    assert CODE not in index_id.hex
    assert index_id != person_code_index_id(person_code_digest(CODE, b"other pepper"))
    assert index_id != person_code_index_id(hashlib.sha256(CODE.encode()).hexdigest())
    assert index_id != uuid5(NAMESPACE_URL, CODE)
    index = PersonCodeIndex.claim(digest, register().id)
    assert index.id == index_id
    (claimed,) = index.collect_events()
    assert CODE not in repr(claimed)
    assert digest not in repr(claimed)


def test_organisation_registration_checks_code_name_and_kind() -> None:
    code = registry_code(123, kind_digit=7)
    organisation = Organisation.register(
        registry_code=code, name=" Harju  Maakohus ", kind="court", actor="registrar"
    )
    assert organisation.name == "Harju Maakohus"
    with pytest.raises(InvalidCommand, match=r"registry_code: .*check digit is wrong"):
        Organisation.register(
            registry_code=code[:-1] + str((int(code[-1]) + 1) % 10),
            name="X",
            kind="court",
            actor="registrar",
        )
    with pytest.raises(InvalidCommand, match="kind: 'castle' is not one of"):
        Organisation.register(registry_code=code, name="X", kind="castle", actor="registrar")


# Representatives of organisations ------------------------------------------------------------


def test_a_person_represents_an_organisation_until_removed() -> None:
    person = register()
    hospital = registry_code(7, kind_digit=7)
    person.appoint_representative(hospital, "hospital", "  chief   executive ", "registrar")
    assert person.representations == {hospital: "chief executive"}
    with pytest.raises(Conflict, match=f"already represents {hospital} \\(as chief executive\\)"):
        person.appoint_representative(hospital, "hospital", "director", "registrar")
    person.remove_representative(hospital, "registrar")
    assert person.representations == {}
    with pytest.raises(NotFound, match=f"is not a representative of {hospital}"):
        person.remove_representative(hospital, "registrar")


def test_a_company_gets_no_representatives_here() -> None:
    with pytest.raises(InvalidCommand, match="represented by its management board"):
        register().appoint_representative(registry_code(8), "company", "director", "registrar")


@pytest.mark.parametrize(
    ("code", "title", "message"),
    [
        ("1234", "director", "organisation_code: "),
        (registry_code(9), "   ", "title: say in which capacity"),
        (registry_code(9), "x" * 101, "title: at most 100 characters"),
        (registry_code(9), "42", "title: must contain letters"),
    ],
)
def test_a_representation_needs_a_valid_code_and_title(code: str, title: str, message: str) -> None:
    person = register()
    with pytest.raises(InvalidCommand, match=message):
        person.appoint_representative(code, "court", title, "registrar")
    assert person.representations == {}


def test_death_ends_representations_and_a_dead_person_cannot_represent() -> None:
    person = register()
    court = registry_code(10, kind_digit=7)
    person.appoint_representative(court, "court", "chairman of the court", "registrar")
    person.record_death(date(2025, 1, 2), "registrar", TODAY)
    assert person.representations == {}
    with pytest.raises(Conflict, match="died"):
        person.appoint_representative(court, "court", "chairman of the court", "registrar")


# Nobody gives themselves access ------------------------------------------------------------


def test_nobody_appoints_themselves_or_confirms_their_own_appointment() -> None:
    person = register()
    with pytest.raises(SelfAppointment, match="no self-appointment"):
        person.appoint("health", "doctor", "", CODE)
    with pytest.raises(SelfAppointment, match="no self-appointment"):
        person.appoint("business", "registrar", "", CODE)
    person.appoint("court", "judge", "", "registrar")
    with pytest.raises(SelfAppointment, match="no self-appointment"):
        person.confirm_appointment("court", "judge", "", CODE)
    assert person.appointments == set()


@pytest.mark.parametrize(
    ("registry", "role"),
    [
        ("health", "doctor"),
        ("health", "registrar"),
        ("court", "investigator"),
        ("identity", "auditor"),
    ],
)
def test_roles_that_read_health_or_court_data_take_four_eyes(registry: str, role: str) -> None:
    assert needs_confirmation(registry, role)


def test_an_appointment_that_takes_four_eyes_is_proposed_then_confirmed_by_another() -> None:
    person = register()
    person.appoint("health", "doctor", "", "first")
    assert person.appointments == set()
    with pytest.raises(Conflict, match="already proposed"):
        person.appoint("health", "doctor", "", "second")
    with pytest.raises(FourEyes, match="a different identity registrar"):
        person.confirm_appointment("health", "doctor", "", "first")
    with pytest.raises(NotFound, match="awaits confirmation"):
        person.confirm_appointment("health", "pharmacist", "", "second")
    person.confirm_appointment("health", "doctor", "", "second")
    assert [type(e).__name__ for e in person.collect_events()][-2:] == [
        "AppointmentProposed",
        "Appointed",
    ]
    assert person.proposals == {}
    assert {a.role for a in person.appointments} == {"doctor"}


def test_an_appointment_without_four_eyes_takes_effect_at_once_and_a_proposal_is_withdrawn() -> (
    None
):
    person = register()
    person.appoint("property", "notary", "", "first")
    assert {a.role for a in person.appointments} == {"notary"}
    person.appoint("court", "judge", "", "first")
    person.dismiss("court", "judge", "", "second")
    assert person.proposals == {}


def test_an_erasure_is_asked_for_by_one_registrar_and_approved_by_another() -> None:
    person = register()
    with pytest.raises(NotFound, match="no erasure of person"):
        person.erase("second")
    with pytest.raises(InvalidCommand, match="say why"):
        person.request_erasure("  ", "first")
    person.request_erasure("the person's request under GDPR art. 17", "first")
    assert (person.erasure_requested_by, person.erasure_reason) == (
        "first",
        "the person's request under GDPR art. 17",
    )
    with pytest.raises(Conflict, match="already"):
        person.request_erasure("again", "second")
    with pytest.raises(FourEyes, match="first asked for this erasure"):
        person.erase("first")
    assert not person.erased
    person.erase("second")
    person.erase("third")  # repeated: nothing more is recorded
    assert person.erased
    assert [type(e).__name__ for e in person.collect_events()][-2:] == [
        "ErasureRequested",
        "Erased",
    ]


def test_a_pending_erasure_request_is_withdrawn_with_a_reason_by_any_registrar() -> None:
    person = register()
    with pytest.raises(NotFound, match="nothing to withdraw"):
        person.withdraw_erasure("asked by mistake", "first")
    person.request_erasure("the person's request under GDPR art. 17", "first")
    with pytest.raises(InvalidCommand, match="say why"):
        person.withdraw_erasure(" ", "first")
    person.withdraw_erasure("the person took the request back", "first")  # the asker too
    assert (person.erasure_requested_by, person.erasure_reason) == (None, "")
    with pytest.raises(NotFound, match="no erasure of person"):
        person.erase("second")  # nothing left to approve
    person.request_erasure("asked again", "second")
    person.withdraw_erasure("withdrawn by another registrar", "third")
    assert [type(e).__name__ for e in person.collect_events()][-4:] == [
        "ErasureRequested",
        "ErasureWithdrawn",
        "ErasureRequested",
        "ErasureWithdrawn",
    ]


def test_an_erasure_cannot_be_withdrawn_once_recorded() -> None:
    person = register()
    person.request_erasure("the person's request under GDPR art. 17", "first")
    person.erase("second")
    with pytest.raises(Conflict, match="erased already"):
        person.withdraw_erasure("too late", "first")
