"""What the registries call to record a read of persons' data (the tracker's contract).

A registry whose endpoint or admin page shows a person's health or court data
calls :func:`record_read` once per request, after deciding whether the read
is allowed, with the personal codes whose data was (or would have been)
shown (the court's reads: :mod:`registries.court.reading`). The reader's own
data is not tracked.

A read that cites a covert investigation (:func:`investigation_of`) is only
committed to the chain when the investigation's criminal case authorises it
for every person read (:func:`covert_refusal`); otherwise it is refused and
recorded in the open. A refused read is never covert.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.utils import timezone

from registries.common.commands import issue
from registries.common.errors import InvalidCommand, RegistryError
from registries.tracker.application import TrackerRegistry
from registries.tracker.domain import (
    ALLOWED,
    MAX_SUBJECTS,
    REFUSED,
    CovertReadRefused,
    check_text,
)
from registries.tracker.investigations import court
from registries.tracker.projections import PROJECTIONS

PURPOSE_PARAMETER = "purpose"
INVESTIGATION_PARAMETER = "covert_investigation"


def purpose_of(params: Any, default: str) -> str:
    """The purpose the reader states (``?purpose=``), or the endpoint's default."""
    stated = params.get(PURPOSE_PARAMETER, "") if params is not None else ""
    return check_text(stated, PURPOSE_PARAMETER) if stated else default


def investigation_of(params: Any) -> str:
    """The criminal case a reader cites for a covert read (``?covert_investigation=1-25-7``),
    or ''. Whether the case lets them read covertly is decided when the read is recorded."""
    number = params.get(INVESTIGATION_PARAMETER, "") if params is not None else ""
    return check_text(number, INVESTIGATION_PARAMETER, required=False) if number else ""


def covert_refusal(
    reader: str, subjects: Iterable[str], registry: str, investigation: str
) -> RegistryError | None:
    """Why ``reader`` may not read these persons' data covertly under the case, or None.

    The case must be a criminal case of the court (400 otherwise), and it must
    authorise the covert read of every person's data in ``registry``: a decision
    of its judge naming the person, or an investigator reading a party of the
    case (403 otherwise).
    """
    cases = court()
    try:
        cases.check_case_number(investigation)
    except InvalidCommand as error:
        return InvalidCommand(f"{INVESTIGATION_PARAMETER}: {error}")
    if not cases.is_criminal_case(investigation):
        return InvalidCommand(
            f"{INVESTIGATION_PARAMETER}: no criminal case {investigation}: a covert read is made "
            "under a criminal case that can later release it"
        )
    for subject in subjects:
        if not cases.authorises(investigation, reader, subject, registry):
            return CovertReadRefused(
                f"{INVESTIGATION_PARAMETER}: case {investigation} does not authorise a covert "
                f"read of the {registry} data of {subject}: that needs a decision of the case's "
                "judge naming the person, or an investigator reading a party of the case. "
                "The read is refused, and the refusal is shown to the person"
            )
    return None


def record_read(
    *,
    reader: str,
    subjects: Iterable[str],
    registry: str,
    what: str,
    purpose: str,
    outcome: str = ALLOWED,
    emergency: bool = False,
    investigation: str = "",
) -> bool:
    """Record a read on the tracker's chain; False if it concerned only the reader."""
    everyone = sorted({code for code in subjects if code and code != reader})
    covert = bool(investigation) and outcome == ALLOWED
    refusal = covert_refusal(reader, everyone, registry, investigation) if covert else None
    if refusal is not None:
        outcome, covert = REFUSED, False
    now = timezone.now()
    for start in range(0, len(everyone), MAX_SUBJECTS):
        _record(
            everyone[start : start + MAX_SUBJECTS],
            now,
            covert=covert,
            reader=reader,
            registry=registry,
            what=what,
            purpose=purpose,
            outcome=outcome,
            emergency=emergency,
            investigation=investigation,
        )
    if refusal is not None:
        raise refusal
    return bool(everyone)


def _record(
    others: list[str],
    now: datetime,
    *,
    covert: bool,
    reader: str,
    registry: str,
    what: str,
    purpose: str,
    outcome: str,
    emergency: bool,
    investigation: str,
) -> None:
    read: dict[str, Any] = {
        "subjects": others,
        "reader": reader,
        "registry": registry,
        "what": what,
        "purpose": purpose,
        "outcome": outcome,
        "read_at": now,
        "investigation": investigation,
    }
    if covert:
        issue(TrackerRegistry, PROJECTIONS, lambda app: app.commit_covert_read(**read))
    else:
        issue(
            TrackerRegistry, PROJECTIONS, lambda app: app.record_read(**read, emergency=emergency)
        )


__all__ = ["covert_refusal", "investigation_of", "purpose_of", "record_read"]
