"""Celery tasks shared by the registries."""

from __future__ import annotations

from celery import shared_task

from registries.common.idempotency import purge_expired
from registries.common.projections import catch_up_all


@shared_task(name="registries.common.tasks.catch_up_projections", ignore_result=True)
def catch_up_projections() -> int:
    """Bring every read model up to date with its registry's events."""
    return catch_up_all()


@shared_task(name="registries.common.tasks.purge_idempotent_requests", ignore_result=True)
def purge_idempotent_requests() -> int:
    """Delete the idempotency records past ``RIIK_IDEMPOTENCY_TTL`` (docs/privacy.md)."""
    return purge_expired()
