"""Keeps the land register's read models from its events."""

from __future__ import annotations

from typing import Any

from eventsourcing.dispatch import singledispatchmethod

from registries.common.codes import party_kind
from registries.common.projections import ReadModelProjection
from registries.property.application import PropertyRegistry
from registries.property.domain import LandUnit
from registries.property.models import (
    LandUnitRecord,
    MortgageRecord,
    OwnershipRecord,
    RestrictionRecord,
    TransferApplicationRecord,
    TransferRecord,
)
from registries.property.vocabulary import SEIZURE, seizure_description


def _set_owners(record: LandUnitRecord, owners: list[dict[str, str]], seq: int) -> None:
    """Part II as the event states it; unchanged holdings keep their ledger seq."""
    kept = {(o.owner_code, o.share): o.ledger_seq for o in record.owners.all()}
    record.owners.all().delete()
    OwnershipRecord.objects.bulk_create(
        [
            OwnershipRecord(
                unit=record,
                owner_code=item["owner"],
                owner_kind=party_kind(item["owner"], "owner"),
                share=item["share"],
                ledger_seq=kept.get((item["owner"], item["share"]), seq),
            )
            for item in owners
        ]
    )


def _refresh_seizure(record: LandUnitRecord) -> None:
    record.under_seizure = record.restrictions.filter(kind=SEIZURE, active=True).exists()
    record.save(update_fields=["under_seizure"])


class LandUnitProjection(ReadModelProjection):
    """Land units with the four parts of their title register and their transfers."""

    name = "property-land-units"
    application = PropertyRegistry

    @singledispatchmethod
    def apply(self, event: Any) -> None:
        """Events not shown in these read models are only tracked."""

    @apply.register
    def registered(self, event: LandUnit.Registered) -> None:
        seq = self.seq(event)
        record = LandUnitRecord.objects.create(
            cadastral_code=event.cadastral_code,
            aggregate_id=event.originator_id,
            area_m2=event.area_m2,
            purpose=event.purpose,
            address=event.address,
            version=event.originator_version,
            ledger_seq=seq,
        )
        _set_owners(record, event.owners, seq)

    @apply.register
    def description_changed(self, event: LandUnit.DescriptionChanged) -> None:
        self.touch(
            LandUnitRecord,
            event,
            area_m2=event.area_m2,
            purpose=event.purpose,
            address=event.address,
        )

    @apply.register
    def ownership_transferred(self, event: LandUnit.OwnershipTransferred) -> None:
        seq = self.seq(event)
        record = self.touch(LandUnitRecord, event)
        _set_owners(record, event.owners, seq)
        TransferRecord.objects.create(
            unit=record,
            version=event.originator_version,
            sellers=list(event.sellers),
            buyers=list(event.buyers),
            price_cents=event.price_cents,
            unit_version=event.unit_version,
            notary=event.notary,
            notary_key_id=event.notary_key_id,
            signature=event.signature,
            chain_id=event.chain_id,
            payment_id=event.payment_id,
            ledger_seq=seq,
        )
        # The transfer endorsed the application of the version the notary signed.
        record.transfer_applications.filter(
            unit_version=event.unit_version, notary=event.notary, transfer_version=None
        ).update(transfer_version=event.originator_version)

    @apply.register
    def transfer_applied(self, event: LandUnit.TransferApplied) -> None:
        seq = self.seq(event)
        record = self.touch(LandUnitRecord, event)
        TransferApplicationRecord.objects.create(
            unit=record,
            number=event.number,
            sellers=list(event.sellers),
            buyers=list(event.buyers),
            price_cents=event.price_cents,
            notary=event.notary,
            unit_version=event.originator_version,
            ledger_seq=seq,
        )

    @apply.register
    def restriction_added(self, event: LandUnit.RestrictionAdded) -> None:
        seq = self.seq(event)
        record = self.touch(LandUnitRecord, event)
        RestrictionRecord.objects.create(
            unit=record,
            number=event.number,
            kind=event.kind,
            description=event.description,
            beneficiary=event.beneficiary,
            ledger_seq=seq,
        )

    @apply.register
    def restriction_removed(self, event: LandUnit.RestrictionRemoved) -> None:
        seq = self.seq(event)
        record = self.touch(LandUnitRecord, event)
        record.restrictions.filter(number=event.number).update(active=False, removed_seq=seq)

    @apply.register
    def seizure_noted(self, event: LandUnit.SeizureNoted) -> None:
        seq = self.seq(event)
        record = self.touch(LandUnitRecord, event)
        RestrictionRecord.objects.create(
            unit=record,
            number=event.number,
            kind=SEIZURE,
            description=seizure_description(event.order_reference, event.court_case),
            order_reference=event.order_reference,
            court_case=event.court_case,
            cause=event.cause,
            ledger_seq=seq,
        )
        _refresh_seizure(record)

    @apply.register
    def seizure_lifted(self, event: LandUnit.SeizureLifted) -> None:
        seq = self.seq(event)
        record = self.touch(LandUnitRecord, event)
        record.restrictions.filter(number=event.number).update(
            active=False, removed_seq=seq, removed_cause=event.cause
        )
        _refresh_seizure(record)

    @apply.register
    def mortgage_registered(self, event: LandUnit.MortgageRegistered) -> None:
        seq = self.seq(event)
        record = self.touch(LandUnitRecord, event)
        MortgageRecord.objects.create(
            unit=record,
            rank=event.rank,
            amount_cents=event.amount_cents,
            creditor=event.creditor,
            ledger_seq=seq,
        )

    @apply.register
    def mortgage_released(self, event: LandUnit.MortgageReleased) -> None:
        seq = self.seq(event)
        record = self.touch(LandUnitRecord, event)
        record.mortgages.filter(rank=event.rank).update(active=False, released_seq=seq)


PROJECTIONS: list[type[ReadModelProjection]] = [LandUnitProjection]
