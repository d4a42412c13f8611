"""The land register's demo data: written through the commands, endorsed by real demo keys."""

from __future__ import annotations

import random
from fractions import Fraction

import pytest

from registries.common.projections import catch_up_all
from registries.identity import services
from registries.identity.demo import seed_identity
from registries.property.demo import seed_property
from registries.property.endorsement import endorsement_holds
from registries.property.models import LandUnitRecord, MortgageRecord, TransferRecord
from tests.registries.property.helpers import app, written

pytestmark = pytest.mark.usefixtures("event_store")


def test_the_demo_registers_units_with_servitudes_mortgages_and_endorsed_transfers() -> None:
    rng = random.Random(7)
    people = seed_identity(rng, None, 40)
    ticks: list[int] = []
    seed = seed_property(rng, ticks.append, 24, people)
    catch_up_all()
    assert sum(ticks) == 24  # progress(n) after each batch of n units
    assert len(set(seed.units)) == 24
    assert LandUnitRecord.objects.count() == 24
    assert seed.transferred
    assert seed.mortgages > 0
    assert seed.restrictions > 0
    events, entries = written()
    assert events == entries
    for unit in LandUnitRecord.objects.prefetch_related("owners"):
        assert sum(Fraction(o.share) for o in unit.owners.all()) == 1
    # Mortgages on each unit rank in ledger order.
    for unit in LandUnitRecord.objects.all():
        seqs = [
            m.ledger_seq or 0 for m in MortgageRecord.objects.filter(unit=unit).order_by("rank")
        ]
        assert seqs == sorted(seqs)
    # Every recorded endorsement re-checks with the notary's key from the identity registry.
    transfers = list(TransferRecord.objects.all())
    assert len(transfers) == len(seed.transferred)
    for transfer in transfers:
        assert transfer.notary in people.notaries
        key = services.public_key_at(transfer.notary, transfer.notary_key_id)
        assert key is not None
        event = app().events.get(
            transfer.unit.aggregate_id, gt=transfer.version - 1, lte=transfer.version
        )
        (recorded,) = list(event)
        assert endorsement_holds(
            cadastral_code=transfer.unit_id, recorded=recorded.__dict__, public_key=key
        )
