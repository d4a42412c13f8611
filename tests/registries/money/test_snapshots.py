"""Wallet snapshots: a busy wallet loads from its latest snapshot and the events after
it, not from its whole history; the snapshot is sealed (no personal code in clear) and
the wallet it loads is the one its events make."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connections
from eventsourcing.application import project_aggregate

from chain.ledger.databases import log_database
from registries.money.application import WALLET_SNAPSHOT_INTERVAL
from registries.money.domain import Wallet, wallet_id
from tests.registries.money import helpers as h

pytestmark = pytest.mark.usefixtures("event_store")


def snapshot_rows() -> list[tuple[Any, ...]]:
    """The raw rows of the money registry's snapshot table."""
    recorder = h.app().snapshots
    assert recorder is not None
    table = recorder.recorder.events_table_name  # type: ignore[attr-defined]
    with connections[log_database("money")].cursor() as cursor:
        cursor.execute(f"SELECT originator_id, originator_version, state FROM {table}")
        return list(cursor.fetchall())


def as_tuples(payments: dict[str, Any]) -> dict[str, tuple[Any, ...]]:
    """The recorded payments with their terms as tuples (a snapshot's JSON has lists)."""
    return {key: tuple(value) for key, value in payments.items()}


def test_a_busy_wallet_is_snapshotted_and_loads_from_its_latest_snapshot() -> None:
    bank = h.bank()
    mari, jaan = h.citizen(), h.citizen("Jaan", "Kask")
    h.wallet(mari.code, bank, 10_000)
    h.wallet(jaan.code, bank)
    for _ in range(WALLET_SNAPSHOT_INTERVAL + 5):
        h.pay_unsigned(mari.code, jaan.code, 1)
    app = h.app()
    assert app.snapshots is not None
    snapshots = list(app.snapshots.get(wallet_id(mari.code), desc=True, limit=1))
    assert snapshots, "the wallet passed a snapshot version"
    latest = snapshots[0]
    assert isinstance(latest, Wallet.Snapshot)
    assert latest.originator_version % WALLET_SNAPSHOT_INTERVAL == 0
    # Loaded from the snapshot and the events after it: the same wallet as a full replay.
    loaded: Wallet = app.repository.get(wallet_id(mari.code))
    # The replay the verifiers make: every event from the first.
    replayed = project_aggregate(None, app.events.get(wallet_id(mari.code)))
    assert isinstance(replayed, Wallet)
    assert (loaded.version, loaded.balance_cents, as_tuples(loaded.payments)) == (
        replayed.version,
        replayed.balance_cents,
        as_tuples(replayed.payments),
    )
    assert loaded.balance_cents == 10_000 - WALLET_SNAPSHOT_INTERVAL - 5
    assert h.balance(mari.code) == loaded.balance_cents
    # A payment id recorded before the snapshot is still known: paying it again moves nothing.
    first = next(iter(replayed.payments))
    payee, cents, _ = replayed.payments[first]
    settled = h.pay_unsigned(mari.code, payee, cents, first)
    assert settled.repeated
    assert h.balance(mari.code) == loaded.balance_cents


def test_snapshots_carry_no_personal_code_in_clear() -> None:
    bank = h.bank()
    mari, jaan = h.citizen(), h.citizen("Jaan", "Kask")
    h.wallet(mari.code, bank, 10_000)
    h.wallet(jaan.code, bank)
    for _ in range(WALLET_SNAPSHOT_INTERVAL):
        h.pay_unsigned(mari.code, jaan.code, 1)
    rows = snapshot_rows()
    assert rows
    raw = b"".join(bytes(state) for _, _, state in rows)
    assert mari.code.encode() not in raw
    assert jaan.code.encode() not in raw
