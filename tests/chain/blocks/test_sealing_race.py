"""Sealing a block and recording a membership change are serialized (PostgreSQL).

A change applies from the block after the last sealed one. A sealer that read
the last block before the change committed, and stored its block after,
would make that block miss the change; both take one lock, so it cannot.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test import override_settings

from chain import encoding
from chain.blocks import membercommands, memberstore, sealing
from chain.blocks.models import Block
from chain.blocks.nodekeys import forget_keys
from tests.factories import register_company

pytestmark = [
    pytest.mark.usefixtures("event_store"),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="SQLite transactions are serialized anyway"
    ),
]


@pytest.fixture(autouse=True)
def own_keys(tmp_path: Path) -> Iterator[Path]:
    keys = tmp_path / "keys"
    forget_keys()
    with override_settings(RIIK_KEYS_DIR=keys):
        yield keys
    forget_keys()


def test_a_block_sealed_while_a_change_is_recorded_never_misses_the_change(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    register_company()
    sealing.seal_pending()
    membercommands.register_enterprise("bank-1", b"\xab" * 32)
    sealing.seal_pending()
    register_company()  # something for the racing sealer to seal
    recorded = threading.Event()
    real_hash = encoding.block_hash

    def slow_hash(header: Any) -> bytes:
        # The sealer has read the last block and the logs: give a change the
        # moment to commit before the block is stored.
        recorded.wait(timeout=1.0)
        return real_hash(header)

    monkeypatch.setattr(sealing, "block_hash", slow_hash)
    errors: list[BaseException] = []
    done: list[memberstore.Recorded] = []

    def seal() -> None:
        try:
            sealing.seal_pending()
        except BaseException as error:  # surfaced by the assertion below
            errors.append(error)
        finally:
            connection.close()

    def record() -> None:
        try:
            done.append(membercommands.delegate("bank-1", "bank-1"))
        except BaseException as error:
            errors.append(error)
        finally:
            recorded.set()
            connection.close()

    sealer = threading.Thread(target=seal)
    sealer.start()
    recorder = threading.Thread(target=record)
    recorder.start()
    sealer.join()
    recorder.join()
    assert not errors
    (change,) = done
    entry = next(e for e in memberstore.entries() if e.kind == "delegate-vote")
    # Every block the change applies to holds its entry in its chain log.
    for block in Block.objects.filter(height__gte=change.from_height):
        assert block.logs.get(registry="consensus").size >= entry.seq, block.height
    assert Block.objects.filter(height=change.from_height - 1).exists()
