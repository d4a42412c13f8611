"""Crypto-shredding: after erasure no table and no export holds the patient's health
plaintext, the key store shows the destruction, and the chain still verifies."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

from chain.blocks.sealing import seal_pending
from chain.ledger.models import LedgerEntry
from chain.verify import main as verify_main
from registries.health.models import KeyAccess, PersonKey
from tests.registries.health import helpers as h
from tests.registries.identity import helpers as identity

pytestmark = pytest.mark.usefixtures("event_store")

SUMMARY = "Zebrafish allergy, case note 4711-kappa"
MEDICINE = "Unobtainium-9 retard tablets"
DOSAGE = "one tablet at moonrise"


def forms(text: str) -> list[bytes]:
    """The ways a string could be stored: as UTF-8, as hex, as base64."""
    raw = text.encode()
    return [raw, raw.hex().encode(), base64.b64encode(raw)]


def database_dump() -> bytes:
    """Every row of every table in the database, as bytes."""
    dump = io.BytesIO()
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            for row in cursor.fetchall():
                for value in row:
                    if isinstance(value, bytes | memoryview | bytearray):
                        dump.write(bytes(value))
                    else:
                        dump.write(str(value).encode())
                    dump.write(b"\x1f")
    return dump.getvalue()


def found_in(haystack: bytes, text: str) -> bool:
    return any(form in haystack for form in forms(text))


def test_after_erasure_no_table_and_no_export_holds_the_plaintext_and_the_chain_verifies(
    tmp_path: Path,
) -> None:
    doctor, patient, parent = h.doctor(), h.patient(), h.patient("Ema", "Tamm")
    h.encounter(doctor, patient, summary=SUMMARY, diagnoses=["T78.1"])
    h.prescription(doctor, patient, medicine=MEDICINE, dosage=DOSAGE)
    h.run(lambda a: a.appoint_representative(patient, parent, patient))
    seal_pending()

    # Before: the data is readable through the API (the keys work) ...
    before = identity.token_client(doctor.code).get(f"/api/v1/health/patients/{patient}/")
    assert before.status_code == 200
    assert SUMMARY in before.content.decode()
    # ... and the scan does find what is stored in the clear (the scan works).
    dump = database_dump()
    assert found_in(dump, doctor.hospital)

    ministry = identity.token_client(h.ministry())
    erased = ministry.post(
        f"/api/v1/health/patients/{patient}/erasure/",
        {"reason": "the patient's request under GDPR art. 17"},
        format="json",
    )
    assert erased.status_code == 200, erased.content
    seal_pending()

    dump = database_dump()
    for secret in (SUMMARY, MEDICINE, DOSAGE, "T78.1"):
        assert not found_in(dump, secret), secret
    bundle = tmp_path / "bundle.jsonl"
    call_command("chain", "export", "--out", str(bundle), "--no-progress", stdout=io.StringIO())
    exported = bundle.read_bytes()
    assert found_in(exported, doctor.hospital)  # the export holds the health log in the clear
    # (The representative's code is in the identity log, as every person's is.)
    for secret in (SUMMARY, MEDICINE, DOSAGE, "T78.1"):
        assert not found_in(exported, secret), secret

    # The key is gone, and its destruction audited and on the chain.
    key = PersonKey.objects.get()
    assert key.wrapped is None
    assert key.destroyed_at is not None
    assert KeyAccess.objects.filter(key_id=key.key_id, action=KeyAccess.DESTROY).count() == 1
    assert LedgerEntry.objects.filter(registry="health", topic__endswith="Erased").count() == 1

    # Nobody can read it any more, and the refusal is audited.
    gone = identity.token_client(patient).get("/api/v1/me/health/")
    assert gone.status_code == 410
    assert gone.json()["title"] == "The person's health data has been erased"

    call_command("chain", "verify", "--no-progress", stdout=io.StringIO())
    assert verify_main([str(bundle)]) == 0


def test_erasure_of_a_patient_without_a_record_is_refused() -> None:
    patient = h.patient()
    response = identity.token_client(h.ministry()).post(
        f"/api/v1/health/patients/{patient}/erasure/", {"reason": "request"}, format="json"
    )
    assert response.status_code == 404


def test_only_the_ministry_erases() -> None:
    doctor, patient = h.doctor(), h.patient()
    h.encounter(doctor, patient)
    response = identity.token_client(doctor.code).post(
        f"/api/v1/health/patients/{patient}/erasure/", {"reason": "request"}, format="json"
    )
    assert response.status_code == 403
    assert PersonKey.objects.get().wrapped is not None
