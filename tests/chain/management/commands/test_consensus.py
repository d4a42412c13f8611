"""``manage.py consensus`` membership actions: each change is certified by a
supernode quorum, recorded in the chain log, and both verifiers accept it."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from chain.blocks.models import BlockSignature, Validator
from chain.blocks.nodekeys import forget_keys, tier_keys
from chain.blocks.sealing import seal_pending
from chain.ledger.models import LedgerEntry
from chain.protocol import MEMBERSHIP_TOPIC
from tests.chain.verifiers import verify_both
from tests.factories import register_company

pytestmark = pytest.mark.usefixtures("event_store")


@pytest.fixture
def own_keys(tmp_path: Path) -> Iterator[Path]:
    """A keys directory of this test's own: rotations replace key files."""
    keys = tmp_path / "keys"
    forget_keys()
    with override_settings(RIIK_KEYS_DIR=keys):
        yield keys
    forget_keys()


@pytest.fixture
def devnet(own_keys: Path) -> Iterator[Path]:
    with override_settings(RIIK_CONSENSUS="devnet"):
        yield own_keys


def consensus(*args: str) -> str:
    out = io.StringIO()
    call_command("consensus", *args, stdout=out)
    return out.getvalue()


def _seal_one() -> int:
    register_company()
    block = seal_pending()
    assert block is not None
    return block.height


def _changes() -> int:
    return LedgerEntry.objects.filter(registry="consensus", topic=MEMBERSHIP_TOPIC).count()


@pytest.mark.usefixtures("devnet")
def test_an_elected_board_signs_from_the_next_block_and_both_verifiers_pass(
    tmp_path: Path,
) -> None:
    _seal_one()
    assert "enterprise bank-1 registered" in consensus("register-enterprise", "bank-1")
    for voter in ("witness-1", "witness-2", "bank-1"):
        consensus("delegate", voter, "bank-1")
    for voter in ("witness-3", "witness-4"):
        consensus("delegate", voter, "witness-4")
    consensus("delegate", "witness-4", "witness-2")
    consensus("delegate", "witness-2", "witness-1")  # the latest delegation counts
    out = consensus("elect-board")
    assert "board bank-1, witness-1, witness-2, witness-4 elected from block 2" in out
    assert "certified at height 1 by supernode-1, supernode-2, supernode-3, supernode-4" in out
    second = _seal_one()
    signers = set(
        BlockSignature.objects.filter(block_id=second, tier="witness").values_list(
            "signer", flat=True
        )
    )
    assert signers == {"bank-1", "witness-1", "witness-2", "witness-4"}
    assert Validator.objects.get(tier="witness", name="witness-3").until_height == 1
    result = verify_both(tmp_path)
    assert result.passed, result.db_out + result.offline_out
    for output in result.outputs:
        assert "membership: 10 changes certified by a supernode quorum" in output
        assert "the header's member history matches them" in output
        assert "levels: 1..2 witnessed" in output


@pytest.mark.usefixtures("devnet")
def test_a_supernode_key_rotated_by_a_quorum_signs_the_next_block(
    tmp_path: Path, own_keys: Path
) -> None:
    _seal_one()
    old = tier_keys("supernode", 4)[1]
    out = consensus("rotate-key", "supernode", "supernode-2")
    assert "supernode supernode-2 signs with key" in out
    assert "applies from block 2" in out
    forget_keys()
    new = tier_keys("supernode", 4)[1]
    assert new.key_id != old.key_id
    assert (own_keys / f"supernode-2.{old.key_id.hex()}.retired").exists()
    second = _seal_one()
    assert (
        BlockSignature.objects.get(block_id=second, tier="supernode", signer="supernode-2").key_id
        == new.key_id.hex()
    )
    result = verify_both(tmp_path)
    assert result.passed, result.db_out + result.offline_out


@pytest.mark.usefixtures("devnet")
def test_a_revoked_witness_key_stops_signing_and_both_verifiers_pass(tmp_path: Path) -> None:
    _seal_one()
    out = consensus("revoke-key", "witness", "witness-3")
    assert "witness witness-3 key" in out
    assert "revoked from block 2" in out
    second = _seal_one()
    assert not BlockSignature.objects.filter(block_id=second, signer="witness-3").exists()
    result = verify_both(tmp_path)
    assert result.passed, result.db_out + result.offline_out


def test_the_local_supernode_is_its_own_quorum(tmp_path: Path, own_keys: Path) -> None:
    _seal_one()
    out = consensus("register-enterprise", "bank-1", "--public-key", "ab" * 32)
    assert "certified at height 1 by supernode-1; applies from block 2" in out
    consensus("delegate", "bank-1", "bank-1")
    consensus("elect-board")
    listing = consensus("members")
    assert "witness board from block 2: bank-1+" in listing
    assert "consensus seq 4: elect-board certified at height 1 by supernode-1" in listing
    _seal_one()
    result = verify_both(tmp_path)
    assert result.passed, result.db_out + result.offline_out
    assert result.header["witnesses"][0]["name"] == "bank-1"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("delegate", "bank-9", "supernode-1"), "bank-9 is not a registered enterprise"),
        (("elect-board",), "no delegated votes between registered enterprises"),
        (("rotate-key", "notary", "x"), "unknown tier 'notary'"),
        (("rotate-key", "witness", "bank-9"), "witness bank-9 does not exist"),
        (("revoke-key", "supernode", "supernode-1"), "no supernode would be left"),
        (("revoke-key", "supernode", "supernode-1", "--key-id", "00000000"), "no current key"),
        (("register-enterprise", "bank-1", "--public-key", "xyz"), "64 lowercase hex digits"),
        (("register-enterprise", "bad name"), "not a valid key name"),
    ],
)
def test_bad_input_is_refused_with_a_clear_error_and_records_nothing(
    own_keys: Path, args: tuple[str, ...], message: str
) -> None:
    _seal_one()
    before = _changes()
    with pytest.raises(CommandError, match=message):
        consensus(*args)
    assert _changes() == before


def test_a_cluster_host_rotates_no_key_it_does_not_hold(own_keys: Path) -> None:
    with (
        override_settings(RIIK_CONSENSUS="cluster"),
        pytest.raises(CommandError, match="a cluster host holds no member keys"),
    ):
        consensus("rotate-key", "witness", "witness-1")
    assert _changes() == 0


def test_a_timeout_that_is_not_positive_is_refused(own_keys: Path) -> None:
    with pytest.raises(CommandError, match="--timeout must be a positive number"):
        consensus("delegate", "bank-1", "bank-1", "--timeout", "0")
    assert _changes() == 0


def test_a_second_registration_of_an_enterprise_is_refused(own_keys: Path) -> None:
    consensus("register-enterprise", "bank-1", "--public-key", "ab" * 32)
    with pytest.raises(CommandError, match="enterprise bank-1 is already registered"):
        consensus("register-enterprise", "bank-1", "--public-key", "cd" * 32)
