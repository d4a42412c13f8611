"""Both verifiers re-check every membership entry's quorum certificate against the
members valid at its height, and the header's member history against the entries."""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings

from chain.blocks.models import Block, BlockSignature, Supernode, Validator
from chain.blocks.nodekeys import forget_keys, node_key, tier_keys
from chain.blocks.sealing import seal_pending
from chain.consensus.crypto import Signer
from chain.consensus.membership import ElectBoard, RegisterEnterprise, RotateKey
from chain.consensus.messages import Tier, Vote
from chain.encoding import vote_message
from chain.keys import NodeKey
from chain.ledger import chainlog
from chain.memberlog import change_digest, entry_record
from chain.protocol import MEMBERSHIP_TOPIC
from tests.chain.verifiers import verify_both
from tests.factories import register_company

pytestmark = pytest.mark.usefixtures("event_store")


@pytest.fixture(autouse=True)
def own_keys(tmp_path: Path) -> Iterator[Path]:
    keys = tmp_path / "keys"
    forget_keys()
    with override_settings(RIIK_KEYS_DIR=keys):
        yield keys
    forget_keys()


devnet = override_settings(RIIK_CONSENSUS="devnet")


def _seal_one() -> int:
    register_company()
    block = seal_pending()
    assert block is not None
    return block.height


def _append(
    change: dict[str, Any],
    signers: Sequence[Signer],
    *,
    height: int = 1,
    tier: Tier = "supernode",
    forge: bool = False,
) -> None:
    """A membership entry as a forger would write it: straight into the chain log,
    after the last block (the host would refuse to seal on such a log; both
    verifiers check entries not yet in a block too)."""
    votes = [
        Vote.sign(
            signer,
            chain_id="riik-dev",
            tier=tier,
            kind="membership",
            height=height,
            round=0,
            block_hash=change_digest(change),
        ).to_record()
        for signer in signers
    ]
    if forge:
        votes = [{**vote, "signature": "00" * 64} for vote in votes]
    record = entry_record(
        chain_id="riik-dev", change=change, height=height, from_height=height + 1, certificate=votes
    )
    with transaction.atomic():
        chainlog.append(
            chainlog.event_id("forged", change_digest(change).hex()), MEMBERSHIP_TOPIC, record
        )


def _fails_with(tmp_path: Path, message: str) -> None:
    result = verify_both(tmp_path)
    assert result.db_code != 0
    assert result.offline_code != 0
    for output in result.outputs:
        assert message in output, output


def test_a_forged_certificate_fails_both_verifiers_naming_the_entry(tmp_path: Path) -> None:
    _seal_one()
    new = NodeKey.generate("supernode-1")
    change = RotateKey("supernode", "supernode-1", new.public_bytes).record()
    _append(change, [Signer.from_node_key(node_key())], forge=True)
    _fails_with(
        tmp_path,
        "registry consensus seq 2: rotate-key not certified by a supernode quorum "
        "(0 of 1 valid signatures)",
    )


def test_a_change_signed_by_a_key_the_chain_does_not_list_is_not_certified(
    tmp_path: Path,
) -> None:
    _seal_one()
    stranger = Signer.from_seed("supernode-1", b"not the member's key")
    _append(RegisterEnterprise("bank-1", b"\x01" * 32).record(), [stranger])
    _fails_with(tmp_path, "registry consensus seq 2: register-enterprise not certified")


@devnet
def test_witnesses_signing_as_supernodes_do_not_certify_a_change(tmp_path: Path) -> None:
    _seal_one()
    witnesses = [Signer.from_node_key(k) for k in tier_keys("witness", 4)]
    _append(RegisterEnterprise("bank-1", b"\x01" * 32).record(), witnesses)
    _fails_with(
        tmp_path,
        "registry consensus seq 2: register-enterprise not certified by a supernode quorum "
        "(0 of 3 valid signatures)",
    )


@devnet
def test_supernode_votes_of_another_tier_do_not_certify_a_change(tmp_path: Path) -> None:
    _seal_one()
    supernodes = [Signer.from_node_key(k) for k in tier_keys("supernode", 4)]
    _append(RegisterEnterprise("bank-1", b"\x01" * 32).record(), supernodes, tier="witness")
    _fails_with(tmp_path, "(0 of 3 valid signatures)")


@devnet
def test_an_election_that_does_not_match_the_votes_fails_though_certified(
    tmp_path: Path,
) -> None:
    _seal_one()
    call_command("consensus", "delegate", "witness-1", "witness-2", stdout=io.StringIO())
    supernodes = [Signer.from_node_key(k) for k in tier_keys("supernode", 4)]
    _append(ElectBoard(("witness-1",)).record(), supernodes)
    _fails_with(
        tmp_path,
        "registry consensus seq 3: election result ['witness-1'] does not match the "
        "delegated votes (['witness-2'])",
    )


@devnet
def test_a_header_listing_a_key_no_entry_introduced_fails(tmp_path: Path) -> None:
    _seal_one()
    stranger = NodeKey.generate("witness-9")
    Validator.objects.create(
        tier="witness",
        name="witness-9",
        public_key=stranger.public_bytes,
        key_id=stranger.key_id.hex(),
        added_at_height=1,
    )
    _fails_with(
        tmp_path,
        f"header: witness witness-9+{stranger.key_id.hex()} listed for blocks 1..: "
        "no certified membership entry introduces this key",
    )


@devnet
def test_a_revoked_key_kept_valid_in_the_header_fails_naming_the_revocation(
    tmp_path: Path,
) -> None:
    _seal_one()
    call_command("consensus", "revoke-key", "supernode", "supernode-4", stdout=io.StringIO())
    second = _seal_one()
    revoked = tier_keys("supernode", 4)[3]
    # The revoked key signs block 2 and the header claims it still may.
    message = vote_message(
        chain_id="riik-dev",
        tier="supernode",
        kind="finalize",
        height=second,
        round=0,
        block_hash=bytes(Block.objects.get(height=second).block_hash),
    )
    BlockSignature.objects.update_or_create(
        block_id=second,
        tier="supernode",
        kind="finalize",
        round=0,
        signer="supernode-4",
        defaults={"key_id": revoked.key_id.hex(), "signature": revoked.sign(message)},
    )
    honest = verify_both(tmp_path / "honest")
    assert honest.passed, honest.db_out + honest.offline_out
    for output in honest.outputs:
        assert "ignored 1 unknown or invalid block signatures" in output
        assert f"supernode-4+{revoked.key_id.hex()}: unknown key" in output
    Supernode.objects.filter(name="supernode-4").update(until_height=None)
    _fails_with(
        tmp_path,
        f"header: supernode supernode-4+{revoked.key_id.hex()} listed for blocks 1.., but "
        "registry consensus seq 2 (revoke-key) ended it at block 1",
    )


def test_a_bundle_header_hiding_a_rotation_fails_offline(tmp_path: Path) -> None:
    _seal_one()
    call_command("chain", "rotate-key", stdout=io.StringIO())
    _seal_one()

    def hide(records: list[dict[str, Any]]) -> None:
        records[0]["supernodes"] = records[0]["supernodes"][:1]
        del records[0]["supernodes"][0]["until_height"]

    result = verify_both(tmp_path, hide)
    assert result.db_code == 0, result.db_out
    assert result.offline_code != 0
    assert "(registry consensus seq 2 (rotate-key)) is not listed" not in result.offline_out
    assert "but registry consensus seq 2 (rotate-key) ended it at block 1" in result.offline_out


def test_the_host_signs_nothing_on_top_of_a_tampered_membership_entry() -> None:
    _seal_one()
    change = RegisterEnterprise("bank-1", b"\x01" * 32).record()
    _append(change, [Signer.from_node_key(node_key())], forge=True)
    register_company()
    with pytest.raises(ValueError, match="registry consensus seq 2: register-enterprise not"):
        seal_pending()
    assert Block.objects.count() == 1
