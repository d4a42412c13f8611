"""Sealing: contiguous heights, every entry in exactly one block, races settled by the DB."""

from __future__ import annotations

import json

import pytest
from django.db import IntegrityError, transaction

from chain import merkle
from chain.blocks.models import FINAL, Block, BlockLog, BlockSignature, Checkpoint
from chain.blocks.sealing import _propose, seal_pending
from chain.blocks.status import ledger_status
from chain.encoding import block_hash
from chain.ledger.proofs import tree_root
from tests.factories import register_company

pytestmark = pytest.mark.usefixtures("event_store")


def test_nothing_to_seal_makes_no_block() -> None:
    assert seal_pending() is None
    assert not Block.objects.exists()


def test_blocks_are_contiguous_linked_and_commit_to_every_log() -> None:
    register_company()
    first = seal_pending()
    assert first is not None
    assert first.height == 1
    assert seal_pending() is None, "no new entries, no new block"
    register_company()
    second = seal_pending()
    assert second is not None
    assert second.height == 2
    assert bytes(second.prev_hash) == bytes(first.block_hash)
    header = json.loads(second.header)
    assert bytes(second.block_hash) == block_hash(header)
    assert header["logs"]["business"] == {"size": 4, "root": tree_root("business", 4).hex()}
    assert header["logs"]["court"] == {"size": 0, "root": merkle.EMPTY_ROOT.hex()}


def test_a_sealed_block_is_signed_checkpointed_and_final() -> None:
    register_company()
    block = seal_pending()
    assert block is not None
    assert block.level == FINAL
    assert BlockSignature.objects.filter(block=block, tier="supernode").count() == 1
    note = Checkpoint.objects.get(block=block, registry="business").note
    assert note.startswith("riik.example/business\n2\n")
    assert "\n\n\u2014 supernode-1 " in note


def test_a_record_shows_its_block_and_level() -> None:
    register_company()
    assert ledger_status("business", 2).level == "pending"
    seal_pending()
    status = ledger_status("business", 2)
    assert (status.block_height, status.level) == (1, FINAL)


def test_two_sealers_racing_for_one_height_make_one_block() -> None:
    register_company()
    block = _propose()
    assert block is not None
    # A second sealer that read the same last block tries the same height.
    with pytest.raises(IntegrityError), transaction.atomic():
        Block.objects.create(
            height=block.height,
            block_hash=b"\x01" * 32,
            prev_hash=b"\x00" * 32,
            proposer="supernode-2",
            sealed_at=block.sealed_at,
            header="{}",
        )
    assert seal_pending() is None, "the proposed block is finalized, nothing new to seal"
    assert Block.objects.get().level == FINAL


def test_every_entry_lies_in_exactly_one_block() -> None:
    for _ in range(3):
        register_company()
        seal_pending()
    sizes = list(
        BlockLog.objects.filter(registry="business")
        .order_by("block_id")
        .values_list("size", flat=True)
    )
    assert sizes == [2, 4, 6]
    assert list(Block.objects.order_by("height").values_list("height", flat=True)) == [1, 2, 3]
