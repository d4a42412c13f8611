"""Serializers of the data tracker's API."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from registries.common.api.serializers import StrictCharField, StrictIntegerField
from registries.tracker.models import CovertCommitmentRecord, ReadRecord


class ReadSerializer(serializers.ModelSerializer[ReadRecord]):
    """Who read the person's data, in which registry, when and why."""

    class Meta:
        model = ReadRecord
        fields = [
            "read_at",
            "reader_code",
            "registry",
            "what",
            "purpose",
            "outcome",
            "emergency",
            "covert",
            "investigation",
            "disclosed_by",
            "ledger_seq",
        ]


class CommitmentSerializer(serializers.ModelSerializer[CovertCommitmentRecord]):
    class Meta:
        model = CovertCommitmentRecord
        fields = ["commitment", "registry", "committed_seq", "disclosed", "ledger_seq"]


class DisclosureSerializer(serializers.Serializer[Any]):
    case_number = StrictCharField(
        max_length=20, help_text="The criminal case the covert read was made under"
    )
    judgment = StrictIntegerField(min_value=1, help_text="The case's final judgment releasing it")
