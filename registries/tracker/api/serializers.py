"""Serializers of the data tracker's API."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from registries.common.api.serializers import StrictCharField, StrictIntegerField
from registries.identity.services import names_of, workplaces_of
from registries.tracker.models import CovertCommitmentRecord, ReadRecord

_PAGE = "_readers"


class ReadSerializer(serializers.ModelSerializer[ReadRecord]):
    """Who read the person's data (by name and workplace), in which registry, when and why."""

    reader_name = serializers.SerializerMethodField()
    reader_organisation = serializers.SerializerMethodField()
    reader_organisation_name = serializers.SerializerMethodField()

    class Meta:
        model = ReadRecord
        fields = [
            "read_at",
            "reader_code",
            "reader_name",
            "reader_organisation",
            "reader_organisation_name",
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

    def _page(self) -> tuple[dict[tuple[str, str], str], dict[str, str]]:
        """Where each reader of the page worked, and every name, in a few queries per page."""
        context: dict[str, Any] = self.root._context  # DRF's shared context
        if _PAGE not in context:
            instance = self.root.instance
            reads = [instance] if isinstance(instance, ReadRecord) else list(instance or [])
            workplaces: dict[tuple[str, str], str] = {}
            for registry in {read.registry for read in reads}:
                readers = {read.reader_code for read in reads if read.registry == registry}
                for code, organisation in workplaces_of(readers, registry).items():
                    workplaces[(code, registry)] = organisation
            codes = {read.reader_code for read in reads} | set(workplaces.values())
            context[_PAGE] = (workplaces, names_of(codes))
        page: tuple[dict[tuple[str, str], str], dict[str, str]] = context[_PAGE]
        return page

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_reader_name(self, read: ReadRecord) -> str | None:
        """The reader's name (a doctor, a judge, ...)."""
        return self._page()[1].get(read.reader_code)

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_reader_organisation(self, read: ReadRecord) -> str | None:
        """Registry code of where the reader worked for that registry (hospital, court)."""
        return self._page()[0].get((read.reader_code, read.registry))

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_reader_organisation_name(self, read: ReadRecord) -> str | None:
        """The name of the reader's hospital or court."""
        workplaces, names = self._page()
        organisation = workplaces.get((read.reader_code, read.registry))
        return names.get(organisation) if organisation is not None else None


class CommitmentSerializer(serializers.ModelSerializer[CovertCommitmentRecord]):
    class Meta:
        model = CovertCommitmentRecord
        fields = ["commitment", "registry", "committed_seq", "disclosed", "ledger_seq"]


class DisclosureSerializer(serializers.Serializer[Any]):
    case_number = StrictCharField(
        max_length=20, help_text="The criminal case the covert read was made under"
    )
    judgment = StrictIntegerField(min_value=1, help_text="The case's final judgment releasing it")
