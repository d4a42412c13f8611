"""Keeps the data tracker's read models from its events."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from eventsourcing.dispatch import singledispatchmethod

from registries.common.projections import ReadModelProjection
from registries.tracker.application import TrackerRegistry
from registries.tracker.domain import CovertRead, DataRead
from registries.tracker.models import ERASED, CovertCommitmentRecord, ReadRecord


def _lines(event: Any, record: dict[str, Any], seq: int, **extra: Any) -> None:
    # A value whose key an erasure destroyed opens as None (a rebuild of the read model
    # after the erasure): the line stays, naming no one.
    ReadRecord.objects.bulk_create(
        ReadRecord(
            aggregate_id=event.originator_id,
            subject_code=subject or ERASED,
            reader_code=record["reader"] or ERASED,
            registry=record["registry"],
            what=record["what"] or "",
            purpose=record["purpose"] or "",
            outcome=record["outcome"],
            emergency=record["emergency"],
            read_at=datetime.fromisoformat(record["read_at"]),
            investigation=record.get("investigation") or "",
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
