"""Read models of the identity registry, kept by :mod:`registries.identity.projections`.

Never edited directly: the admin and the API change them only through
commands of :class:`~registries.identity.application.IdentityRegistry`.

``PersonRecord.personal_code`` (unique) is the read-model lookup of a person
by code; the aggregate id kept beside it is for the projection and the ledger
history only and is never shown by the API.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from registries.common.models import KeyAccessBase, LedgerLinked, PersonKeyBase
from registries.identity.vocabulary import (
    KEY_STATUSES,
    MAX_NAME_LENGTH,
    MAX_ORGANISATION_NAME_LENGTH,
    MAX_REASON_LENGTH,
    MAX_TITLE_LENGTH,
    ORGANISATION_KINDS,
    REGISTRIES,
    ROLES,
)


class PersonRecord(LedgerLinked):
    """A person as the population register shows them to officials."""

    ledger_registry = "identity"

    SEX_CHOICES = [("M", "male"), ("F", "female")]

    personal_code = models.CharField(max_length=11, unique=True, verbose_name=_("personal code"))
    aggregate_id = models.UUIDField(unique=True, verbose_name=_("aggregate id"))
    first_name = models.CharField(max_length=MAX_NAME_LENGTH, verbose_name=_("first name"))
    last_name = models.CharField(
        max_length=MAX_NAME_LENGTH, db_index=True, verbose_name=_("last name")
    )
    born = models.DateField(verbose_name=_("born"))
    sex = models.CharField(max_length=1, choices=SEX_CHOICES, verbose_name=_("sex"))
    died_on = models.DateField(null=True, blank=True, verbose_name=_("died on"))
    # An erasure asked for and awaiting a second registrar's approval (four eyes); the
    # approval deletes the row.
    erasure_requested_by = models.CharField(
        max_length=150,
        blank=True,
        help_text="The registrar who asked for the erasure",
        verbose_name=_("erasure requested by"),
    )
    erasure_requested_at = models.DateTimeField(
        null=True, blank=True, verbose_name=_("erasure requested at")
    )
    erasure_reason = models.CharField(
        max_length=MAX_REASON_LENGTH, blank=True, verbose_name=_("erasure reason")
    )
    version = models.IntegerField(
        help_text="Version of the person aggregate shown here", verbose_name=_("version")
    )

    class Meta:
        ordering = ["last_name", "first_name", "personal_code"]
        verbose_name = _("person")
        verbose_name_plural = _("persons")

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name} ({self.personal_code})"

    @property
    def alive(self) -> bool:
        return self.died_on is None


class PublicKeyRecord(LedgerLinked):
    """One e-ID public key of a person, with the ledger seqs of its validity."""

    ledger_registry = "identity"

    person = models.ForeignKey(
        PersonRecord, on_delete=models.CASCADE, related_name="keys", verbose_name=_("person")
    )
    key_id = models.CharField(
        max_length=16,
        help_text="First 8 bytes of SHA-256 of the key, hex",
        verbose_name=_("key id"),
    )
    public_key = models.CharField(
        max_length=64, help_text="Raw Ed25519 public key, hex", verbose_name=_("public key")
    )
    status = models.CharField(
        max_length=10, choices=[(s, s) for s in KEY_STATUSES], verbose_name=_("status")
    )
    valid_from_seq = models.BigIntegerField(
        help_text="Ledger seq of the event that added it", verbose_name=_("valid from seq")
    )
    valid_until_seq = models.BigIntegerField(
        null=True,
        blank=True,
        help_text="Ledger seq of the event that retired it",
        verbose_name=_("valid until seq"),
    )
    revoked_reason = models.CharField(
        max_length=MAX_REASON_LENGTH, blank=True, verbose_name=_("revoked reason")
    )

    class Meta:
        ordering = ["person", "valid_from_seq"]
        verbose_name = _("public key")
        verbose_name_plural = _("public keys")
        constraints = [
            models.UniqueConstraint(fields=["person", "key_id"], name="identity_key_unique")
        ]

    def __str__(self) -> str:
        return f"{self.key_id} ({self.status})"

    @property
    def raw(self) -> bytes:
        return bytes.fromhex(self.public_key)


class OrganisationRecord(LedgerLinked):
    """An organisation as the public register shows it."""

    ledger_registry = "identity"

    registry_code = models.CharField(
        max_length=8, primary_key=True, verbose_name=_("registry code")
    )
    aggregate_id = models.UUIDField(unique=True, verbose_name=_("aggregate id"))
    name = models.CharField(
        max_length=MAX_ORGANISATION_NAME_LENGTH, db_index=True, verbose_name=_("name")
    )
    kind = models.CharField(
        max_length=20, choices=list(ORGANISATION_KINDS.items()), verbose_name=_("kind")
    )
    version = models.IntegerField(
        help_text="Version of the organisation aggregate shown here", verbose_name=_("version")
    )

    class Meta:
        ordering = ["name", "registry_code"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return f"{self.name} ({self.registry_code})"


class AppointmentRecord(LedgerLinked):
    """A person's appointment as an official of a registry (proposed, current or ended).

    An appointment that needs a second registrar's confirmation
    (:func:`~registries.identity.vocabulary.needs_confirmation`) is ``pending`` and
    not ``active`` until confirmed.
    """

    ledger_registry = "identity"

    person = models.ForeignKey(
        PersonRecord,
        on_delete=models.CASCADE,
        related_name="appointments",
        verbose_name=_("person"),
    )
    registry = models.CharField(
        max_length=20, choices=[(r, r) for r in REGISTRIES], verbose_name=_("registry")
    )
    role = models.CharField(max_length=20, choices=[(r, r) for r in ROLES], verbose_name=_("role"))
    organisation_code = models.CharField(
        max_length=8, blank=True, db_index=True, verbose_name=_("organisation code")
    )
    active = models.BooleanField(
        default=True, help_text="In effect (confirmed, not ended)", verbose_name=_("active")
    )
    pending = models.BooleanField(
        default=False,
        help_text="Proposed, awaiting a second registrar's confirmation",
        verbose_name=_("pending"),
    )
    appointed_seq = models.BigIntegerField(
        help_text="Ledger seq of the appointment (of the proposal, when confirmed later)",
        verbose_name=_("appointed seq"),
    )
    confirmed_seq = models.BigIntegerField(
        null=True,
        blank=True,
        help_text="Ledger seq of the second registrar's confirmation",
        verbose_name=_("confirmed seq"),
    )
    ended_seq = models.BigIntegerField(
        null=True,
        blank=True,
        help_text="Ledger seq of the dismissal (or of the death)",
        verbose_name=_("ended seq"),
    )
    appointed_by = models.CharField(
        max_length=150,
        blank=True,
        help_text="Who appointed (or proposed) the official",
        verbose_name=_("appointed by"),
    )
    confirmed_by = models.CharField(max_length=150, blank=True, verbose_name=_("confirmed by"))
    ended_by = models.CharField(max_length=150, blank=True, verbose_name=_("ended by"))

    class Meta:
        ordering = ["registry", "role", "person", "-appointed_seq"]
        verbose_name = _("official appointment")
        verbose_name_plural = _("official appointments")
        constraints = [
            models.UniqueConstraint(
                fields=["person", "registry", "role", "organisation_code"],
                condition=models.Q(active=True),
                name="identity_active_appointment_unique",
            ),
            models.UniqueConstraint(
                fields=["person", "registry", "role", "organisation_code"],
                condition=models.Q(pending=True),
                name="identity_pending_appointment_unique",
            ),
        ]
        indexes = [models.Index(fields=["registry", "role", "active"])]

    def __str__(self) -> str:
        at = f" at {self.organisation_code}" if self.organisation_code else ""
        return f"{self.role} of {self.registry}{at}: {self.person.personal_code}"


class RepresentativeRecord(LedgerLinked):
    """A person's representation of an organisation that is not a company (current or ended).

    A current record lets the person sign in for the organisation
    (:mod:`registries.access.representation`).
    """

    ledger_registry = "identity"

    person = models.ForeignKey(
        PersonRecord,
        on_delete=models.CASCADE,
        related_name="representations",
        verbose_name=_("person"),
    )
    organisation_code = models.CharField(max_length=8, verbose_name=_("organisation code"))
    title = models.CharField(max_length=MAX_TITLE_LENGTH, verbose_name=_("title"))
    active = models.BooleanField(default=True, verbose_name=_("active"))
    appointed_seq = models.BigIntegerField(
        help_text="Ledger seq of the appointment", verbose_name=_("appointed seq")
    )
    ended_seq = models.BigIntegerField(
        null=True,
        blank=True,
        help_text="Ledger seq of the removal (or of the death)",
        verbose_name=_("ended seq"),
    )
    appointed_by = models.CharField(max_length=150, blank=True, verbose_name=_("appointed by"))
    ended_by = models.CharField(max_length=150, blank=True, verbose_name=_("ended by"))

    class Meta:
        ordering = ["organisation_code", "-active", "-appointed_seq"]
        verbose_name = _("organisation representative")
        verbose_name_plural = _("organisation representatives")
        constraints = [
            models.UniqueConstraint(
                fields=["person", "organisation_code"],
                condition=models.Q(active=True),
                name="identity_active_representative_unique",
            )
        ]
        indexes = [models.Index(fields=["organisation_code", "active"])]

    def __str__(self) -> str:
        return f"{self.title} of {self.organisation_code}: {self.person.personal_code}"


class PersonKey(PersonKeyBase):
    """A person's data key: seals their events in the population register
    (:mod:`registries.common.sealing`)."""

    class Meta(PersonKeyBase.Meta):
        pass


class KeyAccess(KeyAccessBase):
    """Audit trail of the identity key store: creates, destroys and refused uses."""

    class Meta(KeyAccessBase.Meta):
        pass
