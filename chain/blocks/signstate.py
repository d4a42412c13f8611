"""Durable signing state: a signature leaves only after the record of it is on disk.

DESIGN.md section 9: a node's signing state (last signed height, round,
step) is durable before any signature leaves it, as CometBFT's privval
last-sign state. The nodes keep it in their database (:class:`SignedHeight`,
the consensus snapshot in :class:`NodeState`), written in the same
transaction as the step that signs. The embedded default runs SQLite in WAL
mode with ``synchronous=NORMAL`` (``config/settings.py``): a committed
transaction there survives a process crash but not a power loss, which could
roll the last signed height back and let a restarted supernode sign a second
block at that height. :func:`durable_atomic` makes the commit of the signing
transaction reach the disk before it returns: SQLite syncs the WAL at that
commit (``synchronous=FULL``, a setting SQLite only accepts between
transactions), PostgreSQL waits for the WAL flush (``synchronous_commit``
on, for this transaction, whatever the server's default).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection, transaction

__all__ = ["DURABLE_SQLITE_LEVEL", "durable_atomic", "make_durable", "sqlite_sync_level"]

DURABLE_SQLITE_LEVEL = 2
"""``PRAGMA synchronous`` FULL: the WAL is synced at every commit."""


def sqlite_sync_level() -> int:
    """The SQLite connection's ``PRAGMA synchronous`` (0 OFF, 1 NORMAL, 2 FULL, 3 EXTRA)."""
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA synchronous")
        row = cursor.fetchone()
    return int(row[0])


@contextmanager
def durable_atomic() -> Iterator[None]:
    """A transaction whose commit is on disk when the block exits.

    Inside an outer transaction the outer commit is the one that counts: on
    PostgreSQL this transaction's setting still holds for it; on SQLite the
    level cannot change there, so the caller must run outside one (a
    cluster node's step does; tests wrapped in a transaction do not).
    """
    restore: int | None = None
    if connection.vendor == "sqlite" and not connection.in_atomic_block:
        level = sqlite_sync_level()
        if level < DURABLE_SQLITE_LEVEL:
            with connection.cursor() as cursor:
                cursor.execute(f"PRAGMA synchronous={DURABLE_SQLITE_LEVEL}")
            restore = level
    try:
        with transaction.atomic():
            make_durable()
            yield
    finally:
        # Other writes of this connection (the host's event store) keep the
        # configured, cheaper level.
        if restore is not None:
            with connection.cursor() as cursor:
                cursor.execute(f"PRAGMA synchronous={restore}")


def make_durable() -> None:
    """Make the commit of the transaction in progress wait for the disk.

    PostgreSQL: ``synchronous_commit`` on for this transaction, whatever the
    server's default, set at any point before the commit. SQLite cannot
    change its level inside a transaction: there only :func:`durable_atomic`
    (which calls this) makes a commit durable, and this adds nothing.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO on")
