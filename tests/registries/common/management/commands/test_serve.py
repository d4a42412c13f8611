"""The embedded server's beat thread."""

from __future__ import annotations

import threading

import pytest

from registries.common.management.commands import serve


class _Ticks(threading.Event):
    """A stop event whose waits time out ``ticks`` times (one beat tick each), then stop."""

    def __init__(self, ticks: int) -> None:
        super().__init__()
        self.ticks = ticks

    def wait(self, timeout: float | None = None) -> bool:
        self.ticks -= 1
        return self.ticks < 0


def test_the_beat_seals_one_block_a_tick_while_entries_keep_arriving(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sealed: list[int] = []

    def seal_pending() -> object | None:
        sealed.append(len(sealed))
        return object() if len(sealed) < 10 else None  # entries keep arriving

    monkeypatch.setattr(serve, "seal_pending", seal_pending)
    monkeypatch.setattr(serve, "catch_up_all", lambda: 0)
    serve.run_beat(_Ticks(3), interval=0.0)
    assert len(sealed) == 3
