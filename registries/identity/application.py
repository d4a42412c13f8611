"""Commands of the identity registry (population register, organisations, officials, keys).

Every command goes through the registries' one write path
(:mod:`registries.common.application`).

Persons are found by code through :class:`~registries.identity.domain.PersonCodeIndex`,
whose id is derived from ``HMAC-SHA256(pepper, code)``. The pepper is
``settings.RIIK_IDENTITY_PEPPER`` when a deployment sets it, otherwise it is
derived from ``settings.SECRET_KEY`` (HMAC of a fixed label under the secret
key). It must stay the same for the life of the registry: a different pepper
gives different index ids, so lookups by code fail and a code could be
registered twice. A deployment that rotates ``SECRET_KEY`` must first pin the
current pepper in ``RIIK_IDENTITY_PEPPER`` (see :func:`code_pepper`).

Every field of a person's events (code, names, birth date, sex, death, keys,
appointments, and the registrar who acted) is sealed with the person's own
key (:mod:`registries.common.sealing`, keys in
:class:`~registries.identity.models.PersonKey`): the event table, the ledger
payloads, full bundles and backups hold ciphertext only. Organisations are
public and stay in clear. :meth:`IdentityRegistry.erase_person` destroys the
person's key (crypto-shredding).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import date
from typing import TypeVar
from uuid import UUID

from django.conf import settings
from django.utils import timezone
from eventsourcing.domain import Aggregate

from registries.common.application import Decision, Ref
from registries.common.errors import Conflict
from registries.common.sealing import (
    DataErased,
    KeyStore,
    SealingRegistry,
    every_field,
    record_name,
)
from registries.identity.domain import Organisation, Person, PersonCodeIndex
from registries.identity.models import KeyAccess, PersonKey
from registries.identity.vocabulary import (
    checked_personal_code,
    checked_registry_code,
    organisation_id,
    person_code_digest,
    person_code_index_id,
)

A = TypeVar("A", bound=Aggregate)

_PEPPER_LABEL = b"riik identity: personal code index pepper v1"


def code_pepper() -> bytes:
    """The secret pepper of the personal code index (see the module docstring)."""
    configured: str = getattr(settings, "RIIK_IDENTITY_PEPPER", "") or ""
    if configured:
        return configured.encode()
    return hmac.new(settings.SECRET_KEY.encode(), _PEPPER_LABEL, hashlib.sha256).digest()


@dataclass(frozen=True)
class NewPerson:
    """A person to register in a batch (:meth:`IdentityRegistry.register_persons`)."""

    code: str
    first_name: str
    last_name: str


def _taken(code: str) -> str:
    return f"personal_code: a person with personal code {code} is already registered"


PERSON_EVENTS = (
    Person.Registered,
    Person.NameChanged,
    Person.DeathRecorded,
    Person.KeyRegistered,
    Person.KeyRotated,
    Person.KeyRevoked,
    Person.Appointed,
    Person.AppointmentProposed,
    Person.Dismissed,
    Person.RepresentativeAppointed,
    Person.RepresentativeRemoved,
    Person.ErasureRequested,
    Person.ErasureWithdrawn,
    Person.Erased,
)
"""A person's events: all of it is about them, all of it is sealed with their key."""


class IdentityRegistry(SealingRegistry):
    """The identity registry: persons, organisations, officials and e-ID keys."""

    name = "identity"
    keystore = KeyStore("identity", PersonKey, KeyAccess, audit_use=False)
    sealed = every_field(*PERSON_EVENTS)

    def __init__(
        self,
        env: dict[str, str] | None = None,
        *,
        create_tables: bool = False,
        pepper: bytes | None = None,
    ) -> None:
        super().__init__(env, create_tables=create_tables)
        self.pepper = pepper if pepper is not None else code_pepper()

    # Persons.

    def register_person(
        self,
        code: str,
        first_name: str,
        last_name: str,
        actor: str,
        today: date | None = None,
    ) -> str:
        """Register a person under a personal code; return the code."""
        decision = self._born(code, first_name, last_name, actor, today)
        # The index id clashes with a concurrent registration of the same code.
        self.create(*decision.aggregates, taken=_taken(code))
        return code

    def register_persons(
        self, people: Sequence[NewPerson], actor: str, today: date | None = None
    ) -> list[str]:
        """Register many persons in ONE transaction (births, a population register
        import, the seeder); return their codes in order.

        Each is decided as :meth:`register_person` decides it; one refused (a
        malformed code, a code already registered or given twice) refuses all,
        naming it (``persons.3``), and nothing is written
        (:meth:`~registries.common.application.RegistryApplication.batch`).
        """
        day = today or timezone.localdate()
        return self.batch(
            people,
            lambda new: self._born(new.code, new.first_name, new.last_name, actor, day),
            field="persons",
        )

    def _born(
        self, code: str, first_name: str, last_name: str, actor: str, today: date | None
    ) -> Decision[str]:
        """A person's registration decided, nothing saved: the person and the claim of
        their code in the index (Conflict if the code is registered)."""
        checked_personal_code(code)
        digest = person_code_digest(code, self.pepper)
        if person_code_index_id(digest) in self.repository:
            raise Conflict(_taken(code))
        person = Person.register(
            personal_code=code,
            first_name=first_name,
            last_name=last_name,
            actor=actor,
            today=today or timezone.localdate(),
        )
        return Decision([person, PersonCodeIndex.claim(digest, person.id)], code)

    def change_name(self, code: str, first_name: str, last_name: str, actor: str) -> None:
        """Record a person's new names."""
        self.update(
            self._person(code), lambda person: person.change_name(first_name, last_name, actor)
        )

    def record_death(self, code: str, died_on: date, actor: str, today: date | None = None) -> None:
        """Record a person's death."""
        on = today or timezone.localdate()
        self.update(self._person(code), lambda person: person.record_death(died_on, actor, on))

    def register_key(self, code: str, public_key: bytes, actor: str) -> str:
        """Register a person's Ed25519 public key (32 raw bytes); return its key id."""
        return self.update(
            self._person(code), lambda person: person.register_key(public_key, actor)
        )

    def rotate_key(self, code: str, new_key: bytes, actor: str) -> str:
        """Replace a person's active key; return the new key id."""
        return self.update(self._person(code), lambda person: person.rotate_key(new_key, actor))

    def revoke_key(self, code: str, key_id: str, reason: str, actor: str) -> None:
        """Revoke one of a person's keys."""
        self.update(self._person(code), lambda person: person.revoke_key(key_id, reason, actor))

    def person(self, code: str) -> Person:
        """The person with this personal code (validated), or NotFound."""
        return self.get(self._person(code))

    def person_exists(self, code: str) -> bool:
        """Whether a person with this (valid) code is registered (the event store's view)."""
        return self._person_id(code) is not None

    def request_erasure(self, code: str, reason: str, actor: str) -> None:
        """Ask for a person's erasure (the first pair of eyes): a different identity
        registrar approves it (:func:`~registries.identity.erasure.erase_person_everywhere`)."""
        self.update(self._person(code), lambda person: person.request_erasure(reason, actor))

    def withdraw_erasure(self, code: str, reason: str, actor: str) -> None:
        """Withdraw the pending request for a person's erasure (:meth:`Person.withdraw_erasure`);
        an erased person is :class:`DataErased` (410): there is nothing left to withdraw."""
        self.update(self._person(code), lambda person: person.withdraw_erasure(reason, actor))

    def check_erasure(self, code: str, actor: str) -> None:
        """Refuse ``actor``'s approval of the person's erasure unless a different registrar
        asked for it (:meth:`Person.check_erasure`); an erasure recorded before (half done)
        was approved then and passes."""
        with suppress(DataErased):
            self.person(code).check_erasure(actor)

    def erase_person(self, code: str, actor: str, reason: str) -> str | None:
        """Erase a person from the population register: record ``Person.Erased`` (the
        projection deletes their read-model rows), then destroy their key
        (crypto-shredding): every copy of their events -- event store, ledger payloads,
        bundles, backups -- no longer opens. ``actor`` approves the erasure another
        registrar asked for (four eyes, :meth:`Person.erase`); who asked, why, and who
        approved stay in the key store's sealed audit trail, which outlives the person's
        events. Repeating it completes a half-done erasure. Returns the destroyed key's id
        (None if the person never had one)."""
        ref = self._person(code)
        purpose = f"erasure: {reason}"
        with suppress(DataErased):  # recorded before; the key is destroyed again below
            person = self.get(ref)
            purpose = (
                f"erasure asked for by {person.erasure_requested_by} "
                f"({person.erasure_reason}), approved ({reason})"
            )
            self.update(ref, lambda found: found.erase(actor))
        return self.keystore.destroy(record_name(ref.id), actor, purpose)

    def is_erased(self, code: str) -> bool:
        """Whether the person with this code was erased (their key destroyed); NotFound
        for a code the population register never knew."""
        return self.keystore.is_destroyed(record_name(self._person(code).id))

    def get(self, ref: Ref[A]) -> A:
        """The aggregate ``ref`` names; an erased person is :class:`DataErased` (410)."""
        try:
            found = super().get(ref)
        except (KeyError, TypeError, ValueError):
            # Replaying events whose values no longer open can fail anywhere.
            if ref.kind is Person and self.keystore.is_destroyed(record_name(ref.id)):
                raise DataErased("the person's data has been erased") from None
            raise
        if isinstance(found, Person) and found.erased:
            raise DataErased("the person's data has been erased")
        return found

    # Organisations.

    def register_organisation(self, code: str, name: str, kind: str, actor: str) -> str:
        """Register an organisation under its registry code; return the code."""
        organisation = Organisation.register(registry_code=code, name=name, kind=kind, actor=actor)
        taken = f"registry_code: organisation {code} is already registered"
        if organisation.id in self.repository:
            raise Conflict(taken)
        self.create(organisation, taken=taken)
        return code

    def organisation(self, code: str, field: str = "registry_code") -> Organisation:
        """The organisation with this registry code (validated), or NotFound."""
        checked_registry_code(code, field)
        return self.get(
            Ref(Organisation, organisation_id(code), f"organisation with registry code {code}")
        )

    # Officials.

    def appoint_official(
        self,
        personal_code: str,
        registry: str,
        role: str,
        organisation_code: str | None,
        actor: str,
    ) -> None:
        """Appoint a living person an official of ``registry`` in ``role`` (only proposed, for
        a role that reads persons' health or court data: :meth:`confirm_appointment`)."""
        kind = None
        if organisation_code:
            kind = self.organisation(organisation_code, "organisation_code").kind
        self.update(
            self._person(personal_code),
            lambda person: person.appoint(
                registry, role, organisation_code or "", actor, organisation_kind=kind
            ),
        )

    def confirm_appointment(
        self,
        personal_code: str,
        registry: str,
        role: str,
        organisation_code: str | None,
        actor: str,
    ) -> None:
        """A second identity registrar confirms a proposed appointment (four eyes)."""
        self.update(
            self._person(personal_code),
            lambda person: person.confirm_appointment(
                registry, role, organisation_code or "", actor
            ),
        )

    def bootstrap_registrar(self, personal_code: str, actor: str) -> None:
        """The operator appoints an identity registrar alone, while fewer than two hold
        office (:meth:`~registries.identity.domain.Person.bootstrap_registrar`; the
        caller, :mod:`registries.identity.bootstrap`, checks how many do)."""
        self.update(self._person(personal_code), lambda person: person.bootstrap_registrar(actor))

    def dismiss_official(
        self,
        personal_code: str,
        registry: str,
        role: str,
        organisation_code: str | None,
        actor: str,
    ) -> None:
        """End a person's appointment as an official (or withdraw a proposed one)."""
        self.update(
            self._person(personal_code),
            lambda person: person.dismiss(registry, role, organisation_code or "", actor),
        )

    # Representatives of organisations.

    def appoint_representative(
        self, personal_code: str, organisation_code: str, title: str, actor: str
    ) -> None:
        """Record a living person as a representative of an organisation that is not a company."""
        kind = self.organisation(organisation_code, "organisation_code").kind
        self.update(
            self._person(personal_code),
            lambda person: person.appoint_representative(organisation_code, kind, title, actor),
        )

    def remove_representative(self, personal_code: str, organisation_code: str, actor: str) -> None:
        """End a person's representation of an organisation."""
        self.update(
            self._person(personal_code),
            lambda person: person.remove_representative(organisation_code, actor),
        )

    # Helpers.

    def _person(self, code: str) -> Ref[Person]:
        """The person with this personal code (validated), found through the code index."""
        checked_personal_code(code)
        what = f"person with personal code {code}"
        index = self.get(Ref(PersonCodeIndex, self._index_id(code), what))
        return Ref(Person, index.person_id, what)

    def _person_id(self, code: str) -> UUID | None:
        index = self.find(PersonCodeIndex, self._index_id(code))
        return index.person_id if index is not None else None

    def _index_id(self, code: str) -> UUID:
        return person_code_index_id(person_code_digest(code, self.pepper))


__all__ = ["IdentityRegistry", "NewPerson", "code_pepper"]
