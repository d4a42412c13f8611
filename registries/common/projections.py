"""Read models kept by following a registry's notification log, exactly once.

The tracking position lives in a Django table and commits in the same Django
transaction as the read-model rows it covers, so a crash between the two can
neither skip nor repeat an event.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from types import ModuleType
from typing import Any, ClassVar, TypeVar

from django.apps import apps
from django.db import transaction
from eventsourcing.persistence import IntegrityError, Tracking, TrackingRecorder
from eventsourcing.projection import Projection

from chain.ledger.models import LedgerEntry
from registries.common.application import RegistryApplication, running
from registries.common.models import LedgerLinked, ProjectionPosition

BATCH_SIZE = 500


class DjangoTrackingRecorder(TrackingRecorder):
    """eventsourcing tracking recorder on the Django ORM, for one projection."""

    def __init__(self, projection: str) -> None:
        self.projection = projection

    def insert_tracking(self, tracking: Tracking) -> None:
        """Record the position; must run inside the read-model transaction."""
        position, _ = ProjectionPosition.objects.select_for_update().get_or_create(
            projection=self.projection, application=tracking.application_name
        )
        if tracking.notification_id <= position.notification_id:
            msg = f"{self.projection} already processed notification {tracking.notification_id}"
            raise IntegrityError(msg)
        position.notification_id = tracking.notification_id
        position.save(update_fields=["notification_id"])

    def max_tracking_id(self, application_name: str) -> int | None:
        """The last notification id processed from ``application_name``."""
        position = (
            ProjectionPosition.objects.filter(
                projection=self.projection, application=application_name
            )
            .values_list("notification_id", flat=True)
            .first()
        )
        return position or None


class ReadModelProjection(Projection[DjangoTrackingRecorder]):
    """Base of the registries' projections.

    Subclasses define ``process_event`` as a ``singledispatchmethod`` with one
    handler per event class; the runner (:func:`catch_up`) opens the
    transaction and records the tracking, so handlers only update read models.
    """

    application: ClassVar[type[RegistryApplication]]


def ledger_seq(registry: str, event: Any) -> int:
    """The ledger seq of a stored event (written in the same transaction, so it exists)."""
    seq: int = LedgerEntry.objects.values_list("seq", flat=True).get(
        registry=registry,
        originator_id=event.originator_id,
        originator_version=event.originator_version,
    )
    return seq


Record = TypeVar("Record", bound=LedgerLinked)


def touch(model: type[Record], event: Any, seq: int, **changes: Any) -> Record:
    """Apply ``changes`` to the read model of the event's aggregate and mark it
    with the event's version and ledger seq."""
    record = model._default_manager.get(aggregate_id=event.originator_id)
    # Every read model keeps the version of the aggregate it shows.
    for field, value in {**changes, "version": event.originator_version}.items():
        setattr(record, field, value)
    record.ledger_seq = seq
    record.save()
    return record


def catch_up(projection_class: type[ReadModelProjection]) -> int:
    """Apply every event the projection has not seen yet; return how many.

    Events recorded while it runs may be left to the next catch-up.

    Safe to call from several processes at once: each batch re-reads the
    position under a row lock before applying anything.
    """
    app = running(projection_class.application)
    view = DjangoTrackingRecorder(projection_class.name)
    projection = projection_class(view)
    applied = 0
    while True:
        start = (view.max_tracking_id(app.name) or 0) + 1
        notifications = app.recorder.select_notifications(start=start, limit=BATCH_SIZE)
        if not notifications:
            return applied
        with transaction.atomic():
            position, _ = ProjectionPosition.objects.select_for_update().get_or_create(
                projection=projection_class.name, application=app.name
            )
            fresh = [n for n in notifications if n.id > position.notification_id]
            for notification in fresh:
                event = app.mapper.to_domain_event(notification)
                projection.process_event(event, Tracking(app.name, notification.id))
            if fresh:
                # The row is locked and ``fresh`` lies beyond it: move it on.
                position.notification_id = fresh[-1].id
                position.save(update_fields=["notification_id"])
            applied += len(fresh)
        if len(notifications) < BATCH_SIZE:
            # That was all the log held when it was read (a command's caller
            # has its events in it): no need to ask again.
            return applied


def all_projections() -> list[type[ReadModelProjection]]:
    """Every registry's projections: each registry app lists its own in
    ``<app>.projections.PROJECTIONS``."""
    found: list[type[ReadModelProjection]] = []
    for module in _registry_modules("projections"):
        found.extend(getattr(module, "PROJECTIONS", []))
    return found


def _registry_modules(name: str) -> list[ModuleType]:
    modules = []
    for config in apps.get_app_configs():
        if not config.name.startswith("registries.") or config.name == "registries.common":
            continue
        try:
            modules.append(import_module(f"{config.name}.{name}"))
        except ModuleNotFoundError as error:
            if error.name != f"{config.name}.{name}":
                raise
    return modules


def process_driver(registry: str) -> Callable[[], int] | None:
    """The ``drive_processes`` of one registry's cross-registry processes, if any."""
    name = f"registries.{registry}.processes"
    try:
        module = import_module(name)
    except ModuleNotFoundError as error:
        if error.name != name:
            raise
        return None
    driver: Callable[[], int] = module.drive_processes
    return driver


def all_process_drivers() -> list[Callable[[], int]]:
    """Every registry's cross-registry processes: a registry app that has them
    offers ``<app>.processes.drive_processes() -> int``."""
    return [module.drive_processes for module in _registry_modules("processes")]


def catch_up_all() -> int:
    """Catch up every projection, then run every cross-registry process (which
    then sees up-to-date read models); return how many events were handled."""
    applied = sum(catch_up(projection) for projection in all_projections())
    return applied + sum(drive() for drive in all_process_drivers())


def all_applications() -> list[type[RegistryApplication]]:
    """Every registry's application, as named by its projections."""
    return list(dict.fromkeys(projection.application for projection in all_projections()))
