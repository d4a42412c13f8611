"""Keeps the identity registry's read models from its events."""

from __future__ import annotations

from typing import Any

from eventsourcing.dispatch import singledispatchmethod
from eventsourcing.persistence import Tracking

from registries.common.projections import ReadModelProjection, touch
from registries.common.projections import ledger_seq as common_ledger_seq
from registries.identity.application import IdentityRegistry
from registries.identity.domain import ACTIVE, EXPIRED, REVOKED, ROTATED, Organisation, Person
from registries.identity.models import (
    AppointmentRecord,
    OrganisationRecord,
    PersonRecord,
    PublicKeyRecord,
    RepresentativeRecord,
)


def _ledger_seq(event: Any) -> int:
    return common_ledger_seq(IdentityRegistry.name, event)


def _touch(event: Any, seq: int, **changes: Any) -> PersonRecord:
    return touch(PersonRecord, event, seq, **changes)


class IdentityProjection(ReadModelProjection):
    """Persons, their keys, appointments and representations, and organisations."""

    name = "identity-registry"
    application = IdentityRegistry

    @singledispatchmethod
    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        """Events not shown in these read models (the code index) are only tracked."""

    @process_event.register
    def person_registered(self, event: Person.Registered, tracking: Tracking) -> None:
        PersonRecord.objects.create(
            personal_code=event.personal_code,
            aggregate_id=event.originator_id,
            first_name=event.first_name,
            last_name=event.last_name,
            born=event.born,
            sex=event.sex,
            version=event.originator_version,
            ledger_seq=_ledger_seq(event),
        )

    @process_event.register
    def name_changed(self, event: Person.NameChanged, tracking: Tracking) -> None:
        _touch(event, _ledger_seq(event), first_name=event.first_name, last_name=event.last_name)

    @process_event.register
    def death_recorded(self, event: Person.DeathRecorded, tracking: Tracking) -> None:
        seq = _ledger_seq(event)
        record = _touch(event, seq, died_on=event.died_on)
        record.keys.filter(status=ACTIVE).update(
            status=EXPIRED, valid_until_seq=seq, ledger_seq=seq
        )
        record.appointments.filter(active=True).update(
            active=False, ended_seq=seq, ended_by=event.actor, ledger_seq=seq
        )
        record.representations.filter(active=True).update(
            active=False, ended_seq=seq, ended_by=event.actor, ledger_seq=seq
        )

    @process_event.register
    def key_registered(self, event: Person.KeyRegistered, tracking: Tracking) -> None:
        seq = _ledger_seq(event)
        record = _touch(event, seq)
        PublicKeyRecord.objects.create(
            person=record,
            key_id=event.key_id,
            public_key=event.public_key,
            status=ACTIVE,
            valid_from_seq=seq,
            ledger_seq=seq,
        )

    @process_event.register
    def key_rotated(self, event: Person.KeyRotated, tracking: Tracking) -> None:
        seq = _ledger_seq(event)
        record = _touch(event, seq)
        record.keys.filter(key_id=event.old_key_id).update(
            status=ROTATED, valid_until_seq=seq, ledger_seq=seq
        )
        PublicKeyRecord.objects.create(
            person=record,
            key_id=event.key_id,
            public_key=event.public_key,
            status=ACTIVE,
            valid_from_seq=seq,
            ledger_seq=seq,
        )

    @process_event.register
    def key_revoked(self, event: Person.KeyRevoked, tracking: Tracking) -> None:
        seq = _ledger_seq(event)
        record = _touch(event, seq)
        key = record.keys.get(key_id=event.key_id)
        key.status = REVOKED
        key.revoked_reason = event.reason
        if key.valid_until_seq is None:
            key.valid_until_seq = seq
        key.ledger_seq = seq
        key.save()

    @process_event.register
    def appointed(self, event: Person.Appointed, tracking: Tracking) -> None:
        seq = _ledger_seq(event)
        record = _touch(event, seq)
        AppointmentRecord.objects.create(
            person=record,
            registry=event.registry,
            role=event.role,
            organisation_code=event.organisation_code,
            active=True,
            appointed_seq=seq,
            appointed_by=event.actor,
            ledger_seq=seq,
        )

    @process_event.register
    def dismissed(self, event: Person.Dismissed, tracking: Tracking) -> None:
        seq = _ledger_seq(event)
        record = _touch(event, seq)
        record.appointments.filter(
            registry=event.registry,
            role=event.role,
            organisation_code=event.organisation_code,
            active=True,
        ).update(active=False, ended_seq=seq, ended_by=event.actor, ledger_seq=seq)

    @process_event.register
    def representative_appointed(
        self, event: Person.RepresentativeAppointed, tracking: Tracking
    ) -> None:
        seq = _ledger_seq(event)
        record = _touch(event, seq)
        RepresentativeRecord.objects.create(
            person=record,
            organisation_code=event.organisation_code,
            title=event.title,
            active=True,
            appointed_seq=seq,
            appointed_by=event.actor,
            ledger_seq=seq,
        )

    @process_event.register
    def representative_removed(
        self, event: Person.RepresentativeRemoved, tracking: Tracking
    ) -> None:
        seq = _ledger_seq(event)
        record = _touch(event, seq)
        record.representations.filter(
            organisation_code=event.organisation_code, active=True
        ).update(active=False, ended_seq=seq, ended_by=event.actor, ledger_seq=seq)

    @process_event.register
    def organisation_registered(self, event: Organisation.Registered, tracking: Tracking) -> None:
        OrganisationRecord.objects.create(
            registry_code=event.registry_code,
            aggregate_id=event.originator_id,
            name=event.name,
            kind=event.kind,
            version=event.originator_version,
            ledger_seq=_ledger_seq(event),
        )


PROJECTIONS: list[type[ReadModelProjection]] = [IdentityProjection]
