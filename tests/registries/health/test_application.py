"""The health registry's commands: endorsed entries, dispensing, consent, erasure."""

from __future__ import annotations

from datetime import timedelta

import pytest

from registries.common.codes import registry_code
from registries.common.errors import InvalidCommand, NotFound, UnknownParty
from registries.health.application import InvalidEndorsement, NotLicensed
from registries.health.domain import (
    AlreadyDispensed,
    InvalidDiagnosisCode,
    PrescriptionExpired,
    RecordErased,
)
from registries.health.models import EntryRecord, PatientRecord
from tests.registries.health import helpers as h
from tests.registries.identity import helpers as identity

pytestmark = pytest.mark.usefixtures("event_store")


def written() -> int:
    return EntryRecord.objects.count() + PatientRecord.objects.count()


def test_an_endorsed_encounter_is_recorded_without_plaintext_in_the_read_model() -> None:
    doctor, patient = h.doctor(), h.patient()
    assert h.encounter(doctor, patient, summary="Severe asthma attack") == 1
    entry = EntryRecord.objects.get()
    assert entry.provider == doctor.hospital
    assert entry.doctor == doctor.code
    assert "asthma" not in str(entry.sealed)
    assert "J45" not in str(entry.sealed)


def test_an_invalid_icd10_code_is_refused_and_nothing_is_written() -> None:
    doctor, patient = h.doctor(), h.patient()
    with pytest.raises(InvalidDiagnosisCode, match="not an ICD-10 code"):
        h.encounter(doctor, patient, diagnoses=["J4"])
    assert written() == 0


def test_a_signature_by_another_key_is_refused() -> None:
    doctor, patient = h.doctor(), h.patient()
    impostor = h.doctor(at=doctor.hospital)
    message = h.app().encounter_message(patient, doctor.hospital, doctor.code, "x", [], h.ISSUED)
    with pytest.raises(InvalidEndorsement):
        h.run(
            lambda a: a.record_encounter(
                patient, doctor.hospital, doctor.code, "x", [], h.ISSUED,
                impostor.key.sign(message), doctor.code,
            )
        )  # fmt: skip
    assert written() == 0


def test_a_doctor_without_a_licence_at_the_provider_is_refused() -> None:
    doctor, patient = h.doctor(), h.patient()
    elsewhere = h.hospital("Ida-Tallinna Keskhaigla")
    message = h.app().encounter_message(patient, elsewhere, doctor.code, "x", [], h.ISSUED)
    with pytest.raises(NotLicensed, match="not a licensed doctor"):
        h.run(
            lambda a: a.record_encounter(
                patient, elsewhere, doctor.code, "x", [], h.ISSUED,
                doctor.key.sign(message), doctor.code,
            )
        )  # fmt: skip
    assert written() == 0


def test_a_signature_cannot_be_replayed_as_a_second_entry() -> None:
    doctor, patient = h.doctor(), h.patient()
    message = h.app().encounter_message(patient, doctor.hospital, doctor.code, "x", [], h.ISSUED)
    signature = doctor.key.sign(message)

    def record() -> object:
        return h.run(
            lambda a: a.record_encounter(
                patient, doctor.hospital, doctor.code, "x", [], h.ISSUED, signature, doctor.code
            )
        )

    record()
    with pytest.raises(InvalidEndorsement, match="record changed"):
        record()
    assert EntryRecord.objects.count() == 1


def test_a_prescription_is_dispensed_once() -> None:
    doctor, patient = h.doctor(), h.patient()
    pharmacist, pharmacy = h.pharmacist()
    number = h.prescription(doctor, patient)
    day = h.ISSUED + timedelta(days=3)
    h.run(lambda a: a.dispense(patient, number, pharmacy, pharmacist, day, pharmacist))
    assert EntryRecord.objects.get(number=number).dispensed_on == day
    with pytest.raises(AlreadyDispensed):
        h.run(lambda a: a.dispense(patient, number, pharmacy, pharmacist, day, pharmacist))


def test_an_expired_prescription_is_not_dispensed() -> None:
    doctor, patient = h.doctor(), h.patient()
    pharmacist, pharmacy = h.pharmacist()
    number = h.prescription(doctor, patient, days=10)
    late = h.ISSUED + timedelta(days=11)
    with pytest.raises(PrescriptionExpired, match="expired on 2026-01-20"):
        h.run(lambda a: a.dispense(patient, number, pharmacy, pharmacist, late, pharmacist))
    assert EntryRecord.objects.get(number=number).dispensed_on is None


def test_a_pharmacist_of_another_pharmacy_cannot_dispense_for_this_one() -> None:
    doctor, patient = h.doctor(), h.patient()
    pharmacist, _ = h.pharmacist()
    other = h.pharmacy("Benu Apteek")
    number = h.prescription(doctor, patient)
    with pytest.raises(NotLicensed):
        h.run(lambda a: a.dispense(patient, number, other, pharmacist, h.ISSUED, pharmacist))


def test_an_unknown_patient_is_not_found() -> None:
    doctor = h.doctor()
    with pytest.raises(NotFound, match="no person"):
        h.encounter(doctor, identity.new_code())


def test_the_pharmacy_named_must_be_a_registered_pharmacy() -> None:
    doctor, patient = h.doctor(), h.patient()
    pharmacist, _ = h.pharmacist()
    number = h.prescription(doctor, patient)
    unknown = registry_code(999_004, kind_digit=7)
    with pytest.raises(UnknownParty, match=f"pharmacy: no pharmacy with registry code {unknown}"):
        h.run(lambda a: a.dispense(patient, number, unknown, pharmacist, h.ISSUED, pharmacist))
    with pytest.raises(
        InvalidCommand, match=f"the organisation {doctor.hospital} is not a pharmacy"
    ):
        h.run(
            lambda a: a.dispense(patient, number, doctor.hospital, pharmacist, h.ISSUED, pharmacist)
        )
    assert not EntryRecord.objects.exclude(dispensed_on=None).exists()


def test_an_erased_record_takes_no_more_entries() -> None:
    doctor, patient = h.doctor(), h.patient()
    h.encounter(doctor, patient)
    h.run(lambda a: a.erase(patient, "the patient's request", h.ministry()))
    assert PatientRecord.objects.get().erased
    with pytest.raises(RecordErased):
        h.encounter(doctor, patient)
