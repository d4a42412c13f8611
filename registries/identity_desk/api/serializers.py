"""Serializers of the identity registry API.

Read serializers render the read models (plus each record's place on the
chain) and never include a person's aggregate id; command serializers check
types and shapes at the edge. The registry's rules (valid personal codes, who
may be appointed where, key history) are the aggregates' business and come
back as registry errors.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.request import Request

from registries.access.roles import request_has_role, user_has_role
from registries.common.api.dates import RegistryDateField
from registries.common.api.serializers import (
    StrictCharField,
    enum_field,
    history_entry_serializer,
    ledger_history,
    ledger_status_serializer,
)
from registries.common.api.text import visible_text
from registries.common.statuses import record_ledger_status
from registries.identity.models import (
    AppointmentRecord,
    OrganisationRecord,
    PersonRecord,
    PublicKeyRecord,
    RepresentativeRecord,
)
from registries.identity.services import official_code_of
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

REGISTRY = "identity"


def sees_erasure_reason(request: Request | HttpRequest | None, personal_code: str) -> bool:
    """Whether the caller may read why a person's erasure was asked for: the identity
    registrars, who decide on it, and the person themself. Any other official who reads
    the person's record sees that an erasure was asked for, by whom and when, not why
    (the reason may say more about the person than the register does)."""
    if request is None:
        return False
    user = request.user
    if user.is_authenticated and user.is_active and official_code_of(user) == personal_code:
        return True
    if isinstance(request, Request):  # the API: the token must act as a registrar too
        return request_has_role(request, REGISTRY, "registrar")
    return user_has_role(user, REGISTRY, "registrar")


def kind_field(**kwargs: Any) -> serializers.ChoiceField:
    return enum_field(
        "IdentityOrganisationKind",
        list(ORGANISATION_KINDS),
        "Kind of organisation: " + ", ".join(f"{k} ({v})" for k, v in ORGANISATION_KINDS.items()),
        **kwargs,
    )


def registry_field(**kwargs: Any) -> serializers.ChoiceField:
    return enum_field("IdentityRegistryName", list(REGISTRIES), "A registry of Riik", **kwargs)


def role_field(**kwargs: Any) -> serializers.ChoiceField:
    return enum_field("IdentityOfficialRole", list(ROLES), "An official's role", **kwargs)


LedgerStatusSerializer = ledger_status_serializer("IdentityLedgerStatus")


HistoryEntrySerializer = history_entry_serializer(
    "IdentityHistoryEntry",
    "One event of a record on the identity ledger.",
    "Registered or KeyRotated",
    version_help=None,
)


class PublicKeySerializer(serializers.ModelSerializer[PublicKeyRecord]):
    """An e-ID public key with its status and the ledger seqs of its validity."""

    status = enum_field(
        "IdentityKeyStatus",
        list(KEY_STATUSES),
        "active: in use; rotated: replaced (old signatures verify); revoked: nothing "
        "verifies; expired: the holder died (old signatures verify)",
        read_only=True,
    )

    class Meta:
        model = PublicKeyRecord
        fields = [
            "key_id",
            "public_key",
            "status",
            "valid_from_seq",
            "valid_until_seq",
            "revoked_reason",
        ]


class RoleSerializer(serializers.ModelSerializer[AppointmentRecord]):
    """A current appointment as an official."""

    registry = registry_field(read_only=True)
    role = role_field(read_only=True)

    class Meta:
        model = AppointmentRecord
        fields = ["registry", "role", "organisation_code", "appointed_seq"]


class PersonSerializer(serializers.ModelSerializer[PersonRecord]):
    """A person's record (for officials and for the person themselves)."""

    alive = serializers.BooleanField(read_only=True)
    sex = enum_field("IdentitySex", ["M", "F"], "M or F, from the personal code", read_only=True)
    keys = PublicKeySerializer(many=True, read_only=True)
    erasure_reason = serializers.SerializerMethodField()
    roles = serializers.SerializerMethodField()
    ledger = serializers.SerializerMethodField()
    history = serializers.SerializerMethodField()

    class Meta:
        model = PersonRecord
        fields = [
            "personal_code",
            "first_name",
            "last_name",
            "born",
            "sex",
            "alive",
            "died_on",
            "erasure_requested_by",
            "erasure_requested_at",
            "erasure_reason",
            "keys",
            "roles",
            "ledger",
            "history",
        ]

    @extend_schema_field(
        serializers.CharField(
            allow_null=True,
            help_text="Why the pending erasure was asked for (empty when none is): shown "
            "to identity registrars and to the person themself; null for anyone else",
        )
    )
    def get_erasure_reason(self, record: PersonRecord) -> str | None:
        if not record.erasure_requested_by:
            return ""
        if not sees_erasure_reason(self.context.get("request"), record.personal_code):
            return None
        return record.erasure_reason

    @extend_schema_field(RoleSerializer(many=True))
    def get_roles(self, record: PersonRecord) -> Any:
        active = [a for a in record.appointments.all() if a.active]
        return RoleSerializer(active, many=True).data

    @extend_schema_field(LedgerStatusSerializer)
    def get_ledger(self, record: PersonRecord) -> dict[str, object]:
        return record_ledger_status(record).as_dict()

    @extend_schema_field(HistoryEntrySerializer(many=True))
    def get_history(self, record: PersonRecord) -> list[dict[str, Any]]:
        return ledger_history(REGISTRY, record.aggregate_id)


class OrganisationSerializer(serializers.ModelSerializer[OrganisationRecord]):
    """An organisation as listed in search results."""

    kind = kind_field(read_only=True)
    ledger = serializers.SerializerMethodField()

    class Meta:
        model = OrganisationRecord
        fields = ["registry_code", "name", "kind", "ledger"]

    @extend_schema_field(LedgerStatusSerializer)
    def get_ledger(self, record: OrganisationRecord) -> dict[str, object]:
        return record_ledger_status(record).as_dict()


class OrganisationDetailSerializer(OrganisationSerializer):
    """The public register card of an organisation, with its ledger history."""

    history = serializers.SerializerMethodField()

    class Meta(OrganisationSerializer.Meta):
        fields = [*OrganisationSerializer.Meta.fields, "history"]

    @extend_schema_field(HistoryEntrySerializer(many=True))
    def get_history(self, record: OrganisationRecord) -> list[dict[str, Any]]:
        return ledger_history(REGISTRY, record.aggregate_id)


class OrganisationFilterSerializer(serializers.Serializer[Any]):
    """Query parameters of the organisation search."""

    q = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=MAX_ORGANISATION_NAME_LENGTH,
        help_text="Part of the name (any case) or an exact registry code",
    )
    kind = kind_field(required=False, allow_blank=True)
    page = serializers.IntegerField(required=False, min_value=1, help_text="Page number")


class OfficialSerializer(serializers.ModelSerializer[AppointmentRecord]):
    """An appointment as an official, current or ended."""

    personal_code = serializers.CharField(source="person.personal_code", read_only=True)
    registry = registry_field(read_only=True)
    role = role_field(read_only=True)

    class Meta:
        model = AppointmentRecord
        fields = [
            "personal_code",
            "registry",
            "role",
            "organisation_code",
            "active",
            "appointed_seq",
            "ended_seq",
        ]


class RepresentativeSerializer(serializers.ModelSerializer[RepresentativeRecord]):
    """A person's representation of an organisation, current or ended (for registrars)."""

    personal_code = serializers.CharField(source="person.personal_code", read_only=True)
    first_name = serializers.CharField(source="person.first_name", read_only=True)
    last_name = serializers.CharField(source="person.last_name", read_only=True)
    ledger = serializers.SerializerMethodField()

    class Meta:
        model = RepresentativeRecord
        fields = [
            "organisation_code",
            "personal_code",
            "first_name",
            "last_name",
            "title",
            "active",
            "appointed_seq",
            "appointed_by",
            "ended_seq",
            "ended_by",
            "ledger",
        ]

    @extend_schema_field(LedgerStatusSerializer)
    def get_ledger(self, record: RepresentativeRecord) -> dict[str, object]:
        return record_ledger_status(record).as_dict()


# Commands ----------------------------------------------------------------------------


def _personal_code(help_text: str = "Estonian personal identification code (11 digits)") -> Any:
    return StrictCharField(max_length=11, help_text=help_text)


class PersonRegistrationSerializer(serializers.Serializer[Any]):
    """Registering a person: birth date and sex come from the personal code."""

    personal_code = _personal_code()
    first_name = StrictCharField(max_length=MAX_NAME_LENGTH, validators=[visible_text])
    last_name = StrictCharField(max_length=MAX_NAME_LENGTH, validators=[visible_text])


class NameChangeSerializer(serializers.Serializer[Any]):
    """A person's new names."""

    first_name = StrictCharField(max_length=MAX_NAME_LENGTH, validators=[visible_text])
    last_name = StrictCharField(max_length=MAX_NAME_LENGTH, validators=[visible_text])


class DeathSerializer(serializers.Serializer[Any]):
    """The day a person died."""

    died_on = RegistryDateField(help_text="YYYY-MM-DD")


class PublicKeyInputSerializer(serializers.Serializer[Any]):
    """A raw Ed25519 public key (32 bytes) as 64 hex digits."""

    public_key = serializers.RegexField(
        r"^[0-9a-fA-F]{64}$",
        help_text="Raw Ed25519 public key, 32 bytes as 64 hex digits",
        error_messages={
            "invalid": gettext_lazy("An Ed25519 public key is 32 bytes written as 64 hex digits.")
        },
    )

    def validate_public_key(self, value: str) -> bytes:
        return bytes.fromhex(value)


class KeyRevocationSerializer(serializers.Serializer[Any]):
    """Why a key is revoked."""

    reason = StrictCharField(max_length=MAX_REASON_LENGTH)


class ErasureSerializer(serializers.Serializer[Any]):
    """Why a person is to be erased from the registries (crypto-shredding): the request
    of one identity registrar, or the approval of a different one."""

    reason = StrictCharField(max_length=MAX_REASON_LENGTH, help_text="Why the person is erased")


class ErasureWithdrawalSerializer(serializers.Serializer[Any]):
    """Why a pending request for a person's erasure is withdrawn."""

    reason = StrictCharField(
        max_length=MAX_REASON_LENGTH, help_text="Why the erasure request is withdrawn"
    )


class ErasedSerializer(serializers.Serializer[Any]):
    """The answer to an erasure: done, and why."""

    erased = serializers.BooleanField(help_text="Always true: the person is erased")
    reason = serializers.CharField(help_text="Why the person was erased")


class OrganisationRegistrationSerializer(serializers.Serializer[Any]):
    """Registering an organisation under its registry code."""

    registry_code = StrictCharField(max_length=8, help_text="8-digit registry code")
    name = StrictCharField(max_length=MAX_ORGANISATION_NAME_LENGTH, validators=[visible_text])
    kind = kind_field()


class AppointmentSerializer(serializers.Serializer[Any]):
    """Appointing (or dismissing) an official."""

    personal_code = _personal_code("Personal code of the official")
    registry = registry_field()
    role = role_field()
    organisation_code = StrictCharField(
        max_length=8,
        required=False,
        allow_blank=True,
        allow_null=True,
        default=None,
        help_text="Registry code of the organisation the official works for (optional)",
    )


class RepresentativeAppointmentSerializer(serializers.Serializer[Any]):
    """Appointing a person a representative of an organisation that is not a company."""

    personal_code = _personal_code("Personal code of the representative")
    title = StrictCharField(
        max_length=MAX_TITLE_LENGTH,
        validators=[visible_text],
        help_text="In which capacity the person represents it, such as 'chief executive'",
    )
