"""Keeps the land register's read models from its events."""

from __future__ import annotations

from typing import Any

from eventsourcing.dispatch import singledispatchmethod
from eventsourcing.persistence import Tracking

from registries.common.projections import ReadModelProjection, touch
from registries.common.projections import ledger_seq as common_ledger_seq
from registries.property.application import PropertyRegistry
from registries.property.domain import SEIZURE, LandUnit, party_kind, seizure_description
from registries.property.models import (
    LandUnitRecord,
    MortgageRecord,
    OwnershipRecord,
    RestrictionRecord,
    TransferRecord,
)


def _ledger_seq(event: Any) -> int:
    return common_ledger_seq(PropertyRegistry.name, event)


def _touch(event: Any, seq: int, **changes: Any) -> LandUnitRecord:
    return touch(LandUnitRecord, event, seq, **changes)


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
    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        """Events not shown in these read models are only tracked."""

    @process_event.register
    def registered(self, event: LandUnit.Registered, tracking: Tracking) -> None:
        seq = _ledger_seq(event)
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

    @process_event.register
    def description_changed(self, event: LandUnit.DescriptionChanged, tracking: Tracking) -> None:
        _touch(
            event,
            _ledger_seq(event),
            area_m2=event.area_m2,
            purpose=event.purpose,
            address=event.address,
        )

    @process_event.register
    def ownership_transferred(
        self, event: LandUnit.OwnershipTransferred, tracking: Tracking
    ) -> None:
        seq = _ledger_seq(event)
        record = _touch(event, seq)
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
            ledger_seq=seq,
        )

    @process_event.register
    def restriction_added(self, event: LandUnit.RestrictionAdded, tracking: Tracking) -> None:
        seq = _ledger_seq(event)
        record = _touch(event, seq)
        RestrictionRecord.objects.create(
            unit=record,
            number=event.number,
            kind=event.kind,
            description=event.description,
            beneficiary=event.beneficiary,
            ledger_seq=seq,
        )

    @process_event.register
    def restriction_removed(self, event: LandUnit.RestrictionRemoved, tracking: Tracking) -> None:
        seq = _ledger_seq(event)
        record = _touch(event, seq)
        record.restrictions.filter(number=event.number).update(active=False, removed_seq=seq)

    @process_event.register
    def seizure_noted(self, event: LandUnit.SeizureNoted, tracking: Tracking) -> None:
        seq = _ledger_seq(event)
        record = _touch(event, seq)
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

    @process_event.register
    def seizure_lifted(self, event: LandUnit.SeizureLifted, tracking: Tracking) -> None:
        seq = _ledger_seq(event)
        record = _touch(event, seq)
        record.restrictions.filter(number=event.number).update(
            active=False, removed_seq=seq, removed_cause=event.cause
        )
        _refresh_seizure(record)

    @process_event.register
    def mortgage_registered(self, event: LandUnit.MortgageRegistered, tracking: Tracking) -> None:
        seq = _ledger_seq(event)
        record = _touch(event, seq)
        MortgageRecord.objects.create(
            unit=record,
            rank=event.rank,
            amount_cents=event.amount_cents,
            creditor=event.creditor,
            ledger_seq=seq,
        )

    @process_event.register
    def mortgage_released(self, event: LandUnit.MortgageReleased, tracking: Tracking) -> None:
        seq = _ledger_seq(event)
        record = _touch(event, seq)
        record.mortgages.filter(rank=event.rank).update(active=False, released_seq=seq)


PROJECTIONS: list[type[ReadModelProjection]] = [LandUnitProjection]
