"""The health registry's commands, each declared once for the API and the admin.

Doctors record encounters and issue prescriptions (endorsed by their
signature), pharmacists dispense prescriptions, and the ministry (health
registrars) erases a patient's health data by destroying their key
(crypto-shredding), from the API or the admin. The patient's own signed
commands (consents, representatives) are e-services of ``api/views.py``.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from rest_framework import status

from registries.access.catalog import Catalog, Command, Reply, Target
from registries.access.forms import AdminForm
from registries.access.me import person_code
from registries.common.errors import NotFound
from registries.common.texts import N_
from registries.health.api.serializers import (
    CreatedEntrySerializer,
    DispensingInSerializer,
    EncounterInSerializer,
    ErasureInSerializer,
    PrescriptionInSerializer,
)
from registries.health.api.views import CODE, TAGS, Doctor, Ministry, Pharmacist
from registries.health.application import HealthRegistry
from registries.health.models import PatientRecord
from registries.health.projections import PROJECTIONS
from registries.health.reading import patient_code_of


def _patient_of(record: PatientRecord, who: str) -> dict[str, Any]:
    """The patient's code behind an admin record (a tracked read), for erasure."""
    patient = patient_code_of(record, who, "erasure")
    if patient is None:
        raise NotFound(N_("the record's key is already destroyed"))
    return {"code": patient}


PATIENT = Target(route="patients/<str:code>/", tags=TAGS, parameters=(CODE,), key=_patient_of)
# A new encounter or prescription is answered with its number.
CREATED_ENTRY = Reply(CreatedEntrySerializer, lambda request, data, number: {"number": number})
PROBLEMS = (400, 401, 403, 404, 410)


COMMANDS = Catalog(
    HealthRegistry,
    PROJECTIONS,
    [
        Command(
            name="encounter",
            title=N_("Record encounter"),
            target=PATIENT,
            permission=Doctor,
            reply=CREATED_ENTRY,
            input=EncounterInSerializer,
            route="encounters/",
            url_name="encounters",
            summary="Record an encounter (doctors)",
            description=(
                "Record an encounter with diagnoses (doctors, endorsed by their signature)."
            ),
            status=status.HTTP_201_CREATED,
            problems=PROBLEMS,
            caller=lambda request: {"doctor": person_code(request)},
            run=lambda app, data, who: app.record_encounter(
                data["code"],
                data["provider"],
                data["doctor"],
                data["summary"],
                data["diagnoses"],
                data["occurred_on"],
                data["signature"],
                who,
            ),
        ),
        Command(
            name="prescription",
            title=N_("Issue prescription"),
            target=PATIENT,
            permission=Doctor,
            reply=CREATED_ENTRY,
            input=PrescriptionInSerializer,
            route="prescriptions/",
            url_name="prescriptions",
            summary="Issue a prescription (doctors)",
            status=status.HTTP_201_CREATED,
            problems=PROBLEMS,
            caller=lambda request: {"doctor": person_code(request)},
            run=lambda app, data, who: app.issue_prescription(
                data["code"],
                data["provider"],
                data["doctor"],
                data["medicine"],
                data["dosage"],
                data["issued_on"],
                data["expires_on"],
                data["signature"],
                who,
            ),
        ),
        Command(
            name="dispensing",
            title=N_("Dispense prescription"),
            target=PATIENT,
            permission=Pharmacist,
            reply=Reply(
                DispensingInSerializer,
                lambda request, data, result: {
                    "number": data["number"],
                    "dispensed_on": timezone.localdate(),
                },
            ),
            input=DispensingInSerializer,
            route="prescriptions/<int:number>/dispensing/",
            url_name="dispensing",
            summary="Dispense a prescription (pharmacists)",
            description="Dispense a prescription (pharmacists).",
            problems=(400, 401, 403, 404, 409),
            caller=lambda request: {"pharmacist": person_code(request)},
            run=lambda app, data, who: app.dispense(
                data["code"],
                data["number"],
                data["pharmacy"],
                data["pharmacist"],
                timezone.localdate(),
                who,
            ),
        ),
        Command(
            name="erase",
            title=N_("Erase (crypto-shred)"),
            target=PATIENT,
            permission=Ministry,
            reply=Reply(
                ErasureInSerializer,
                lambda request, data, result: {"erased": True, "reason": data["reason"]},
            ),
            input=ErasureInSerializer,
            route="erasure/",
            url_name="erasure",
            summary="Erase a patient's health data (crypto-shredding; the ministry)",
            description="Erase a patient's health data by destroying their key (the ministry).",
            problems=PROBLEMS,
            form=AdminForm(),
            done=N_("Record erased: the patient's key is destroyed"),
            available=lambda record: not record.erased,
            run=lambda app, data, who: app.erase(data["code"], data["reason"], who),
        ),
    ],
)
