"""Keeps the identity registry's read models from its events."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from eventsourcing.dispatch import singledispatchmethod

from registries.common.projections import ReadModelProjection
from registries.identity.application import IdentityRegistry
from registries.identity.domain import Organisation, Person
from registries.identity.models import (
    AppointmentRecord,
    OrganisationRecord,
    PersonRecord,
    PublicKeyRecord,
    RepresentativeRecord,
)
from registries.identity.vocabulary import ACTIVE, EXPIRED, REVOKED, ROTATED


class IdentityProjection(ReadModelProjection):
    """Persons, their keys, appointments and representations, and organisations."""

    name = "identity-registry"
    application = IdentityRegistry

    @singledispatchmethod
    def apply(self, event: Any) -> None:
        """Events not shown in these read models (the code index) are only tracked."""

    @apply.register
    def person_registered(self, event: Person.Registered) -> None:
        PersonRecord.objects.create(
            personal_code=event.personal_code,
            aggregate_id=event.originator_id,
            first_name=event.first_name,
            last_name=event.last_name,
            born=event.born,
            sex=event.sex,
            version=event.originator_version,
            ledger_seq=self.seq(event),
        )

    @apply.register
    def name_changed(self, event: Person.NameChanged) -> None:
        self.touch(PersonRecord, event, first_name=event.first_name, last_name=event.last_name)

    @apply.register
    def death_recorded(self, event: Person.DeathRecorded) -> None:
        seq = self.seq(event)
        record = self.touch(PersonRecord, event, died_on=event.died_on)
        record.keys.filter(status=ACTIVE).update(
            status=EXPIRED, valid_until_seq=seq, ledger_seq=seq
        )
        record.appointments.filter(Q(active=True) | Q(pending=True)).update(
            active=False, pending=False, ended_seq=seq, ended_by=event.actor, ledger_seq=seq
        )
        record.representations.filter(active=True).update(
            active=False, ended_seq=seq, ended_by=event.actor, ledger_seq=seq
        )

    @apply.register
    def erasure_requested(self, event: Person.ErasureRequested) -> None:
        self.touch(
            PersonRecord,
            event,
            erasure_requested_by=event.actor,
            erasure_requested_at=event.timestamp,
            erasure_reason=event.reason,
        )

    @apply.register
    def erasure_withdrawn(self, event: Person.ErasureWithdrawn) -> None:
        self.touch(
            PersonRecord,
            event,
            erasure_requested_by="",
            erasure_requested_at=None,
            erasure_reason="",
        )

    @apply.register
    def erased(self, event: Person.Erased) -> None:
        # The person's rows go (keys, appointments and representations with them): the
        # population register shows no one whose key is destroyed.
        PersonRecord.objects.filter(aggregate_id=event.originator_id).delete()

    @apply.register
    def key_registered(self, event: Person.KeyRegistered) -> None:
        seq = self.seq(event)
        record = self.touch(PersonRecord, event)
        PublicKeyRecord.objects.create(
            person=record,
            key_id=event.key_id,
            public_key=event.public_key,
            status=ACTIVE,
            valid_from_seq=seq,
            ledger_seq=seq,
        )

    @apply.register
    def key_rotated(self, event: Person.KeyRotated) -> None:
        seq = self.seq(event)
        record = self.touch(PersonRecord, event)
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

    @apply.register
    def key_revoked(self, event: Person.KeyRevoked) -> None:
        seq = self.seq(event)
        record = self.touch(PersonRecord, event)
        key = record.keys.get(key_id=event.key_id)
        key.status = REVOKED
        key.revoked_reason = event.reason
        if key.valid_until_seq is None:
            key.valid_until_seq = seq
        key.ledger_seq = seq
        key.save()

    @apply.register
    def appointed(self, event: Person.Appointed) -> None:
        seq = self.seq(event)
        record = self.touch(PersonRecord, event)
        confirmed = record.appointments.filter(
            registry=event.registry,
            role=event.role,
            organisation_code=event.organisation_code,
            pending=True,
        ).update(
            active=True, pending=False, confirmed_seq=seq, confirmed_by=event.actor, ledger_seq=seq
        )
        if confirmed:  # a proposal, confirmed by a second registrar
            return
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

    @apply.register
    def proposed(self, event: Person.AppointmentProposed) -> None:
        seq = self.seq(event)
        record = self.touch(PersonRecord, event)
        AppointmentRecord.objects.create(
            person=record,
            registry=event.registry,
            role=event.role,
            organisation_code=event.organisation_code,
            active=False,
            pending=True,
            appointed_seq=seq,
            appointed_by=event.actor,
            ledger_seq=seq,
        )

    @apply.register
    def dismissed(self, event: Person.Dismissed) -> None:
        seq = self.seq(event)
        record = self.touch(PersonRecord, event)
        record.appointments.filter(
            Q(active=True) | Q(pending=True),
            registry=event.registry,
            role=event.role,
            organisation_code=event.organisation_code,
        ).update(active=False, pending=False, ended_seq=seq, ended_by=event.actor, ledger_seq=seq)

    @apply.register
    def representative_appointed(self, event: Person.RepresentativeAppointed) -> None:
        seq = self.seq(event)
        record = self.touch(PersonRecord, event)
        RepresentativeRecord.objects.create(
            person=record,
            organisation_code=event.organisation_code,
            title=event.title,
            active=True,
            appointed_seq=seq,
            appointed_by=event.actor,
            ledger_seq=seq,
        )

    @apply.register
    def representative_removed(self, event: Person.RepresentativeRemoved) -> None:
        seq = self.seq(event)
        record = self.touch(PersonRecord, event)
        record.representations.filter(
            organisation_code=event.organisation_code, active=True
        ).update(active=False, ended_seq=seq, ended_by=event.actor, ledger_seq=seq)

    @apply.register
    def organisation_registered(self, event: Organisation.Registered) -> None:
        OrganisationRecord.objects.create(
            registry_code=event.registry_code,
            aggregate_id=event.originator_id,
            name=event.name,
            kind=event.kind,
            version=event.originator_version,
            ledger_seq=self.seq(event),
        )


PROJECTIONS: list[type[ReadModelProjection]] = [IdentityProjection]
