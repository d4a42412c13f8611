"""``manage.py demo`` on a stepwise devnet (``make run``) still leaves every block witnessed."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.test import override_settings

from chain.blocks.models import WITNESSED, Block

pytestmark = pytest.mark.usefixtures("event_store")


@override_settings(RIIK_CONSENSUS="devnet", RIIK_DEVNET_STEPWISE=True)
def test_demo_on_a_stepwise_devnet_ends_with_every_block_witnessed() -> None:
    call_command("demo", persons=5, companies=3, seed=3, stdout=io.StringIO())
    assert Block.objects.exists()
    assert set(Block.objects.values_list("level", flat=True)) == {WITNESSED}
    call_command("chain", "verify", "--no-progress")
