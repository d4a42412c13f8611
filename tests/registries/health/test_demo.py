"""The health demo seeder: signed entries, dispensing, consents and representatives."""

from __future__ import annotations

import random

import pytest

from registries.common.projections import catch_up_all
from registries.health.demo import seed_health
from registries.health.models import ConsentRecord, EntryRecord, PatientRecord
from registries.identity.demo import seed_identity

pytestmark = [pytest.mark.usefixtures("event_store"), pytest.mark.slow]


def test_seed_health_writes_signed_records_with_consents() -> None:
    rng = random.Random(3)
    identity = seed_identity(rng, None, 40)
    catch_up_all()
    progress: list[int] = []

    patients = seed_health(rng, progress.append, 12, identity)
    catch_up_all()

    assert len(patients) == len(progress) == PatientRecord.objects.count() == 12
    assert EntryRecord.objects.filter(kind="encounter").count() == 12
    assert EntryRecord.objects.filter(kind="prescription").count() == 6
    assert EntryRecord.objects.exclude(dispensed_on=None).count() == 3
    assert ConsentRecord.objects.exists()
    assert PatientRecord.objects.filter(closed_to_all=True).exists()
