"""What the registries call to record a read of persons' data (the tracker's contract).

A registry whose endpoint or admin page shows a person's health or court data
calls :func:`record_read` once per request, after deciding whether the read
is allowed, with the personal codes whose data was (or would have been)
shown (the court's reads: :mod:`registries.court.reading`). The reader's own
data is not tracked. A read under a covert investigation
(:func:`investigation_of`) is only committed to the chain.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.utils import timezone

from registries.common.commands import issue
from registries.common.errors import InvalidCommand
from registries.tracker.application import TrackerRegistry
from registries.tracker.domain import ALLOWED, MAX_SUBJECTS, check_text
from registries.tracker.investigations import court
from registries.tracker.projections import PROJECTIONS

PURPOSE_PARAMETER = "purpose"
INVESTIGATION_PARAMETER = "covert_investigation"


def purpose_of(params: Any, default: str) -> str:
    """The purpose the reader states (``?purpose=``), or the endpoint's default."""
    stated = params.get(PURPOSE_PARAMETER, "") if params is not None else ""
    return check_text(stated, PURPOSE_PARAMETER) if stated else default


def investigation_of(params: Any) -> str:
    """The criminal case of a covert investigation (``?covert_investigation=1-25-7``), or ''.

    The case must exist and be criminal: a covert read needs a court case that
    can later release it.
    """
    number = params.get(INVESTIGATION_PARAMETER, "") if params is not None else ""
    if not number:
        return ""
    cases = court()
    try:
        cases.check_case_number(number)
    except InvalidCommand as error:
        raise InvalidCommand(f"{INVESTIGATION_PARAMETER}: {error}") from None
    if not cases.is_criminal_case(number):
        raise InvalidCommand(
            f"{INVESTIGATION_PARAMETER}: no criminal case {number}: a covert read is made "
            "under a criminal case that can later release it"
        )
    return str(number)


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
    if not everyone:
        return False
    now = timezone.now()
    for start in range(0, len(everyone), MAX_SUBJECTS):
        _record(
            everyone[start : start + MAX_SUBJECTS],
            now,
            reader=reader,
            registry=registry,
            what=what,
            purpose=purpose,
            outcome=outcome,
            emergency=emergency,
            investigation=investigation,
        )
    return True


def _record(
    others: list[str],
    now: datetime,
    *,
    reader: str,
    registry: str,
    what: str,
    purpose: str,
    outcome: str,
    emergency: bool,
    investigation: str,
) -> None:
    if investigation:
        issue(
            TrackerRegistry,
            PROJECTIONS,
            lambda app: app.commit_covert_read(
                subjects=others,
                reader=reader,
                registry=registry,
                what=what,
                purpose=purpose,
                outcome=outcome,
                read_at=now,
                investigation=investigation,
            ),
        )
    else:
        issue(
            TrackerRegistry,
            PROJECTIONS,
            lambda app: app.record_read(
                subjects=others,
                reader=reader,
                registry=registry,
                what=what,
                purpose=purpose,
                outcome=outcome,
                emergency=emergency,
                read_at=now,
            ),
        )


__all__ = ["investigation_of", "purpose_of", "record_read"]
