"""No double spending: many payers hammer one wallet at once, and the books still hold.

Each payment debits the payer's wallet under the event store's version check;
a lost race is decided again on the new balance (the one write path), so
every payment is applied exactly once or refused (insufficient funds, or a
conflict after the write path's last attempt), and no balance goes negative.
"""

from __future__ import annotations

import multiprocessing
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, connections
from django.test import override_settings

from registries.common.application import stop_all
from registries.common.errors import Conflict
from registries.money.domain import Wallet, wallet_id
from registries.money.models import PaymentRecord, WalletRecord
from tests.registries.identity import helpers as identity
from tests.registries.money.helpers import app, bank, central_bank, pay_unsigned, wallet

pytestmark = pytest.mark.usefixtures("event_store")

AMOUNT = 100
FUNDS = 25 * AMOUNT


def attempt(payer: str, payee: str, payment_id: str) -> str:
    """One payment: ``applied``, ``repeated`` or why it was refused."""
    try:
        settled = pay_unsigned(payer, payee, AMOUNT, payment_id)
    except Conflict as refused:
        return refused.slug
    finally:
        connections.close_all()
    return "repeated" if settled.repeated else "applied"


def setting_up() -> tuple[str, list[str]]:
    central, pank = central_bank(), bank()
    payer = wallet(identity.person(), pank, FUNDS, central)
    payees = [wallet(identity.person("Jaan", "Kask" + "abcd"[i]), pank) for i in range(4)]
    return payer, payees


def check_books(payer: str, applied: set[str]) -> None:
    """Supply == sum of balances, none negative, each accepted payment applied once."""
    records = list(WalletRecord.objects.all())
    assert app().supply_cents() == sum(r.balance_cents for r in records)
    assert all(r.balance_cents >= 0 for r in records)
    aggregate = app().find(Wallet, wallet_id(payer))
    assert aggregate is not None
    sent = [e for e in app().events.get(wallet_id(payer)) if isinstance(e, Wallet.PaymentSent)]
    ids = Counter(e.payment_id for e in sent if e.payment_id.startswith("hammer"))
    assert set(ids) == applied
    assert set(ids.values()) <= {1}
    assert aggregate.balance_cents == FUNDS - AMOUNT * len(applied)
    assert PaymentRecord.objects.filter(payer=payer, payment_id__in=applied).count() == len(applied)


def test_threads_hammering_one_wallet_never_double_spend() -> None:
    payer, payees = setting_up()
    # 40 payments of which 25 fit; each id sent twice (a client retrying).
    jobs = [(payer, payees[i % 4], f"hammer-{i:04d}") for i in range(40) for _ in range(2)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(lambda job: (job[2], attempt(*job)), jobs))
    applied = {pid for pid, outcome in outcomes if outcome == "applied"}
    assert 0 < len(applied) <= FUNDS // AMOUNT
    assert {outcome for _, outcome in outcomes} <= {
        "applied",
        "repeated",
        "insufficient-funds",
        "conflict",
    }
    check_books(payer, applied)


def _process(payer: str, payees: list[str], start: int, queue: multiprocessing.Queue[str]) -> None:
    stop_all()
    for i in range(start, start + 10):
        outcome = attempt(payer, payees[i % 4], f"hammer-{i:04d}")
        queue.put(f"{i}:{outcome}")


@pytest.mark.postgres
# Small pools: the server's connections are shared by the test processes.
@override_settings(RIIK_DB_POOL_SIZE=2, RIIK_DB_POOL_OVERFLOW=1)
def test_processes_and_threads_on_postgresql_never_double_spend() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (DATABASE_URL)")
    payer, payees = setting_up()
    connections.close_all()
    stop_all()
    context = multiprocessing.get_context("fork")
    queue: multiprocessing.Queue[str] = context.Queue()
    workers = [
        context.Process(target=_process, args=(payer, payees, start, queue)) for start in (0, 20)
    ]
    for worker in workers:
        worker.start()
    jobs = [(payer, payees[i % 4], f"hammer-{i:04d}") for i in range(40)]
    with ThreadPoolExecutor(max_workers=3) as pool:
        outcomes = list(pool.map(lambda job: (job[2], attempt(*job)), jobs))
    results = [queue.get(timeout=120) for _ in range(20)]
    for worker in workers:
        worker.join(timeout=120)
        assert worker.exitcode == 0
    applied = {pid for pid, outcome in outcomes if outcome == "applied"}
    applied |= {
        f"hammer-{int(i):04d}"
        for i, outcome in (r.split(":") for r in results)
        if outcome == "applied"
    }
    # Threads and processes sent the same ids: each was applied at most once.
    assert len(applied) <= FUNDS // AMOUNT
    check_books(payer, applied)
