"""Celery tasks of the chain: thin pokes at idempotent services."""

from __future__ import annotations

from celery import shared_task

from chain.blocks.sealing import finalize_pending, seal_pending


@shared_task(name="chain.tasks.seal_pending_entries", ignore_result=True)
def seal_pending_entries() -> int | None:
    """Seal and finalize whatever is pending; returns the new height, if any."""
    block = seal_pending()
    return block.height if block else None


@shared_task(name="chain.tasks.finalize_blocks", ignore_result=True)
def finalize_blocks() -> int:
    """Finalize sealed blocks left unfinished (after a worker died, say)."""
    return finalize_pending()
