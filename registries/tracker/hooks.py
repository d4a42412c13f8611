"""The registries' rules for payloads on the chain API (:mod:`chain.api.hooks`).

Connected in :meth:`registries.tracker.apps.TrackerConfig.ready`:

* the subjects of each registry's entries: the personal codes whose data an
  event holds, read from the registry's read model of the event's aggregate
  (a person; a company's founders and board; a land unit's owners; a tracked
  read's subjects; the court and health registries, above the tracker,
  register their own: a case's parties, a health record's patient);
* who is an auditor: an official with the ``auditor`` role of that registry
  (logs that no role acts in, the tracker's and the chain's own, by an
  auditor of any registry), with a token that may act as it;
* an auditor's full receipt is a tracked read of every subject of the entry.
"""

from __future__ import annotations

from typing import Any

from rest_framework.request import Request

from chain.api.hooks import payload_read, register_auditor_check, register_subjects
from chain.verify import EntryRow
from registries.access.roles import request_has_role
from registries.business.models import CompanyPerson
from registries.identity.models import PersonRecord
from registries.identity.services import official_code_of
from registries.identity.vocabulary import ROLE_REGISTRIES
from registries.property.models import OwnershipRecord
from registries.tracker.domain import REGISTRIES as TRACKED_REGISTRIES
from registries.tracker.models import ReadRecord
from registries.tracker.services import purpose_of, record_read

AUDITOR = "auditor"


def identity_subjects(row: EntryRow) -> list[str]:
    """The person whose event it is."""
    return list(
        PersonRecord.objects.filter(aggregate_id=row.originator_id).values_list(
            "personal_code", flat=True
        )
    )


def business_subjects(row: EntryRow) -> list[str]:
    """The company's founders and board members."""
    return list(
        CompanyPerson.objects.filter(company__aggregate_id=row.originator_id).values_list(
            "personal_code", flat=True
        )
    )


def property_subjects(row: EntryRow) -> list[str]:
    """The land unit's natural-person owners."""
    return list(
        OwnershipRecord.objects.filter(
            unit__aggregate_id=row.originator_id, owner_kind="person"
        ).values_list("owner_code", flat=True)
    )


def tracker_subjects(row: EntryRow) -> list[str]:
    """The persons whose data the tracked read was of."""
    return list(
        ReadRecord.objects.filter(aggregate_id=row.originator_id).values_list(
            "subject_code", flat=True
        )
    )


SUBJECTS = {
    "identity": identity_subjects,
    "business": business_subjects,
    "property": property_subjects,
    "tracker": tracker_subjects,
}


def is_auditor(request: Request, registry: str) -> bool:
    """An auditor of ``registry`` (of any registry, for a log no role acts in)."""
    audited = ROLE_REGISTRIES[AUDITOR]
    return any(
        request_has_role(request, name, AUDITOR)
        for name in ([registry] if registry in audited else sorted(audited))
    )


def track_payload_read(
    sender: Any, *, request: Request, row: EntryRow, subjects: frozenset[str], what: str, **_: Any
) -> None:
    """Record an auditor's read of an entry's payload for every person it is about."""
    if row.registry not in TRACKED_REGISTRIES:
        return
    user = request.user
    record_read(
        reader=official_code_of(user) or str(user.get_username()),
        subjects=subjects,
        registry=row.registry,
        what=what,
        purpose=purpose_of(request.query_params, "audit of the chain"),
    )


def connect() -> None:
    """Plug the registries' rules into the chain API (once; idempotent)."""
    for registry, subjects in SUBJECTS.items():
        register_subjects(registry, subjects)
    register_auditor_check(is_auditor)
    payload_read.connect(track_payload_read, dispatch_uid="tracker-payload-read")
