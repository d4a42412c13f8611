"""The health registry in the admin: metadata only, tracked page views, erasure by the ministry."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from registries.health.models import PatientRecord, PersonKey
from registries.tracker.models import ReadRecord
from tests.registries.health import helpers as h
from tests.registries.identity.helpers import user_for

pytestmark = pytest.mark.usefixtures("event_store")


def browser(code: str) -> Client:
    client = Client()
    client.force_login(user_for(code, staff=True))
    return client


def test_the_ministry_sees_no_health_content_and_its_page_view_is_tracked() -> None:
    doctor, patient = h.doctor(), h.patient()
    h.encounter(doctor, patient, summary="Pneumonia of the left lobe", diagnoses=["J18.9"])
    ministry = browser(h.ministry())
    listing = ministry.get(reverse("admin:health_patientrecord_changelist"))
    assert listing.status_code == 200
    record = PatientRecord.objects.get()
    page = ministry.get(reverse("admin:health_patientrecord_change", args=[record.pk]))
    assert page.status_code == 200
    for response in (listing, page):
        text = response.content.decode()
        assert "Pneumonia" not in text
        assert "J18.9" not in text
        assert patient not in text
    assert doctor.hospital in page.content.decode()
    read = ReadRecord.objects.get(subject_code=patient)
    assert read.what == "health record metadata (admin)"


def test_the_ministry_erases_a_record_through_the_form() -> None:
    doctor, patient = h.doctor(), h.patient()
    h.encounter(doctor, patient)
    record = PatientRecord.objects.get()
    url = reverse("admin:health_patientrecord_command", args=[record.pk, "erase"])
    response = browser(h.ministry()).post(url, {"reason": "the patient's request"})
    assert response.status_code == 302
    record.refresh_from_db()
    assert record.erased
    assert PersonKey.objects.get().wrapped is None


def test_a_doctor_cannot_erase_in_the_admin() -> None:
    doctor, patient = h.doctor(), h.patient()
    h.encounter(doctor, patient)
    record = PatientRecord.objects.get()
    url = reverse("admin:health_patientrecord_command", args=[record.pk, "erase"])
    response = browser(doctor.code).post(url, {"reason": "no"})
    assert response.status_code == 403
    assert PersonKey.objects.get().wrapped is not None
