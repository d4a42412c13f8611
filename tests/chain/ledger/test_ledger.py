"""The ledger is written with the events, in commit order, gapless, and provable."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.db import connection

from chain import merkle
from chain.encoding import ZERO_HASH, entry_hash
from chain.ledger import proofs
from chain.ledger.models import LedgerEntry, LedgerHead, LedgerSubtree
from chain.ledger.sqlite import events_table
from registries.business.application import BusinessRegistry
from registries.common.application import running
from registries.common.errors import Conflict
from tests.factories import database_env, register_company

pytestmark = pytest.mark.usefixtures("event_store")
ROOT = Path(__file__).resolve().parents[3]


def _notification_ids_in_seq_order(registry: str) -> list[int]:
    table = connection.ops.quote_name(events_table(registry))
    notification = "e.rowid" if connection.vendor == "sqlite" else "e.notification_id"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {notification} FROM ledger_entry l JOIN {table} e "
            "ON e.originator_id = l.originator_id AND e.originator_version = l.originator_version "
            "WHERE l.registry = %s ORDER BY l.seq",
            [registry],
        )
        return [row[0] for row in cursor.fetchall()]


def _assert_log_is_whole(registry: str) -> list[LedgerEntry]:
    entries = list(LedgerEntry.objects.filter(registry=registry).order_by("seq"))
    assert [e.seq for e in entries] == list(range(1, len(entries) + 1)), "gapless seq"
    prev = ZERO_HASH
    for entry in entries:
        assert bytes(entry.prev_hash) == prev
        assert bytes(entry.entry_hash) == entry_hash(prev, entry.leaf())
        prev = bytes(entry.entry_hash)
    ids = _notification_ids_in_seq_order(registry)
    assert len(ids) == len(entries), "every ledger entry has its stored event"
    assert ids == sorted(ids), "ledger order is commit order"
    head = LedgerHead.objects.get(registry=registry)
    assert head.size == len(entries)
    assert bytes(head.entry_hash) == prev
    frontier = merkle.MerkleFrontier.from_bytes(head.size, bytes(head.frontier))
    assert frontier.root() == merkle.root_hash([e.leaf() for e in entries])
    return entries


def test_every_event_gets_one_chained_ledger_entry_in_order() -> None:
    code = register_company()
    app = running(BusinessRegistry)
    app.change_address(code, "Tartu, Raekoja plats 1", "registrar")
    app.increase_capital(code, 10_000, "registrar")
    entries = _assert_log_is_whole("business")
    # Company.Registered + CompanyName.Claimed, then two changes.
    assert len(entries) == 4
    assert entries[-1].topic.endswith("Company.CapitalIncreased")
    table = connection.ops.quote_name(events_table("business"))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {table}")
        assert cursor.fetchone()[0] == 4


def test_payload_hash_covers_the_stored_bytes() -> None:
    register_company()
    table = connection.ops.quote_name(events_table("business"))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT l.payload_hash, e.state FROM ledger_entry l JOIN {table} e "
            "ON e.originator_id = l.originator_id AND e.originator_version = l.originator_version"
        )
        rows = cursor.fetchall()
    assert rows
    for payload_hash, state in rows:
        assert bytes(payload_hash) == hashlib.sha256(bytes(state)).digest()


def test_a_refused_save_writes_neither_events_nor_ledger_entries() -> None:
    code = register_company()
    app = running(BusinessRegistry)
    stale = app.company(code)
    app.change_address(code, "Pärnu, Rüütli 1", "registrar")
    before = LedgerEntry.objects.count()
    head_before = bytes(LedgerHead.objects.get(registry="business").entry_hash)
    stale.change_address("Narva, Peetri plats 1", "registrar")
    with pytest.raises(Conflict):
        app.create(stale, taken="the company was changed meanwhile")
    assert LedgerEntry.objects.count() == before
    assert bytes(LedgerHead.objects.get(registry="business").entry_hash) == head_before
    _assert_log_is_whole("business")


def test_concurrent_writer_threads_leave_no_gap_and_keep_commit_order() -> None:
    errors: list[BaseException] = []

    def writer() -> None:
        try:
            for _ in range(8):
                register_company()
        except BaseException as error:  # surfaced by the assertion below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(_assert_log_is_whole("business")) == 4 * 8 * 2


def test_concurrent_writer_processes_leave_no_gap_and_keep_commit_order() -> None:
    script = (
        "import django; django.setup()\n"
        "from tests.factories import database_env, register_company\n"
        "for _ in range(6): register_company()\n"
    )
    env = {
        **os.environ,
        **database_env(),
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    workers = [
        subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, env=env) for _ in range(3)
    ]
    assert [worker.wait(timeout=120) for worker in workers] == [0, 0, 0]
    assert len(_assert_log_is_whole("business")) == 3 * 6 * 2


def test_stored_subtrees_give_proofs_that_verify() -> None:
    for _ in range(6):
        register_company()
    entries = _assert_log_is_whole("business")
    leaves = [e.leaf() for e in entries]
    size = len(leaves)
    root = proofs.tree_root("business", size)
    assert root == merkle.root_hash(leaves)
    for seq in range(1, size + 1):
        proof = proofs.inclusion_proof("business", seq, size)
        assert proof == merkle.inclusion_proof(leaves, seq - 1)
        assert merkle.verify_inclusion(
            merkle.leaf_hash(leaves[seq - 1]), seq - 1, size, proof, root
        )
    for old in range(size + 1):
        proof = proofs.consistency_proof("business", old, size)
        old_root = merkle.root_hash(leaves[:old])
        assert merkle.verify_consistency(old, size, old_root, root, proof)
    # Each complete subtree is stored once: n leaves make 2n - popcount(n) nodes.
    assert LedgerSubtree.objects.filter(registry="business").count() == 2 * size - size.bit_count()


def test_proofs_for_positions_the_log_does_not_have_are_refused() -> None:
    register_company()
    with pytest.raises(proofs.ProofError):
        proofs.inclusion_proof("business", 3, 3)
    with pytest.raises(proofs.ProofError):
        proofs.consistency_proof("business", 1, 5)


def test_leaves_of_a_range_hash_to_the_logs_root_and_beyond_the_log_are_refused() -> None:
    for _ in range(3):
        register_company()
    size = proofs.log_size("business")
    leaves = proofs.leaves("business", 0, size)
    assert merkle.root_hash(leaves) == proofs.tree_root("business", size)
    assert proofs.leaves("business", 2, size) == leaves[2:]
    assert proofs.leaves("business", size, size) == []
    with pytest.raises(proofs.ProofError):
        proofs.leaves("business", 1, size + 1)
    with pytest.raises(proofs.ProofError):
        proofs.leaves("business", 2, 1)


def test_a_write_by_another_process_is_noticed_and_the_save_retried() -> None:
    register_company()  # this process now knows the head of the log
    script = (
        "import django; django.setup()\n"
        "from tests.factories import register_company\n"
        "register_company()\n"
    )
    env = {
        **os.environ,
        **database_env(),
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, check=True, timeout=60)
    register_company()  # collides with the other process's entries, then retries
    assert len(_assert_log_is_whole("business")) == 6


def test_a_save_of_many_events_is_chunked_and_still_whole() -> None:
    code = register_company()
    app = running(BusinessRegistry)
    company = app.company(code)
    # 1500 entries and ~3000 subtrees: the inserts span several chunks.
    for number in range(1500):
        company.change_address(f"Tallinn, Pikk {number + 1}", "registrar")
    app.save(company)
    assert len(_assert_log_is_whole("business")) == 2 + 1500
