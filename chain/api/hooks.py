"""What the chain API asks of the registries, without importing them.

The chain proves; it does not publish (DESIGN §8). Anyone gets envelopes,
proofs and public receipts; a registry event's payload bytes go only to an
auditor of that registry, as a tracked read of every person in them, or to
the entry's own subject through ``/me``. Whose data an entry holds, who is an
auditor and how a read is tracked are the registries' rules, and ``chain/``
never imports ``registries/``: so the registries plug them in here from
their ``AppConfig.ready()``:

* :func:`register_subjects` -- per registry log, a function naming the
  personal codes whose data an entry holds (its subjects);
* :func:`register_auditor_check` -- whether a request comes from an auditor
  of a registry log;
* :data:`payload_read` -- sent before a full receipt leaves; a receiver
  records the read (the data tracker). A receiver that raises stops the
  answer, so no payload leaves untracked;
* :func:`register_public_records` -- per registry log whose records have a
  public identifier (a company's registry code, a land unit's cadastral code,
  a case number), how to find the record's aggregate by it, so the explorer
  can list the entries of that record.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from uuid import UUID

from django.dispatch import Signal
from rest_framework.request import Request

from chain.verify import EntryRow

SubjectsOf = Callable[[EntryRow], Collection[str]]
AuditorCheck = Callable[[Request, str], bool]
FindRecord = Callable[[str], UUID | None]


@dataclass(frozen=True)
class PublicRecords:
    """How a registry's records are found by their public identifier.

    ``find`` answers the aggregate id of the record with that identifier, or
    None; it raises the registry's own 400 for a malformed identifier.
    ``identifier`` names it for people (e.g. "registry code").
    """

    identifier: str
    find: FindRecord


payload_read = Signal()
"""Sent with ``request``, ``row`` (the :class:`~chain.verify.EntryRow` served with its
payload), ``subjects`` (frozenset of personal codes) and ``what`` (a description)."""

_subjects: dict[str, SubjectsOf] = {}
_auditor_checks: list[AuditorCheck] = []
_public_records: dict[str, PublicRecords] = {}


def register_subjects(registry: str, subjects_of: SubjectsOf) -> None:
    """Say how to find the subjects (personal codes) of an entry of ``registry``'s log."""
    _subjects[registry] = subjects_of


def subjects_of(row: EntryRow) -> frozenset[str]:
    """The personal codes whose data the entry holds (none if its registry names none)."""
    find = _subjects.get(row.registry)
    return frozenset(find(row)) if find is not None else frozenset()


def register_auditor_check(check: AuditorCheck) -> None:
    """Add a way to tell an auditor of a registry log (any one that says yes suffices)."""
    if check not in _auditor_checks:
        _auditor_checks.append(check)


def is_auditor(request: Request, registry: str) -> bool:
    """Whether the request comes from an auditor of ``registry``'s log (no check: nobody)."""
    return any(check(request, registry) for check in _auditor_checks)


def register_public_records(registry: str, identifier: str, find: FindRecord) -> None:
    """Say how a record of ``registry`` is found by its public ``identifier``."""
    _public_records[registry] = PublicRecords(identifier, find)


def public_records() -> dict[str, PublicRecords]:
    """The registries whose records have a public identifier, by log name."""
    return dict(_public_records)
