"""Catching up a projection: every event once, in batches, and the position moved with them."""

from __future__ import annotations

from unittest.mock import ANY

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext

from chain.ledger.models import LedgerEntry
from registries.business.application import BusinessRegistry
from registries.business.domain import company_id
from registries.business.models import CompanyRecord
from registries.business.projections import CompanyProjection
from registries.common import projections
from registries.common.application import running
from registries.common.models import ProjectionPosition
from tests.factories import register_company

pytestmark = pytest.mark.usefixtures("event_store")


def position() -> int:
    return (
        ProjectionPosition.objects.using(BusinessRegistry.database())
        .get(projection=CompanyProjection.name, application=BusinessRegistry.name)
        .notification_id
    )


@pytest.mark.parametrize("batch", [3, 4, 500])
def test_catch_up_applies_every_event_once_in_batches(
    monkeypatch: pytest.MonkeyPatch, batch: int
) -> None:
    monkeypatch.setattr(projections, "BATCH_SIZE", batch)
    codes = [register_company() for _ in range(3)]  # a company and its name claim each
    assert projections.catch_up(CompanyProjection) == 6
    assert sorted(CompanyRecord.objects.values_list("registry_code", flat=True)) == sorted(codes)
    assert position() == running(BusinessRegistry).recorder.max_notification_id()
    assert projections.catch_up(CompanyProjection) == 0
    register_company()
    assert projections.catch_up(CompanyProjection) == 2
    assert CompanyRecord.objects.count() == 4


def test_a_batch_looks_up_its_ledger_seqs_in_one_query() -> None:
    codes = [register_company() for _ in range(5)]
    app = running(BusinessRegistry)
    for code in codes:
        app.change_address(code, "Tartu, Raekoja plats 1", "registrar")
    # The read models and the log are in the registry's database (ADR 0069).
    with CaptureQueriesContext(connections[BusinessRegistry.database()]) as queries:
        assert projections.catch_up(CompanyProjection) == 15
    assert [q["sql"] for q in queries if "ledger_entry" in q["sql"]] == [ANY]
    seqs = dict(CompanyRecord.objects.values_list("registry_code", "ledger_seq"))
    assert seqs == {
        code: LedgerEntry.objects.get(
            registry="business", originator_id=company_id(code), originator_version=2
        ).seq
        for code in codes
    }
