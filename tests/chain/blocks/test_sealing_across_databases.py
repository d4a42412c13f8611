"""Sealing logs that live in several databases (ADR 0069).

Run in every configuration: with ``DATABASE_URL_<REGISTRY>`` set (CI's
multi-database step puts identity, health, court and the
business/money/property group in databases of their own) they prove that
each log is written, sealed, proven and exported from its own database;
without, that nothing changed.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import call_command

from chain.blocks.models import BlockLog
from chain.blocks.sealing import seal_pending
from chain.blocks.status import inclusions, ledger_statuses
from chain.ledger.databases import log_database
from chain.ledger.models import LedgerEntry, LedgerHead
from chain.verify import verify_bundle
from registries.identity.models import PersonRecord
from registries.property.application import PropertyRegistry
from registries.property.models import LandUnitRecord
from tests.registries.property.helpers import notary, owner, register_unit, run, signed_transfer

pytestmark = pytest.mark.usefixtures("event_store")


def _transfer_a_title() -> str:
    seller, buyer = owner(), owner("Jaan", "Kask")
    code = register_unit([(seller, "1/1")])
    transfer = signed_transfer(code, notary(), [seller], [(buyer, "1/1")])
    run(lambda app: app.transfer_ownership(code, transfer, "registrar"))
    return code


def test_a_title_transfer_is_sealed_into_a_block_that_verifies_offline(tmp_path: Path) -> None:
    code = _transfer_a_title()
    block = seal_pending()
    assert block is not None
    head = LedgerHead.objects.filter(registry="property").get()
    assert BlockLog.objects.get(block=block, registry="property").size == head.size > 0
    out = tmp_path / "chain.jsonl"
    call_command("chain", "export", "--out", str(out), "--no-progress", stdout=io.StringIO())
    report = verify_bundle(out)
    assert report.registries["property"].sealed_size == head.size
    assert report.registries["identity"].sealed_size > 0
    seq = LandUnitRecord.objects.get(pk=code).ledger_seq
    assert seq is not None
    assert ledger_statuses("property", [seq])[seq].block_height == block.height
    proven = inclusions("property", [seq])[seq]
    assert proven.status.block_height == block.height
    assert proven.tree_size == head.size


def test_each_logs_rows_are_in_its_registrys_database_only() -> None:
    _transfer_a_title()
    database = PropertyRegistry.database()
    assert database == log_database("property") == LandUnitRecord.objects.db
    assert LedgerEntry.objects.using(database).filter(registry="property").exists()
    if database != "default":
        assert not LedgerEntry.objects.using("default").filter(registry="property").exists()
    assert PersonRecord.objects.exists()  # identity's read models, wherever they are
