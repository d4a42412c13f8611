"""A covert read needs an authorisation that names the person (issue 14, item 2).

Citing any criminal case used to hide a read from the person's data tracker.
Now a read is covert only when a court decision in that case authorises covert
reads of that person's data in that registry, or when an investigator reads
the data of a party of the case; otherwise it is refused, and the refusal is
on the person's tracker in the open. A refused read is never covert.
"""

from __future__ import annotations

from typing import Any

import pytest

from registries.tracker.models import CovertCommitmentRecord, ReadRecord
from tests.registries.court import helpers as court
from tests.registries.health import helpers as h
from tests.registries.identity import helpers as identity

pytestmark = pytest.mark.usefixtures("event_store")


def my_tracker(code: str) -> list[dict[str, Any]]:
    response = identity.token_client(code).get("/api/v1/me/data-tracker/")
    assert response.status_code == 200
    results: list[dict[str, Any]] = response.json()["results"]
    return results


def read_record(reader: str, patient: str, case: str) -> Any:
    return identity.token_client(reader).get(
        f"/api/v1/health/patients/{patient}/", {"covert_investigation": case}
    )


def authorise(case: court.CaseSetup, persons: list[str], registries: list[str]) -> Any:
    return identity.token_client(case.judge).post(
        f"/api/v1/court/cases/{case.number}/covert-access/",
        {"persons": persons, "registries": registries},
        format="json",
    )


def test_citing_an_unrelated_criminal_case_is_refused_and_tracked_in_the_open() -> None:
    doctor, patient = h.doctor(), h.patient()
    h.encounter(doctor, patient)
    unrelated = court.open_case("criminal", title="Theft of a bicycle")
    court.add_party(unrelated, court.person("Jüri", "Mets"), "accused")
    response = read_record(doctor.code, patient, unrelated.number)
    assert response.status_code == 403, response.content
    assert "covert" in response.json()["detail"]
    assert not CovertCommitmentRecord.objects.exists()
    lines = my_tracker(patient)
    assert [(r["reader_code"], r["outcome"], r["covert"]) for r in lines] == [
        (doctor.code, "refused", False)
    ]


def test_a_court_decision_naming_the_person_makes_the_read_covert() -> None:
    doctor, patient = h.doctor(), h.patient()
    h.encounter(doctor, patient)
    case = court.open_case("criminal", title="Prescription fraud")
    court.add_party(case, patient, "accused")
    assert authorise(case, [patient], ["health"]).status_code == 201
    response = read_record(doctor.code, patient, case.number)
    assert response.status_code == 200, response.content
    assert CovertCommitmentRecord.objects.count() == 1
    assert my_tracker(patient) == []


def test_an_authorisation_for_another_registry_does_not_cover_health() -> None:
    doctor, patient = h.doctor(), h.patient()
    h.encounter(doctor, patient)
    case = court.open_case("criminal", title="Prescription fraud")
    court.add_party(case, patient, "accused")
    assert authorise(case, [patient], ["court"]).status_code == 201
    assert read_record(doctor.code, patient, case.number).status_code == 403
    assert not CovertCommitmentRecord.objects.exists()
    assert [r["outcome"] for r in my_tracker(patient)] == ["refused"]


def test_only_parties_of_a_criminal_case_can_be_named_by_its_judge() -> None:
    patient = h.patient()
    case = court.open_case("criminal", title="Prescription fraud")
    response = authorise(case, [patient], ["health"])
    assert response.status_code == 400
    assert "not a party" in response.json()["detail"]
    civil = court.open_case("civil")
    court.add_party(civil, patient, "defendant")
    assert authorise(civil, [patient], ["health"]).status_code == 400
    court.add_party(case, patient, "accused")
    stranger = identity.token_client(court.judge()).post(
        f"/api/v1/court/cases/{case.number}/covert-access/",
        {"persons": [patient], "registries": ["health"]},
        format="json",
    )
    assert stranger.status_code == 403


def test_an_investigator_reads_covertly_only_the_parties_of_the_case() -> None:
    accused, bystander = h.patient(), h.patient("Jüri", "Mets")
    case = court.open_case("criminal", title="Fraud")
    court.add_party(case, accused, "accused")
    investigator = identity.official("court", "investigator")
    client = identity.token_client(investigator)
    response = client.get(
        f"/api/v1/court/cases/{case.number}/", {"covert_investigation": case.number}
    )
    assert response.status_code == 200, response.content
    assert my_tracker(accused) == []
    assert CovertCommitmentRecord.objects.count() == 1

    other = court.open_case("criminal", title="Assault")
    court.add_party(other, bystander, "accused")
    response = client.get(
        f"/api/v1/court/cases/{other.number}/", {"covert_investigation": case.number}
    )
    assert response.status_code == 403
    assert [(r["reader_code"], r["outcome"]) for r in my_tracker(bystander)] == [
        (investigator, "refused")
    ]
    assert CovertCommitmentRecord.objects.count() == 1


def test_a_refused_read_is_never_covert() -> None:
    doctor, patient = h.doctor(), h.patient()
    h.encounter(doctor, patient)
    case = court.open_case("criminal", title="Prescription fraud")
    court.add_party(case, patient, "accused")
    assert authorise(case, [patient], ["health"]).status_code == 201
    pharmacist, _ = h.pharmacist()  # not a doctor: the record is refused to them
    response = read_record(pharmacist, patient, case.number)
    assert response.status_code == 403
    assert not CovertCommitmentRecord.objects.exists()
    line = ReadRecord.objects.get(subject_code=patient)
    assert (line.reader_code, line.outcome, line.covert) == (pharmacist, "refused", False)
    assert [r["outcome"] for r in my_tracker(patient)] == ["refused"]
