"""Tamper matrix: any change made directly in the database is found and named.

Each case tampers with a sealed, finalized chain, then runs both
``manage.py chain verify`` (database) and ``python -m chain.verify`` on an
export (offline); both must fail and name the same first bad item.
"""

from __future__ import annotations

import io
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from uuid import UUID

import pytest
from django.core.management import call_command
from django.db import connection

from chain.blocks.models import BlockSignature
from chain.blocks.sealing import seal_pending
from chain.encoding import canonical, entry_envelope, entry_hash, sha256
from chain.ledger.models import LedgerEntry, LedgerHead, LedgerSubtree
from chain.ledger.sqlite import events_table
from registries.business.application import BusinessRegistry
from registries.common.application import running
from tests.factories import register_company

pytestmark = pytest.mark.usefixtures("event_store")
ROOT = Path(__file__).resolve().parents[3]
EVENTS = events_table("business")


def _build_chain() -> None:
    codes = [register_company() for _ in range(3)]
    seal_pending()
    app = running(BusinessRegistry)
    for code in codes:
        app.change_address(code, "Viljandi, Tartu 1", "registrar")
    seal_pending()


def _verify_db() -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("chain", "verify", "--no-progress", stdout=out, stderr=err)
    except SystemExit as exit_:
        return int(exit_.code or 0), err.getvalue()
    return 0, out.getvalue()


def _verify_bundle(tmp_path: Path) -> tuple[int, str]:
    bundle = tmp_path / "chain.jsonl"
    call_command("chain", "export", "--out", str(bundle), "--no-progress", stdout=io.StringIO())
    result = subprocess.run(
        [sys.executable, "-m", "chain.verify", str(bundle)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return result.returncode, result.stdout + result.stderr


def _sql(statement: str, params: Sequence[str | int | bytes | UUID] | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params or [])


def _entry(seq: int) -> LedgerEntry:
    return LedgerEntry.objects.get(registry="business", seq=seq)


def flip_a_payload_byte() -> str:
    entry = _entry(4)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT state FROM {EVENTS} WHERE originator_id = %s AND originator_version = %s",
            [
                entry.originator_id.hex if connection.vendor == "sqlite" else entry.originator_id,
                entry.originator_version,
            ],
        )
        state = bytearray(cursor.fetchone()[0])
        state[len(state) // 2] ^= 0x01
        cursor.execute(
            f"UPDATE {EVENTS} SET state = %s WHERE originator_id = %s AND originator_version = %s",
            [
                bytes(state),
                entry.originator_id.hex if connection.vendor == "sqlite" else entry.originator_id,
                entry.originator_version,
            ],
        )
    return "registry business seq 4: payload hash mismatch"


def delete_an_entry() -> str:
    _sql("DELETE FROM ledger_entry WHERE registry = 'business' AND seq = 3")
    return "registry business seq 4: expected seq 3"


def swap_two_entries() -> str:
    _sql("UPDATE ledger_entry SET seq = -2 WHERE registry = 'business' AND seq = 2")
    _sql("UPDATE ledger_entry SET seq = 2 WHERE registry = 'business' AND seq = 3")
    _sql("UPDATE ledger_entry SET seq = 3 WHERE registry = 'business' AND seq = -2")
    return "registry business seq 2: entry hash mismatch"


def insert_a_forged_entry() -> str:
    # A careful forger: a real-looking event in the middle of the log, every
    # later entry renumbered and re-hashed so the hash chain itself holds.
    # Only the Merkle root that the supernodes signed can tell.
    entries = list(LedgerEntry.objects.filter(registry="business").order_by("seq"))
    forged_state = b'{"forged": true}'
    victim = entries[1]
    _sql(
        f"INSERT INTO {EVENTS} (originator_id, originator_version, topic, state) "
        "VALUES (%s, %s, %s, %s)",
        [
            victim.originator_id.hex if connection.vendor == "sqlite" else victim.originator_id,
            99,
            victim.topic,
            forged_state,
        ],
    )
    _sql("UPDATE ledger_entry SET seq = -seq WHERE registry = 'business' AND seq >= 2")
    prev = bytes(entries[0].entry_hash)
    rows = [(victim.originator_id, 99, victim.topic, entries[0].recorded_at, sha256(forged_state))]
    rows += [
        (e.originator_id, e.originator_version, e.topic, e.recorded_at, bytes(e.payload_hash))
        for e in entries[1:]
    ]
    for seq, (originator, version, topic, recorded_at, payload_hash) in enumerate(rows, start=2):
        leaf = canonical(
            entry_envelope(
                registry="business",
                seq=seq,
                originator_id=str(originator),
                originator_version=version,
                topic=topic,
                recorded_at=recorded_at,
                payload_hash=payload_hash,
            )
        )
        this = entry_hash(prev, leaf)
        _sql(
            "DELETE FROM ledger_entry WHERE registry = 'business' AND originator_id = %s "
            "AND originator_version = %s",
            [originator.hex if connection.vendor == "sqlite" else originator, version],
        )
        LedgerEntry.objects.create(
            registry="business",
            seq=seq,
            originator_id=originator,
            originator_version=version,
            topic=topic,
            recorded_at=recorded_at,
            payload_hash=payload_hash,
            prev_hash=prev,
            entry_hash=this,
        )
        prev = this
    return "block 1: registry business root mismatch at size 6"


def alter_a_block_signature() -> str:
    signature = BlockSignature.objects.get(block_id=2)
    forged = bytearray(bytes(signature.signature))
    forged[0] ^= 0x80
    signature.signature = bytes(forged)
    signature.save()
    return "block 2: missing supernode quorum (0 of 1 valid signatures)"


@pytest.mark.parametrize(
    "tamper",
    [
        flip_a_payload_byte,
        delete_an_entry,
        swap_two_entries,
        insert_a_forged_entry,
        alter_a_block_signature,
    ],
    ids=lambda tamper: tamper.__name__,
)
def test_tampering_is_found_and_the_first_bad_item_named(
    tamper: Callable[[], str], tmp_path: Path
) -> None:
    _build_chain()
    assert _verify_db()[0] == 0
    assert _verify_bundle(tmp_path)[0] == 0
    expected = tamper()
    code, output = _verify_db()
    assert code == 1
    assert expected in output
    code, output = _verify_bundle(tmp_path)
    assert code == 1
    assert expected in output


def test_untouched_chain_verifies_in_the_database_and_offline(tmp_path: Path) -> None:
    _build_chain()
    code, output = _verify_db()
    assert code == 0, output
    assert "registry business: 9 entries" in output
    code, output = _verify_bundle(tmp_path)
    assert code == 0, output
    assert output.rstrip().endswith("OK") or "\nOK" in output


def test_an_unsealed_event_without_its_ledger_entry_is_reported() -> None:
    _build_chain()
    company = register_company()
    running(BusinessRegistry).change_address(company, "Rakvere, Pikk 2", "registrar")
    _entry(12).delete()
    code, output = _verify_db()
    assert code == 1
    assert "registry business: 1 stored events have no ledger entry" in output


def test_a_ledger_head_that_disagrees_with_the_log_is_reported() -> None:
    _build_chain()
    _sql("UPDATE ledger_head SET size = 8 WHERE registry = 'business'")
    code, output = _verify_db()
    assert code == 1
    assert "registry business: ledger head says size 8 but the log has 9 entries" in output


def _flip_first_byte(value: bytes) -> bytes:
    flipped = bytearray(value)
    flipped[0] ^= 0x01
    return bytes(flipped)


def test_a_ledger_head_entry_hash_edited_in_the_database_names_the_entry() -> None:
    _build_chain()
    head = LedgerHead.objects.get(registry="business")
    head.entry_hash = _flip_first_byte(bytes(head.entry_hash))
    head.save()
    code, output = _verify_db()
    assert code == 1
    assert "registry business seq 9: the ledger head's entry_hash is not the entry's" in output


def test_a_stored_merkle_subtree_edited_in_the_database_names_its_entries() -> None:
    _build_chain()
    subtree = LedgerSubtree.objects.get(registry="business", level=3, idx=0)
    subtree.hash = _flip_first_byte(bytes(subtree.hash))
    subtree.save()
    code, output = _verify_db()
    assert code == 1
    assert "registry business seq 1..8: the stored Merkle subtrees hash of these entries" in output
