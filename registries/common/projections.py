"""Read models kept by following a registry's notification log, exactly once.

Built on eventsourcing's projection contract: a :class:`ReadModelProjection`
is the library's ``Projection`` whose view is a ``TrackingRecorder`` on the
Django ORM (:class:`DjangoTrackingRecorder`). The runner (:func:`catch_up`)
applies the log in batches: the batch's read-model rows and its tracking
position commit in one Django transaction, so a crash between the two can
neither skip nor repeat an event. The library's own ``ProjectionRunner``
follows a live subscription in threads of its own; a command's caller needs
its effect in the read models before the response instead (read-your-writes,
:func:`registries.common.commands.issue`), hence this synchronous catch-up.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable, Sequence
from functools import reduce
from importlib import import_module
from operator import or_
from types import ModuleType
from typing import Any, ClassVar, TypeVar
from uuid import UUID

from django.apps import apps
from django.db import transaction
from django.db.models import Q
from eventsourcing.persistence import IntegrityError, Tracking, TrackingRecorder
from eventsourcing.projection import Projection

from chain.ledger.models import LedgerEntry
from registries.common.application import RegistryApplication, running
from registries.common.models import LedgerLinked, ProjectionPosition

BATCH_SIZE = 500

Record = TypeVar("Record", bound=LedgerLinked)


class DjangoTrackingRecorder(TrackingRecorder):
    """eventsourcing tracking recorder on the Django ORM, for one projection (or process).

    The positions live in ``database``: the one whose rows the projection (or
    process) writes in the same transaction, so that with registries in
    several databases a position still commits with what it records.
    """

    def __init__(self, projection: str, database: str = "default") -> None:
        self.projection = projection
        self.database = database

    def insert_tracking(self, tracking: Tracking) -> None:
        """Record the position; must run inside the read-model transaction.

        The library's contract: a position not beyond the recorded one is an
        ``IntegrityError`` (another runner got there first).
        """
        position = self._locked(tracking.application_name)
        if tracking.notification_id <= position.notification_id:
            msg = f"{self.projection} already processed notification {tracking.notification_id}"
            raise IntegrityError(msg)
        position.notification_id = tracking.notification_id
        position.save(update_fields=["notification_id"])

    def max_tracking_id(self, application_name: str) -> int | None:
        """The last notification id processed from ``application_name``."""
        position = (
            ProjectionPosition.objects.using(self.database)
            .filter(projection=self.projection, application=application_name)
            .values_list("notification_id", flat=True)
            .first()
        )
        return position or None

    def locked_tracking_id(self, application_name: str) -> int:
        """The last notification id processed, read under a row lock held until the
        transaction ends (0 before the first): the runner then applies only what
        lies beyond it, and no other runner can move it meanwhile."""
        return int(self._locked(application_name).notification_id)

    def _locked(self, application_name: str) -> ProjectionPosition:
        positions = ProjectionPosition.objects.using(self.database)
        position, _ = positions.select_for_update().get_or_create(
            projection=self.projection, application=application_name
        )
        return position


class ReadModelProjection(Projection[DjangoTrackingRecorder]):
    """Base of the registries' projections.

    The library's ``process_event(event, tracking)`` calls :meth:`apply`, which
    each projection defines as a ``singledispatchmethod`` with one handler
    ``(self, event)`` per event class. Handlers only update read models: the
    runner opens the transaction, :meth:`process_batch` records the tracking.
    A handler finds its event's ledger seq with :meth:`seq` (looked up once
    for the whole batch) and marks the aggregate's record with :meth:`touch`.
    """

    application: ClassVar[type[RegistryApplication]]

    def __init__(self, view: DjangoTrackingRecorder) -> None:
        super().__init__(view)
        self._seqs: dict[tuple[UUID, int], int] = {}

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        """Apply one event (the library's entry point); :meth:`process_batch` records
        the tracking of the batch's last event, which covers this one."""
        self.apply(domain_event)

    @abstractmethod
    def apply(self, event: Any) -> None:
        """Update the read models for one event (events not shown are only tracked)."""

    def process_batch(self, batch: Sequence[tuple[Any, Tracking]]) -> None:
        """Apply consecutive events of the log and record the last one's tracking;
        inside the runner's transaction."""
        self._seqs = ledger_seqs(self.application.name, [event for event, _ in batch])
        for event, tracking in batch:
            self.process_event(event, tracking)
        self.view.insert_tracking(batch[-1][1])

    def seq(self, event: Any) -> int:
        """The ledger seq of an event of the batch being applied."""
        return self._seqs[(event.originator_id, event.originator_version)]

    def touch(self, model: type[Record], event: Any, **changes: Any) -> Record:
        """Apply ``changes`` to the read model of the event's aggregate and mark it
        with the event's version and ledger seq."""
        record = model._default_manager.get(aggregate_id=event.originator_id)
        # Every read model keeps the version of the aggregate it shows.
        for field, value in {**changes, "version": event.originator_version}.items():
            setattr(record, field, value)
        record.ledger_seq = self.seq(event)
        record.save()
        return record


def ledger_seqs(registry: str, events: Sequence[Any]) -> dict[tuple[UUID, int], int]:
    """The ledger seqs of stored events, in one query, by (originator id, version).

    Each entry was written in its event's transaction, so every event has one.
    """
    if not events:
        return {}
    versions: dict[UUID, list[int]] = {}
    for event in events:
        versions.setdefault(event.originator_id, []).append(event.originator_version)
    # One disjunct per aggregate, each answered by the (registry, id, version) index.
    wanted = reduce(
        or_,
        (Q(originator_id=i, originator_version__in=v) for i, v in versions.items()),
    )
    rows = LedgerEntry.objects.filter(wanted, registry=registry).values_list(
        "originator_id", "originator_version", "seq"
    )
    return {(originator_id, version): seq for originator_id, version, seq in rows}


def catch_up(projection_class: type[ReadModelProjection]) -> int:
    """Apply every event the projection has not seen yet; return how many.

    Events recorded while it runs may be left to the next catch-up.

    Safe to call from several processes at once: each batch re-reads the
    position under a row lock before applying anything.
    """
    app = running(projection_class.application)
    # The read models, and so the positions, are in the registry's database.
    database = projection_class.application.database()
    view = DjangoTrackingRecorder(projection_class.name, database)
    projection = projection_class(view)
    applied = 0
    while True:
        start = (view.max_tracking_id(app.name) or 0) + 1
        notifications = app.recorder.select_notifications(start=start, limit=BATCH_SIZE)
        if not notifications:
            return applied
        with transaction.atomic(using=database):
            position = view.locked_tracking_id(app.name)
            fresh = [n for n in notifications if n.id > position]
            if fresh:
                events = app.domain_events(fresh)
                projection.process_batch(
                    [(e, Tracking(app.name, n.id)) for e, n in zip(events, fresh, strict=True)]
                )
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
