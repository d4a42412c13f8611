"""The health API: doctors, pharmacists, patients, representatives and the ministry."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.utils import timezone

from registries.health.models import EntryRecord
from registries.tracker.models import ReadRecord
from tests.registries.health import helpers as h
from tests.registries.identity import helpers as identity

pytestmark = pytest.mark.usefixtures("event_store")


def record_url(code: str) -> str:
    return f"/api/v1/health/patients/{code}/"


def problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    return body


def client(code: str) -> Any:
    """The API client of the user whose username is ``code`` (one user per code)."""
    if code not in _users:
        _users[code] = identity.token_client(code)
    return _users[code]


def key(code: str) -> Ed25519PrivateKey:
    """The person's e-ID key (registered on first use)."""
    if code not in _keys:
        _keys[code] = h.e_id_key(code)
    return _keys[code]


def consent(patient: str, action: str, provider: str = "") -> None:
    payload = {"action": action, "provider": provider}
    response = client(patient).post(
        "/api/v1/me/health/consents/",
        h.signed(payload, "change-consent", (patient, key(patient))),
        format="json",
    )
    assert response.status_code == 200, response.content


_users: dict[str, Any] = {}
_keys: dict[str, Ed25519PrivateKey] = {}


@pytest.fixture(autouse=True)
def _fresh_users() -> None:
    _users.clear()
    _keys.clear()


def test_a_doctor_reads_an_open_record_and_the_read_is_tracked() -> None:
    doctor, patient = h.doctor(), h.patient()
    h.encounter(doctor, patient, summary="Wheezing after running")
    response = client(doctor.code).get(record_url(patient), {"purpose": "follow-up"})
    assert response.status_code == 200, response.content
    entry = response.json()["entries"][0]
    assert entry["content"] == {
        "summary": "Wheezing after running",
        "diagnoses": ["J45.0"],
        "occurred_on": "2026-01-10",
    }
    read = ReadRecord.objects.get(subject_code=patient)
    assert (read.reader_code, read.registry, read.purpose, read.outcome) == (
        doctor.code,
        "health",
        "follow-up",
        "allowed",
    )


def test_a_record_closed_to_the_provider_is_refused_and_the_refusal_tracked() -> None:
    doctor, patient = h.doctor(), h.patient()
    h.encounter(doctor, patient)
    consent(patient, "close", doctor.hospital)
    body = problem(client(doctor.code).get(record_url(patient)), 403)
    assert "closed their record to provider" in body["detail"]
    assert ReadRecord.objects.get(subject_code=patient).outcome == "refused"


def test_closing_to_all_and_opening_one_provider_lets_only_that_provider_read() -> None:
    mine, other = h.doctor(), h.doctor()
    patient = h.patient()
    h.encounter(mine, patient)
    consent(patient, "close")
    consent(patient, "open", mine.hospital)
    assert client(mine.code).get(record_url(patient)).status_code == 200
    problem(client(other.code).get(record_url(patient)), 403)
    consent(patient, "open")
    assert client(other.code).get(record_url(patient)).status_code == 200


def test_closing_to_one_provider_leaves_the_others_allowed() -> None:
    closed, other = h.doctor(), h.doctor()
    patient = h.patient()
    h.encounter(closed, patient)
    consent(patient, "close", closed.hospital)
    problem(client(closed.code).get(record_url(patient)), 403)
    assert client(other.code).get(record_url(patient)).status_code == 200
    consent(patient, "open", closed.hospital)
    assert client(closed.code).get(record_url(patient)).status_code == 200


def test_emergency_access_is_allowed_logged_and_flagged_to_patient_and_ministry() -> None:
    doctor, patient = h.doctor(), h.patient()
    h.encounter(doctor, patient)
    consent(patient, "close")
    response = client(doctor.code).get(
        record_url(patient), {"emergency_reason": "unconscious in the ER"}
    )
    assert response.status_code == 200
    assert response.json()["emergency"] is True
    mine = _users[patient].get("/api/v1/me/data-tracker/").json()["results"]
    assert [(r["emergency"], r["purpose"]) for r in mine] == [
        (True, "emergency: unconscious in the ER")
    ]
    ministry = client(h.ministry())
    flagged = ministry.get("/api/v1/health/emergency-accesses/").json()["results"]
    assert [(r["reader_code"], r["emergency"]) for r in flagged] == [(doctor.code, True)]


def test_a_patient_cannot_read_another_patients_record_by_changing_the_code() -> None:
    doctor = h.doctor()
    alice, bob = h.patient("Alice", "Mets"), h.patient("Bob", "Kivi")
    h.encounter(doctor, alice, summary="Alice's secret")
    h.encounter(doctor, bob, summary="Bob's own")
    bobs = client(bob)
    body = problem(bobs.get(record_url(alice)), 403)
    assert "Alice's secret" not in str(body)
    own = bobs.get("/api/v1/me/health/").json()
    assert own["patient"] == bob
    assert [e["content"]["summary"] for e in own["entries"]] == ["Bob's own"]
    # The attempt is on Alice's tracker as a refused read.
    assert ReadRecord.objects.get(subject_code=alice, reader_code=bob).outcome == "refused"


def test_a_representative_reads_the_record() -> None:
    doctor, patient, parent = h.doctor(), h.patient(), h.patient("Ema", "Tamm")
    h.encounter(doctor, patient)
    payload = {"representative": parent}
    response = client(patient).post(
        "/api/v1/me/health/representatives/",
        h.signed(payload, "appoint-representative", (patient, key(patient)), (parent, key(parent))),
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["representatives"] == [parent]
    assert client(parent).get(record_url(patient)).status_code == 200
    removed = client(patient).post(
        "/api/v1/me/health/representatives/removal/",
        h.signed(payload, "remove-representative", (patient, key(patient))),
        format="json",
    )
    assert removed.status_code == 200, removed.content
    assert removed.json()["representatives"] == []
    problem(client(parent).get(record_url(patient)), 403)


def test_an_invalid_icd10_code_is_a_problem_and_nothing_is_written() -> None:
    doctor, patient = h.doctor(), h.patient()
    body = problem(
        client(doctor.code).post(
            f"{record_url(patient)}encounters/",
            {
                "provider": doctor.hospital,
                "summary": "x",
                "diagnoses": ["45.0"],
                "occurred_on": "2026-01-10",
                "signature": "00" * 64,
            },
            format="json",
        ),
        400,
    )
    assert "not an ICD-10 code" in body["detail"]
    assert EntryRecord.objects.count() == 0


def test_a_doctor_signs_the_entry_message_and_records_an_encounter() -> None:
    doctor, patient = h.doctor(), h.patient()
    doctor_client = client(doctor.code)
    entry = {
        "provider": doctor.hospital,
        "summary": "Sprained ankle",
        "diagnoses": ["S93.4"],
        "occurred_on": "2026-02-01",
    }
    message = doctor_client.post(
        f"{record_url(patient)}entry-message/", {"kind": "encounter", **entry}, format="json"
    ).json()["message"]
    signature = doctor.key.sign(bytes.fromhex(message)).hex()
    response = doctor_client.post(
        f"{record_url(patient)}encounters/", {**entry, "signature": signature}, format="json"
    )
    assert response.status_code == 201, response.content
    assert EntryRecord.objects.get().kind == "encounter"


def test_an_unlicensed_person_cannot_write_entries() -> None:
    patient, stranger = h.patient(), h.patient("Kalle", "Kaval")
    problem(
        client(stranger).post(
            f"{record_url(patient)}encounters/", {"provider": "x"}, format="json"
        ),
        403,
    )


def test_a_pharmacist_lists_and_dispenses_but_not_an_expired_prescription() -> None:
    doctor, patient = h.doctor(), h.patient()
    pharmacist, pharmacy = h.pharmacist()
    today = timezone.localdate()
    valid = h.prescription(doctor, patient, issued_on=today - timedelta(days=1), medicine="Aspirin")
    expired = h.prescription(doctor, patient, issued_on=today - timedelta(days=40), days=30)
    pharmacy_client = client(pharmacist)
    listed = pharmacy_client.get(f"{record_url(patient)}prescriptions/").json()
    assert [(p["number"], p["medicine"]) for p in listed] == [(valid, "Aspirin")]
    url = f"{record_url(patient)}prescriptions/{{}}/dispensing/"
    ok = pharmacy_client.post(url.format(valid), {"pharmacy": pharmacy}, format="json")
    assert ok.status_code == 200, ok.content
    problem(pharmacy_client.post(url.format(valid), {"pharmacy": pharmacy}, format="json"), 409)
    body = problem(
        pharmacy_client.post(url.format(expired), {"pharmacy": pharmacy}, format="json"), 409
    )
    assert "expired on" in body["detail"]
    assert EntryRecord.objects.get(number=expired).dispensed_on is None


def test_my_data_tracker_names_the_doctor_and_the_hospital() -> None:
    doctor, patient = h.doctor(), h.patient()
    h.encounter(doctor, patient)
    assert client(doctor.code).get(record_url(patient)).status_code == 200
    (read,) = client(patient).get("/api/v1/me/data-tracker/").json()["results"]
    assert read["reader_code"] == doctor.code
    assert read["reader_name"] == "Jaan Kask"
    assert read["reader_organisation"] == doctor.hospital
    assert read["reader_organisation_name"] == "Tartu Ülikooli Kliinikum"
