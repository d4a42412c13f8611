"""Delivery versus payment: a purchase's price, the state fee and the title change
are saved in one transaction (one ``recorded_at``, one block), or nothing is.

Tested under kill -9 of the writing process at every step of the settlement
and under concurrent double spending of the buyer's wallet (threads on
SQLite; threads and processes on PostgreSQL).
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import connection, connections
from django.test import override_settings

from chain.blocks.models import Block
from chain.blocks.sealing import seal_pending
from chain.ledger.databases import log_database
from chain.ledger.models import LedgerEntry
from chain.ledger.postgres import LedgerPostgresApplicationRecorder
from chain.ledger.sqlite import LedgerSQLiteApplicationRecorder
from registries.common import application as common_application
from registries.common.application import stop_all
from registries.common.errors import Conflict, NotFound
from registries.common.projections import catch_up_all
from registries.money.domain import InsufficientFunds, Wallet, wallet_id
from registries.money.models import WalletRecord
from registries.money.till import MoneyTill
from registries.property.application import Purchase, Transfer
from registries.property.domain import LandUnit
from tests.registries.identity import helpers as identity
from tests.registries.money import helpers as money
from tests.registries.property import helpers as land

pytestmark = pytest.mark.usefixtures("event_store")

PRICE = 40_000
FEE = 3_500


@dataclass(frozen=True)
class Market:
    """A seller's land unit, its notary-endorsed sale to a funded buyer."""

    seller: str
    buyer: str
    treasury: str
    notary: land.Notary
    central: str
    bank: str


@pytest.fixture
def market() -> Iterator[Market]:
    central, pank = money.central_bank(), money.bank()
    treasury = money.treasury(pank)
    seller = money.wallet(identity.person("Siim", "Müüja"), pank)
    buyer = money.wallet(identity.person("Olev", "Ostja"), pank, PRICE + FEE, central)
    with override_settings(
        RIIK_CHARGE_STATE_FEES=True,
        RIIK_STATE_FEES_CENTS={"title-transfer": FEE},
        RIIK_STATE_TREASURY=treasury,
    ):
        yield Market(seller, buyer, treasury, land.notary(), central, pank)


def sale(market: Market, price: int = PRICE) -> tuple[str, Transfer]:
    """A new unit of the seller's and the notary's endorsement of its sale to the buyer."""
    code = land.register_unit([(market.seller, "1/1")])
    transfer = land.signed_transfer(
        code, market.notary, [market.seller], [(market.buyer, "1/1")], price_cents=price
    )
    return code, transfer


def buy(code: str, transfer: Transfer, buyer: str, payment_id: str) -> Purchase:
    purchase: Purchase = land.run(lambda app: app.buy(code, transfer, payment_id, [], buyer))
    return purchase


def owners(code: str) -> set[str]:
    return set(land.app().land_unit(code).owners)


def aggregate_balance(holder: str) -> int:
    wallet = money.app().find(Wallet, wallet_id(holder))
    assert wallet is not None
    return int(wallet.balance_cents)


def books_balance() -> None:
    """Supply == sum of balances (the aggregates), none negative; every event has its entry."""
    balances = [aggregate_balance(r.holder) for r in WalletRecord.objects.all()]
    assert money.app().supply_cents() == sum(balances)
    assert min(balances) >= 0
    for registry in ("money", "property"):
        # Each log in its own database, wherever DATABASE_URL_<REGISTRY> puts it.
        with connections[log_database(registry)].cursor() as cursor:
            cursor.execute(f"SELECT COUNT(*) FROM {registry}_events")
            stored = cursor.fetchone()[0]
        assert LedgerEntry.objects.filter(registry=registry).count() == stored


def paid_for(code: str) -> bool:
    """Whether the unit's last transfer names a payment the buyer's wallet recorded."""
    unit = land.app().land_unit(code)
    transfers = [
        e for e in land.app().events.get(unit.id) if isinstance(e, LandUnit.OwnershipTransferred)
    ]
    if not transfers:
        return False
    buyer = transfers[-1].buyers[0]["owner"]
    wallet = money.app().find(Wallet, wallet_id(buyer))
    return wallet is not None and transfers[-1].payment_id in wallet.payments


def test_a_purchase_moves_price_fee_and_title_in_one_ledger_transaction(market: Market) -> None:
    code, transfer = sale(market)
    buy(code, transfer, market.buyer, "house-0001")
    assert owners(code) == {market.buyer}
    assert paid_for(code)
    assert money.balance(market.buyer) == 0
    assert money.balance(market.seller) == PRICE
    assert money.balance(market.treasury) == FEE
    title = LedgerEntry.objects.filter(registry="property").order_by("-seq").first()
    assert title is not None
    paid = LedgerEntry.objects.filter(registry="money", recorded_at=title.recorded_at)
    # Buyer: two PaymentSent (price, fee); seller and treasury: a PaymentReceived each.
    assert paid.count() == 4
    block = seal_pending()
    assert block is not None
    sealed = {log.registry: log.size for log in Block.objects.get(pk=block.pk).logs.all()}
    assert sealed["property"] >= title.seq
    assert sealed["money"] >= max(entry.seq for entry in paid)
    books_balance()


def test_the_same_purchase_again_is_answered_and_moves_nothing(market: Market) -> None:
    code, transfer = sale(market)
    first = buy(code, transfer, market.buyer, "house-0004")
    again = buy(code, transfer, market.buyer, "house-0004")
    assert again == Purchase(first.version, repeated=True)
    assert money.balance(market.seller) == PRICE
    assert money.balance(market.buyer) == 0
    other = land.signed_transfer(
        code, market.notary, [market.buyer], [(market.seller, "1/1")], price_cents=1
    )
    with pytest.raises(Conflict, match="another purchase"):
        buy(code, other, market.seller, "house-0004")
    books_balance()


def test_a_buyer_short_of_the_price_gets_no_title_and_pays_nothing(market: Market) -> None:
    code, transfer = sale(market, price=PRICE + 1)
    before = (land.written(), money.ledger_of("money"))
    with pytest.raises(InsufficientFunds, match="1 cents short"):
        buy(code, transfer, market.buyer, "house-0002")
    assert (land.written(), money.ledger_of("money")) == before
    assert owners(code) == {market.seller}
    assert money.balance(market.buyer) == PRICE + FEE


def test_a_seller_without_a_wallet_sells_nothing(market: Market) -> None:
    code = land.register_unit()
    seller = next(iter(owners(code)))
    transfer = land.signed_transfer(
        code, market.notary, [seller], [(market.buyer, "1/1")], price_cents=PRICE
    )
    with pytest.raises(NotFound, match="payee"):
        buy(code, transfer, market.buyer, "house-0003")
    assert owners(code) == {seller}


# Kill -9 at every step ------------------------------------------------------------------------

STEPS = ("decided", "first-table", "second-table", "committed")


def _kill_at(step: str) -> None:
    """Patch this (child) process to die by SIGKILL at ``step`` of the settlement."""

    def die() -> None:
        os.kill(os.getpid(), signal.SIGKILL)

    def after(owner: Any, name: str, when: Callable[[int], bool]) -> None:
        original = getattr(owner, name)
        calls = [0]

        def wrapped(*args: Any, **kwargs: Any) -> Any:
            result = original(*args, **kwargs)
            calls[0] += 1
            if when(calls[0]):
                die()
            return result

        setattr(owner, name, wrapped)

    if step == "decided":
        after(MoneyTill, "settle", lambda n: True)
    elif step == "committed":
        after(common_application, "insert_together", lambda n: True)
    else:
        nth = 1 if step == "first-table" else 2
        # Inside the one transaction: after the n-th registry's events and entries.
        after(LedgerSQLiteApplicationRecorder, "_insert_events", lambda n: n == nth)
        after(LedgerPostgresApplicationRecorder, "_insert_stored_events", lambda n: n == nth)


def _buy_and_die(step: str, code: str, transfer: Transfer, buyer: str) -> None:
    stop_all()
    _kill_at(step)
    buy(code, transfer, buyer, f"kill-{step}")
    os._exit(3)  # not killed: the step was never reached


@pytest.mark.slow
@pytest.mark.parametrize("step", STEPS)
def test_kill_9_at_any_step_leaves_all_or_nothing(market: Market, step: str) -> None:
    code, transfer = sale(market)
    connections.close_all()
    stop_all()
    child = multiprocessing.get_context("fork").Process(
        target=_buy_and_die, args=(step, code, transfer, market.buyer)
    )
    child.start()
    child.join(timeout=120)
    assert child.exitcode == -signal.SIGKILL
    # Restarted: the read models catch up from the event stores.
    catch_up_all()
    books_balance()
    done = owners(code) == {market.buyer}
    assert done == (step == "committed")
    assert done == paid_for(code)
    assert aggregate_balance(market.buyer) == (0 if done else PRICE + FEE)
    assert aggregate_balance(market.seller) == (PRICE if done else 0)
    if not done:
        # Nothing was written, so the purchase can be made again, whole.
        buy(code, transfer, market.buyer, f"kill-{step}")
        assert owners(code) == {market.buyer}
        assert paid_for(code)
    books_balance()


# Double spending ---------------------------------------------------------------------------


def _attempt(code: str, transfer: Transfer, buyer: str, payment_id: str) -> str:
    try:
        buy(code, transfer, buyer, payment_id)
    except Conflict as refused:
        return refused.slug
    finally:
        connections.close_all()
    return "bought"


def _spend(buyer: str, payee: str, payment_id: str) -> str:
    try:
        money.pay_unsigned(buyer, payee, PRICE, payment_id)
    except Conflict as refused:
        return refused.slug
    finally:
        connections.close_all()
    return "paid"


def _double_spend_check(market: Market, codes: list[str], outcomes: list[str]) -> None:
    """The buyer afforded one purchase or one payment: never more, never a title unpaid."""
    catch_up_all()
    bought = [code for code in codes if owners(code) == {market.buyer}]
    assert all(paid_for(code) for code in bought)
    assert outcomes.count("bought") == len(bought)
    assert len(bought) + outcomes.count("paid") <= 1
    assert aggregate_balance(market.buyer) >= 0
    books_balance()


def test_concurrent_purchases_and_a_payment_never_overdraw_the_buyer(market: Market) -> None:
    sales = [sale(market) for _ in range(3)]
    payee = money.wallet(identity.person("Pille", "Saaja"), market.bank)
    jobs: list[Callable[[], str]] = [
        lambda code=code, transfer=transfer, n=n: _attempt(  # type: ignore[misc]
            code, transfer, market.buyer, f"race-{n:04d}"
        )
        for n, (code, transfer) in enumerate(sales)
    ]
    jobs.append(lambda: _spend(market.buyer, payee, "race-pay-0001"))
    with ThreadPoolExecutor(max_workers=4) as pool:
        outcomes = list(pool.map(lambda job: job(), jobs))
    assert set(outcomes) <= {"bought", "paid", "insufficient-funds", "conflict"}
    assert "bought" in outcomes or "paid" in outcomes
    _double_spend_check(market, [code for code, _ in sales], outcomes)


def _process_buys(
    sales: list[tuple[str, Transfer]], buyer: str, queue: multiprocessing.Queue[str]
) -> None:
    stop_all()
    for n, (code, transfer) in enumerate(sales):
        queue.put(_attempt(code, transfer, buyer, f"proc-{n:04d}"))


@pytest.mark.postgres
@override_settings(RIIK_DB_POOL_SIZE=2, RIIK_DB_POOL_OVERFLOW=1)
def test_purchases_from_processes_and_threads_on_postgresql_never_overdraw(
    market: Market,
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (DATABASE_URL)")
    sales = [sale(market) for _ in range(6)]
    connections.close_all()
    stop_all()
    context = multiprocessing.get_context("fork")
    queue: multiprocessing.Queue[str] = context.Queue()
    workers = [
        context.Process(target=_process_buys, args=(sales[i::3], market.buyer, queue))
        for i in (0, 1)
    ]
    for worker in workers:
        worker.start()
    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = list(
            pool.map(
                lambda n: _attempt(sales[n][0], sales[n][1], market.buyer, f"thread-{n:04d}"),
                [2, 5],
            )
        )
    outcomes += [queue.get(timeout=120) for _ in range(4)]
    for worker in workers:
        worker.join(timeout=120)
        assert worker.exitcode == 0
    assert set(outcomes) <= {"bought", "insufficient-funds", "conflict"}
    assert "bought" in outcomes
    _double_spend_check(market, [code for code, _ in sales], outcomes)
