"""Cross-registry processes: what the court's final judgments do in other registries.

Each process follows the court's notification log with its own tracking
position (a row of the projections' ``ProjectionPosition`` table, written by
:class:`~registries.common.projections.DjangoTrackingRecorder`) and turns one
kind of event into a command of another registry:

* :class:`InsolvencyLiquidation`: a final insolvency-declaration judgment
  against a company puts it into liquidation in the business registry
  (``BusinessRegistry.enter_liquidation(..., cause=...)``).
* :class:`SeizureNotes`: a final seizure-order judgment notes a seizure in part
  III of the land unit's title register (``PropertyRegistry.note_seizure``), a
  final seizure-lift judgment removes it again (``lift_seizure``). Both act
  when the judgment is final, so an order overturned on appeal never reaches
  the land register.

**The cause.** The other registry's event stores ``cause``, a string naming
the court event that made the judgment final::

    court:<case aggregate id>:<event version>@<court ledger seq>

An auditor follows it from the business or property event to court ledger
entry ``seq`` and checks that its originator id and version are the ones
named (:func:`court_entry_of` does exactly that); the entry's Merkle leaf and
block then prove the court event itself. A lift names the seizure it removes
by that seizure order's own cause.

**Exactly once.** For each event the runner (:func:`run_process`)

1. carries out the other registry's command with the cause (that registry
   commits its event and ledger entry in its own transaction), then
2. records the tracking position (and the outcome, :class:`EnforcementRecord`)
   in one Django transaction.

The two cannot share one transaction: the other registry's event store writes
through its own connection (on SQLite it would wait for the lock a Django
transaction holds). So the process may die between 1 and 2. It then restarts
from the old position and carries out the same command again with the same
cause, and the command is idempotent by cause: the business company already
in liquidation by this cause, or the land unit that has already seen this
cause, records nothing. Dying before 1 loses nothing (the position has not
moved); after 2 the event is never read again. Together: every final judgment
has its effect once, however often the process dies and restarts. Two
runners at once (two Celery workers) may both carry out the command: the
other registry's optimistic version check lets one write and makes the other
see the cause as done, and the tracking row (locked, strictly increasing)
accepts only one of them. A command the other registry refuses (the company
was deleted, the land unit does not exist) is recorded as ``refused`` with its
reason and not retried; any other failure (database down) leaves the position
where it was, and the next run retries.

**Across databases.** The court, business and property registries may each
have a database of their own (ADR 0069): the command commits in the other
registry's database, the position and outcome in the court's. Nothing above
needs them in one: exactly once rests on the idempotent cause, not on a
shared transaction.

**Where they run.** The processes cannot be ordinary projections, whose
handlers run inside the read models' transaction (see above).
``catch_up_all()`` (the in-process beat of ``manage.py serve``, the Celery
beat task ``registries.common.tasks.catch_up_projections``) runs
:func:`drive_processes` after the projections, so the processes see up-to-date
read models; the court's API and admin run it after each command too.
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, cast
from uuid import UUID

from django.db import connections, transaction
from eventsourcing.persistence import IntegrityError, Notification, Tracking
from eventsourcing.utils import get_topic

from chain.ledger.models import LedgerEntry
from registries.business.application import BusinessRegistry
from registries.business.projections import PROJECTIONS as BUSINESS_PROJECTIONS
from registries.common.application import running
from registries.common.commands import issue
from registries.common.errors import Conflict, RegistryError
from registries.common.projections import DjangoTrackingRecorder
from registries.court.application import CourtRegistry
from registries.court.domain import Case
from registries.court.models import EnforcementRecord
from registries.court.vocabulary import INSOLVENCY, SEIZURE_LIFT, SEIZURE_ORDER
from registries.property.application import PropertyRegistry
from registries.property.projections import PROJECTIONS as PROPERTY_PROJECTIONS

log = logging.getLogger(__name__)

FAULT_PAUSE_AFTER_EFFECT = "RIIK_FAULT_PAUSE_AFTER_EFFECT"
ACTOR = "court-process"
BATCH_SIZE = 500
# A refusal for a version race is decided again this many times.
ATTEMPTS = 3
FINAL_TOPIC = get_topic(Case.JudgmentBecameFinal)
CAUSE = re.compile(r"^court:([0-9a-f-]{36}):([1-9][0-9]*)@([1-9][0-9]*)$")


# The cause ------------------------------------------------------------------------------


def court_seq(originator_id: UUID, version: int) -> int | None:
    """The court ledger seq of the case event ``(originator_id, version)``."""
    seq: int | None = (
        LedgerEntry.objects.filter(
            registry=CourtRegistry.name,
            originator_id=originator_id,
            originator_version=version,
        )
        .values_list("seq", flat=True)
        .first()
    )
    return seq


def court_cause(originator_id: UUID, version: int) -> str:
    """``court:<originator id>:<version>@<court ledger seq>`` of a stored court event."""
    seq = court_seq(originator_id, version)
    if seq is None:
        # Events and ledger entries are stored in one transaction: never happens.
        msg = f"court event {originator_id} v{version} has no ledger entry"
        raise LookupError(msg)
    return f"court:{originator_id}:{version}@{seq}"


def court_entry_of(cause: str) -> LedgerEntry | None:
    """The court ledger entry a cause names, if the cause is well formed and
    the entry's seq, originator id and version all agree with it."""
    match = CAUSE.match(cause)
    if match is None:
        return None
    originator_id, version, seq = match.group(1), int(match.group(2)), int(match.group(3))
    entry: LedgerEntry | None = LedgerEntry.objects.filter(
        registry=CourtRegistry.name, seq=seq
    ).first()
    if entry is None or str(entry.originator_id) != originator_id:
        return None
    if entry.originator_version != version:
        return None
    return entry


# The processes ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Effect:
    """A command of another registry that a court event calls for."""

    registry: str
    action: str
    target: str
    carry_out: Callable[[str], object]
    """Issue the command with this cause (idempotent by the cause)."""


class CourtProcess:
    """A follower of the court's log whose effect is a command in another registry."""

    name: ClassVar[str]

    def effect(self, event: Case.JudgmentBecameFinal) -> Effect | None:
        """The command this final judgment calls for, if any (pure: decides only)."""
        raise NotImplementedError


class InsolvencyLiquidation(CourtProcess):
    """A final insolvency declaration puts the company into liquidation."""

    name = "court-process-liquidation"

    def effect(self, event: Case.JudgmentBecameFinal) -> Effect | None:
        if event.kind != INSOLVENCY or not event.company_code:
            return None
        code = event.company_code
        reason = (
            f"Insolvency declared in court case {event.case_number} "
            f"(judgment {event.judgment}, final on {event.final_on:%Y-%m-%d})"
        )

        def carry_out(cause: str) -> object:
            return issue(
                BusinessRegistry,
                BUSINESS_PROJECTIONS,
                lambda app: app.enter_liquidation(code, reason, ACTOR, cause=cause),
            )

        return Effect("business", "enter_liquidation", code, carry_out)


class SeizureNotes(CourtProcess):
    """A final seizure order notes a seizure in part III; a final lift removes it."""

    name = "court-process-seizures"

    def effect(self, event: Case.JudgmentBecameFinal) -> Effect | None:
        unit = event.cadastral_code
        if event.kind == SEIZURE_ORDER and unit:
            reference = f"{event.case_number}/{event.judgment}"
            case_number = event.case_number

            def note(cause: str) -> object:
                return issue(
                    PropertyRegistry,
                    PROPERTY_PROJECTIONS,
                    lambda app: app.note_seizure(
                        cadastral_code=unit,
                        order_reference=reference,
                        court_case=case_number,
                        cause=cause,
                        actor=ACTOR,
                    ),
                )

            return Effect("property", "note_seizure", unit, note)
        if event.kind == SEIZURE_LIFT and unit and event.lifts_final_version:
            case_id, seizure_version = event.originator_id, event.lifts_final_version

            def lift(cause: str) -> object:
                seizure_cause = court_cause(case_id, seizure_version)
                return issue(
                    PropertyRegistry,
                    PROPERTY_PROJECTIONS,
                    lambda app: app.lift_seizure(
                        cadastral_code=unit, seizure_cause=seizure_cause, cause=cause, actor=ACTOR
                    ),
                )

            return Effect("property", "lift_seizure", unit, lift)
        return None


PROCESSES: list[type[CourtProcess]] = [InsolvencyLiquidation, SeizureNotes]


# The runner ---------------------------------------------------------------------------------


def after_effect() -> None:
    """The crash window: the other registry has written, the tracking has not.

    ``RIIK_FAULT_PAUSE_AFTER_EFFECT`` (seconds) holds the process here so that a
    test can kill it; tests also replace this function to raise.
    """
    pause = os.environ.get(FAULT_PAUSE_AFTER_EFFECT, "")
    if pause:
        time.sleep(float(pause))


def _carry_out(effect: Effect, cause: str) -> tuple[str, str]:
    """Issue the command; a refusal is an outcome, any other failure propagates."""
    for attempt in range(ATTEMPTS):
        try:
            effect.carry_out(cause)
        except Conflict as refusal:
            # Possibly a version race with another runner: decide again.
            if attempt + 1 < ATTEMPTS:
                continue
            return EnforcementRecord.REFUSED, str(refusal)
        except RegistryError as refusal:
            return EnforcementRecord.REFUSED, str(refusal)
        return EnforcementRecord.DONE, ""
    raise AssertionError("unreachable")  # pragma: no cover


def _track(
    tracker: DjangoTrackingRecorder, notification_id: int, outcome: dict[str, Any] | None
) -> bool:
    """Record the position (and the outcome) in one transaction; False if another
    runner has already recorded this position."""
    try:
        with transaction.atomic(using=tracker.database):
            tracker.insert_tracking(Tracking(CourtRegistry.name, notification_id))
            if outcome is not None:
                EnforcementRecord.objects.update_or_create(
                    cause=outcome.pop("cause"), defaults=outcome
                )
    except IntegrityError:
        return False
    return True


def _handle(
    process: CourtProcess,
    tracker: DjangoTrackingRecorder,
    app: CourtRegistry,
    notification: Notification,
) -> bool | None:
    """Carry out what one notification calls for and track it.

    None if it calls for nothing (not tracked yet); otherwise whether the
    tracking was recorded by this runner.
    """
    event = cast(Case.JudgmentBecameFinal, app.mapper.to_domain_event(notification))
    effect = process.effect(event)
    if effect is None:
        return None
    seq = court_seq(event.originator_id, event.originator_version)
    cause = court_cause(event.originator_id, event.originator_version)
    outcome, detail = _carry_out(effect, cause)
    after_effect()
    if outcome == EnforcementRecord.REFUSED:
        log.warning("%s: %s %s refused: %s", process.name, effect.action, effect.target, detail)
    return _track(
        tracker,
        notification.id,
        {
            "cause": cause,
            "process": process.name,
            "case_number": event.case_number,
            "judgment": event.judgment,
            "court_seq": seq,
            "registry": effect.registry,
            "action": effect.action,
            "target": effect.target,
            "outcome": outcome,
            "detail": detail,
        },
    )


def run_process(process_class: type[CourtProcess]) -> int:
    """Follow the court's log from the process's position; return how many effects
    this run carried out (or found refused)."""
    process = process_class()
    app = running(CourtRegistry)
    # The position commits with the outcome (EnforcementRecord), so both are
    # in the court's database, wherever the other registry is.
    tracker = DjangoTrackingRecorder(process.name, CourtRegistry.database())
    handled = 0
    while True:
        position = tracker.max_tracking_id(app.name) or 0
        notifications: Sequence[Notification] = app.recorder.select_notifications(
            start=position + 1, limit=BATCH_SIZE
        )
        if not notifications:
            return handled
        overtaken = False
        for notification in notifications:
            if notification.topic != FINAL_TOPIC:
                continue
            tracked = _handle(process, tracker, app, notification)
            if tracked is None:
                continue
            if not tracked:
                overtaken = True  # another runner got further: start from its position
                break
            position = notification.id
            handled += 1
        if not overtaken and notifications[-1].id > position:
            _track(tracker, notifications[-1].id, None)


def run_processes() -> int:
    """Run every court process; return how many effects were handled."""
    return sum(run_process(process) for process in PROCESSES)


def drive_processes() -> int:
    """:func:`run_processes`, unless inside a transaction; failures are logged, not raised."""
    if any(connections[alias].in_atomic_block for alias in connections):
        log.debug("court processes deferred: called inside a transaction")
        return 0
    handled = 0
    for process in PROCESSES:
        try:
            handled += run_process(process)
        except Exception:
            log.exception("court process %s failed; retrying on the next catch-up", process.name)
    return handled


__all__ = [
    "FAULT_PAUSE_AFTER_EFFECT",
    "PROCESSES",
    "CourtProcess",
    "Effect",
    "InsolvencyLiquidation",
    "SeizureNotes",
    "court_cause",
    "court_entry_of",
    "drive_processes",
    "run_process",
    "run_processes",
]
