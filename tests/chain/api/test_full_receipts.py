"""Receipts with payloads: only an auditor of the registry gets one, and it is a tracked read.

The public receipt (anyone) leaves the payload out and still verifies; the
full one (``.../receipt/full/``) is for a token of an official with the
``auditor`` role of that registry, and before it is answered the data
tracker records a read for every person the entry is about (DESIGN §8).
"""

from __future__ import annotations

import io
from uuid import UUID

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from chain.blocks.sealing import seal_pending
from chain.ledger.models import LedgerEntry
from chain.verify import PAYLOADS_OMITTED, verify_receipt
from registries.court.models import PartyRecord
from registries.health import keystore
from registries.health.models import PatientRecord
from registries.identity.models import PersonRecord
from registries.tracker.models import ReadRecord
from tests.factories import register_company
from tests.registries.identity.helpers import official, token_client

pytestmark = pytest.mark.usefixtures("event_store")
CHAIN = "/api/v1/chain/logs"


def _first_entry(registry: str, aggregate_id: UUID) -> int:
    entry = LedgerEntry.objects.filter(registry=registry, originator_id=aggregate_id)
    return int(entry.order_by("seq").values_list("seq", flat=True)[0])


def test_anyone_gets_a_public_receipt_without_the_payload_that_still_verifies() -> None:
    register_company()
    seal_pending()
    receipt = APIClient().get(f"{CHAIN}/business/entries/1/receipt/").json()
    assert receipt["payloads"] == PAYLOADS_OMITTED
    assert "payload" not in receipt["entry"]
    lines = verify_receipt(receipt)
    assert (
        "registry business seq 1: entry hash OK (registries.business.domain:Company.Registered); "
        "public receipt: the payload is omitted, so its payload hash was not re-hashed"
    ) in lines


def test_a_full_receipt_is_refused_to_anyone_but_an_auditor_of_that_registry() -> None:
    register_company()
    seal_pending()
    url = f"{CHAIN}/business/entries/1/receipt/full/"
    assert APIClient().get(url).status_code == 401
    judge = token_client(official("court", "judge"))
    assert judge.get(url).status_code == 403
    health_auditor = token_client(official("health", "auditor"))
    refused = health_auditor.get(url)
    assert refused.status_code == 403
    assert "only an auditor of this registry" in refused.json()["detail"]
    auditor = token_client(official("business", "auditor"))
    full = auditor.get(url).json()
    assert "payload" in full["entry"]
    assert "payloads" not in full
    assert "payload hash and entry hash OK" in verify_receipt(full)[1]


def test_an_auditors_full_receipt_of_identity_court_and_health_entries_is_tracked() -> None:
    call_command(
        "demo", persons=8, companies=1, units=1, cases=4, patients=2, seed=5, stdout=io.StringIO()
    )
    party = PartyRecord.objects.filter(party_kind="person").select_related("case").first()
    assert party is not None
    person = PersonRecord.objects.order_by("personal_code").first()
    assert person is not None
    patient = PatientRecord.objects.first()
    assert patient is not None
    patient_code = next(
        code
        for code in PersonRecord.objects.values_list("personal_code", flat=True)
        if keystore.subject_of(code) == patient.subject
    )
    reads = [
        ("identity", _first_entry("identity", person.aggregate_id), person.personal_code),
        ("court", _first_entry("court", party.case.aggregate_id), party.code),
        ("health", _first_entry("health", patient.aggregate_id), patient_code),
    ]
    for registry, seq, subject in reads:
        auditor = official(registry, "auditor")
        response = token_client(auditor).get(
            f"{CHAIN}/{registry}/entries/{seq}/receipt/full/?purpose=annual+audit"
        )
        assert response.status_code == 200, response.content
        assert "payload" in response.json()["entry"]
        read = ReadRecord.objects.get(subject_code=subject, reader_code=auditor)
        assert read.registry == registry
        assert read.what == f"full receipt of {registry} ledger entry {seq}"
        assert read.purpose == "annual audit"
