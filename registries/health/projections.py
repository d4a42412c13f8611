"""Keeps the health registry's read models from its events (ciphertext only)."""

from __future__ import annotations

from typing import Any

from eventsourcing.dispatch import singledispatchmethod
from eventsourcing.persistence import Tracking

from registries.common.projections import ReadModelProjection, touch
from registries.common.projections import ledger_seq as common_ledger_seq
from registries.health.application import HealthRegistry
from registries.health.domain import ALL_PROVIDERS, ENCOUNTER, PRESCRIPTION, HealthRecord
from registries.health.models import (
    ConsentRecord,
    EntryRecord,
    PatientRecord,
    RepresentativeRecord,
)


def ledger_seq(event: Any) -> int:
    return common_ledger_seq(HealthRegistry.name, event)


class RecordProjection(ReadModelProjection):
    """Patients' records, consents, representatives and entries."""

    name = "health-records"
    application = HealthRegistry

    @singledispatchmethod
    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        """Every health event has a handler."""

    @process_event.register
    def opened(self, event: HealthRecord.Opened, tracking: Tracking) -> None:
        PatientRecord.objects.create(
            aggregate_id=event.originator_id,
            subject=event.subject,
            key_id=event.key_id,
            sealed_patient=event.sealed,
            version=event.originator_version,
            ledger_seq=ledger_seq(event),
        )

    @process_event.register
    def encounter(self, event: HealthRecord.EncounterRecorded, tracking: Tracking) -> None:
        seq = ledger_seq(event)
        record = touch(PatientRecord, event, seq, entries=event.number)
        EntryRecord.objects.create(
            record=record,
            number=event.number,
            kind=ENCOUNTER,
            provider=event.provider,
            doctor=event.doctor,
            on=event.occurred_on,
            sealed=event.sealed,
            ledger_seq=seq,
        )

    @process_event.register
    def prescription(self, event: HealthRecord.PrescriptionIssued, tracking: Tracking) -> None:
        seq = ledger_seq(event)
        record = touch(PatientRecord, event, seq, entries=event.number)
        EntryRecord.objects.create(
            record=record,
            number=event.number,
            kind=PRESCRIPTION,
            provider=event.provider,
            doctor=event.doctor,
            on=event.issued_on,
            expires_on=event.expires_on,
            sealed=event.sealed,
            ledger_seq=seq,
        )

    @process_event.register
    def dispensed(self, event: HealthRecord.PrescriptionDispensed, tracking: Tracking) -> None:
        seq = ledger_seq(event)
        record = touch(PatientRecord, event, seq)
        EntryRecord.objects.filter(record=record, number=event.number).update(
            dispensed_on=event.dispensed_on, pharmacy=event.pharmacy, ledger_seq=seq
        )

    @process_event.register
    def closed(self, event: HealthRecord.AccessClosed, tracking: Tracking) -> None:
        seq = ledger_seq(event)
        if event.provider == ALL_PROVIDERS:
            record = touch(PatientRecord, event, seq, closed_to_all=True)
            record.consents.filter(state="opened").delete()
            return
        record = touch(PatientRecord, event, seq)
        ConsentRecord.objects.update_or_create(
            record=record, provider=event.provider, defaults={"state": "closed", "ledger_seq": seq}
        )

    @process_event.register
    def reopened(self, event: HealthRecord.AccessOpened, tracking: Tracking) -> None:
        seq = ledger_seq(event)
        if event.provider == ALL_PROVIDERS:
            record = touch(PatientRecord, event, seq, closed_to_all=False)
            record.consents.all().delete()
            return
        record = touch(PatientRecord, event, seq)
        if record.closed_to_all:
            ConsentRecord.objects.update_or_create(
                record=record,
                provider=event.provider,
                defaults={"state": "opened", "ledger_seq": seq},
            )
        else:
            record.consents.filter(provider=event.provider).delete()

    @process_event.register
    def representative(
        self, event: HealthRecord.RepresentativeAppointed, tracking: Tracking
    ) -> None:
        seq = ledger_seq(event)
        record = touch(PatientRecord, event, seq)
        RepresentativeRecord.objects.create(
            record=record, subject=event.representative_subject, sealed=event.sealed, ledger_seq=seq
        )

    @process_event.register
    def representative_removed(
        self, event: HealthRecord.RepresentativeRemoved, tracking: Tracking
    ) -> None:
        record = touch(PatientRecord, event, ledger_seq(event))
        record.representatives.filter(subject=event.representative_subject).delete()

    @process_event.register
    def erased(self, event: HealthRecord.Erased, tracking: Tracking) -> None:
        seq = ledger_seq(event)
        record = touch(PatientRecord, event, seq, erased=True, erased_seq=seq, sealed_patient=None)
        # The ciphertext cannot be opened any more; drop it from the read models anyway.
        record.entry_set.update(sealed=None)
        record.representatives.all().delete()


PROJECTIONS: list[type[ReadModelProjection]] = [RecordProjection]
