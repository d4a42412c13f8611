"""Keeps the health registry's read models from its events (ciphertext only)."""

from __future__ import annotations

from typing import Any

from eventsourcing.dispatch import singledispatchmethod

from registries.common.projections import ReadModelProjection
from registries.health.application import HealthRegistry
from registries.health.domain import ALL_PROVIDERS, ENCOUNTER, PRESCRIPTION, HealthRecord
from registries.health.models import (
    ConsentRecord,
    EntryRecord,
    PatientRecord,
    RepresentativeRecord,
)


class RecordProjection(ReadModelProjection):
    """Patients' records, consents, representatives and entries."""

    name = "health-records"
    application = HealthRegistry

    @singledispatchmethod
    def apply(self, event: Any) -> None:
        """Every health event has a handler."""

    @apply.register
    def opened(self, event: HealthRecord.Opened) -> None:
        PatientRecord.objects.create(
            aggregate_id=event.originator_id,
            subject=event.subject,
            key_id=event.key_id,
            sealed_patient=event.sealed,
            version=event.originator_version,
            ledger_seq=self.seq(event),
        )

    @apply.register
    def encounter(self, event: HealthRecord.EncounterRecorded) -> None:
        seq = self.seq(event)
        record = self.touch(PatientRecord, event, entries=event.number)
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

    @apply.register
    def prescription(self, event: HealthRecord.PrescriptionIssued) -> None:
        seq = self.seq(event)
        record = self.touch(PatientRecord, event, entries=event.number)
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

    @apply.register
    def dispensed(self, event: HealthRecord.PrescriptionDispensed) -> None:
        seq = self.seq(event)
        record = self.touch(PatientRecord, event)
        EntryRecord.objects.filter(record=record, number=event.number).update(
            dispensed_on=event.dispensed_on, pharmacy=event.pharmacy, ledger_seq=seq
        )

    @apply.register
    def closed(self, event: HealthRecord.AccessClosed) -> None:
        seq = self.seq(event)
        if event.provider == ALL_PROVIDERS:
            record = self.touch(PatientRecord, event, closed_to_all=True)
            record.consents.filter(state="opened").delete()
            return
        record = self.touch(PatientRecord, event)
        ConsentRecord.objects.update_or_create(
            record=record, provider=event.provider, defaults={"state": "closed", "ledger_seq": seq}
        )

    @apply.register
    def reopened(self, event: HealthRecord.AccessOpened) -> None:
        seq = self.seq(event)
        if event.provider == ALL_PROVIDERS:
            record = self.touch(PatientRecord, event, closed_to_all=False)
            record.consents.all().delete()
            return
        record = self.touch(PatientRecord, event)
        if record.closed_to_all:
            ConsentRecord.objects.update_or_create(
                record=record,
                provider=event.provider,
                defaults={"state": "opened", "ledger_seq": seq},
            )
        else:
            record.consents.filter(provider=event.provider).delete()

    @apply.register
    def representative(self, event: HealthRecord.RepresentativeAppointed) -> None:
        seq = self.seq(event)
        record = self.touch(PatientRecord, event)
        RepresentativeRecord.objects.create(
            record=record, subject=event.representative_subject, sealed=event.sealed, ledger_seq=seq
        )

    @apply.register
    def representative_removed(self, event: HealthRecord.RepresentativeRemoved) -> None:
        record = self.touch(PatientRecord, event)
        record.representatives.filter(subject=event.representative_subject).delete()

    @apply.register
    def erased(self, event: HealthRecord.Erased) -> None:
        seq = self.seq(event)
        record = self.touch(PatientRecord, event, erased=True, erased_seq=seq, sealed_patient=None)
        # The ciphertext cannot be opened any more; drop it from the read models anyway.
        record.entry_set.update(sealed=None)
        record.representatives.all().delete()


PROJECTIONS: list[type[ReadModelProjection]] = [RecordProjection]
