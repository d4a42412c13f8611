"""Keeps the data tracker's read models from its events."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from eventsourcing.dispatch import singledispatchmethod
from eventsourcing.persistence import Tracking

from registries.common.projections import ReadModelProjection, ledger_seq
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
    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        """Every tracker event has a handler."""

    @process_event.register
    def recorded(self, event: DataRead.Recorded, tracking: Tracking) -> None:
        _lines(event, event.record, ledger_seq(TrackerRegistry.name, event))

    @process_event.register
    def committed(self, event: CovertRead.Committed, tracking: Tracking) -> None:
        seq = ledger_seq(TrackerRegistry.name, event)
        CovertCommitmentRecord.objects.create(
            aggregate_id=event.originator_id,
            commitment=event.commitment,
            registry=event.registry,
            committed_seq=seq,
            version=event.originator_version,
            ledger_seq=seq,
        )

    @process_event.register
    def disclosed(self, event: CovertRead.Disclosed, tracking: Tracking) -> None:
        seq = ledger_seq(TrackerRegistry.name, event)
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
