"""Serializers of the health registry's API (input checks; output built by the views)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from registries.access.signing import signatures_field
from registries.common.api.dates import RegistryDateField
from registries.common.api.serializers import StrictCharField
from registries.health.domain import MAX_DIAGNOSES, MAX_TEXT


class EntryOutSerializer(serializers.Serializer[Any]):
    """One entry of a record, opened for an allowed reader."""

    number = serializers.IntegerField()
    kind = serializers.CharField()
    provider = serializers.CharField()
    doctor = serializers.CharField()
    on = serializers.DateField()
    expires_on = serializers.DateField(allow_null=True)
    dispensed_on = serializers.DateField(allow_null=True)
    pharmacy = serializers.CharField()
    content = serializers.DictField(help_text="summary and diagnoses, or medicine and dosage")
    ledger_seq = serializers.IntegerField(allow_null=True)


class ConsentOutSerializer(serializers.Serializer[Any]):
    provider = serializers.CharField()
    state = serializers.CharField()


class RecordOutSerializer(serializers.Serializer[Any]):
    """A patient's record as an allowed reader sees it."""

    patient = serializers.CharField()
    closed_to_all = serializers.BooleanField()
    consents = ConsentOutSerializer(many=True)
    representatives = serializers.ListField(child=serializers.CharField())
    entries = EntryOutSerializer(many=True)
    emergency = serializers.BooleanField(help_text="read by emergency access (break glass)")
    version = serializers.IntegerField()


class PrescriptionOutSerializer(serializers.Serializer[Any]):
    number = serializers.IntegerField()
    medicine = serializers.CharField()
    dosage = serializers.CharField()
    issued_on = serializers.DateField()
    expires_on = serializers.DateField()
    doctor = serializers.CharField()


class _Endorsed(serializers.Serializer[Any]):
    provider = StrictCharField(max_length=8, help_text="The hospital's registry code")
    signature = StrictCharField(
        max_length=128, required=False, default="", help_text="Doctor's Ed25519 signature, hex"
    )


class EncounterInSerializer(_Endorsed):
    summary = StrictCharField(max_length=MAX_TEXT)
    diagnoses = serializers.ListField(
        child=StrictCharField(max_length=20), max_length=MAX_DIAGNOSES, allow_empty=True
    )
    occurred_on = RegistryDateField()


class PrescriptionInSerializer(_Endorsed):
    medicine = StrictCharField(max_length=MAX_TEXT)
    dosage = StrictCharField(max_length=MAX_TEXT)
    issued_on = RegistryDateField()
    expires_on = RegistryDateField()


class KeyAccessSerializer(serializers.Serializer[Any]):
    """One access to a patient's key, opened for an auditor."""

    at = serializers.DateTimeField()
    action = serializers.ChoiceField(choices=["create", "use", "destroy", "refused"])
    actor = serializers.CharField(help_text="Who: an official's code, or 'patient'")
    purpose = serializers.CharField()


class EntryMessageInSerializer(serializers.Serializer[Any]):
    """The entry a doctor is about to sign: ``kind`` and the fields of that entry."""

    kind = serializers.ChoiceField(choices=["encounter", "prescription"])
    provider = StrictCharField(max_length=8)
    summary = StrictCharField(max_length=MAX_TEXT, required=False, default="")
    diagnoses = serializers.ListField(
        child=StrictCharField(max_length=20), max_length=MAX_DIAGNOSES, required=False, default=list
    )
    occurred_on = RegistryDateField(required=False)
    medicine = StrictCharField(max_length=MAX_TEXT, required=False, default="")
    dosage = StrictCharField(max_length=MAX_TEXT, required=False, default="")
    issued_on = RegistryDateField(required=False)
    expires_on = RegistryDateField(required=False)


class EntryMessageOutSerializer(serializers.Serializer[Any]):
    message = serializers.CharField(help_text="The canonical bytes to sign, hex")
    record_version = serializers.IntegerField()


class DispensingInSerializer(serializers.Serializer[Any]):
    pharmacy = StrictCharField(max_length=8, help_text="The pharmacy's registry code")


class ErasureInSerializer(serializers.Serializer[Any]):
    reason = StrictCharField(max_length=MAX_TEXT, help_text="Why the record is erased")


class ConsentInSerializer(serializers.Serializer[Any]):
    action = serializers.ChoiceField(choices=["close", "open"])
    provider = StrictCharField(
        max_length=8,
        required=False,
        default="",
        allow_blank=True,
        help_text="A hospital's registry code; empty for all providers",
    )


class RepresentativeInSerializer(serializers.Serializer[Any]):
    representative = StrictCharField(max_length=11, help_text="Personal code")


class SignedConsentSerializer(ConsentInSerializer):
    """A consent change signed by the patient."""

    signatures = signatures_field()


class SignedRepresentativeSerializer(RepresentativeInSerializer):
    """An appointment signed by the patient and the representative, or a removal
    signed by the patient."""

    signatures = signatures_field()


class CreatedEntrySerializer(serializers.Serializer[Any]):
    number = serializers.IntegerField(help_text="The new entry's number in the record")
