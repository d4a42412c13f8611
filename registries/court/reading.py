"""The tracked reads of court data, and the cases covert reads rest on.

Every read of a court case by a signed-in person -- in the API or the admin --
is recorded on the data tracker's chain with the case's natural-person
parties as its subjects (:func:`track_court_read`, through
:func:`registries.tracker.services.record_read`). The court also answers the
tracker's questions about covert investigations (:class:`CourtInvestigations`,
registered in :class:`registries.court.apps.CourtConfig`): a covert read is
made under a criminal case, only of the data of a person that a decision of
the case names (or, for an investigator, of a party of the case), and
released by a final judgment of it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from chain.verify import EntryRow
from registries.court.models import (
    ERASED,
    CaseRecord,
    CovertAccessRecord,
    JudgmentRecord,
    PartyRecord,
)
from registries.court.vocabulary import check_case_number
from registries.identity.services import has_role, official_code_of
from registries.tracker.services import investigation_of, purpose_of, record_read


class CourtInvestigations:
    """The court registry's answers to the tracker about covert investigations."""

    def check_case_number(self, number: str) -> str:
        """A well-formed case number, or InvalidCommand saying why not."""
        return check_case_number(number)

    def is_criminal_case(self, number: str) -> bool:
        """Whether the register holds a criminal case with this number."""
        return CaseRecord.objects.filter(number=number, kind="criminal").exists()

    def authorises(self, case_number: str, reader: str, person: str, registry: str) -> bool:
        """Whether the case lets ``reader`` read ``person``'s data in ``registry`` covertly.

        Either a decision of the case's judge names the person and the registry
        (:meth:`~registries.court.application.CourtRegistry.authorise_covert_access`),
        or the reader is an investigator and the person is a party of the case.
        """
        if CovertAccessRecord.objects.filter(
            case_number=case_number, person_code=person, registry=registry
        ).exists():
            return True
        return (
            has_role(reader, "court", "investigator")
            and PartyRecord.objects.filter(
                case__number=case_number, code=person, party_kind="person"
            ).exists()
        )

    def releases(self, case_number: str, judgment: int) -> bool:
        """Whether the case has a final judgment with this number."""
        return JudgmentRecord.objects.filter(
            case__number=case_number, number=judgment, status="final"
        ).exists()


def track_court_read(user: Any, cases: Iterable[CaseRecord], what: str, params: Any) -> bool:
    """Record that ``user`` read these cases: their natural-person parties are the subjects.

    Anonymous reads of the public register are not tracked (no one to name).
    """
    if not (user and user.is_authenticated):
        return False
    reader = official_code_of(user) or str(user.get_username())
    # An erased party is no one to tell any more: only their pseudonym is left.
    subjects = (
        PartyRecord.objects.filter(case__in=[case.pk for case in cases], party_kind="person")
        .exclude(code__startswith=ERASED)
        .values_list("code", flat=True)
    )
    return record_read(
        reader=reader,
        subjects=list(subjects),
        registry="court",
        what=what,
        purpose=purpose_of(params, "court proceedings"),
        investigation=investigation_of(params),
    )


def entry_subjects(row: EntryRow) -> list[str]:
    """The natural-person parties of the case a court ledger entry is about (its subjects
    on the chain API, registered in :class:`registries.court.apps.CourtConfig`)."""
    return list(
        PartyRecord.objects.filter(case__aggregate_id=row.originator_id, party_kind="person")
        .exclude(code__startswith=ERASED)
        .values_list("code", flat=True)
    )
