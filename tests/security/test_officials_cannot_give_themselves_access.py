"""Officials cannot give themselves access to health or court data (issue 14, item 9).

The identity registrar could appoint themselves doctor and read health records.
Nobody appoints, or confirms the appointment of, themselves; an appointment to a
role that reads persons' health or court data is proposed by one identity
registrar and takes effect only when a different one confirms it (four eyes).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from chain.ledger.models import LedgerEntry
from registries.identity import services
from registries.identity.models import AppointmentRecord
from tests.registries.health import helpers as h
from tests.registries.identity import helpers as identity

pytestmark = pytest.mark.usefixtures("event_store")

OFFICIALS = "/api/v1/identity/officials/"


def entries() -> int:
    return LedgerEntry.objects.filter(registry="identity").count()


def doctor_body(code: str, hospital: str) -> dict[str, Any]:
    return {
        "personal_code": code,
        "registry": "health",
        "role": "doctor",
        "organisation_code": hospital,
    }


def test_a_registrar_cannot_appoint_themselves_doctor() -> None:
    registrar = identity.official("identity", "registrar")
    client, hospital = identity.token_client(registrar), h.hospital()
    before = entries()
    response = client.post(OFFICIALS, doctor_body(registrar, hospital), format="json")
    assert response.status_code == 403, response.content
    problem = response.json()
    assert problem["type"].endswith("self-appointment")
    assert "no self-appointment" in problem["detail"]
    assert entries() == before
    assert not services.has_role(registrar, "health", "doctor")


def test_a_doctor_appointment_takes_a_second_registrars_confirmation() -> None:
    first = identity.official("identity", "registrar")
    second = identity.official("identity", "registrar")
    doctor, hospital, patient = identity.person("Jaan", "Kask"), h.hospital(), h.patient()
    h.encounter(h.doctor(hospital), patient)
    proposer = identity.token_client(first)
    response = proposer.post(OFFICIALS, doctor_body(doctor, hospital), format="json")
    assert response.status_code == 201, response.content
    assert response.json()["active"] is False
    assert not services.has_role(doctor, "health", "doctor")
    reader = identity.token_client(doctor)
    assert reader.get(f"/api/v1/health/patients/{patient}/").status_code == 403

    confirmation = f"{OFFICIALS}confirmation/"
    again = proposer.post(confirmation, doctor_body(doctor, hospital), format="json")
    assert again.status_code == 409
    assert again.json()["type"].endswith("four-eyes")
    assert not services.has_role(doctor, "health", "doctor")

    confirmed = identity.token_client(second).post(
        confirmation, doctor_body(doctor, hospital), format="json"
    )
    assert confirmed.status_code == 200, confirmed.content
    assert confirmed.json()["active"] is True
    assert services.has_role(doctor, "health", "doctor")
    # The token made before the appointment acts as a citizen still; one for the role reads.
    assert reader.get(f"/api/v1/health/patients/{patient}/").status_code == 403
    as_doctor = APIClient()
    user = get_user_model().objects.get(username=doctor)
    as_doctor.credentials(HTTP_AUTHORIZATION=f"Token {identity.api_token(user, 'health/doctor')}")
    assert as_doctor.get(f"/api/v1/health/patients/{patient}/").status_code == 200


def test_a_registrar_cannot_confirm_their_own_appointment() -> None:
    first = identity.official("identity", "registrar")
    second = identity.official("identity", "registrar")
    body = {"personal_code": second, "registry": "court", "role": "judge"}
    assert identity.token_client(first).post(OFFICIALS, body, format="json").status_code == 201
    response = identity.token_client(second).post(f"{OFFICIALS}confirmation/", body, format="json")
    assert response.status_code == 403
    assert response.json()["type"].endswith("self-appointment")
    assert not services.has_role(second, "court", "judge")


def test_the_admin_offers_the_confirmation_only_to_another_registrar() -> None:
    first = identity.official("identity", "registrar")
    second = identity.official("identity", "registrar")
    judge = identity.person("Jaan", "Kask")
    identity.run(lambda app: app.appoint_official(judge, "court", "judge", None, first))
    pending = AppointmentRecord.objects.get(person__personal_code=judge, pending=True)
    page = reverse("admin:identity_appointmentrecord_change", args=[pending.pk])
    confirm = reverse("admin:identity_appointmentrecord_command", args=[pending.pk, "confirmation"])

    def browser(code: str) -> Client:
        client = Client()
        client.force_login(identity.user_for(code, staff=True))
        return client

    assert confirm not in browser(first).get(page).content.decode()
    other = browser(second)
    assert confirm in other.get(page).content.decode()
    listing = other.get(reverse("admin:identity_appointmentrecord_changelist"), {"pending": "1"})
    assert judge in listing.content.decode()
    assert other.post(confirm, {"confirm": "on"}).status_code == 302
    assert services.has_role(judge, "court", "judge")
