"""Nothing about a patient's record names the patient in clear (issue 14).

The record is pseudonymous: named by a peppered HMAC, everything personal
sealed with the patient's key. Two things still tied it to the patient: the
patient's own acts recorded their code as the event's actor (the demo passed it
for consent changes), and the key store's audit rows linked the code of a
patient reading their own record to their key id. Now an act by the patient
names the role, whoever passes the code, and the audit rows keep who and why
sealed; only a health auditor's read, itself tracked, opens them.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.cache import cache
from django.db import connection

from chain.ledger.models import LedgerEntry
from chain.ledger.sqlite import events_table
from registries.health.application import THE_PATIENT
from registries.health.domain import record_id
from registries.health.keystore import subject_of
from registries.health.reading import Reader, read_record
from registries.tracker.models import ReadRecord
from tests.registries.health import helpers as h
from tests.registries.identity import helpers as identity

pytestmark = pytest.mark.usefixtures("event_store")


@pytest.fixture(autouse=True)
def _no_throttle_history() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


def health_rows() -> str:
    """Every row of the health registry's events and tables, and its ledger entries."""
    tables = [events_table("health")] + [
        table
        for table in connection.introspection.table_names()
        if table.startswith("health_") or table == LedgerEntry._meta.db_table
    ]
    rows: list[str] = []
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            rows.extend(
                repr(bytes(value) if isinstance(value, memoryview) else value)
                for row in cursor.fetchall()
                for value in row
            )
    return "\n".join(rows)


def a_patient_who_acts_on_their_own_record() -> tuple[h.Doctor, str]:
    """A treated patient who, as the demo does, closes and opens their record, appoints
    a representative (each passing their own code as actor) and reads their record."""
    doctor, patient = h.doctor(), h.patient()
    h.encounter(doctor, patient)
    h.run(lambda app: app.close_access(patient, doctor.hospital, patient))
    h.run(lambda app: app.open_access(patient, "", patient))
    representative = h.patient("Jaan", "Kask")
    h.run(lambda app: app.appoint_representative(patient, representative, patient))
    read_record(Reader(code=patient, purpose="own record"), patient)
    return doctor, patient


def test_the_patients_own_acts_and_reads_name_them_nowhere_in_the_health_data() -> None:
    _, patient = a_patient_who_acts_on_their_own_record()
    assert patient not in health_rows()
    events = h.app().recorder.select_events(record_id(subject_of(patient)))
    own = [e for e in events if e.topic.endswith(("AccessClosed", "AccessOpened", "Appointed"))]
    assert len(own) == 3
    assert all(f'"actor":"{THE_PATIENT}"'.encode() in e.state for e in own)


def test_only_a_health_auditors_tracked_read_opens_the_key_store_audit() -> None:
    doctor, patient = a_patient_who_acts_on_their_own_record()
    url = f"/api/v1/health/patients/{patient}/key-accesses/"
    assert identity.token_client(doctor.code).get(url).status_code == 403
    refused = ReadRecord.objects.get(subject_code=patient, reader_code=doctor.code)
    assert refused.outcome == "refused"  # the patient sees the attempt

    auditor = identity.official("health", "auditor")
    response = identity.token_client(auditor).get(url, {"purpose": "annual key audit"})
    assert response.status_code == 200, response.content
    lines = response.json()
    assert {line["action"] for line in lines} == {"create", "use"}
    assert patient in {line["actor"] for line in lines}  # their own read
    assert doctor.code in {line["actor"] for line in lines}
    tracked = ReadRecord.objects.get(subject_code=patient, reader_code=auditor)
    assert tracked.purpose == "annual key audit"
