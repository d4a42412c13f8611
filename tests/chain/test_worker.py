"""A real Celery worker on the real broker seals blocks, and a kill -9 loses nothing.

Runs only when ``CELERY_BROKER_URL`` names a broker (CI runs it on RabbitMQ and
on Redis).
"""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from chain.blocks.models import FINAL, PROPOSED, Block, BlockLog, BlockSignature
from chain.ledger.models import LedgerHead
from chain.tasks import seal_pending_entries
from tests.factories import database_env, register_company

pytestmark = [
    pytest.mark.broker,
    pytest.mark.usefixtures("event_store"),
    pytest.mark.skipif(not settings.CELERY_BROKER_URL, reason="needs CELERY_BROKER_URL"),
]
ROOT = Path(__file__).resolve().parents[2]


def _wait_for(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out after {seconds}s waiting for {what}")


@pytest.fixture
def queue() -> str:
    # A queue of its own, so no message of another run can reach this worker.
    return f"riik-test-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def start_worker(queue: str) -> Iterator[Callable[..., subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []

    def start(**extra_env: str) -> subprocess.Popen[bytes]:
        env = {
            **os.environ,
            **database_env(),
            "RIIK_TASK_QUEUE": queue,
            "RIIK_BROKER_VISIBILITY_TIMEOUT": "3",
            "RIIK_BROKER_RESTORE_INTERVAL": "1",
            **extra_env,
        }
        worker = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--pool=solo",
                "--without-gossip",
                "--without-mingle",
                "--loglevel=WARNING",
                "-Q",
                queue,
            ],
            cwd=ROOT,
            env=env,
            start_new_session=True,
        )
        started.append(worker)
        return worker

    yield start
    for worker in started:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(timeout=10)


def test_worker_process_seals_and_finalizes_blocks(
    start_worker: Callable[..., subprocess.Popen[bytes]], queue: str
) -> None:
    register_company()
    start_worker()
    seal_pending_entries.apply_async(queue=queue)
    _wait_for(lambda: Block.objects.filter(level=FINAL).exists(), 60, "a final block")
    block = Block.objects.get()
    assert BlockLog.objects.get(block=block, registry="business").size == 2


def test_a_worker_killed_between_sealing_and_finalizing_loses_and_duplicates_nothing(
    start_worker: Callable[..., subprocess.Popen[bytes]], queue: str
) -> None:
    for _ in range(3):
        register_company()
    doomed = start_worker(RIIK_FAULT_PAUSE_AFTER_SEAL="60")
    seal_pending_entries.apply_async(queue=queue)
    _wait_for(lambda: Block.objects.exists(), 60, "the block to be sealed")
    os.killpg(doomed.pid, signal.SIGKILL)
    doomed.wait(timeout=10)
    assert Block.objects.get().level == PROPOSED
    assert not BlockSignature.objects.exists()

    for _ in range(2):
        register_company()
    start_worker()
    # No new message: the killed worker's unacknowledged task is delivered again.
    _wait_for(
        lambda: Block.objects.filter(level=FINAL).count() == 2, 90, "redelivery to finish sealing"
    )
    heights = list(Block.objects.order_by("height").values_list("height", flat=True))
    assert heights == [1, 2]
    sizes = list(
        BlockLog.objects.filter(registry="business")
        .order_by("block_id")
        .values_list("size", flat=True)
    )
    assert sizes == [6, LedgerHead.objects.get(registry="business").size] == [6, 10]
    # Exits the test with SystemExit(1) if anything does not verify.
    call_command("chain", "verify", "--no-progress", stdout=io.StringIO())
