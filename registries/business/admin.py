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
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import quote, unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from chain.blocks.status import LedgerStatus, ledger_status
from registries.business.application import BusinessRegistry, Registration
from registries.business.domain import LEGAL_FORMS, MAX_NAME_LENGTH, AnnualReport
from registries.business.models import CompanyPerson, CompanyRecord
from registries.business.projections import PROJECTIONS
from registries.common.api import text_contains
from registries.common.api.roles import user_has_role
from registries.common.api.serializers import ledger_history
from registries.common.commands import issue
from registries.common.errors import RegistryError

REGISTRAR = ("business", "registrar")
MAX_EUROS = Decimal("10000000000000")  # 10**15 cents, as the API allows
_FIELD_PREFIX = re.compile(r"^([a-z][a-z0-9_]*): (.+)$", re.DOTALL)


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


class CommandForm(forms.Form):
    """A form that issues one registry command.

    ``field_aliases`` maps the field names in the registry's messages
    (``amount_cents``) to this form's fields (``amount_euros``), so a refused
    command's message appears next to the right field.
    """

    field_aliases: dict[str, str] = {}

    def __init__(self, *args: Any, company: CompanyRecord | None = None, **kwargs: Any) -> None:
        self.company = company
        super().__init__(*args, **kwargs)

    def add_registry_error(self, error: RegistryError) -> None:
        """Show a refused command's message on its field, or on the whole form."""
        message = str(error) or error.title
        match = _FIELD_PREFIX.match(message)
        if match:
            field = self.field_aliases.get(match.group(1), match.group(1))
            if field in self.fields:
                self.add_error(field, match.group(2))
                return
        self.add_error(None, message)


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
        if self.company is not None:
            self.fields["address"].initial = self.company.address


class BoardForm(CommandForm):
    members = PersonalCodesField(label="New management board")
    field_aliases = {"board": "members"}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.company is not None:
            self.fields["members"].initial = [
                p.personal_code for p in self.company.people.filter(role=CompanyPerson.BOARD)
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


@dataclass(frozen=True)
class Command:
    """A command on one company, as offered on its admin page."""

    slug: str
    title: str
    form: type[CommandForm]
    run: Callable[[BusinessRegistry, str, CommandForm, str], None]
    statuses: tuple[str, ...]
    done: str


COMMANDS = {
    command.slug: command
    for command in [
        Command(
            "address",
            "Change address",
            AddressForm,
            lambda app, code, form, who: app.change_address(
                code, form.cleaned_data["address"], who
            ),
            ("active",),
            "Address changed",
        ),
        Command(
            "board",
            "Change board",
            BoardForm,
            lambda app, code, form, who: app.change_board(code, form.cleaned_data["members"], who),
            ("active",),
            "Management board changed",
        ),
        Command(
            "capital",
            "Increase capital",
            CapitalForm,
            lambda app, code, form, who: app.increase_capital(
                code, to_cents(form.cleaned_data["amount_euros"]), who
            ),
            ("active",),
            "Share capital increased",
        ),
        Command(
            "annual-report",
            "File annual report",
            AnnualReportForm,
            lambda app, code, form, who: app.file_annual_report(
                code, _annual_report(form), who, timezone.localdate()
            ),
            ("active", "in_liquidation"),
            "Annual report filed",
        ),
        Command(
            "liquidation",
            "Enter liquidation",
            LiquidationForm,
            lambda app, code, form, who: app.enter_liquidation(
                code, form.cleaned_data["reason"], who
            ),
            ("active",),
            "Company entered liquidation",
        ),
        Command(
            "deletion",
            "Delete company",
            DeletionForm,
            lambda app, code, form, who: app.delete_company(code, who),
            ("in_liquidation",),
            "Company deleted",
        ),
    ]
}


# The admin ---------------------------------------------------------------------------


def _table(headers: list[str], rows: list[list[Any]], empty: str) -> str:
    if not rows:
        return format_html("<em>{}</em>", empty)
    head = format_html_join("", "<th>{}</th>", ((h,) for h in headers))
    body = format_html_join(
        "",
        "<tr>{}</tr>",
        ((format_html_join("", "<td>{}</td>", ((cell,) for cell in row)),) for row in rows),
    )
    return format_html("<table><thead><tr>{}</tr></thead><tbody>{}</tbody></table>", head, body)


@admin.register(CompanyRecord)
class CompanyRecordAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Companies: read-only cards; changes only through command forms."""

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
    change_form_template = "admin/business/companyrecord/change_form.html"
    command_template = "admin/common/command_form.html"
    actions = None
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

    # Permissions: the read models are never edited or deleted directly.

    def can_act(self, request: HttpRequest) -> bool:
        """May this user issue business registry commands?"""
        return user_has_role(request.user, *REGISTRAR)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_view_permission(request, obj) or self.can_act(request)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return super().has_module_permission(request) or self.can_act(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self.can_act(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

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

    @staticmethod
    def _status(record: CompanyRecord) -> LedgerStatus:
        cached: LedgerStatus | None = getattr(record, "_ledger_status", None)
        if cached is None:
            cached = ledger_status(record.ledger_registry, record.ledger_seq)
            record._ledger_status = cached  # type: ignore[attr-defined]
        return cached

    @admin.display(description="share capital", ordering="share_capital_cents")
    def share_capital(self, record: CompanyRecord) -> str:
        return euros(record.share_capital_cents)

    @admin.display(description="block")
    def block_height(self, record: CompanyRecord) -> Any:
        return self._status(record).block_height

    @admin.display(description="level")
    def ledger_level(self, record: CompanyRecord) -> str:
        return self._status(record).level

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
        return _table(
            ["year", "revenue", "net profit", "employees", "ledger seq"], rows, "none filed"
        )

    @admin.display(description="ledger history")
    def history_table(self, record: CompanyRecord) -> str:
        rows = [
            [h["seq"], h["event"], h["recorded_at"], h["block_height"] or "-", h["level"]]
            for h in ledger_history("business", record.aggregate_id)
        ]
        return _table(["seq", "event", "recorded at", "block", "level"], rows, "no entries")

    # Command forms.

    def get_urls(self) -> list[URLPattern]:
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "<path:object_id>/command/<slug:command>/",
                self.admin_site.admin_view(self.command_view),
                name="{}_{}_command".format(*info),
            ),
            *super().get_urls(),
        ]

    def _change_url(self, record: CompanyRecord) -> str:
        info = self.opts.app_label, self.opts.model_name
        return reverse("admin:{}_{}_change".format(*info), args=[quote(record.pk)])

    def _command_url(self, record: CompanyRecord, slug: str) -> str:
        info = self.opts.app_label, self.opts.model_name
        return reverse("admin:{}_{}_command".format(*info), args=[quote(record.pk), slug])

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        extra_context = dict(extra_context or {})
        record = self.get_object(request, unquote(object_id))
        if record is not None and self.can_act(request):
            extra_context["company_commands"] = [
                (command.title, self._command_url(record, command.slug))
                for command in COMMANDS.values()
                if record.status in command.statuses
            ]
        return super().change_view(request, object_id, form_url, extra_context)

    def _render_form(
        self,
        request: HttpRequest,
        form: CommandForm,
        title: str,
        record: CompanyRecord | None,
        cancel_url: str,
    ) -> TemplateResponse:
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": title,
            "subtitle": str(record) if record is not None else None,
            "form": form,
            "original": record,
            "cancel_url": cancel_url,
            "has_view_permission": True,
        }
        return TemplateResponse(request, self.command_template, context)

    def _issue(
        self, request: HttpRequest, form: CommandForm, run: Callable[[BusinessRegistry], Any]
    ) -> tuple[bool, Any]:
        """Issue a command; on refusal put the registry's message on the form."""
        try:
            return True, issue(BusinessRegistry, PROJECTIONS, run)
        except RegistryError as error:
            form.add_registry_error(error)
            return False, None

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        """Register a company (the only way to add one)."""
        if not self.can_act(request):
            raise PermissionDenied
        changelist = reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist")
        form = RegistrationForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            registration = form.registration()
            who = request.user.get_username()
            today = timezone.localdate()
            ok, code = self._issue(
                request, form, lambda app: app.register_company(registration, who, today)
            )
            if ok:
                record = CompanyRecord.objects.get(registry_code=code)
                self.log_addition(request, record, "Registered through the registration form")
                messages.success(
                    request,
                    f"Registered {record.name} with registry code {code} "
                    f"(ledger seq {record.ledger_seq}).",
                )
                return HttpResponseRedirect(self._change_url(record))
        return self._render_form(request, form, "Register a company", None, changelist)

    def command_view(self, request: HttpRequest, object_id: str, command: str) -> HttpResponse:
        """A command form for one company."""
        if not self.can_act(request):
            raise PermissionDenied
        spec = COMMANDS.get(command)
        record = self.get_object(request, unquote(object_id))
        if spec is None or record is None:
            raise Http404("No such company or command")
        form = spec.form(request.POST if request.method == "POST" else None, company=record)
        if request.method == "POST" and form.is_valid():
            code = record.registry_code
            who = request.user.get_username()
            ok, _ = self._issue(request, form, lambda app: spec.run(app, code, form, who))
            if ok:
                record.refresh_from_db()
                self.log_change(request, record, f"{spec.title} (registry command)")
                messages.success(request, f"{spec.done} (ledger seq {record.ledger_seq}).")
                return HttpResponseRedirect(self._change_url(record))
        return self._render_form(request, form, spec.title, record, self._change_url(record))
