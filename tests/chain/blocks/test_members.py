"""The registry host's membership: the genesis sealed in the first block, the
member rows following each recorded change, the replay's cache."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.test import override_settings

from chain.blocks import membercommands, memberstore
from chain.blocks.models import Supernode, Validator
from chain.blocks.nodekeys import forget_keys, node_key
from chain.blocks.sealing import seal_pending
from chain.ledger.models import LedgerEntry
from tests.factories import register_company

pytestmark = pytest.mark.usefixtures("event_store")


@pytest.fixture(autouse=True)
def own_keys(tmp_path: Path) -> Iterator[Path]:
    keys = tmp_path / "keys"
    forget_keys()
    with override_settings(RIIK_KEYS_DIR=keys):
        yield keys
    forget_keys()


def test_the_first_block_seals_the_genesis_of_its_supernode() -> None:
    register_company()
    block = seal_pending()
    assert block is not None
    (entry,) = memberstore.entries()
    assert (entry.kind, entry.record["height"], entry.record["from_height"]) == ("genesis", 0, 1)
    assert entry.signers == ("supernode-1",)
    assert block.logs.get(registry="consensus").size == entry.seq == 1
    assert LedgerEntry.objects.get(registry="consensus").topic.endswith(":ChangeCertificate")


def test_the_member_rows_follow_each_recorded_change() -> None:
    register_company()
    seal_pending()
    bank = membercommands.register_enterprise("bank-1", b"\xab" * 32)
    assert (bank.height, bank.from_height) == (1, 2)
    assert not Validator.objects.exists()  # registered, not on the board
    membercommands.delegate("bank-1", "bank-1")
    membercommands.elect_board()
    (row,) = Validator.objects.all()
    assert (row.tier, row.name, row.added_at_height, row.until_height) == (
        "witness",
        "bank-1",
        2,
        None,
    )
    membercommands.revoke_key("witness", "bank-1")
    # Elected and revoked for the same next block: the key never signs, its row goes.
    assert not Validator.objects.exists()
    own = node_key()
    assert list(Supernode.objects.values_list("key_id", "added_at_height", "until_height")) == [
        (own.key_id.hex(), 1, None)
    ]


def test_the_replay_hands_out_copies() -> None:
    register_company()
    seal_pending()
    first = memberstore.recorded_log()
    first.members["witness"].clear()
    first.board = ("nobody",)
    again = memberstore.recorded_log()
    assert again.board == ()
    assert again.started
