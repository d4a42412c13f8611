"""Deterministic activation on the registry host (devnet): an entry sealed after
its first block applies from the first epoch start after its sealing block, in
the host's replay, its finalizer, its member rows and both verifiers alike."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction
from django.test import override_settings

from chain.blocks import memberstore
from chain.blocks.models import BlockSignature, Validator
from chain.blocks.nodekeys import held_keys
from chain.blocks.sealing import seal_pending
from chain.consensus.crypto import Signer
from chain.export import bundle_records
from chain.verify import ChainVerifier, EntryRow, Report
from tests.factories import register_company

pytestmark = pytest.mark.usefixtures("event_store")


def _verify(offline: bool) -> Report:
    """``chain verify`` on the database, or on the bundle it exports (``offline``)."""
    verifier = ChainVerifier()
    for record in bundle_records():
        verifier.feed(record.record() if offline and isinstance(record, EntryRow) else record)
    return verifier.finish(require_end=True)


def _record_late_revocation(monkeypatch: pytest.MonkeyPatch) -> tuple[memberstore.Recorded, Any]:
    """A witness revocation certified at height 1 (first block 2), recorded as a
    cluster host would while block 1 was its last, but reaching the chain only
    after block 2 was sealed."""
    log = memberstore.recorded_log()
    name, kid = sorted(log.keys_at("witness", 2))[-1]
    change = {"type": "revoke-key", "tier": "witness", "name": name, "key_id": kid.hex()}
    signers = [Signer.from_node_key(key) for key in held_keys(log, "supernode", 1)]
    monkeypatch.setattr(memberstore, "last_block", lambda: 1)
    with transaction.atomic():
        recorded = memberstore.append_change(
            log, change, 1, 2, memberstore.certify(change, 1, signers)
        )
    monkeypatch.undo()
    return recorded, (name, kid)


def test_an_entry_sealed_late_applies_from_the_next_epoch_start_after_its_sealing_block(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with override_settings(RIIK_CONSENSUS="devnet"):
        for _ in range(2):
            register_company()
            seal_pending()
        recorded, (name, kid) = _record_late_revocation(monkeypatch)
        register_company()
        seal_pending()  # block 3 seals the entry: one block after its first
        assert memberstore.sealed_at(recorded.seq, 3) == 3
        log = memberstore.recorded_log()
        # Blocks 2 and 3 were decided with the key: never judged again without it.
        assert (name, kid) in log.keys_at("witness", 3)
        assert (name, kid) not in log.keys_at("witness", 4)
        with transaction.atomic():
            assert memberstore.follow_sealing()
            assert not memberstore.follow_sealing()  # idempotent
        row = Validator.objects.get(tier="witness", name=name, key_id=kid.hex())
        assert row.until_height == 3
        register_company()
        seal_pending()
    signed = BlockSignature.objects.filter(tier="witness", signer=name)
    assert set(signed.values_list("block__height", flat=True)) == {1, 2, 3}
    for offline in (False, True):
        report = _verify(offline)
        assert report.blocks == 4
        assert any("revoke" in line or name in line for line in report.membership)


def test_an_entry_no_block_seals_yet_is_taken_as_sealed_by_the_next_block(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with override_settings(RIIK_CONSENSUS="devnet"):
        for _ in range(2):
            register_company()
            seal_pending()
        recorded, (name, kid) = _record_late_revocation(monkeypatch)
    assert memberstore.sealed_at(recorded.seq, 2) == 3
    log = memberstore.recorded_log()
    assert (name, kid) in log.keys_at("witness", 3)
    assert (name, kid) not in log.keys_at("witness", 4)
