"""The base of every registry's eventsourcing application, and its one write path.

A command names its aggregate with a :class:`Ref` and goes through
:meth:`RegistryApplication.update` (load, decide, save with the ledger entries in
one transaction); the one concurrency policy is :meth:`~RegistryApplication.retrying`;
a taken id of a new aggregate is refused at once by :meth:`~RegistryApplication.create`.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Generic, TypeVar
from uuid import UUID

from django.db import connections
from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate, DomainEventProtocol
from eventsourcing.persistence import IntegrityError as EventStoreConflict
from eventsourcing.persistence import JSONTranscoder, StoredEvent, Transcoding

from chain.ledger.databases import log_database
from chain.ledger.persistence import event_store_env
from chain.ledger.together import insert_together
from registries.common.errors import Conflict, InvalidCommand, NotFound, RegistryError
from registries.common.payments import Charge, paid, till
from registries.common.texts import N_, Message, on_field

__all__ = [
    "ATTEMPTS",
    "MAX_BATCH",
    "Decision",
    "ItemRefused",
    "Ref",
    "RegistryApplication",
    "running",
    "save_together",
    "stop_all",
]

ATTEMPTS = 3
"""How often a command is decided in all when it keeps losing version races."""

MAX_BATCH = 1000
"""The most items one batched command takes (one transaction, one ledger append)."""

A = TypeVar("A", bound=Aggregate)
T = TypeVar("T")
Item = TypeVar("Item")


@dataclass(frozen=True)
class Decision(Generic[T]):
    """What one item of a batched command decided, before anything is saved.

    ``aggregates`` recorded its new events, ``charges`` are the state fees it
    pays (settled with the batch), ``result`` is what the caller gets for the
    item (a new registry code, for instance).
    """

    aggregates: Sequence[Aggregate]
    result: T
    charges: Sequence[Charge | None] = ()


class ItemRefused(RegistryError):
    """One item of a batched command refused: the refusal of that item, named by its
    place in the batch (``companies.3: ...``), with the status the item's refusal has.

    Nothing of the batch is written.
    """

    def __init__(self, field: str, index: int, refusal: RegistryError) -> None:
        item = f"{field}.{index}"
        reason = refusal.message
        if reason is None:
            # A fixed text marked where it was raised: looked up as it is.
            reason = Message(str(refusal).replace("{", "{{").replace("}", "}}"))
        super().__init__(on_field(item, reason))
        self.item = item
        self.index = index
        self.refusal = refusal
        self.status = refusal.status
        self.title = refusal.title
        self.slug = refusal.slug


@dataclass(frozen=True)
class Ref(Generic[A]):
    """One aggregate as a command names it.

    ``what`` is how the registry's users know it (``company with registry code
    12345678``): a missing one is ``NotFound("no <what>")``, prefixed with the
    command's ``field`` when there is one. ``new`` starts the aggregate when the
    command is the first for it (a docket, a health record); without it a
    missing aggregate is not found.
    """

    kind: type[A]
    id: UUID
    what: str | Message
    field: str = ""
    new: Callable[[], A] | None = None

    def not_found(self) -> NotFound:
        """The refusal for a command on an aggregate that does not exist."""
        if self.field:
            return NotFound(
                Message(N_("{field}: no {what}"), {"field": self.field, "what": self.what})
            )
        return NotFound(Message(N_("no {what}"), {"what": self.what}))


class DateAsISO(Transcoding):
    """Calendar dates in events, written as ``YYYY-MM-DD``."""

    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


class RegistryApplication(Application[UUID]):
    """An eventsourcing application whose saves also append to the registry's ledger.

    ``name`` is the registry (``business``): it names the event table
    (``business_events``), the ledger log and the notification log that the
    projections follow.
    """

    name = "registry"

    def __init__(self, env: dict[str, str] | None = None, *, create_tables: bool = False) -> None:
        # Explicit settings win over process variables (eventsourcing merges
        # os.environ first), so a stray PERSISTENCE_MODULE cannot redirect it.
        store = event_store_env(self.database(), create_tables=create_tables)
        super().__init__(env={**store, **(env or {})})

    @classmethod
    def database(cls) -> str:
        """The alias of the database holding this registry's events, log and read models."""
        return log_database(cls.name)

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        """Add calendar dates to the library's transcodings."""
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())

    def domain_events(self, stored: Sequence[StoredEvent]) -> list[DomainEventProtocol[UUID]]:
        """The domain events of a batch of stored events (a page of notifications a
        projection applies); a sealing registry opens them with one key query."""
        return [self.mapper.to_domain_event(event) for event in stored]

    def find(self, kind: type[A], aggregate_id: UUID) -> A | None:
        """The ``kind`` of aggregate with this id, or None if nothing was ever recorded for it."""
        try:
            found: Aggregate = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None
        if not isinstance(found, kind):
            msg = f"aggregate {aggregate_id} is a {type(found).__name__}, not a {kind.__name__}"
            raise TypeError(msg)
        return found

    def get(self, ref: Ref[A]) -> A:
        """The aggregate ``ref`` names (or a new one, if it says how to start it);
        otherwise :class:`~registries.common.errors.NotFound`."""
        found = self.find(ref.kind, ref.id)
        if found is not None:
            return found
        if ref.new is None:
            raise ref.not_found()
        return ref.new()

    def update(self, ref: Ref[A], decide: Callable[[A], T]) -> T:
        """Load the aggregate, let ``decide`` record its events, save them; return
        what ``decide`` returned.

        ``decide`` refuses by raising a
        :class:`~registries.common.errors.RegistryError`; recording nothing (an
        idempotent repetition) saves nothing. A lost race is decided again
        (:meth:`retrying`).
        """

        def attempt() -> T:
            aggregate = self.get(ref)
            result = decide(aggregate)
            if aggregate.pending_events:
                self.save(aggregate)
            return result

        return self.retrying(attempt, ref.what)

    def retrying(self, attempt: Callable[[], T], what: str | Message) -> T:
        """Run ``attempt`` (load, decide, save) under the one concurrency policy.

        When its save loses an optimistic-concurrency race (another command
        saved one of its aggregates first) nothing was written, and it is run
        again on the new state, :data:`ATTEMPTS` times in all; then it is refused
        with a :class:`~registries.common.errors.Conflict` naming ``what``.
        Commands that save more than one aggregate use it directly;
        :meth:`update` is the common case of one.
        """
        for _ in range(ATTEMPTS):
            try:
                return attempt()
            except EventStoreConflict:
                continue
        raise Conflict(
            Message(
                N_("the {what} was changed by other commands at the same time; try again"),
                {"what": what},
            )
        )

    def save_settling(
        self, aggregates: Sequence[Aggregate], charges: Sequence[Charge | None]
    ) -> None:
        """Save ``aggregates`` and the wallets that pay ``charges`` in ONE transaction.

        The charges (state fees, a price) are decided on freshly loaded wallets
        first: a refusal (insufficient funds, no open wallet) raises before
        anything is written. Then this registry's events and the money
        registry's, each with its ledger entries, commit together or not at
        all (:func:`~chain.ledger.together.insert_together`), so they are in
        one ledger transaction and one block. A version race on any of them
        raises like :meth:`save` and is decided again by :meth:`retrying`.
        Without charges it is :meth:`save`.
        """
        due = [charge for charge in charges if charge is not None]
        if not due:
            self.save(*aggregates)
            return
        money = till()
        wallets = money.settle(due)
        save_together((self, aggregates), (money.application(), wallets))
        paid()

    def batch(
        self, items: Sequence[Item], decide: Callable[[Item], Decision[T]], *, field: str
    ) -> list[T]:
        """A batched command: decide every item, then save ALL of it in one transaction.

        Each item is decided by ``decide(item)`` on freshly loaded aggregates of
        its own (as its single command would be); nothing is saved
        until every item is decided; then the events of every item, with the
        state fees they pay, are saved by one :meth:`save_settling`: one
        recorder transaction, one ledger append of all their entries, so the
        batch is written whole or not at all. Returns the items' results in order.

        An item that is refused, or that acts on an aggregate an earlier item
        of the batch acts on (each item must stand alone: it was decided
        without the other items' pending events), refuses the whole batch with
        :class:`ItemRefused` naming it as ``<field>.<index>``; a state fee the
        payers cannot pay names the first item whose fee fails. A lost version
        race decides the whole batch again (:meth:`retrying`).
        """
        if not items:
            raise InvalidCommand(on_field(field, N_("give at least one item")))
        if len(items) > MAX_BATCH:
            raise InvalidCommand(
                on_field(
                    field, Message(N_("at most {count} items in one batch"), {"count": MAX_BATCH})
                )
            )

        def attempt() -> list[T]:
            decisions: list[Decision[T]] = []
            acted_on: dict[UUID, int] = {}
            for index, item in enumerate(items):
                try:
                    decision = decide(item)
                except RegistryError as refusal:
                    raise ItemRefused(field, index, refusal) from None
                for aggregate in decision.aggregates:
                    earlier = acted_on.setdefault(aggregate.id, index)
                    if earlier != index:
                        raise ItemRefused(
                            field,
                            index,
                            Conflict(
                                Message(
                                    N_("acts on a record that {item} of the same batch acts on"),
                                    {"item": f"{field}.{earlier}"},
                                )
                            ),
                        )
                decisions.append(decision)
            changed = [a for d in decisions for a in d.aggregates if a.pending_events]
            charges = [charge for d in decisions for charge in d.charges]
            try:
                self.save_settling(changed, charges)
            except RegistryError as refusal:
                raise _charge_refused(decisions, refusal, field) from None
            return [decision.result for decision in decisions]

        return self.retrying(attempt, Message(N_("batch of {field}"), {"field": field}))

    def create(self, *aggregates: Aggregate, taken: str) -> None:
        """Save new aggregates whose ids derive from a code or a name, refused at once
        if the event store refuses them.

        A new aggregate's id taken meanwhile (the same code registered by a
        concurrent command) is a uniqueness clash, not a race to decide again:
        :class:`~registries.common.errors.Conflict` with ``taken``, no retry.
        """
        try:
            self.save(*aggregates)
        except EventStoreConflict:
            raise Conflict(taken) from None


def _charge_refused(
    decisions: Sequence[Decision[T]], refusal: RegistryError, field: str
) -> ItemRefused:
    """The refusal of a batch's state fees, named by the first item whose fee fails.

    Settling decides the fees in order on the payers' wallets (so a payer of
    several items pays them one after another); a prefix of the batch that
    settles has no failing item, so the first failing one is found by bisection
    over prefixes (decided only, nothing saved).
    """
    due = [[charge for charge in d.charges if charge is not None] for d in decisions]
    low, high = 0, len(decisions) - 1  # the first failing item is in [low, high]
    while low < high:
        middle = (low + high) // 2
        try:
            till().settle([charge for charges in due[: middle + 1] for charge in charges])
        except RegistryError as first:
            high, refusal = middle, first
        else:
            low = middle + 1
    return ItemRefused(field, low, refusal)


def save_together(*parts: tuple[Application[UUID], Sequence[Aggregate]]) -> None:
    """Save the aggregates of several registries in one database transaction.

    Each registry's new events go to its own event table with its own ledger
    entries, as :meth:`RegistryApplication.save` would write them, but all
    commit together. Registries saved together share one database.
    """
    merged: dict[int, tuple[Application[UUID], list[Aggregate]]] = {}
    for app, aggregates in parts:
        merged.setdefault(id(app), (app, []))[1].extend(aggregates)
    insert_together(
        [
            (
                app.recorder,
                [
                    app.mapper.to_stored_event(event)
                    for aggregate in aggregates
                    for event in aggregate.collect_events()
                ],
            )
            for app, aggregates in merged.values()
        ]
    )


App = TypeVar("App", bound=RegistryApplication)

_lock = threading.Lock()
_running: dict[tuple[type[RegistryApplication], str, int], RegistryApplication] = {}


def running(app_class: type[App]) -> App:
    """The process-wide instance of a registry application.

    Keyed by its database's name and process id, so a forked Celery worker and
    the test database each get their own connection pool.
    """
    name = str(connections[app_class.database()].settings_dict["NAME"])
    key = (app_class, name, os.getpid())
    with _lock:
        app = _running.get(key)
        if app is None:
            app = app_class()
            _running[key] = app
    assert isinstance(app, app_class)
    return app


def create_event_tables(
    app_classes: list[type[RegistryApplication]], database: str = "default"
) -> None:
    """Create the event tables of these registries that live in ``database``
    (run by ``migrate`` of that database)."""
    for app_class in app_classes:
        if app_class.database() == database:
            app_class(create_tables=True).close()


def stop_all() -> None:
    """Close every running application's connections (tests, shutdown)."""
    with _lock:
        for app in _running.values():
            app.close()
        _running.clear()
