"""The ministry's admin for the business registry.

Companies are listed, searched and shown read-only (with their people,
annual reports and ledger history, and where each stands on the chain). The
read models are never edited here: every change is a command issued through a
form (register a company, change address or board, increase capital, file an
annual report, enter liquidation, delete). A refused command shows the
registry's message as a form error and writes nothing. Only business
registrars (a role in the identity registry) see and use the forms.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html_join

from registries.access.roles import user_has_role
from registries.business.application import BusinessRegistry, Registration
from registries.business.domain import LEGAL_FORMS, MAX_NAME_LENGTH, AnnualReport
from registries.business.models import CompanyPerson, CompanyRecord
from registries.business.projections import PROJECTIONS
from registries.common.admin import CommandAdmin, CommandForm, RecordCommand, html_table
from registries.common.api import text_contains
from registries.common.api.serializers import ledger_history

REGISTRAR = ("business", "registrar")
MAX_EUROS = Decimal("10000000000000")  # 10**15 cents, as the API allows


def euros(cents: int) -> str:
    """``250000`` -> ``2 500.00 €``."""
    return f"{Decimal(cents) / 100:,.2f}".replace(",", "\u202f") + " €"


def to_cents(amount: Decimal) -> int:
    """Euros with at most two decimals, as whole cents."""
    return int((amount * 100).to_integral_value())


# Form fields -----------------------------------------------------------------


class PersonalCodesField(forms.CharField):
    """Personal codes, one per line (commas and spaces also separate them)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 3, "cols": 24}))
        kwargs.setdefault("help_text", "Personal codes (isikukood), one per line.")
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list | tuple):
            return "\n".join(value)
        return value

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        text = super().to_python(value) or ""
        return [code for code in re.split(r"[\s,;]+", text) if code]


class EuroField(forms.DecimalField):
    """An amount in euros with at most two decimals."""

    def __init__(self, *, min_value: Decimal = Decimal(0), **kwargs: Any) -> None:
        super().__init__(
            max_digits=16, decimal_places=2, min_value=min_value, max_value=MAX_EUROS, **kwargs
        )


# Command forms ------------------------------------------------------------------


class RegistrationForm(CommandForm):
    name = forms.CharField(
        max_length=MAX_NAME_LENGTH, help_text="Must show the legal form, e.g. “Põhjarannik OÜ”."
    )
    legal_form = forms.ChoiceField(
        choices=[(form, f"{form}: {meaning}") for form, meaning in LEGAL_FORMS.items()]
    )
    share_capital_euros = EuroField(label="Share capital (€)", initial=Decimal("2500.00"))
    founders = PersonalCodesField()
    board = PersonalCodesField(label="Management board")
    address = forms.CharField(max_length=300)

    field_aliases = {"share_capital_cents": "share_capital_euros"}

    def registration(self) -> Registration:
        data = self.cleaned_data
        return Registration(
            name=data["name"],
            legal_form=data["legal_form"],
            share_capital_cents=to_cents(data["share_capital_euros"]),
            founders=data["founders"],
            board=data["board"],
            address=data["address"],
        )


class AddressForm(CommandForm):
    address = forms.CharField(max_length=300, label="New address")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.record is not None:
            self.fields["address"].initial = self.record.address


class BoardForm(CommandForm):
    members = PersonalCodesField(label="New management board")
    field_aliases = {"board": "members"}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.record is not None:
            self.fields["members"].initial = [
                p.personal_code for p in self.record.people.filter(role=CompanyPerson.BOARD)
            ]


class CapitalForm(CommandForm):
    amount_euros = EuroField(min_value=Decimal("0.01"), label="Increase by (€)")
    field_aliases = {"amount_cents": "amount_euros"}


class AnnualReportForm(CommandForm):
    year = forms.IntegerField(min_value=1900, max_value=9999, label="Financial year")
    revenue_euros = EuroField(label="Revenue (€)")
    net_profit_euros = EuroField(min_value=-MAX_EUROS, label="Net profit (€)")
    employees = forms.IntegerField(min_value=0, max_value=10_000_000)
    field_aliases = {
        "revenue_cents": "revenue_euros",
        "net_profit_cents": "net_profit_euros",
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["year"].initial = timezone.localdate().year - 1

    def report(self) -> AnnualReport:
        data = self.cleaned_data
        return AnnualReport(
            year=data["year"],
            revenue_cents=to_cents(data["revenue_euros"]),
            net_profit_cents=to_cents(data["net_profit_euros"]),
            employees=data["employees"],
        )


class LiquidationForm(CommandForm):
    reason = forms.CharField(max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))


class DeletionForm(CommandForm):
    confirm = forms.BooleanField(
        label="Delete the company from the registry and release its name",
    )


def _annual_report(form: CommandForm) -> AnnualReport:
    assert isinstance(form, AnnualReportForm)
    return form.report()


def _statuses(*statuses: str) -> Callable[[CompanyRecord], bool]:
    """Offer a command only to companies in one of these statuses."""
    return lambda record: record.status in statuses


COMMANDS = {
    command.slug: command
    for command in [
        RecordCommand(
            "address",
            "Change address",
            AddressForm,
            lambda app, record, form, who: app.change_address(
                record.registry_code, form.cleaned_data["address"], who
            ),
            "Address changed",
            available=_statuses("active"),
        ),
        RecordCommand(
            "board",
            "Change board",
            BoardForm,
            lambda app, record, form, who: app.change_board(
                record.registry_code, form.cleaned_data["members"], who
            ),
            "Management board changed",
            available=_statuses("active"),
        ),
        RecordCommand(
            "capital",
            "Increase capital",
            CapitalForm,
            lambda app, record, form, who: app.increase_capital(
                record.registry_code, to_cents(form.cleaned_data["amount_euros"]), who
            ),
            "Share capital increased",
            available=_statuses("active"),
        ),
        RecordCommand(
            "annual-report",
            "File annual report",
            AnnualReportForm,
            lambda app, record, form, who: app.file_annual_report(
                record.registry_code, _annual_report(form), who, timezone.localdate()
            ),
            "Annual report filed",
            available=_statuses("active", "in_liquidation"),
        ),
        RecordCommand(
            "liquidation",
            "Enter liquidation",
            LiquidationForm,
            lambda app, record, form, who: app.enter_liquidation(
                record.registry_code, form.cleaned_data["reason"], who
            ),
            "Company entered liquidation",
            available=_statuses("active"),
        ),
        RecordCommand(
            "deletion",
            "Delete company",
            DeletionForm,
            lambda app, record, form, who: app.delete_company(record.registry_code, who),
            "Company deleted",
            available=_statuses("in_liquidation"),
        ),
    ]
}


# The admin ---------------------------------------------------------------------------


@admin.register(CompanyRecord)
class CompanyRecordAdmin(CommandAdmin):
    """Companies: read-only cards; changes only through command forms."""

    application = BusinessRegistry
    projections = PROJECTIONS
    commands = COMMANDS
    add_form = RegistrationForm
    add_title = "Register company"

    list_display = [
        "registry_code",
        "name",
        "legal_form",
        "status",
        "share_capital",
        "ledger_seq",
        "block_height",
        "ledger_level",
    ]
    list_display_links = ["registry_code", "name"]
    list_filter = ["status", "legal_form"]
    search_fields = ["name", "=registry_code", "=people__personal_code"]  # see get_search_results
    search_help_text = "Name, registry code or a board member's / founder's personal code"
    list_per_page = 50
    ordering = ["name", "registry_code"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "registry_code",
                    "name",
                    "legal_form",
                    "status",
                    "share_capital",
                    "address",
                    "registered_on",
                    "liquidation_reason",
                    "liquidation_cause",
                ]
            },
        ),
        ("People", {"fields": ["founders", "board"]}),
        ("Annual reports", {"fields": ["annual_reports_table"]}),
        (
            "On the chain",
            {
                "fields": [
                    "ledger_seq",
                    "block_height",
                    "ledger_level",
                    "version",
                    "aggregate_id",
                ]
            },
        ),
        ("Ledger history", {"fields": ["history_table"]}),
    ]
    readonly_fields = [
        "registry_code",
        "name",
        "legal_form",
        "status",
        "share_capital",
        "address",
        "registered_on",
        "liquidation_reason",
        "liquidation_cause",
        "founders",
        "board",
        "annual_reports_table",
        "ledger_seq",
        "block_height",
        "ledger_level",
        "version",
        "aggregate_id",
        "history_table",
    ]

    def can_act(self, request: HttpRequest) -> bool:
        """May this user issue business registry commands?"""
        return user_has_role(request.user, *REGISTRAR)

    def get_queryset(self, request: HttpRequest) -> QuerySet[CompanyRecord]:
        return super().get_queryset(request).prefetch_related("people", "annual_reports")

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[CompanyRecord], search_term: str
    ) -> tuple[QuerySet[CompanyRecord], bool]:
        """Part of the name in any case (Õ/õ too), or an exact registry or personal code."""
        term = " ".join(search_term.split())
        if not term:
            return queryset, False
        matches = (
            text_contains("name", term) | Q(registry_code=term) | Q(people__personal_code=term)
        )
        return queryset.filter(matches), True

    # Columns and read-only fields.

    @admin.display(description="share capital", ordering="share_capital_cents")
    def share_capital(self, record: CompanyRecord) -> str:
        return euros(record.share_capital_cents)

    @staticmethod
    def _people(record: CompanyRecord, role: str) -> str:
        codes = [p.personal_code for p in record.people.all() if p.role == role]
        return format_html_join(", ", "{}", ((c,) for c in codes)) or "-"

    @admin.display(description="founders")
    def founders(self, record: CompanyRecord) -> str:
        return self._people(record, CompanyPerson.FOUNDER)

    @admin.display(description="management board")
    def board(self, record: CompanyRecord) -> str:
        return self._people(record, CompanyPerson.BOARD)

    @admin.display(description="annual reports")
    def annual_reports_table(self, record: CompanyRecord) -> str:
        rows = [
            [r.year, euros(r.revenue_cents), euros(r.net_profit_cents), r.employees, r.ledger_seq]
            for r in record.annual_reports.all()
        ]
        return html_table(
            ["year", "revenue", "net profit", "employees", "ledger seq"], rows, "none filed"
        )

    @admin.display(description="ledger history")
    def history_table(self, record: CompanyRecord) -> str:
        rows = [
            [h["seq"], h["event"], h["recorded_at"], h["block_height"] or "-", h["level"]]
            for h in ledger_history("business", record.aggregate_id)
        ]
        return html_table(["seq", "event", "recorded at", "block", "level"], rows, "no entries")

    # Registration.

    def add(self, app: Any, form: CommandForm, who: str) -> object:
        assert isinstance(form, RegistrationForm)
        registry: BusinessRegistry = app
        return registry.register_company(form.registration(), who, timezone.localdate())

    def added_record(self, result: object) -> CompanyRecord:
        return CompanyRecord.objects.get(registry_code=result)
