"""Covert reads: only a hash on the chain now, disclosed to the person by a court decision."""

from __future__ import annotations

import json

import pytest

from chain.ledger.models import LedgerEntry
from registries.tracker.domain import commitment_of
from registries.tracker.models import CovertCommitmentRecord, ReadRecord, SealedCovertRead
from tests.registries.court import helpers as court
from tests.registries.health import helpers as h
from tests.registries.identity import helpers as identity

pytestmark = pytest.mark.usefixtures("event_store")


def covert_read() -> tuple[str, str, court.CaseSetup]:
    """A doctor reads a patient's record under a criminal case whose judge authorised covert
    reads of the patient's health data; (patient, commitment, case)."""
    doctor, patient = h.doctor(), h.patient()
    h.encounter(doctor, patient)
    case = court.open_case("criminal", title="Prescription fraud")
    court.add_party(case, patient, "accused")
    court.run(lambda a: a.authorise_covert_access(case.number, [patient], ["health"], case.judge))
    response = identity.token_client(doctor.code).get(
        f"/api/v1/health/patients/{patient}/", {"covert_investigation": case.number}
    )
    assert response.status_code == 200, response.content
    return patient, CovertCommitmentRecord.objects.get().commitment, case


def test_a_covert_read_puts_only_its_hash_on_the_chain() -> None:
    patient, commitment, _case = covert_read()
    assert not ReadRecord.objects.filter(subject_code=patient).exists()
    mine = identity.token_client(patient).get("/api/v1/me/data-tracker/").json()
    assert mine["results"] == []
    sealed = SealedCovertRead.objects.get()
    assert commitment_of(sealed.record, bytes.fromhex(sealed.salt)) == commitment
    assert LedgerEntry.objects.filter(registry="tracker", topic__endswith="Committed").count() == 1


def test_a_final_judgment_discloses_the_read_to_the_person() -> None:
    patient, commitment, case = covert_read()
    number = court.judgment(case, "conviction", summary="Guilty.")
    court.declare_final(case, number)
    judge = identity.token_client(court.judge())
    response = judge.post(
        f"/api/v1/tracker/covert-reads/{commitment}/disclosure/",
        {"case_number": case.number, "judgment": number},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["disclosed"] is True
    mine = identity.token_client(patient).get("/api/v1/me/data-tracker/").json()["results"]
    assert [(r["covert"], r["investigation"], r["disclosed_by"]) for r in mine] == [
        (True, case.number, f"{case.number} judgment {number}")
    ]
    assert not SealedCovertRead.objects.exists()


def test_no_disclosure_without_a_final_judgment_and_nothing_written() -> None:
    _patient, commitment, case = covert_read()
    court.judgment(case, "conviction", summary="Guilty.")  # not final yet
    before = LedgerEntry.objects.filter(registry="tracker").count()
    response = identity.token_client(court.judge()).post(
        f"/api/v1/tracker/covert-reads/{commitment}/disclosure/",
        {"case_number": case.number, "judgment": 1},
        format="json",
    )
    assert response.status_code == 400
    assert "no final judgment" in response.json()["detail"]
    assert LedgerEntry.objects.filter(registry="tracker").count() == before


def test_a_tampered_sealed_record_does_not_match_the_commitment() -> None:
    patient, commitment, case = covert_read()
    number = court.judgment(case, "conviction", summary="Guilty.")
    court.declare_final(case, number)
    sealed = SealedCovertRead.objects.get()
    record = json.loads(json.dumps(sealed.record))
    record["purpose"] = "something else"
    sealed.record = record
    sealed.save()
    response = identity.token_client(court.judge()).post(
        f"/api/v1/tracker/covert-reads/{commitment}/disclosure/",
        {"case_number": case.number, "judgment": number},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["title"] == "The disclosed record does not match the commitment"
    assert not ReadRecord.objects.filter(subject_code=patient).exists()


def test_a_covert_read_needs_an_existing_criminal_case() -> None:
    doctor, patient = h.doctor(), h.patient()
    h.encounter(doctor, patient)
    civil = court.open_case("civil")
    response = identity.token_client(doctor.code).get(
        f"/api/v1/health/patients/{patient}/", {"covert_investigation": civil.number}
    )
    assert response.status_code == 400
    assert not CovertCommitmentRecord.objects.exists()
