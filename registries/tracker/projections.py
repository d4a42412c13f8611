"""Keeps the data tracker's read models from its events."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from eventsourcing.dispatch import singledispatchmethod

from registries.common.projections import ReadModelProjection
from registries.tracker.application import TrackerRegistry
from registries.tracker.domain import CovertRead, DataRead
from registries.tracker.models import CovertCommitmentRecord, ReadRecord


def _lines(event: Any, record: dict[str, Any], seq: int, **extra: Any) -> None:
    ReadRecord.objects.bulk_create(
        ReadRecord(
            aggregate_id=event.originator_id,
            subject_code=subject,
            reader_code=record["reader"],
            registry=record["registry"],
            what=record["what"],
            purpose=record["purpose"],
            outcome=record["outcome"],
            emergency=record["emergency"],
            read_at=datetime.fromisoformat(record["read_at"]),
            investigation=record.get("investigation", ""),
            version=event.originator_version,
            ledger_seq=seq,
            **extra,
        )
        for subject in record["subjects"]
    )


class ReadProjection(ReadModelProjection):
    """One line per person and read; covert reads as bare commitments until disclosed."""

    name = "tracker-reads"
    application = TrackerRegistry

    @singledispatchmethod
    def apply(self, event: Any) -> None:
        """Every tracker event has a handler."""

    @apply.register
    def recorded(self, event: DataRead.Recorded) -> None:
        _lines(event, event.record, self.seq(event))

    @apply.register
    def committed(self, event: CovertRead.Committed) -> None:
        seq = self.seq(event)
        CovertCommitmentRecord.objects.create(
            aggregate_id=event.originator_id,
            commitment=event.commitment,
            registry=event.registry,
            committed_seq=seq,
            version=event.originator_version,
            ledger_seq=seq,
        )

    @apply.register
    def disclosed(self, event: CovertRead.Disclosed) -> None:
        seq = self.seq(event)
        CovertCommitmentRecord.objects.filter(aggregate_id=event.originator_id).update(
            disclosed=True, version=event.originator_version, ledger_seq=seq
        )
        _lines(
            event,
            event.record,
            seq,
            covert=True,
            disclosed_by=f"{event.case_number} judgment {event.judgment}",
        )


PROJECTIONS: list[type[ReadModelProjection]] = [ReadProjection]
