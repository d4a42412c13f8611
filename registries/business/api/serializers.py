"""Serializers of the business registry API.

Read serializers render the read models (plus each record's place on the
chain); command serializers check types and ranges at the edge. The Commercial
Code's rules (a name shows its legal form, minimum capital, valid personal
codes, ...) are the aggregates' business and come back as registry errors.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from registries.business.domain import LEGAL_FORMS, MAX_NAME_LENGTH
from registries.business.models import AnnualReportRecord, CompanyPerson, CompanyRecord
from registries.common.api.serializers import (
    StrictCharField,
    StrictIntegerField,
    history_entry_serializer,
    ledger_history,
    ledger_status_serializer,
    names_field,
    shows_names,
)
from registries.common.api.text import visible_text
from registries.common.statuses import record_ledger_status
from registries.identity.services import names_of

REGISTRY = "business"
# Large enough for any real company, small enough that sums fit a 64-bit column.
MAX_CENTS = 10**15
MAX_PEOPLE = 100


def _personal_codes(help_text: str) -> serializers.ListField:
    return serializers.ListField(
        child=StrictCharField(max_length=11, help_text="Estonian personal code (11 digits)"),
        max_length=MAX_PEOPLE,
        help_text=help_text,
    )


# Read side ----------------------------------------------------------------


LedgerStatusSerializer = ledger_status_serializer("LedgerStatus")


class AnnualReportSerializer(serializers.ModelSerializer[AnnualReportRecord]):
    """Key figures of a filed annual report."""

    class Meta:
        model = AnnualReportRecord
        fields = ["year", "revenue_cents", "net_profit_cents", "employees", "ledger_seq"]


HistoryEntrySerializer = history_entry_serializer(
    "HistoryEntry",
    "One event of a company on its registry's ledger.",
    "Registered or AddressChanged",
)


class CompanySummarySerializer(serializers.ModelSerializer[CompanyRecord]):
    """A company as listed in search results."""

    ledger = serializers.SerializerMethodField()

    class Meta:
        model = CompanyRecord
        fields = [
            "registry_code",
            "name",
            "legal_form",
            "status",
            "share_capital_cents",
            "address",
            "registered_on",
            "ledger",
        ]

    @extend_schema_field(LedgerStatusSerializer)
    def get_ledger(self, record: CompanyRecord) -> dict[str, object]:
        return record_ledger_status(record).as_dict()


class CompanyDetailSerializer(CompanySummarySerializer):
    """The public registry card of a company, with its ledger history."""

    founders = serializers.SerializerMethodField()
    board = serializers.SerializerMethodField()
    names = serializers.SerializerMethodField()
    annual_reports = AnnualReportSerializer(many=True, read_only=True)
    history = serializers.SerializerMethodField()

    class Meta(CompanySummarySerializer.Meta):
        fields = [
            *CompanySummarySerializer.Meta.fields,
            "founders",
            "board",
            "names",
            "annual_reports",
            "liquidation_reason",
            "liquidation_cause",
            "history",
        ]

    @staticmethod
    def _people(record: CompanyRecord, role: str) -> list[str]:
        return [p.personal_code for p in record.people.all() if p.role == role]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_founders(self, record: CompanyRecord) -> list[str]:
        return self._people(record, CompanyPerson.FOUNDER)

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_board(self, record: CompanyRecord) -> list[str]:
        return self._people(record, CompanyPerson.BOARD)

    @extend_schema_field(
        names_field("the founders and board members (public, as their codes)", REGISTRY)
    )
    def get_names(self, record: CompanyRecord) -> dict[str, str]:
        """The founders' and board members' names beside their codes: public on the
        business register's card, for anyone (registries.common.public)."""
        if not shows_names(self, REGISTRY):
            return {}
        people = [vars(person) for person in record.people.all()]
        if all("name" in person for person in people):  # fetched with the people
            return {p["personal_code"]: p["name"] for p in people if p["name"]}
        return names_of(p["personal_code"] for p in people)

    @extend_schema_field(LedgerStatusSerializer)
    def get_ledger(self, record: CompanyRecord) -> dict[str, object]:
        # The latest entry is nearly always the company's own last event: its
        # history already says where it stands.
        for entry in self._history(record):
            if entry["seq"] == record.ledger_seq:
                return {
                    "registry": REGISTRY,
                    "seq": entry["seq"],
                    "block_height": entry["block_height"],
                    "level": entry["level"],
                }
        return super().get_ledger(record)

    @extend_schema_field(HistoryEntrySerializer(many=True))
    def get_history(self, record: CompanyRecord) -> list[dict[str, Any]]:
        return self._history(record)

    def _history(self, record: CompanyRecord) -> list[dict[str, Any]]:
        """The company's ledger history, read once per serialization."""
        histories: dict[str, list[dict[str, Any]]] = self.__dict__.setdefault("_histories", {})
        if record.registry_code not in histories:
            histories[record.registry_code] = ledger_history(REGISTRY, record.aggregate_id)
        return histories[record.registry_code]


class CompanyFilterSerializer(serializers.Serializer[Any]):
    """Query parameters of the company search."""

    q = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=MAX_NAME_LENGTH,
        help_text="Part of the name (any case) or an exact registry code",
    )
    status = serializers.ChoiceField(
        choices=[choice for choice, _ in CompanyRecord.STATUS_CHOICES],
        required=False,
        allow_blank=True,
    )
    legal_form = serializers.ChoiceField(
        choices=list(LEGAL_FORMS), required=False, allow_blank=True
    )
    page = serializers.IntegerField(required=False, min_value=1, help_text="Page number")


# Commands -------------------------------------------------------------------


class RegistrationSerializer(serializers.Serializer[Any]):
    """An application to register a company."""

    name = StrictCharField(
        max_length=MAX_NAME_LENGTH, validators=[visible_text], help_text="Must show the legal form"
    )
    legal_form = serializers.ChoiceField(choices=list(LEGAL_FORMS))
    share_capital_cents = StrictIntegerField(min_value=0, max_value=MAX_CENTS)
    founders = _personal_codes("Personal codes of the founders")
    board = _personal_codes("Personal codes of the management board members")
    address = StrictCharField(max_length=300)


class BoardChangeSerializer(serializers.Serializer[Any]):
    """The new management board (replaces the current one)."""

    members = _personal_codes("Personal codes of the new board members")


class AddressChangeSerializer(serializers.Serializer[Any]):
    """The new registered address."""

    address = StrictCharField(max_length=300)


class CapitalIncreaseSerializer(serializers.Serializer[Any]):
    """An increase of the share capital."""

    amount_cents = StrictIntegerField(min_value=1, max_value=MAX_CENTS)


class AnnualReportFilingSerializer(serializers.Serializer[Any]):
    """The key figures of a finished financial year."""

    year = StrictIntegerField(min_value=1900, max_value=9999)
    revenue_cents = StrictIntegerField(min_value=0, max_value=MAX_CENTS)
    net_profit_cents = StrictIntegerField(min_value=-MAX_CENTS, max_value=MAX_CENTS)
    employees = StrictIntegerField(min_value=0, max_value=10_000_000)


class LiquidationSerializer(serializers.Serializer[Any]):
    """Why the company enters liquidation."""

    reason = StrictCharField(max_length=2000)


class DeletionSerializer(serializers.Serializer[Any]):
    """Deleting a liquidated company takes no data."""
