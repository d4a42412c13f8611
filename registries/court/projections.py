"""Keeps the court registry's read models from its events.

The court's cross-registry processes are not projections: see
:mod:`registries.court.processes`.
"""

from __future__ import annotations

from typing import Any

from eventsourcing.dispatch import singledispatchmethod

from registries.common.projections import ReadModelProjection
from registries.court.application import CourtRegistry
from registries.court.covert import CovertAccess
from registries.court.domain import Case
from registries.court.models import (
    AppealRecord,
    CaseRecord,
    CovertAccessRecord,
    HearingRecord,
    JudgmentRecord,
    PartyRecord,
)
from registries.court.vocabulary import CLOSED_REASON


class CaseProjection(ReadModelProjection):
    """Cases with their parties, hearings, judgments and appeals."""

    name = "court-cases"
    application = CourtRegistry

    @singledispatchmethod
    def apply(self, event: Any) -> None:
        """Events not shown in these read models (the dockets) are only tracked."""

    @apply.register
    def opened(self, event: Case.Opened) -> None:
        CaseRecord.objects.create(
            number=event.number,
            aggregate_id=event.originator_id,
            kind=event.kind,
            court_code=event.court_code,
            judge_code=event.judge,
            title=event.title,
            public=event.public,
            opened_on=event.opened_on,
            version=event.originator_version,
            ledger_seq=self.seq(event),
        )

    @apply.register
    def party_added(self, event: Case.PartyAdded) -> None:
        seq = self.seq(event)
        record = self.touch(CaseRecord, event)
        PartyRecord.objects.create(
            case=record,
            code=event.code,
            party_kind=event.party_kind,
            role=event.role,
            ledger_seq=seq,
        )

    @apply.register
    def hearing_scheduled(self, event: Case.HearingScheduled) -> None:
        seq = self.seq(event)
        record = self.touch(CaseRecord, event)
        HearingRecord.objects.create(
            case=record,
            number=event.hearing,
            starts_at=event.starts_at,
            room=event.room,
            status="scheduled",
            ledger_seq=seq,
        )

    @apply.register
    def hearing_rescheduled(self, event: Case.HearingRescheduled) -> None:
        seq = self.seq(event)
        record = self.touch(CaseRecord, event)
        record.hearings.filter(number=event.hearing).update(
            starts_at=event.starts_at, room=event.room, ledger_seq=seq
        )

    @apply.register
    def hearing_cancelled(self, event: Case.HearingCancelled) -> None:
        seq = self.seq(event)
        record = self.touch(CaseRecord, event)
        record.hearings.filter(number=event.hearing).update(
            status="cancelled", cancel_reason=event.reason, ledger_seq=seq
        )

    @apply.register
    def judgment_recorded(self, event: Case.JudgmentRecorded) -> None:
        seq = self.seq(event)
        record = self.touch(CaseRecord, event)
        JudgmentRecord.objects.create(
            case=record,
            number=event.judgment,
            kind=event.kind,
            summary=event.summary,
            given_on=event.given_on,
            appeal_deadline=event.appeal_deadline,
            judge_code=event.actor,
            company_code=event.company_code,
            cadastral_code=event.cadastral_code,
            lifts=event.lifts or None,
            ledger_seq=seq,
        )

    @apply.register
    def appeal_filed(self, event: Case.AppealFiled) -> None:
        seq = self.seq(event)
        record = self.touch(CaseRecord, event)
        AppealRecord.objects.create(
            case=record,
            number=event.appeal,
            judgment=event.judgment,
            appellant_code=event.appellant,
            grounds=event.grounds,
            filed_on=event.filed_on,
            ledger_seq=seq,
        )
        record.judgments.filter(number=event.judgment).update(status="appealed", ledger_seq=seq)

    @apply.register
    def appeal_decided(self, event: Case.AppealDecided) -> None:
        seq = self.seq(event)
        record = self.touch(CaseRecord, event)
        record.appeals.filter(number=event.appeal).update(
            status=event.decision,
            decided_on=event.decided_on,
            decision_summary=event.summary,
            decided_by=event.actor,
            ledger_seq=seq,
        )

    @apply.register
    def judgment_final(self, event: Case.JudgmentBecameFinal) -> None:
        seq = self.seq(event)
        record = self.touch(CaseRecord, event)
        record.judgments.filter(number=event.judgment).update(
            status="final",
            final_on=event.final_on,
            final_ground=event.ground,
            final_seq=seq,
            ledger_seq=seq,
        )

    @apply.register
    def judgment_set_aside(self, event: Case.JudgmentSetAside) -> None:
        seq = self.seq(event)
        record = self.touch(CaseRecord, event)
        record.judgments.filter(number=event.judgment).update(status="set_aside", ledger_seq=seq)
        record.appeals.filter(judgment=event.judgment, status="pending").update(
            status="moot", ledger_seq=seq
        )

    @apply.register
    def closed(self, event: Case.Closed) -> None:
        seq = self.seq(event)
        record = self.touch(
            CaseRecord, event, status="closed", closed_on=event.closed_on, outcome=event.outcome
        )
        record.hearings.filter(number__in=event.cancelled_hearings).update(
            status="cancelled", cancel_reason=CLOSED_REASON, ledger_seq=seq
        )

    @apply.register
    def covert_access_authorised(self, event: CovertAccess.Authorised) -> None:
        seq = self.seq(event)
        for person in event.persons:
            for registry in event.registries:
                CovertAccessRecord.objects.get_or_create(
                    case_number=event.number,
                    person_code=person,
                    registry=registry,
                    defaults={
                        "judge_code": event.actor,
                        "authorised_seq": seq,
                        "ledger_seq": seq,
                    },
                )


PROJECTIONS: list[type[ReadModelProjection]] = [CaseProjection]
