"""Who may read a patient's record, and the tracked, audited opening of it.

Every read of a record by anyone but the patient -- allowed or refused --
is recorded on the data tracker's chain before anything is shown
(:func:`registries.tracker.services.record_read`). The rules:

* the **patient** reads their own record (``/api/v1/me/health/``), not tracked;
* a **representative** the patient appointed reads it;
* a **doctor** licensed at a provider (hospital) reads it unless the patient
  closed the record to that provider (or to all); then only with an
  ``emergency_reason`` (break glass), always allowed, flagged to the patient
  and the ministry;
* a **pharmacist** sees the prescriptions that can still be dispensed;
* anyone else is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from chain.verify import EntryRow
from registries.common.errors import NotFound, RegistryError
from registries.common.texts import N_, Message
from registries.health import keystore
from registries.health.application import licensed_at
from registries.health.domain import PRESCRIPTION, check_text
from registries.health.models import EntryRecord, PatientRecord
from registries.identity.models import AppointmentRecord
from registries.identity.services import has_role
from registries.tracker.domain import ALLOWED, REFUSED
from registries.tracker.services import record_read


class ReadRefused(RegistryError):
    """The reader may not read this record (the refusal is tracked)."""

    status = 403
    title = N_("Access to the health record refused")
    slug = "access-refused"


@dataclass(frozen=True)
class Reader:
    """Who reads, for which provider, why, under which investigation (if covert)."""

    code: str
    purpose: str
    provider: str = ""
    emergency_reason: str = ""
    investigation: str = ""


def patient_record(patient: str) -> PatientRecord:
    """The patient's record read model, or NotFound."""
    found = PatientRecord.objects.filter(subject=keystore.subject_of(patient)).first()
    if found is None:
        raise NotFound(Message(N_("patient: no health record for {patient}"), {"patient": patient}))
    return found


def allows(record: PatientRecord, provider: str) -> bool:
    """The patient's consent towards this provider, from the read model."""
    state = record.consents.filter(provider=provider).values_list("state", flat=True).first()
    if state == "closed":
        return False
    return not record.closed_to_all or state == "opened"


def doctor_provider(doctor: str, provider: str) -> str:
    """The provider the doctor reads for: the one named, or their only hospital."""
    if provider:
        return provider
    places = list(
        AppointmentRecord.objects.filter(
            person__personal_code=doctor, registry="health", role="doctor", active=True
        ).values_list("organisation_code", flat=True)
    )
    return places[0] if len(places) == 1 else ""


def _track(reader: Reader, patient: str, what: str, outcome: str, emergency: bool) -> None:
    purpose = reader.purpose
    if emergency:
        purpose = f"emergency: {reader.emergency_reason}"
    record_read(
        reader=reader.code,
        subjects=[patient],
        registry="health",
        what=what,
        purpose=purpose,
        outcome=outcome,
        emergency=emergency,
        investigation=reader.investigation,
    )


def read_record(reader: Reader, patient: str) -> dict[str, Any]:
    """The opened record for ``reader``, or ReadRefused; the read is tracked either way."""
    record = patient_record(patient)
    what = "health record"
    if reader.code == patient:
        return opened(record, patient, reader.code, emergency=False)
    if reader.code and any(
        r.subject == keystore.subject_of(reader.code) for r in record.representatives.all()
    ):
        _track(reader, patient, what, ALLOWED, emergency=False)
        return opened(record, patient, reader.code, emergency=False)
    provider = doctor_provider(reader.code, reader.provider)
    if not (provider and licensed_at(reader.code, "doctor", provider)):
        _track(reader, patient, what, REFUSED, emergency=False)
        raise ReadRefused(
            N_(
                "only the patient, their representative or a doctor licensed at a provider (name "
                "it with ?provider=) may read a health record"
            )
        )
    # A stated emergency is recorded and flagged as one even where consent would
    # have allowed the read: the reason is what the patient and ministry review.
    emergency = bool(reader.emergency_reason)
    if emergency:
        check_text(reader.emergency_reason, "emergency_reason")
    if emergency or allows(record, provider):
        _track(reader, patient, f"{what} (for provider {provider})", ALLOWED, emergency=emergency)
        return opened(record, patient, reader.code, emergency=emergency)
    _track(reader, patient, f"{what} (for provider {provider})", REFUSED, emergency=False)
    raise ReadRefused(
        Message(
            N_(
                "the patient has closed their record to provider {provider}; in an emergency, "
                "state the reason with ?emergency_reason=... (always allowed, logged and reported "
                "to the patient and the ministry)"
            ),
            {"provider": provider},
        )
    )


def read_prescriptions(reader: Reader, patient: str, today: date) -> list[dict[str, Any]]:
    """Prescriptions a pharmacist can still dispense (tracked)."""
    record = patient_record(patient)
    if not has_role(reader.code, "health", "pharmacist"):
        _track(reader, patient, "prescriptions", REFUSED, emergency=False)
        raise ReadRefused(N_("only a licensed pharmacist may list a patient's prescriptions"))
    _track(reader, patient, "prescriptions that can be dispensed", ALLOWED, emergency=False)
    if record.erased:
        raise keystore.DataErased(N_("the person's health data has been erased"))
    purpose = f"pharmacist {reader.code}: {reader.purpose}"
    result = []
    for entry in record.entry_set.filter(
        kind=PRESCRIPTION, dispensed_on=None, expires_on__gte=today
    ):
        content = _content(entry, reader.code, purpose)
        result.append(
            {
                "number": entry.number,
                "medicine": content["medicine"],
                "dosage": content["dosage"],
                "issued_on": entry.on,
                "expires_on": entry.expires_on,
                "doctor": entry.doctor,
            }
        )
    return result


def _content(entry: EntryRecord, actor: str, purpose: str) -> dict[str, Any]:
    if entry.sealed is None:
        raise keystore.DataErased(N_("the person's health data has been erased"))
    content = keystore.open_sealed(entry.sealed, actor, purpose)
    content.pop("patient", None)
    content.pop("signature", None)
    return content


def opened(record: PatientRecord, patient: str, actor: str, *, emergency: bool) -> dict[str, Any]:
    """The record with its entries and representatives opened (every key use audited)."""
    if record.erased:
        raise keystore.DataErased(N_("the person's health data has been erased"))
    purpose = f"read by {actor}" + (" (emergency)" if emergency else "")
    return {
        "patient": patient,
        "closed_to_all": record.closed_to_all,
        "consents": [
            {"provider": c.provider, "state": c.state} for c in record.consents.order_by("provider")
        ],
        "representatives": [
            keystore.open_sealed(r.sealed, actor, purpose)["representative"]
            for r in record.representatives.all()
            if r.sealed is not None
        ],
        "entries": [
            {
                "number": e.number,
                "kind": e.kind,
                "provider": e.provider,
                "doctor": e.doctor,
                "on": e.on,
                "expires_on": e.expires_on,
                "dispensed_on": e.dispensed_on,
                "pharmacy": e.pharmacy,
                "content": _content(e, actor, purpose),
                "ledger_seq": e.ledger_seq,
            }
            for e in record.entry_set.all()
        ],
        "emergency": emergency,
        "version": record.version,
    }


def patient_code_of(record: PatientRecord, actor: str, purpose: str) -> str | None:
    """The patient's code, opened from the record (None after erasure)."""
    if record.sealed_patient is None:
        return None
    try:
        code: str = keystore.open_sealed(record.sealed_patient, actor, purpose)["patient"]
    except keystore.DataErased:
        return None
    return code


def track_admin_read(records: list[PatientRecord], reader: str, what: str) -> None:
    """A ministry official saw these records in the admin (metadata only): one tracked
    read of their patients (those not erased)."""
    patients = [patient_code_of(record, reader, "track an admin read") for record in records]
    record_read(
        reader=reader,
        subjects=[code for code in patients if code is not None],
        registry="health",
        what=what,
        purpose="supervision (admin)",
    )


def entry_subjects(row: EntryRow) -> list[str]:
    """The patient a health ledger entry is about, opened from the record (no one after
    erasure): its subject on the chain API, registered in
    :class:`registries.health.apps.HealthConfig`."""
    record = PatientRecord.objects.filter(aggregate_id=row.originator_id).first()
    code = (
        patient_code_of(record, "chain", "name the subject of a ledger entry") if record else None
    )
    return [code] if code else []
