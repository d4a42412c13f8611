"""A stated emergency is recorded as one even when consent already allows the read."""

from __future__ import annotations

import pytest

from registries.tracker.models import ReadRecord
from tests.registries.health import helpers as h
from tests.registries.identity import helpers as identity

pytestmark = pytest.mark.usefixtures("event_store")


def test_an_emergency_reason_is_recorded_and_flagged_even_with_consent() -> None:
    doctor, patient = h.doctor(), h.patient()
    h.encounter(doctor, patient)  # the record is open to the doctor's hospital
    response = identity.token_client(doctor.code).get(
        f"/api/v1/health/patients/{patient}/", {"emergency_reason": "unconscious in the ER"}
    )
    assert response.status_code == 200
    assert response.json()["emergency"] is True
    read = ReadRecord.objects.get(subject_code=patient, reader_code=doctor.code)
    assert (read.emergency, read.purpose) == (True, "emergency: unconscious in the ER")


def test_an_emergency_reason_is_checked_even_with_consent() -> None:
    doctor, patient = h.doctor(), h.patient()
    h.encounter(doctor, patient)
    response = identity.token_client(doctor.code).get(
        f"/api/v1/health/patients/{patient}/", {"emergency_reason": "x" * 5000}
    )
    assert response.status_code == 400
    assert not ReadRecord.objects.filter(subject_code=patient, reader_code=doctor.code).exists()
