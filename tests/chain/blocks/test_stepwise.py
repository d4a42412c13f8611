"""A stepwise devnet (``make run``): each beat tick raises a block by one level."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.test import override_settings

from chain.blocks import finality
from chain.blocks.finality import finalizer
from chain.blocks.models import COMMITTED, FINAL, WITNESSED, Block, BlockSignature
from chain.blocks.sealing import finalize_all, seal_pending
from chain.protocol import TIER_KINDS
from tests.factories import register_company

pytestmark = pytest.mark.usefixtures("event_store")

stepwise = override_settings(RIIK_CONSENSUS="devnet", RIIK_DEVNET_STEPWISE=True)

SIGNED_AT = {
    COMMITTED: {"witness": 3, "supernode": 0, "citizen": 0},
    FINAL: {"witness": 3, "supernode": 3, "citizen": 0},
    WITNESSED: {"witness": 3, "supernode": 3, "citizen": 2},
}
"""The signatures each level needs at least, and at most what the next tier would add."""


def _counts(block: Block) -> dict[str, int]:
    return {
        tier: BlockSignature.objects.filter(block=block, tier=tier, kind=kind).count()
        for tier, kind in TIER_KINDS.items()
    }


def _tick() -> dict[int, str]:
    """One beat tick, as ``manage.py serve`` runs it; returns every block's level."""
    seal_pending()
    return dict(Block.objects.values_list("height", "level"))


@stepwise
def test_each_tick_raises_each_block_one_level_in_order() -> None:
    register_company()
    assert _tick() == {1: COMMITTED}
    register_company()  # waits: block 2 is sealed only once block 1 is witnessed
    assert _tick() == {1: FINAL}
    assert _tick() == {1: WITNESSED}
    assert _tick() == {1: WITNESSED, 2: COMMITTED}
    assert _tick() == {1: WITNESSED, 2: FINAL}
    assert _tick() == {1: WITNESSED, 2: WITNESSED}
    assert _tick() == {1: WITNESSED, 2: WITNESSED}  # nothing left to seal or raise


@stepwise
def test_each_level_holds_its_tiers_certificate_and_none_of_the_next() -> None:
    register_company()
    for level in (COMMITTED, FINAL, WITNESSED):
        seal_pending()
        block = Block.objects.get(height=1)
        assert block.level == level
        counts = _counts(block)
        for tier, least in SIGNED_AT[level].items():
            assert counts[tier] >= least
            if least == 0:
                assert counts[tier] == 0


@stepwise
def test_a_stepwise_run_after_a_restart_resumes_from_the_stored_level() -> None:
    register_company()
    seal_pending()
    assert Block.objects.get(height=1).level == COMMITTED
    finality._NETWORKS.clear()  # the process restarted: its nodes are gone
    seal_pending()
    assert Block.objects.get(height=1).level == FINAL
    seal_pending()
    block = Block.objects.get(height=1)
    assert block.level == WITNESSED
    counts = _counts(block)
    assert all(counts[tier] >= least for tier, least in SIGNED_AT[WITNESSED].items())


@stepwise
def test_finalize_all_takes_every_block_to_witnessed_and_the_chain_verifies() -> None:
    assert finalizer().stepwise
    for _ in range(3):
        register_company()
        finalize_all()
        seal_pending()
    finalize_all()
    assert set(Block.objects.values_list("level", flat=True)) == {WITNESSED}
    assert Block.objects.count() == 3
    call_command("chain", "verify", "--no-progress")


@override_settings(RIIK_CONSENSUS="local", RIIK_DEVNET_STEPWISE=True)
def test_the_local_supernode_ignores_stepwise_and_makes_a_block_final_at_once() -> None:
    register_company()
    block = seal_pending()
    assert block is not None
    assert block.level == FINAL
