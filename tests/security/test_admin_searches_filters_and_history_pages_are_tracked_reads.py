"""Searching, filtering and history pages of the admin are tracked reads (issue 14, item 8).

A judge who searched the admin's court case list by a personal code saw that
person's criminal cases untracked. Every page that finds a person's health or
court data names them on their data tracker.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from registries.health.models import PatientRecord
from registries.tracker.models import ReadRecord
from tests.registries.court import helpers as court
from tests.registries.health import helpers as h
from tests.registries.identity import helpers as identity

pytestmark = pytest.mark.usefixtures("event_store")


def browser(code: str) -> Client:
    client = Client()
    client.force_login(identity.user_for(code, staff=True))
    return client


def lines(subject: str, reader: str) -> list[str]:
    return list(
        ReadRecord.objects.filter(subject_code=subject, reader_code=reader).values_list(
            "what", flat=True
        )
    )


def test_a_judge_searching_cases_by_a_personal_code_is_tracked() -> None:
    accused = h.patient("Jüri", "Mets")
    case = court.open_case("criminal", title="Fraud")
    court.add_party(case, accused, "accused")
    judge = court.judge()
    listing = browser(judge).get(reverse("admin:court_caserecord_changelist"), {"q": accused})
    assert listing.status_code == 200
    assert case.number in listing.content.decode()
    assert lines(accused, judge) == ["cases found by a search or filter (admin)"]


def test_filtering_the_case_list_and_a_case_history_are_tracked() -> None:
    accused = h.patient("Jüri", "Mets")
    case = court.open_case("criminal", title="Fraud")
    court.add_party(case, accused, "accused")
    judge = court.judge()
    client = browser(judge)
    assert (
        client.get(reverse("admin:court_caserecord_changelist"), {"kind": "criminal"}).status_code
        == 200
    )
    history = client.get(reverse("admin:court_caserecord_history", args=[case.number]))
    assert history.status_code == 200
    assert lines(accused, judge) == [
        f"case {case.number} history (admin)",
        "cases found by a search or filter (admin)",
    ]


def test_filtering_health_records_and_their_history_are_tracked() -> None:
    doctor, patient = h.doctor(), h.patient()
    h.encounter(doctor, patient)
    h.run(lambda a: a.close_access(patient, "", patient))
    ministry = h.ministry()
    client = browser(ministry)
    listing = client.get(
        reverse("admin:health_patientrecord_changelist"), {"closed_to_all__exact": "1"}
    )
    assert listing.status_code == 200
    record = PatientRecord.objects.get()
    history = client.get(reverse("admin:health_patientrecord_history", args=[record.pk]))
    assert history.status_code == 200
    assert lines(patient, ministry) == [
        "health record history (admin)",
        "health records found by a filter (admin)",
    ]
