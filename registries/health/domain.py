"""The health registry's aggregate and events (pure: no Django, no I/O).

A :class:`HealthRecord` is one patient's record. It never holds the patient's
personal code or any health content in the clear: it is named by the key
store's subject (a peppered HMAC of the code), and every personal value
(the patient's code, diagnoses, summaries, medicines, dosages, the doctor's
signature, a representative's code) is in a ``sealed`` value -- AES-GCM
ciphertext with the patient's key id and nonce, made by
:mod:`registries.health.keystore`. What stays readable is what the rules need
and what is not the patient's data: entry numbers, dates, the provider
(hospital), the doctor, the pharmacy, and the consent settings towards
providers (organisations).

Entries are written only by doctors with the provider's endorsement: the
doctor's Ed25519 signature over :func:`entry_message` (checked by the
application against the identity registry) travels inside the sealed value.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from chain.encoding import canonical
from registries.common.errors import Conflict, InvalidCommand, NotFound, RegistryError
from registries.common.texts import N_, Message

ENCOUNTER = "encounter"
PRESCRIPTION = "prescription"
ALL_PROVIDERS = ""
MAX_TEXT = 2000
MAX_DIAGNOSES = 20
MAX_VALIDITY_DAYS = 366
ICD10_FORM = "J45.0"
_ICD10 = re.compile(r"[A-Z][0-9]{2}(\.[0-9A-Z]{1,4})?")
_NAMESPACE = uuid5(NAMESPACE_URL, "https://riik.example/health")


class InvalidDiagnosisCode(InvalidCommand):
    """A diagnosis that is not an ICD-10 code."""

    title = N_("Invalid ICD-10 code")
    slug = "invalid-icd10-code"


class RecordErased(RegistryError):
    """The record was erased (crypto-shredded): nothing more is written to it."""

    status = 410
    title = N_("The health record has been erased")
    slug = "erased"


class PrescriptionExpired(Conflict):
    title = N_("The prescription has expired")
    slug = "prescription-expired"


class AlreadyDispensed(Conflict):
    title = N_("The prescription has already been dispensed")
    slug = "already-dispensed"


def record_id(subject: str) -> UUID:
    """Aggregate id of the record of the key store subject (never the personal code)."""
    return uuid5(_NAMESPACE, f"health-record:{subject}")


def check_icd10(code: object, field: str = "diagnoses") -> str:
    """An ICD-10 code such as ``J45.0``: letter, two digits, optionally a dot and 1-4 more."""
    if not isinstance(code, str):
        raise InvalidDiagnosisCode(
            Message(
                N_("{field}: an ICD-10 code is text such as {ICD10_FORM}"),
                {"field": field, "ICD10_FORM": ICD10_FORM},
            )
        )
    normal = code.strip().upper()
    if _ICD10.fullmatch(normal):
        return normal
    shown = code if len(code) <= 20 else code[:20] + "..."
    if not normal or not normal[0].isalpha():
        reason = "it starts with a letter (the chapter)"
    elif not re.fullmatch(r"[A-Z][0-9]{2}", normal[:3]):
        reason = "the letter is followed by exactly two digits (the category)"
    else:
        reason = "the subcategory comes after a dot: one to four digits or letters"
    raise InvalidDiagnosisCode(
        Message(
            N_("{field}: {shown!r} is not an ICD-10 code: {reason}, e.g. {ICD10_FORM}"),
            {"field": field, "shown": shown, "reason": reason, "ICD10_FORM": ICD10_FORM},
        )
    )


def check_text(text: object, field: str, *, required: bool = True) -> str:
    """Free text within :data:`MAX_TEXT` characters, surrounding spaces removed."""
    if not isinstance(text, str):
        raise InvalidCommand(Message(N_("{field}: must be text"), {"field": field}))
    text = text.strip()
    if required and not text:
        raise InvalidCommand(Message(N_("{field}: must not be empty"), {"field": field}))
    if len(text) > MAX_TEXT:
        raise InvalidCommand(
            Message(
                N_("{field}: at most {MAX_TEXT} characters"), {"field": field, "MAX_TEXT": MAX_TEXT}
            )
        )
    return text


def encounter_content(patient: str, summary: str, diagnoses: list[str]) -> dict[str, Any]:
    """The checked content of an encounter (what is sealed and signed)."""
    if not isinstance(diagnoses, list) or len(diagnoses) > MAX_DIAGNOSES:
        raise InvalidCommand(
            Message(
                N_("diagnoses: a list of at most {MAX_DIAGNOSES} ICD-10 codes"),
                {"MAX_DIAGNOSES": MAX_DIAGNOSES},
            )
        )
    return {
        "patient": patient,
        "summary": check_text(summary, "summary"),
        "diagnoses": [check_icd10(code, f"diagnoses[{i}]") for i, code in enumerate(diagnoses)],
    }


def prescription_content(
    patient: str, medicine: str, dosage: str, issued_on: date, expires_on: date
) -> dict[str, Any]:
    """The checked content of a prescription (what is sealed and signed)."""
    if expires_on < issued_on:
        raise InvalidCommand(N_("expires_on: a prescription cannot expire before it is issued"))
    if (expires_on - issued_on).days > MAX_VALIDITY_DAYS:
        raise InvalidCommand(
            Message(
                N_("expires_on: a prescription is valid for at most {MAX_VALIDITY_DAYS} days"),
                {"MAX_VALIDITY_DAYS": MAX_VALIDITY_DAYS},
            )
        )
    return {
        "patient": patient,
        "medicine": check_text(medicine, "medicine"),
        "dosage": check_text(dosage, "dosage"),
        "issued_on": issued_on.isoformat(),
        "expires_on": expires_on.isoformat(),
    }


def entry_message(
    *,
    kind: str,
    provider: str,
    doctor: str,
    content: dict[str, Any],
    record_version: int,
    chain_id: str,
) -> bytes:
    """The canonical bytes a doctor signs to endorse a record entry for their provider.

    ``{"kind": "health-entry", "entry": "encounter"|"prescription", "provider":
    "<hospital registry code>", "doctor": "<personal code>", "content": {...},
    "record_version": 3, "chain_id": "riik-dev"}``: the content includes the
    patient's code; the record version keeps a signature from being replayed
    as a second entry, the chain id from being replayed on another chain.
    """
    return canonical(
        {
            "kind": "health-entry",
            "entry": kind,
            "provider": provider,
            "doctor": doctor,
            "content": content,
            "record_version": record_version,
            "chain_id": chain_id,
        }
    )


class HealthRecord(Aggregate):
    """One patient's health record: entries, prescriptions, consent, representatives."""

    @staticmethod
    def create_id(subject: str, key_id: str, sealed: dict[str, str], actor: str) -> UUID:
        return record_id(subject)

    class Opened(Aggregate.Created):
        subject: str
        key_id: str
        sealed: dict[str, str]
        actor: str

    class EncounterRecorded(Aggregate.Event):
        number: int
        provider: str
        doctor: str
        occurred_on: date
        signer_key_id: str
        sealed: dict[str, str]
        actor: str

    class PrescriptionIssued(Aggregate.Event):
        number: int
        provider: str
        doctor: str
        issued_on: date
        expires_on: date
        signer_key_id: str
        sealed: dict[str, str]
        actor: str

    class PrescriptionDispensed(Aggregate.Event):
        number: int
        pharmacy: str
        pharmacist: str
        dispensed_on: date
        actor: str

    # ``sealed`` of a consent change or removal: the patient's verified
    # signatures (signed e-services); None on events written before them or by
    # an official.
    class AccessClosed(Aggregate.Event):
        provider: str
        actor: str
        sealed: dict[str, str] | None = None

    class AccessOpened(Aggregate.Event):
        provider: str
        actor: str
        sealed: dict[str, str] | None = None

    class RepresentativeAppointed(Aggregate.Event):
        representative_subject: str
        sealed: dict[str, str]
        actor: str

    class RepresentativeRemoved(Aggregate.Event):
        representative_subject: str
        actor: str
        sealed: dict[str, str] | None = None

    class Erased(Aggregate.Event):
        key_id: str
        reason: str
        actor: str

    @event(Opened)
    def __init__(self, subject: str, key_id: str, sealed: dict[str, str], actor: str) -> None:
        self.subject = subject
        self.key_id = key_id
        self.entries = 0
        # number -> (expires_on, dispensed)
        self.prescriptions: dict[int, tuple[date, bool]] = {}
        self.closed_to_all = False
        self.closed: set[str] = set()
        self.opened: set[str] = set()
        self.representatives: set[str] = set()
        self.erased = False

    # Consent.

    def allows(self, provider: str) -> bool:
        """Whether the patient's consent lets this provider (hospital) read the record."""
        if provider in self.closed:
            return False
        return not self.closed_to_all or provider in self.opened

    def close_access(self, provider: str, actor: str, sealed: dict[str, str] | None = None) -> None:
        """Close the record to one provider, or to all (``provider=""``)."""
        self._live()
        if provider == ALL_PROVIDERS:
            changes = not self.closed_to_all or bool(self.opened)
        else:
            changes = self.allows(provider)
        if changes:  # closing what is closed records nothing
            self._closed(provider, actor, sealed)

    @event(AccessClosed)
    def _closed(self, provider: str, actor: str, sealed: dict[str, str] | None) -> None:
        if provider == ALL_PROVIDERS:
            self.closed_to_all = True
            self.opened.clear()
        else:
            self.closed.add(provider)
            self.opened.discard(provider)

    def open_access(self, provider: str, actor: str, sealed: dict[str, str] | None = None) -> None:
        """Open the record again to one provider, or to all (``provider=""``)."""
        self._live()
        if provider == ALL_PROVIDERS:
            changes = self.closed_to_all or bool(self.closed)
        else:
            changes = not self.allows(provider)
        if changes:  # opening what is open records nothing
            self._opened(provider, actor, sealed)

    @event(AccessOpened)
    def _opened(self, provider: str, actor: str, sealed: dict[str, str] | None) -> None:
        if provider == ALL_PROVIDERS:
            self.closed_to_all = False
            self.closed.clear()
            self.opened.clear()
        else:
            self.closed.discard(provider)
            if self.closed_to_all:
                self.opened.add(provider)

    def appoint_representative(self, subject: str, sealed: dict[str, str], actor: str) -> None:
        self._live()
        if subject in self.representatives:
            raise Conflict(N_("representative: already the patient's representative"))
        self._representative_appointed(subject, sealed, actor)

    @event(RepresentativeAppointed)
    def _representative_appointed(
        self, representative_subject: str, sealed: dict[str, str], actor: str
    ) -> None:
        self.representatives.add(representative_subject)

    def remove_representative(
        self, subject: str, actor: str, sealed: dict[str, str] | None = None
    ) -> None:
        self._live()
        if subject not in self.representatives:
            raise NotFound(N_("representative: not the patient's representative"))
        self._representative_removed(subject, actor, sealed)

    @event(RepresentativeRemoved)
    def _representative_removed(
        self, representative_subject: str, actor: str, sealed: dict[str, str] | None
    ) -> None:
        self.representatives.discard(representative_subject)

    # Entries.

    def record_encounter(
        self,
        provider: str,
        doctor: str,
        occurred_on: date,
        signer_key_id: str,
        sealed: dict[str, str],
        actor: str,
    ) -> int:
        self._live()
        self._encounter(
            self.entries + 1, provider, doctor, occurred_on, signer_key_id, sealed, actor
        )
        return self.entries

    @event(EncounterRecorded)
    def _encounter(
        self,
        number: int,
        provider: str,
        doctor: str,
        occurred_on: date,
        signer_key_id: str,
        sealed: dict[str, str],
        actor: str,
    ) -> None:
        self.entries = number

    def issue_prescription(
        self,
        provider: str,
        doctor: str,
        issued_on: date,
        expires_on: date,
        signer_key_id: str,
        sealed: dict[str, str],
        actor: str,
    ) -> int:
        self._live()
        self._prescription(
            self.entries + 1, provider, doctor, issued_on, expires_on, signer_key_id, sealed, actor
        )
        return self.entries

    @event(PrescriptionIssued)
    def _prescription(
        self,
        number: int,
        provider: str,
        doctor: str,
        issued_on: date,
        expires_on: date,
        signer_key_id: str,
        sealed: dict[str, str],
        actor: str,
    ) -> None:
        self.entries = number
        self.prescriptions[number] = (expires_on, False)

    def dispense(
        self, number: int, pharmacy: str, pharmacist: str, dispensed_on: date, actor: str
    ) -> None:
        """Dispense a prescription once, on or before its expiry day."""
        self._live()
        if number not in self.prescriptions:
            raise NotFound(
                Message(
                    N_("prescription {number}: no such prescription in this record"),
                    {"number": number},
                )
            )
        expires_on, dispensed = self.prescriptions[number]
        if dispensed:
            raise AlreadyDispensed(
                Message(N_("prescription {number}: already dispensed"), {"number": number})
            )
        if dispensed_on > expires_on:
            raise PrescriptionExpired(
                Message(
                    N_(
                        "prescription {number}: expired on {expired_on}; ask the doctor "
                        "for a new one"
                    ),
                    {"number": number, "expired_on": expires_on.isoformat()},
                )
            )
        self._dispensed(number, pharmacy, pharmacist, dispensed_on, actor)

    @event(PrescriptionDispensed)
    def _dispensed(
        self, number: int, pharmacy: str, pharmacist: str, dispensed_on: date, actor: str
    ) -> None:
        expires_on, _ = self.prescriptions[number]
        self.prescriptions[number] = (expires_on, True)

    # Erasure.

    def erase(self, reason: str, actor: str) -> None:
        """Record the erasure of the record (its key is destroyed by the application)."""
        self._live()
        self._erased(self.key_id, check_text(reason, "reason"), actor)

    @event(Erased)
    def _erased(self, key_id: str, reason: str, actor: str) -> None:
        self.erased = True

    def _live(self) -> None:
        if self.erased:
            raise RecordErased(N_("the patient's health record has been erased"))
