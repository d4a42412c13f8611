"""The court demo seeder: cases on the ledger that exercise the cross-registry processes."""

from __future__ import annotations

import random

import pytest

from chain.ledger.models import LedgerEntry
from registries.business.application import BusinessRegistry
from registries.business.demo import seed_companies
from registries.business.models import CompanyRecord
from registries.common.application import running
from registries.common.projections import catch_up_all
from registries.court.demo import seed_court
from registries.court.models import AppealRecord, CaseRecord, EnforcementRecord, JudgmentRecord
from registries.court.processes import court_entry_of
from registries.identity.demo import seed_identity
from tests.registries.court.helpers import land_unit

pytestmark = [pytest.mark.usefixtures("event_store"), pytest.mark.slow]


def test_seed_court_opens_cases_whose_final_judgments_act_in_other_registries() -> None:
    rng = random.Random(7)
    identity = seed_identity(rng, None, 40)
    companies = seed_companies(8, rng)
    units = [land_unit(), land_unit()]
    progress: list[int] = []

    seed = seed_court(rng, progress.append, 25, identity, companies, units)
    catch_up_all()

    assert len(seed.cases) == len(progress) == CaseRecord.objects.count() == 25
    [(insolvency_case, debtor)] = seed.insolvencies
    company = running(BusinessRegistry).company(debtor)
    assert company.status == "in_liquidation"
    entry = court_entry_of(company.liquidation_cause)
    assert entry is not None
    assert entry.topic.endswith("Case.JudgmentBecameFinal")
    assert CaseRecord.objects.get(aggregate_id=entry.originator_id).number == insolvency_case
    assert CompanyRecord.objects.get(registry_code=debtor).liquidation_cause == (
        company.liquidation_cause
    )
    assert seed.seizures == [(seed.seizures[0][0], units[0])]
    assert seed.lifted_seizures == [(seed.lifted_seizures[0][0], units[1])]
    outcomes = {(e.action, e.target): e.outcome for e in EnforcementRecord.objects.all()}
    assert outcomes == {
        ("enter_liquidation", debtor): "done",
        ("note_seizure", units[0]): "done",
        ("note_seizure", units[1]): "done",
        ("lift_seizure", units[1]): "done",
    }
    assert seed.appeals >= 2
    assert AppealRecord.objects.filter(status="dismissed").exists()
    assert JudgmentRecord.objects.filter(status="set_aside").exists()
    assert {c.kind for c in CaseRecord.objects.all()} == {"civil", "criminal", "administrative"}
    assert LedgerEntry.objects.filter(registry="court").count() > 100
