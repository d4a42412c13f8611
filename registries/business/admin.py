"""The ministry's admin for the business registry.

Changes are the catalog's commands (``registries.business.commands``); only
business registrars (a role in the identity registry) see and use their forms.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from registries.access.admin import CommandAdmin, euros, html_table
from registries.access.roles import user_has_role
from registries.business.commands import COMMANDS, COMPANY
from registries.business.models import CompanyPerson, CompanyRecord
from registries.common.api import text_contains
from registries.common.search import PERSONAL_CODE, REGISTRY_CODE
from registries.identity.services import names_beside, with_names


@admin.register(CompanyRecord)
class CompanyRecordAdmin(CommandAdmin):
    """Companies: read-only cards; changes only through command forms."""

    catalog = COMMANDS
    target = COMPANY
    registration = "register"

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
        (_("People"), {"fields": ["founders", "board"]}),
        (_("Annual reports"), {"fields": ["annual_reports_table"]}),
        (
            _("On the chain"),
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
        (_("Ledger history"), {"fields": ["history_table"]}),
    ]

    def can_act(self, request: HttpRequest) -> bool:
        """May this user issue business registry commands?"""
        return user_has_role(request.user, "business", "registrar")

    def get_queryset(self, request: HttpRequest) -> QuerySet[CompanyRecord]:
        # Each person's name comes with them, in the same query as the codes
        # (where the identity registry shares the database: with_names).
        people = with_names(CompanyPerson.objects.all(), "personal_code")
        return (
            super()
            .get_queryset(request)
            .prefetch_related(Prefetch("people", queryset=people), "annual_reports")
        )

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[CompanyRecord], search_term: str
    ) -> tuple[QuerySet[CompanyRecord], bool]:
        """Part of the name in any case (Õ/õ too), or an exact registry or personal code."""
        term = " ".join(search_term.split())
        if not term:
            return queryset, False
        if REGISTRY_CODE.match(term):
            return queryset.filter(registry_code=term), False
        if PERSONAL_CODE.match(term):
            return queryset.filter(people__personal_code=term), True
        return queryset.filter(text_contains("name", term)), False

    # Columns and read-only fields.

    @admin.display(description=_("share capital"), ordering="share_capital_cents")
    def share_capital(self, record: CompanyRecord) -> str:
        return euros(record.share_capital_cents)

    @staticmethod
    def _people(record: CompanyRecord, role: str) -> str:
        people = [vars(p) for p in record.people.all() if p.role == role]
        names = names_beside(people, "personal_code")
        shown = ((p["personal_code"], names.get(p["personal_code"], "")) for p in people)
        return format_html_join(", ", "{} {}", shown) or "-"

    @admin.display(description=_("founders"))
    def founders(self, record: CompanyRecord) -> str:
        return self._people(record, CompanyPerson.FOUNDER)

    @admin.display(description=_("management board"))
    def board(self, record: CompanyRecord) -> str:
        return self._people(record, CompanyPerson.BOARD)

    @admin.display(description=_("annual reports"))
    def annual_reports_table(self, record: CompanyRecord) -> str:
        rows = [
            [r.year, euros(r.revenue_cents), euros(r.net_profit_cents), r.employees, r.ledger_seq]
            for r in record.annual_reports.all()
        ]
        return html_table(
            [_("year"), _("revenue"), _("net profit"), _("employees"), _("ledger seq")],
            rows,
            _("none filed"),
        )

    def added_record(self, result: object, data: dict[str, Any]) -> CompanyRecord:
        return CompanyRecord.objects.get(registry_code=result)
