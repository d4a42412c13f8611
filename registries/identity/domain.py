"""The identity registry's aggregates and events (pure: no Django, no I/O).

* :class:`Person`: a natural person, keyed by the personal identification code
  (isikukood), with names, death, e-ID public keys (with their history) and
  appointments as an official. A person's aggregate id is a **random UUID**
  (``uuid4``): aggregate ids are stored in clear (and are the ledger's
  originator ids, exported to auditors), while the personal code space is
  small enough to brute-force, so an id derived from the code would reveal it.
* :class:`PersonCodeIndex`: keeps a personal code unique and finds a person by
  code. Its id is ``uuid5(namespace, HMAC-SHA256(pepper, code))``: without the
  secret pepper nobody can tell which code an index id stands for. It holds
  only the person's random id (never the code).
* :class:`Organisation`: a legal person or agency keyed by its 8-digit registry
  code. Registry codes are public, so its id is ``uuid5`` of the code.

A person may be appointed a **representative** of an organisation that is not a
company (the head of a court, hospital, ministry, ...): the identity registrar
records it on the person, like an appointment, and it ends with a removal or
the person's death. A company's representatives are its management board in
the business registry, so the identity registry records none for companies.

Roles of officials per registry (``ROLE_REGISTRIES``), the kinds of
organisations they may work for and the input checks are in
:mod:`registries.identity.vocabulary`, and so are the refusals of the two
rules that keep officials from giving themselves access:

* **no self-appointment**: nobody appoints themselves, or confirms their own
  appointment, as an official or a representative (:class:`SelfAppointment`);
* **four eyes**: an appointment to a role that reads persons' health or court
  data, or of an identity registrar (who appoints all the others), is only
  proposed by one identity registrar and takes effect when a different one
  confirms it (:func:`needs_confirmation`, :class:`FourEyes`). Before two
  identity registrars hold office nobody could confirm, so the operator
  bootstraps them (:meth:`Person.bootstrap_registrar`, recorded like any
  appointment with the operator as actor).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from registries.common.errors import Conflict, InvalidCommand, NotFound
from registries.common.texts import N_, Message
from registries.identity.vocabulary import (
    ACTIVE,
    EXPIRED,
    IDENTITY_REGISTRAR,
    MAX_REASON_LENGTH,
    NO_SELF_APPOINTMENT,
    REVOKED,
    ROTATED,
    FourEyes,
    SelfAppointment,
    article,
    check_kind,
    check_name,
    check_organisation_name,
    check_public_key,
    check_represented_kind,
    check_role,
    check_role_organisation,
    check_title,
    checked_personal_code,
    checked_registry_code,
    key_id_of,
    needs_confirmation,
    organisation_id,
    person_code_index_id,
    sex_of,
)

# Aggregates -------------------------------------------------------------------------------


@dataclass(frozen=True)
class PublicKey:
    """One e-ID public key of a person and its place in the key history.

    ``valid_from`` and ``valid_until`` are versions of the person aggregate (the
    events that added and retired the key); the read model shows the matching
    ledger seqs.
    """

    key_id: str
    public_key: str  # hex of the 32 raw bytes
    status: str
    valid_from: int
    valid_until: int | None = None
    revoked_reason: str = ""


@dataclass(frozen=True)
class Appointment:
    """A person's appointment as an official of one registry."""

    registry: str
    role: str
    organisation_code: str  # "" when not appointed at an organisation

    def describe(self) -> str:
        at = f" at {self.organisation_code}" if self.organisation_code else ""
        return f"{article(self.role)} of the {self.registry} registry{at}"


class Person(Aggregate):
    """A natural person in the population register. Its id is random (``uuid4``)."""

    class Registered(Aggregate.Created):
        personal_code: str
        first_name: str
        last_name: str
        born: date
        sex: str
        actor: str

    @event(Registered)
    def __init__(
        self, personal_code: str, first_name: str, last_name: str, born: date, sex: str, actor: str
    ) -> None:
        self.personal_code = personal_code
        self.first_name = first_name
        self.last_name = last_name
        self.born = born
        self.sex = sex
        self.died_on: date | None = None
        self.keys: dict[str, PublicKey] = {}
        self.appointments: set[Appointment] = set()
        # Appointments proposed and awaiting a second registrar's confirmation, by proposer.
        self.proposals: dict[Appointment, str] = {}
        # Registry codes of the organisations the person represents, with the title.
        self.representations: dict[str, str] = {}
        # Who asked for the person's erasure and why, until another registrar approves it.
        self.erasure_requested_by: str | None = None
        self.erasure_reason = ""
        self.erased = False

    @classmethod
    def register(
        cls, *, personal_code: str, first_name: str, last_name: str, actor: str, today: date
    ) -> Person:
        """Check a registration and record it; birth date and sex come from the code."""
        born = checked_personal_code(personal_code)
        if born > today:
            raise InvalidCommand(
                Message(
                    N_(
                        "personal_code: personal code {personal_code}: birth date {born} is in "
                        "the future"
                    ),
                    {"personal_code": personal_code, "born": born},
                )
            )
        return cls(
            personal_code=personal_code,
            first_name=check_name(first_name, "first_name"),
            last_name=check_name(last_name, "last_name"),
            born=born,
            sex=sex_of(personal_code),
            actor=actor,
        )

    @property
    def alive(self) -> bool:
        return self.died_on is None

    @property
    def active_key(self) -> PublicKey | None:
        return next((k for k in self.keys.values() if k.status == ACTIVE), None)

    def _require_alive(self, what: str) -> None:
        if not self.alive:
            raise Conflict(
                Message(
                    N_("{what}: person {personal_code} died on {died_on}"),
                    {"what": what, "personal_code": self.personal_code, "died_on": self.died_on},
                )
            )

    # Names and death.

    class NameChanged(Aggregate.Event):
        first_name: str
        last_name: str
        actor: str

    class DeathRecorded(Aggregate.Event):
        died_on: date
        actor: str

    def change_name(self, first_name: str, last_name: str, actor: str) -> None:
        """Record new names (marriage, a court decision, ...)."""
        self._require_alive("change name")
        first_name = check_name(first_name, "first_name")
        last_name = check_name(last_name, "last_name")
        if (first_name, last_name) == (self.first_name, self.last_name):
            raise InvalidCommand(N_("first_name: the new names are the same as the current ones"))
        self._name_changed(first_name=first_name, last_name=last_name, actor=actor)

    @event(NameChanged)
    def _name_changed(self, first_name: str, last_name: str, actor: str) -> None:
        self.first_name = first_name
        self.last_name = last_name

    def record_death(self, died_on: date, actor: str, today: date) -> None:
        """Record the person's death: appointments end, the active key expires."""
        if not self.alive:
            raise Conflict(
                Message(
                    N_("record death: the death of {personal_code} is already recorded"),
                    {"personal_code": self.personal_code},
                )
            )
        if died_on < self.born:
            raise InvalidCommand(
                Message(
                    N_("died_on: {died_on} is before the birth date {born}"),
                    {"died_on": died_on, "born": self.born},
                )
            )
        if died_on > today:
            raise InvalidCommand(
                Message(N_("died_on: {died_on} is in the future"), {"died_on": died_on})
            )
        self._death_recorded(died_on=died_on, actor=actor)

    @event(DeathRecorded)
    def _death_recorded(self, died_on: date, actor: str) -> None:
        self.died_on = died_on
        version = self.version + 1
        for key_id, key in self.keys.items():
            if key.status == ACTIVE:
                self.keys[key_id] = replace(key, status=EXPIRED, valid_until=version)
        self.appointments = set()
        self.proposals = {}
        self.representations = {}

    # Erasure.

    class ErasureRequested(Aggregate.Event):
        """An identity registrar asks for the person's erasure (four eyes: a different
        registrar approves it with :meth:`erase`)."""

        reason: str
        actor: str

    class ErasureWithdrawn(Aggregate.Event):
        """An identity registrar (the one who asked or another) withdraws the pending
        erasure request, saying why: nothing is erased, a new request may follow."""

        reason: str
        actor: str

    class Erased(Aggregate.Event):
        """The person's data is erased: the application destroys their key next, so every
        earlier event of theirs stops opening (crypto-shredding, ADR 0065). ``actor`` is
        the registrar who approved the erasure another registrar requested."""

        actor: str

    def request_erasure(self, reason: str, actor: str) -> None:
        """Ask for the person's erasure; it takes effect when a different identity registrar
        approves it (:meth:`erase`). Rules: a reason; not asked for already."""
        reason = reason.strip()
        if not reason:
            raise InvalidCommand(N_("reason: say why the person is to be erased"))
        if self.erasure_requested_by is not None:
            raise Conflict(
                Message(
                    N_(
                        "erasure: {requested_by} asked for the erasure of person "
                        "{personal_code} already; a different identity registrar approves it"
                    ),
                    {
                        "requested_by": self.erasure_requested_by,
                        "personal_code": self.personal_code,
                    },
                )
            )
        self._erasure_requested(reason=reason, actor=actor)

    @event(ErasureRequested)
    def _erasure_requested(self, reason: str, actor: str) -> None:
        self.erasure_requested_by = actor
        self.erasure_reason = reason

    def withdraw_erasure(self, reason: str, actor: str) -> None:
        """Withdraw the pending erasure request (any identity registrar, the asker too: a
        withdrawal erases nothing, so it takes no second pair of eyes). Rules: a reason; a
        request pending (404 when none, 409 once the erasure is recorded)."""
        reason = reason.strip()
        if not reason:
            raise InvalidCommand(N_("reason: say why the erasure request is withdrawn"))
        if self.erased:
            raise Conflict(
                Message(
                    N_("person {personal_code} is erased already: nothing to withdraw"),
                    {"personal_code": self.personal_code},
                )
            )
        if self.erasure_requested_by is None:
            raise NotFound(
                Message(
                    N_("no erasure of person {personal_code} was asked for: nothing to withdraw"),
                    {"personal_code": self.personal_code},
                )
            )
        self._erasure_withdrawn(reason=reason, actor=actor)

    @event(ErasureWithdrawn)
    def _erasure_withdrawn(self, reason: str, actor: str) -> None:
        self.erasure_requested_by = None
        self.erasure_reason = ""

    def check_erasure(self, actor: str) -> None:
        """Refuse ``actor``'s approval of the erasure unless another identity registrar
        asked for it (four eyes): nobody erases a person alone, a self-approval is
        :class:`FourEyes` (409), an erasure nobody asked for :class:`NotFound` (404)."""
        if self.erasure_requested_by is None:
            raise NotFound(
                Message(
                    N_(
                        "no erasure of person {personal_code} was asked for: an identity "
                        "registrar asks for it (erasure/request/), a different one approves it"
                    ),
                    {"personal_code": self.personal_code},
                )
            )
        if actor == self.erasure_requested_by:
            raise FourEyes(
                Message(
                    N_(
                        "four eyes: {actor} asked for this erasure; a different identity "
                        "registrar must approve it"
                    ),
                    {"actor": actor},
                )
            )

    def erase(self, actor: str) -> None:
        """Record the erasure ``actor`` approves (:meth:`check_erasure`), unless it is
        recorded already (a repeated erasure completes a half-done one: the key is
        destroyed again, nothing is recorded)."""
        if not self.erased:
            self.check_erasure(actor)
            self._erased(actor=actor)

    @event(Erased)
    def _erased(self, actor: str) -> None:
        self.erased = True

    # e-ID keys.

    class KeyRegistered(Aggregate.Event):
        key_id: str
        public_key: str
        actor: str

    class KeyRotated(Aggregate.Event):
        old_key_id: str
        key_id: str
        public_key: str
        actor: str

    class KeyRevoked(Aggregate.Event):
        key_id: str
        reason: str
        actor: str

    def _check_new_key(self, public_key: bytes) -> str:
        key_id = key_id_of(check_public_key(public_key))
        if key_id in self.keys:
            raise Conflict(
                Message(
                    N_("public_key: key {key_id} is already in this person's key history"),
                    {"key_id": key_id},
                )
            )
        return key_id

    def register_key(self, public_key: bytes, actor: str) -> str:
        """Register the person's first key (or a new one after a revocation); return its id."""
        self._require_alive("register key")
        active = self.active_key
        if active is not None:
            raise Conflict(
                Message(
                    N_(
                        "register key: person {personal_code} already has the active key "
                        "{key_id}; rotate it instead"
                    ),
                    {"personal_code": self.personal_code, "key_id": active.key_id},
                )
            )
        key_id = self._check_new_key(public_key)
        self._key_registered(key_id=key_id, public_key=public_key.hex(), actor=actor)
        return key_id

    @event(KeyRegistered)
    def _key_registered(self, key_id: str, public_key: str, actor: str) -> None:
        self.keys[key_id] = PublicKey(key_id, public_key, ACTIVE, valid_from=self.version + 1)

    def rotate_key(self, new_key: bytes, actor: str) -> str:
        """Replace the active key; the old one stays verifiable for old signatures."""
        self._require_alive("rotate key")
        active = self.active_key
        if active is None:
            raise Conflict(
                Message(
                    N_(
                        "rotate key: person {personal_code} has no active key; register one instead"
                    ),
                    {"personal_code": self.personal_code},
                )
            )
        key_id = self._check_new_key(new_key)
        self._key_rotated(
            old_key_id=active.key_id, key_id=key_id, public_key=new_key.hex(), actor=actor
        )
        return key_id

    @event(KeyRotated)
    def _key_rotated(self, old_key_id: str, key_id: str, public_key: str, actor: str) -> None:
        version = self.version + 1
        self.keys[old_key_id] = replace(self.keys[old_key_id], status=ROTATED, valid_until=version)
        self.keys[key_id] = PublicKey(key_id, public_key, ACTIVE, valid_from=version)

    def revoke_key(self, key_id: str, reason: str, actor: str) -> None:
        """Withdraw a key (lost, stolen, compromised): nothing verifies against it any more."""
        key = self.keys.get(key_id)
        if key is None:
            raise NotFound(
                Message(
                    N_("person {personal_code} has no key {key_id}"),
                    {"personal_code": self.personal_code, "key_id": key_id},
                )
            )
        if key.status == REVOKED:
            raise Conflict(
                Message(N_("revoke key: key {key_id} is already revoked"), {"key_id": key_id})
            )
        reason = " ".join(reason.split())
        if not reason:
            raise InvalidCommand(N_("reason: say why the key is revoked"))
        if len(reason) > MAX_REASON_LENGTH:
            raise InvalidCommand(
                Message(
                    N_("reason: at most {MAX_REASON_LENGTH} characters"),
                    {"MAX_REASON_LENGTH": MAX_REASON_LENGTH},
                )
            )
        self._key_revoked(key_id=key_id, reason=reason, actor=actor)

    @event(KeyRevoked)
    def _key_revoked(self, key_id: str, reason: str, actor: str) -> None:
        key = self.keys[key_id]
        until = key.valid_until if key.valid_until is not None else self.version + 1
        self.keys[key_id] = replace(key, status=REVOKED, valid_until=until, revoked_reason=reason)

    # Appointments as an official.

    class Appointed(Aggregate.Event):
        registry: str
        role: str
        organisation_code: str
        actor: str

    class AppointmentProposed(Aggregate.Event):
        registry: str
        role: str
        organisation_code: str
        actor: str

    class Dismissed(Aggregate.Event):
        registry: str
        role: str
        organisation_code: str
        actor: str

    def _not_self(self, actor: str) -> None:
        if actor == self.personal_code:
            raise SelfAppointment(NO_SELF_APPOINTMENT)

    def appoint(
        self,
        registry: str,
        role: str,
        organisation_code: str,
        actor: str,
        organisation_kind: str | None = None,
    ) -> None:
        """Appoint the person an official (``organisation_kind`` of ``organisation_code``).

        Rules, in order: the role fits the registry (and the organisation's
        kind); no self-appointment; the person is alive; not already appointed
        or proposed. A role that reads persons' health or court data is only
        proposed (:func:`needs_confirmation`): :meth:`confirm_appointment`.
        """
        check_role(registry, role)
        if organisation_code:
            checked_registry_code(organisation_code, "organisation_code")
            if organisation_kind is not None:
                check_role_organisation(role, organisation_code, organisation_kind)
        self._not_self(actor)
        appointment = Appointment(registry, role, organisation_code)
        if not self.alive:
            raise Conflict(
                Message(
                    N_("appoint: person {personal_code} died on {died_on} and cannot be appointed"),
                    {"personal_code": self.personal_code, "died_on": self.died_on},
                )
            )
        if appointment in self.appointments:
            raise Conflict(
                Message(
                    N_("appoint: person {personal_code} is already {appointment}"),
                    {
                        "personal_code": self.personal_code,
                        "appointment": appointment.describe(),
                    },
                )
            )
        if appointment in self.proposals:
            raise Conflict(
                Message(
                    N_(
                        "appoint: person {personal_code} is already proposed as "
                        "{appointment}; a second identity registrar confirms it"
                    ),
                    {
                        "personal_code": self.personal_code,
                        "appointment": appointment.describe(),
                    },
                )
            )
        appoint = self._proposed if needs_confirmation(registry, role) else self._appointed
        appoint(registry=registry, role=role, organisation_code=organisation_code, actor=actor)

    @event(Appointed)
    def _appointed(self, registry: str, role: str, organisation_code: str, actor: str) -> None:
        # After a proposal, ``actor`` is the second registrar who confirmed it.
        appointment = Appointment(registry, role, organisation_code)
        self.proposals.pop(appointment, None)
        self.appointments.add(appointment)

    @event(AppointmentProposed)
    def _proposed(self, registry: str, role: str, organisation_code: str, actor: str) -> None:
        self.proposals[Appointment(registry, role, organisation_code)] = actor

    def confirm_appointment(
        self, registry: str, role: str, organisation_code: str, actor: str
    ) -> None:
        """A second identity registrar confirms a proposed appointment: it takes effect
        (``Appointed``, by the confirming registrar).

        Rules, in order: no self-appointment; the appointment is proposed; the
        person is alive; ``actor`` is not the registrar who proposed it (four eyes).
        """
        check_role(registry, role)
        self._not_self(actor)
        appointment = Appointment(registry, role, organisation_code)
        proposed_by = self.proposals.get(appointment)
        if proposed_by is None:
            raise NotFound(
                Message(
                    N_(
                        "no proposed appointment of person {personal_code} as "
                        "{appointment} awaits confirmation"
                    ),
                    {
                        "personal_code": self.personal_code,
                        "appointment": appointment.describe(),
                    },
                )
            )
        self._require_alive("confirm appointment")
        if actor == proposed_by:
            raise FourEyes(
                Message(
                    N_(
                        "four eyes: {actor} proposed this appointment; a different identity "
                        "registrar must confirm it"
                    ),
                    {"actor": actor},
                )
            )
        self._appointed(
            registry=registry, role=role, organisation_code=organisation_code, actor=actor
        )

    def bootstrap_registrar(self, actor: str) -> None:
        """The operator appoints the person an identity registrar without a second
        registrar's confirmation: the bootstrap, for when fewer than two identity
        registrars hold office and four eyes cannot be met (the application checks
        that; ``actor`` names the operator). Recorded as an ``Appointed`` event.

        Rules, in order: no self-appointment; the person is alive; not already an
        identity registrar.
        """
        self._not_self(actor)
        self._require_alive("bootstrap an identity registrar")
        appointment = Appointment(*IDENTITY_REGISTRAR, "")
        if appointment in self.appointments:
            raise Conflict(
                f"bootstrap: person {self.personal_code} is already {appointment.describe()}"
            )
        self._appointed(
            registry=appointment.registry,
            role=appointment.role,
            organisation_code="",
            actor=actor,
        )

    def dismiss(self, registry: str, role: str, organisation_code: str, actor: str) -> None:
        """End an appointment, or withdraw one still awaiting confirmation."""
        check_role(registry, role)
        appointment = Appointment(registry, role, organisation_code)
        if appointment not in self.appointments and appointment not in self.proposals:
            raise NotFound(
                Message(
                    N_("person {personal_code} is not {appointment}"),
                    {
                        "personal_code": self.personal_code,
                        "appointment": appointment.describe(),
                    },
                )
            )
        self._dismissed(
            registry=registry, role=role, organisation_code=organisation_code, actor=actor
        )

    @event(Dismissed)
    def _dismissed(self, registry: str, role: str, organisation_code: str, actor: str) -> None:
        appointment = Appointment(registry, role, organisation_code)
        self.appointments.discard(appointment)
        self.proposals.pop(appointment, None)

    # Representing organisations (not companies).

    class RepresentativeAppointed(Aggregate.Event):
        organisation_code: str
        title: str
        actor: str

    class RepresentativeRemoved(Aggregate.Event):
        organisation_code: str
        actor: str

    def appoint_representative(
        self, organisation_code: str, organisation_kind: str, title: str, actor: str
    ) -> None:
        """Record that the person represents the organisation (of ``organisation_kind``)."""
        checked_registry_code(organisation_code, "organisation_code")
        check_represented_kind(organisation_code, organisation_kind)
        title = check_title(title)
        self._not_self(actor)
        if not self.alive:
            raise Conflict(
                Message(
                    N_("appoint representative: person {personal_code} died on {died_on}"),
                    {"personal_code": self.personal_code, "died_on": self.died_on},
                )
            )
        if organisation_code in self.representations:
            raise Conflict(
                Message(
                    N_(
                        "appoint representative: person {personal_code} already represents "
                        "{organisation_code} (as {title})"
                    ),
                    {
                        "personal_code": self.personal_code,
                        "organisation_code": organisation_code,
                        "title": self.representations[organisation_code],
                    },
                )
            )
        self._representative_appointed(
            organisation_code=organisation_code, title=title, actor=actor
        )

    @event(RepresentativeAppointed)
    def _representative_appointed(self, organisation_code: str, title: str, actor: str) -> None:
        self.representations[organisation_code] = title

    def remove_representative(self, organisation_code: str, actor: str) -> None:
        """End the person's representation of the organisation."""
        checked_registry_code(organisation_code, "organisation_code")
        if organisation_code not in self.representations:
            raise NotFound(
                Message(
                    N_("person {personal_code} is not a representative of {organisation_code}"),
                    {"personal_code": self.personal_code, "organisation_code": organisation_code},
                )
            )
        self._representative_removed(organisation_code=organisation_code, actor=actor)

    @event(RepresentativeRemoved)
    def _representative_removed(self, organisation_code: str, actor: str) -> None:
        del self.representations[organisation_code]


class PersonCodeIndex(Aggregate):
    """Index entry that reserves a personal code for one person.

    Its id is :func:`person_code_index_id` of the code's HMAC digest, passed in
    by the application; the entry records only the person's random id.
    """

    class Claimed(Aggregate.Created):
        person_id: UUID

    @event(Claimed)
    def __init__(self, id: UUID, person_id: UUID) -> None:
        self.person_id = person_id

    @classmethod
    def claim(cls, digest: str, person_id: UUID) -> PersonCodeIndex:
        """Reserve the code with this digest for ``person_id``."""
        return cls(id=person_code_index_id(digest), person_id=person_id)


class Organisation(Aggregate):
    """An organisation (company, agency, bank, court, ...) by its registry code."""

    @staticmethod
    def create_id(registry_code: str) -> UUID:
        """Organisations are found by their public registry code."""
        return organisation_id(registry_code)

    class Registered(Aggregate.Created):
        registry_code: str
        name: str
        kind: str
        actor: str

    @event(Registered)
    def __init__(self, registry_code: str, name: str, kind: str, actor: str) -> None:
        self.registry_code = registry_code
        self.name = name
        self.kind = kind

    @classmethod
    def register(cls, *, registry_code: str, name: str, kind: str, actor: str) -> Organisation:
        """Check a registration and record it."""
        return cls(
            registry_code=checked_registry_code(registry_code),
            name=check_organisation_name(name),
            kind=check_kind(kind),
            actor=actor,
        )
