"""``manage.py demo`` on a stepwise devnet (``make run``) still leaves every block witnessed."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from chain.blocks.models import WITNESSED, Block
from registries.business.models import CompanyRecord
from registries.court.models import CaseRecord
from registries.property.models import LandUnitRecord

pytestmark = pytest.mark.usefixtures("event_store")


@override_settings(RIIK_CONSENSUS="devnet", RIIK_DEVNET_STEPWISE=True)
def test_demo_on_a_stepwise_devnet_ends_with_every_block_witnessed() -> None:
    call_command("demo", persons=5, companies=3, seed=3, stdout=io.StringIO())
    assert Block.objects.exists()
    assert set(Block.objects.values_list("level", flat=True)) == {WITNESSED}
    call_command("chain", "verify", "--no-progress")


def test_a_country_at_a_scale_seeds_its_registries_in_proportion() -> None:
    out = io.StringIO()
    call_command("demo", country="estonia", scale=0.00001, seed=3, stdout=out)
    # 350 000 companies, 700 000 land units and 100 000 cases at scale 1.
    assert CompanyRecord.objects.count() == 4
    assert LandUnitRecord.objects.count() == 7
    assert CaseRecord.objects.count() == 1
    assert "entries/s" in out.getvalue()
    assert "At scale 1 (estonia): about" in out.getvalue()


@pytest.mark.parametrize("scale", [0.0, -0.1, 1.5])
def test_a_scale_outside_zero_to_one_is_refused(scale: float) -> None:
    with pytest.raises(CommandError, match="--scale"):
        call_command("demo", country="estonia", scale=scale, stdout=io.StringIO())
