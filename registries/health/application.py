"""Commands of the health registry.

Entries (encounters with ICD-10 diagnoses, prescriptions) are written by a
doctor appointed at the provider (hospital) named in the command, with their
Ed25519 signature over :func:`~registries.health.domain.entry_message` checked
against the identity registry: the provider's endorsement. Pharmacists
dispense for their pharmacy. Patients close and open their record to
providers and appoint representatives. The ministry (health registrar)
erases a record by destroying the patient's key.

Every personal value is sealed with the patient's key
(:mod:`registries.health.keystore`) before it enters an event: the event
store, the ledger and every export hold ciphertext only.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import partial
from typing import Any, TypeVar

from django.conf import settings

from registries.common.application import Ref, RegistryApplication
from registries.common.errors import InvalidCommand, NotFound, RegistryError, UnknownParty
from registries.common.texts import N_, Message
from registries.health import keystore
from registries.health.domain import (
    ALL_PROVIDERS,
    ENCOUNTER,
    PRESCRIPTION,
    HealthRecord,
    RecordErased,
    check_text,
    encounter_content,
    entry_message,
    prescription_content,
    record_id,
)
from registries.identity import services as identity
from registries.identity.models import AppointmentRecord
from registries.identity.vocabulary import key_id_of

SIGNATURE_LENGTH = 64
T = TypeVar("T")
# The actor of the patient's own acts: the role, never their personal code.
THE_PATIENT = "patient"
# Verified signatures of a signed e-service (registries.access.signing).
Signatures = list[dict[str, str]] | None


def recorded_actor(patient: str, actor: str) -> str:
    """Who an event of the patient's record names as its actor.

    The record is pseudonymous (named by a peppered HMAC, everything personal
    sealed), so an act by the patient themselves names the role
    :data:`THE_PATIENT`: their code beside the record would tie it to them in
    clear, in every copy of the chain, also after an erasure. Officials act
    under their own code (they are named in clear by design).
    """
    return THE_PATIENT if actor == patient else actor


class NotLicensed(RegistryError):
    """The caller is not a licensed doctor or pharmacist of the organisation named."""

    status = 403
    title = N_("Not a licensed provider")
    slug = "not-licensed"


class InvalidEndorsement(RegistryError):
    """The doctor's signature of the entry does not hold (nothing is written)."""

    status = 403
    title = N_("The provider's endorsement does not hold")
    slug = "invalid-endorsement"


def check_person(code: object, field: str) -> str:
    """A registered person whose health record the command addresses.

    The registries' one rule (:func:`registries.identity.services.require_person`),
    except that an unknown person's record is, like any record, not found (404).
    """
    try:
        return identity.require_person(code, field)
    except UnknownParty as unknown:
        raise NotFound(unknown.message or str(unknown)) from None


def check_organisation(code: object, kind: str, field: str) -> str:
    """A registered organisation of this kind (hospital, pharmacy)."""
    return identity.require_organisation(code, field, kind=kind)


def licensed_at(person: str, role: str, organisation: str) -> bool:
    """Whether the person is an active ``role`` of the health registry at that organisation."""
    if not identity.has_role(person, "health", role):
        return False
    return AppointmentRecord.objects.filter(
        person__personal_code=person,
        registry="health",
        role=role,
        organisation_code=organisation,
        active=True,
    ).exists()


def check_licence(person: str, role: str, organisation: str) -> None:
    if not licensed_at(person, role, organisation):
        raise NotLicensed(
            Message(
                N_("{person} is not a licensed {role} of the health registry at {organisation}"),
                {"person": person, "role": role, "organisation": organisation},
            )
        )


def parse_signature(signature: bytes | str) -> bytes:
    """Raw Ed25519 signature bytes from bytes or 128 hex digits."""
    if isinstance(signature, str):
        try:
            signature = bytes.fromhex(signature)
        except ValueError:
            raise InvalidCommand(N_("signature: 128 hex digits (an Ed25519 signature)")) from None
    if len(signature) != SIGNATURE_LENGTH:
        raise InvalidCommand(
            N_(
                "signature: an entry needs the doctor's Ed25519 signature (64 bytes, 128 hex "
                "digits)"
            )
        )
    return signature


def signed(signatures: Signatures) -> dict[str, Any]:
    """The signatures as a sealed value's field (nothing for an unsigned command)."""
    return {} if signatures is None else {"signatures": signatures}


def sealed_signatures(key_id: str, signatures: Signatures, actor: str) -> dict[str, str] | None:
    """A signed command's signatures sealed with the patient's key, or None if unsigned."""
    if signatures is None:
        return None
    return keystore.seal(key_id, signed(signatures), actor, "store the patient's signatures")


class HealthRegistry(RegistryApplication):
    """Patients' health records."""

    name = "health"

    # Reading the aggregate.

    def record(self, patient: str) -> HealthRecord | None:
        """The patient's record, or None if nothing was ever written for them."""
        return self.find(HealthRecord, record_id(keystore.subject_of(patient)))

    def record_version(self, patient: str) -> int:
        """The version a doctor signs for the next entry (0 before the first)."""
        found = self.record(check_person(patient, "patient"))
        return int(found.version) if found is not None else 0

    # Entries.

    def encounter_message(
        self,
        patient: str,
        provider: str,
        doctor: str,
        summary: str,
        diagnoses: list[str],
        occurred_on: date,
    ) -> bytes:
        """The bytes the doctor signs for this encounter at the record's current version."""
        content = {
            **encounter_content(check_person(patient, "patient"), summary, diagnoses),
            "occurred_on": occurred_on.isoformat(),
        }
        return self._message(ENCOUNTER, patient, provider, doctor, content)

    def prescription_message(
        self,
        patient: str,
        provider: str,
        doctor: str,
        medicine: str,
        dosage: str,
        issued_on: date,
        expires_on: date,
    ) -> bytes:
        """The bytes the doctor signs for this prescription at the record's current version."""
        content = prescription_content(
            check_person(patient, "patient"), medicine, dosage, issued_on, expires_on
        )
        return self._message(PRESCRIPTION, patient, provider, doctor, content)

    def record_encounter(
        self,
        patient: str,
        provider: str,
        doctor: str,
        summary: str,
        diagnoses: list[str],
        occurred_on: date,
        signature: bytes | str,
        actor: str,
    ) -> int:
        """Record an encounter endorsed by the doctor; return its entry number."""
        actor = recorded_actor(patient, actor)
        message = self.encounter_message(patient, provider, doctor, summary, diagnoses, occurred_on)
        content = {
            **encounter_content(patient, summary, diagnoses),
            "occurred_on": occurred_on.isoformat(),
        }
        signer_key = self._endorsement(doctor, provider, message, parse_signature(signature))
        sealed_content = {**content, "signature": parse_signature(signature).hex()}
        return self._write(
            patient,
            actor,
            lambda record, key_id: record.record_encounter(
                provider,
                doctor,
                occurred_on,
                signer_key,
                keystore.seal(key_id, sealed_content, actor, "record an encounter"),
                actor,
            ),
        )

    def issue_prescription(
        self,
        patient: str,
        provider: str,
        doctor: str,
        medicine: str,
        dosage: str,
        issued_on: date,
        expires_on: date,
        signature: bytes | str,
        actor: str,
    ) -> int:
        """Issue a prescription endorsed by the doctor; return its entry number."""
        actor = recorded_actor(patient, actor)
        message = self.prescription_message(
            patient, provider, doctor, medicine, dosage, issued_on, expires_on
        )
        content = prescription_content(patient, medicine, dosage, issued_on, expires_on)
        signer_key = self._endorsement(doctor, provider, message, parse_signature(signature))
        sealed_content = {**content, "signature": parse_signature(signature).hex()}
        return self._write(
            patient,
            actor,
            lambda record, key_id: record.issue_prescription(
                provider,
                doctor,
                issued_on,
                expires_on,
                signer_key,
                keystore.seal(key_id, sealed_content, actor, "issue a prescription"),
                actor,
            ),
        )

    def dispense(
        self,
        patient: str,
        number: int,
        pharmacy: str,
        pharmacist: str,
        dispensed_on: date,
        actor: str,
    ) -> None:
        """A pharmacist dispenses a prescription for their pharmacy."""
        actor = recorded_actor(patient, actor)
        check_person(patient, "patient")
        check_organisation(pharmacy, "pharmacy", "pharmacy")
        check_licence(pharmacist, "pharmacist", pharmacy)
        self._existing(
            patient,
            lambda record: record.dispense(number, pharmacy, pharmacist, dispensed_on, actor),
        )

    # Consent.

    def close_access(
        self, patient: str, provider: str, actor: str, signatures: Signatures = None
    ) -> None:
        """Close the patient's record to a provider (hospital), or to all with ``""``.

        ``signatures``: the verified signatures of a signed e-service, sealed
        into the event with the patient's key (they name people).
        """
        self._consent(patient, provider, actor, signatures, close=True)

    def open_access(
        self, patient: str, provider: str, actor: str, signatures: Signatures = None
    ) -> None:
        """Open the patient's record again to a provider, or to all with ``""``."""
        self._consent(patient, provider, actor, signatures, close=False)

    def appoint_representative(
        self, patient: str, representative: str, actor: str, signatures: Signatures = None
    ) -> None:
        """The patient appoints a person who may read their record for them.

        Signed by the patient and by the representative (who accepts).
        """
        actor = recorded_actor(patient, actor)
        check_person(patient, "patient")
        check_person(representative, "representative")
        if representative == patient:
            raise InvalidCommand(N_("representative: a patient cannot represent themselves"))
        subject = keystore.subject_of(representative)
        self._write(
            patient,
            actor,
            lambda record, key_id: record.appoint_representative(
                subject,
                keystore.seal(
                    key_id,
                    {"representative": representative, **signed(signatures)},
                    actor,
                    "appoint a representative",
                ),
                actor,
            ),
        )

    def remove_representative(
        self, patient: str, representative: str, actor: str, signatures: Signatures = None
    ) -> None:
        """The patient removes a representative (signed by the patient)."""
        actor = recorded_actor(patient, actor)
        check_person(patient, "patient")
        subject = keystore.subject_of(check_person(representative, "representative"))
        self._existing(
            patient,
            lambda record: record.remove_representative(
                subject, actor, sealed_signatures(record.key_id, signatures, actor)
            ),
        )

    # Erasure.

    def erase(self, patient: str, reason: str, actor: str) -> None:
        """Crypto-shred the patient's health data: destroy the key, record the erasure.

        The erasure event goes on the chain first (naming the key, not the
        person); then the key is destroyed. Should the process die between
        the two, repeating the command destroys the key (the record is
        already marked erased).
        """
        actor = recorded_actor(patient, actor)
        check_person(patient, "patient")
        reason = check_text(reason, "reason")

        def decide(record: HealthRecord) -> None:
            if not record.erased:
                record.erase(reason, actor)

        self.update(self._patient_record(patient), decide)
        keystore.destroy(patient, actor, f"erasure: {reason}")

    # Helpers.

    def _message(
        self, kind: str, patient: str, provider: str, doctor: str, content: dict[str, Any]
    ) -> bytes:
        check_organisation(provider, "hospital", "provider")
        check_person(doctor, "doctor")
        record = self.record(patient)
        return entry_message(
            kind=kind,
            provider=provider,
            doctor=doctor,
            content=content,
            record_version=int(record.version) if record is not None else 0,
            chain_id=settings.RIIK_CHAIN_ID,
        )

    @staticmethod
    def _endorsement(doctor: str, provider: str, message: bytes, signature: bytes) -> str:
        """Check the doctor's licence at the provider and signature; return the key id."""
        check_licence(doctor, "doctor", provider)
        key = identity.current_public_key(doctor)
        if key is None:
            raise InvalidEndorsement(
                Message(
                    N_("doctor: the doctor {doctor} has no active e-ID key"), {"doctor": doctor}
                )
            )
        if not identity.verify_signature(doctor, message, signature):
            raise InvalidEndorsement(
                Message(
                    N_(
                        "signature: not the signature of doctor {doctor} (key {key_id}) "
                        "over this entry: another key, other data, or the record changed since it "
                        "was signed"
                    ),
                    {"doctor": doctor, "key_id": key_id_of(key)},
                )
            )
        return key_id_of(key)

    def _consent(
        self, patient: str, provider: str, actor: str, signatures: Signatures, *, close: bool
    ) -> None:
        actor = recorded_actor(patient, actor)
        check_person(patient, "patient")
        if provider != ALL_PROVIDERS:
            check_organisation(provider, "hospital", "provider")

        def decide(record: HealthRecord, key_id: str) -> None:
            sealed = sealed_signatures(key_id, signatures, actor)
            if close:
                record.close_access(provider, actor, sealed)
            else:
                record.open_access(provider, actor, sealed)

        self._write(patient, actor, decide)

    @staticmethod
    def _patient_record(patient: str, opened_by: str | None = None) -> Ref[HealthRecord]:
        """The patient's record: opened by ``opened_by`` if there is none yet, if given;
        otherwise it must exist."""
        return Ref(
            HealthRecord,
            record_id(keystore.subject_of(patient)),
            Message(N_("health record for {patient}"), {"patient": patient}),
            field="patient",
            new=None if opened_by is None else partial(HealthRegistry._opened, patient, opened_by),
        )

    @staticmethod
    def _opened(patient: str, actor: str) -> HealthRecord:
        key_id = keystore.key_for(patient, actor, "open a health record")
        return HealthRecord(
            subject=keystore.subject_of(patient),
            key_id=key_id,
            sealed=keystore.seal(key_id, {"patient": patient}, actor, "open a record"),
            actor=actor,
        )

    def _write(self, patient: str, actor: str, decide: Callable[[HealthRecord, str], T]) -> T:
        """Update the patient's record, opened by ``actor`` with their first entry."""
        return self.update(
            self._patient_record(patient, opened_by=actor),
            lambda record: decide(self._unerased(record), record.key_id),
        )

    def _existing(self, patient: str, decide: Callable[[HealthRecord], T]) -> T:
        """Update the patient's record, which must exist."""
        return self.update(
            self._patient_record(patient), lambda record: decide(self._unerased(record))
        )

    @staticmethod
    def _unerased(record: HealthRecord) -> HealthRecord:
        if record.erased:  # before anything is sealed with the destroyed key
            raise RecordErased(N_("the patient's health record has been erased"))
        return record


__all__ = [
    "THE_PATIENT",
    "HealthRegistry",
    "InvalidEndorsement",
    "NotLicensed",
    "licensed_at",
    "recorded_actor",
]
