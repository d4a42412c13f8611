"""Tiered finalization in-process: witnesses commit, supernodes finalize, citizens witness."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from chain.blocks.finality import DevnetFinalizer, finalizer
from chain.blocks.models import (
    COMMITTED,
    FINAL,
    PROPOSED,
    WITNESSED,
    Block,
    BlockSignature,
    Checkpoint,
    SignedHeight,
    Supernode,
    Validator,
)
from chain.blocks.nodekeys import tier_keys
from chain.blocks.sealing import _propose, finalize_pending, seal_pending
from chain.blocks.status import ledger_status, signature_counts
from chain.encoding import vote_message
from chain.protocol import TIER_KINDS
from chain.verify import main as verify_main
from tests.factories import register_company

pytestmark = pytest.mark.usefixtures("event_store")

devnet = override_settings(RIIK_CONSENSUS="devnet")


def _counts(block: Block) -> dict[str, int]:
    return {
        tier: BlockSignature.objects.filter(block=block, tier=tier, kind=kind).count()
        for tier, kind in TIER_KINDS.items()
    }


@devnet
def test_a_sealed_block_is_committed_final_and_witnessed() -> None:
    register_company()
    block = seal_pending()
    assert block is not None
    assert block.level == WITNESSED
    assert _counts(block) == {"witness": 4, "supernode": 4, "citizen": 3}
    assert ledger_status("business", 2).level == WITNESSED
    assert Supernode.objects.count() == 4
    assert Validator.objects.filter(tier="witness").count() == 4
    assert Validator.objects.filter(tier="citizen").count() == 3
    assert SignedHeight.objects.filter(height=1).count() == 4


@devnet
def test_every_stored_signature_verifies_over_its_vote_message() -> None:
    register_company()
    block = seal_pending()
    assert block is not None
    keys = {(v.tier, v.name): bytes(v.public_key) for v in Validator.objects.all()}
    signatures = list(BlockSignature.objects.filter(block=block))
    assert len(signatures) == 11
    for signature in signatures:
        message = vote_message(
            chain_id=settings.RIIK_CHAIN_ID,
            tier=signature.tier,
            kind=signature.kind,
            height=block.height,
            round=signature.round,
            block_hash=bytes(block.block_hash),
        )
        key = Ed25519PublicKey.from_public_bytes(keys[(signature.tier, signature.signer)])
        key.verify(bytes(signature.signature), message)  # raises if wrong


@devnet
def test_a_supernode_never_signs_a_second_block_at_one_height() -> None:
    register_company()
    block = _propose()
    assert block is not None
    # supernode-2 already signed another block at this height (persisted state).
    SignedHeight.objects.create(node="supernode-2", height=block.height, block_hash=b"\x07" * 32)
    finalize_pending()
    block.refresh_from_db()
    signers = set(
        BlockSignature.objects.filter(block=block, tier="supernode").values_list(
            "signer", flat=True
        )
    )
    assert signers == {"supernode-1", "supernode-3", "supernode-4"}
    assert block.level == WITNESSED, "3 of 4 supernodes are still a quorum"
    assert bytes(SignedHeight.objects.get(node="supernode-2").block_hash) == b"\x07" * 32


@devnet
def test_without_a_supernode_quorum_the_block_stays_committed() -> None:
    register_company()
    block = _propose()
    assert block is not None
    for name in ("supernode-1", "supernode-2"):
        SignedHeight.objects.create(node=name, height=block.height, block_hash=b"\x07" * 32)
    finalize_pending()
    block.refresh_from_db()
    assert block.level == COMMITTED
    assert _counts(block) == {"witness": 4, "supernode": 2, "citizen": 0}


@devnet
def test_finalize_is_idempotent_and_completes_after_a_crash() -> None:
    register_company()
    block = _propose()
    assert block is not None
    assert block.level == PROPOSED  # a crash between sealing and finalizing
    assert finalize_pending() == 1
    block.refresh_from_db()
    assert block.level == WITNESSED
    before = _counts(block)
    finalizer().finalize(block)
    assert finalize_pending() == 0
    assert _counts(block) == before


@devnet
def test_a_final_block_without_citizens_is_completed_later() -> None:
    register_company()
    with override_settings(RIIK_CITIZEN_THRESHOLD=4):  # more than there are citizens
        block = seal_pending()
    assert block is not None
    assert block.level == FINAL
    assert finalize_pending() == 1
    block.refresh_from_db()
    assert block.level == WITNESSED


@devnet
def test_export_and_verify_pass(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for _ in range(2):
        register_company()
        seal_pending()
    call_command("chain", "verify", "--no-progress")
    out = tmp_path / "bundle.jsonl"
    call_command("chain", "export", "--out", str(out), "--no-progress")
    header = json.loads(out.read_text().splitlines()[0])
    assert len(header["supernodes"]) == 4
    assert header["quorum"] == 3
    assert verify_main([str(out)]) == 0
    printed = capsys.readouterr()
    text = printed.out + printed.err
    assert text.count("levels: 1..2 witnessed; 2 blocks committed by the witnesses") == 2
    assert "witness tier: 4 members (threshold 3)" in text
    assert "citizen tier: 3 members (threshold 2)" in text


@devnet
def test_admin_and_api_show_signature_counts_per_tier() -> None:
    user = get_user_model().objects.create_user("clerk", password="pw-12345678", is_staff=True)
    admin_client = Client()
    admin_client.force_login(user)
    register_company()
    block = seal_pending()
    assert block is not None
    assert signature_counts(block) == {"witness": 4, "supernode": 4, "citizen": 3}
    page = admin_client.get("/admin/chain/block/")
    assert page.status_code == 200
    assert b"witness precommits" in page.content.lower()
    assert b"witnessed" in page.content
    assert admin_client.get("/admin/chain/validator/").status_code == 200
    detail = APIClient().get(f"/api/v1/chain/blocks/{block.height}/").json()
    assert detail["level"] == WITNESSED
    assert detail["signatures"] == {"witness": 4, "supernode": 4, "citizen": 3}


def _devnet(down: set[str]) -> DevnetFinalizer:
    return DevnetFinalizer(
        witnesses=tier_keys("witness", settings.RIIK_WITNESSES),
        supernodes=tier_keys("supernode", settings.RIIK_SUPERNODES),
        citizens=tier_keys("citizen", settings.RIIK_CITIZENS),
        citizen_threshold=settings.RIIK_CITIZEN_THRESHOLD,
        down=frozenset(down),
    )


def _signers(block: Block, tier: str) -> set[str]:
    return set(
        BlockSignature.objects.filter(block=block, tier=tier).values_list("signer", flat=True)
    )


@devnet
@pytest.mark.parametrize("down", ["witness-1", "witness-2", "witness-3", "witness-4"])
def test_a_witness_that_is_down_leaves_three_precommits_from_the_protocol(down: str) -> None:
    register_company()
    block = _propose()
    assert block is not None
    _devnet({down}).finalize(block)
    block.refresh_from_db()
    assert block.level == WITNESSED, "3 of 4 witnesses still commit"
    assert _signers(block, "witness") == {f"witness-{i}" for i in range(1, 5)} - {down}
    assert _counts(block) == {"witness": 3, "supernode": 4, "citizen": 3}
    call_command("chain", "verify", "--no-progress")


@devnet
def test_supernodes_that_are_down_leave_the_block_committed_but_not_final() -> None:
    register_company()
    block = _propose()
    assert block is not None
    _devnet({"supernode-1", "supernode-3"}).finalize(block)
    block.refresh_from_db()
    assert block.level == COMMITTED
    # Two of four supernodes cannot certify the witnesses' block, so neither
    # sends a finalize vote: none is stored (the direct signer stored two).
    assert _signers(block, "supernode") == set()
    assert _counts(block) == {"witness": 4, "supernode": 0, "citizen": 0}
    assert not SignedHeight.objects.filter(node__in=["supernode-1", "supernode-3"]).exists()
    finalize_pending()  # all members up again: the protocol completes the block
    block.refresh_from_db()
    assert block.level == WITNESSED
    assert _counts(block) == {"witness": 4, "supernode": 4, "citizen": 3}


@devnet
def test_consecutive_blocks_reuse_the_nodes_and_commit_in_round_zero() -> None:
    for _ in range(3):
        register_company()
        block = seal_pending()
        assert block is not None
        assert block.level == WITNESSED
    rounds = set(BlockSignature.objects.values_list("round", flat=True))
    assert rounds == {0}
    assert Block.objects.count() == 3


@devnet
def test_a_block_stores_its_votes_and_checkpoints_in_one_insert_each() -> None:
    register_company()
    seal_pending()  # the first block also records the genesis membership
    register_company()
    with CaptureQueriesContext(connection) as captured:
        block = seal_pending()
    assert block is not None
    assert block.level == WITNESSED
    inserts = [q["sql"] for q in captured.captured_queries if q["sql"].startswith("INSERT")]
    votes = [sql for sql in inserts if '"chain_blocksignature"' in sql]
    checkpoints = [sql for sql in inserts if '"chain_checkpoint"' in sql]
    assert len(votes) == 1
    assert BlockSignature.objects.filter(block=block).count() == 11
    assert len(checkpoints) == 1
    assert Checkpoint.objects.filter(block=block).count() == block.logs.count() > 1
