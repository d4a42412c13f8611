"""The health record aggregate: consent rules, ICD-10 codes, prescriptions (pure)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from registries.common.errors import InvalidCommand
from registries.health.domain import (
    ALL_PROVIDERS,
    AlreadyDispensed,
    HealthRecord,
    InvalidDiagnosisCode,
    PrescriptionExpired,
    RecordErased,
    check_icd10,
    prescription_content,
)

SEALED = {"key_id": "k", "nonce": "00", "ciphertext": "AA=="}
A, B = "10000001", "10000002"
DAY = date(2026, 1, 10)


def record() -> HealthRecord:
    return HealthRecord(subject="s" * 64, key_id="k", sealed=SEALED, actor="p")


@pytest.mark.parametrize("code", ["J45.0", "I10", "e11.9", "S93.401", "U07.1"])
def test_icd10_codes_in_the_usual_forms_are_accepted(code: str) -> None:
    assert check_icd10(code) == code.upper()


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("45.0", "starts with a letter"),
        ("J4", "exactly two digits"),
        ("J450", "after a dot"),
        ("J45.", "after a dot"),
        ("J45.00000", "after a dot"),
    ],
)
def test_malformed_icd10_codes_are_refused_with_the_reason(code: str, reason: str) -> None:
    with pytest.raises(InvalidDiagnosisCode, match=reason):
        check_icd10(code)


def test_a_new_record_is_open_to_every_provider() -> None:
    assert record().allows(A)
    assert record().allows(B)


def test_closing_to_one_provider_refuses_only_that_provider() -> None:
    r = record()
    r.close_access(A, "p")
    assert not r.allows(A)
    assert r.allows(B)
    r.open_access(A, "p")
    assert r.allows(A)


def test_closing_to_all_refuses_everyone_until_a_provider_is_opened() -> None:
    r = record()
    r.close_access(ALL_PROVIDERS, "p")
    assert not r.allows(A)
    assert not r.allows(B)
    r.open_access(A, "p")
    assert r.allows(A)
    assert not r.allows(B)
    r.close_access(A, "p")
    assert not r.allows(A)
    r.open_access(ALL_PROVIDERS, "p")
    assert r.allows(A)
    assert r.allows(B)


def test_closing_what_is_closed_records_nothing() -> None:
    r = record()
    r.close_access(A, "p")
    pending = len(r.pending_events)
    r.close_access(A, "p")
    r.open_access(B, "p")
    assert len(r.pending_events) == pending


def test_a_prescription_is_dispensed_once_and_not_after_expiry() -> None:
    r = record()
    first = r.issue_prescription(A, "d", DAY, DAY + timedelta(days=5), "key", SEALED, "d")
    second = r.issue_prescription(A, "d", DAY, DAY + timedelta(days=5), "key", SEALED, "d")
    r.dispense(first, B, "ph", DAY + timedelta(days=5), "ph")  # the last day still counts
    with pytest.raises(AlreadyDispensed):
        r.dispense(first, B, "ph", DAY, "ph")
    with pytest.raises(PrescriptionExpired):
        r.dispense(second, B, "ph", DAY + timedelta(days=6), "ph")


def test_a_prescription_cannot_expire_before_it_is_issued() -> None:
    with pytest.raises(InvalidCommand, match="cannot expire before"):
        prescription_content("p", "m", "d", DAY, DAY - timedelta(days=1))


def test_an_erased_record_refuses_every_command() -> None:
    r = record()
    r.erase("request", "m")
    with pytest.raises(RecordErased):
        r.close_access(A, "p")
