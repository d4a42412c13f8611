"""The business registry's commands, each declared once for the API and the admin.

Business registrars (a role in the identity registry) issue them; a company files
its own annual report too, through a board member's organisation token.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

from django.urls import reverse
from django.utils import timezone
from rest_framework import status
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from registries.access.batches import batch_input, batch_reply
from registries.access.catalog import Catalog, Command, Reply, Target
from registries.access.forms import AdminForm, Ask
from registries.access.tokens import acting_organisation
from registries.business.api.serializers import (
    AddressChangeSerializer,
    AnnualReportFilingSerializer,
    BoardChangeSerializer,
    CapitalIncreaseSerializer,
    CompanyDetailSerializer,
    DeletionSerializer,
    LiquidationSerializer,
    RegistrationSerializer,
)
from registries.business.api.views import (
    CODE_PARAMETER,
    TAGS,
    BusinessRegistrar,
    PublicReadRegistrarWrite,
    company_body,
)
from registries.business.application import BusinessRegistry, Registration
from registries.business.domain import LEGAL_FORMS, AnnualReport
from registries.business.models import CompanyPerson, CompanyRecord
from registries.business.projections import PROJECTIONS
from registries.common.api import public_read
from registries.common.codes import checked_registry_code
from registries.common.texts import N_


class RegistrarOrTheCompany(BasePermission):
    """A business registrar, or a token acting for the company in the URL itself
    (signed in by its board member): a company files only its own report."""

    message = BusinessRegistrar.message

    def has_permission(self, request: Request, view: Any) -> bool:
        organisation = acting_organisation(request)
        if organisation is None:
            return BusinessRegistrar().has_permission(request, view)
        if organisation != view.kwargs.get("code"):
            self.message = (
                f"a token for organisation {organisation} acts only for that organisation, "
                "not for another company"
            )
            return False
        return True


# The admin's forms: generated from the input serializers; here, what the ministry is asked
# in other words than the API's.

CODES_HELP = "Personal codes (isikukood), one per line."


def _board(record: CompanyRecord) -> list[str]:
    return [p.personal_code for p in record.people.filter(role=CompanyPerson.BOARD)]


def _latest_unfiled(record: CompanyRecord) -> int | None:
    """The latest year the registry accepts now, not one it would refuse."""
    unfiled = unfiled_years(record)
    return unfiled[-1] if unfiled else None


# The catalog ---------------------------------------------------------------------------


def _statuses(*statuses: str) -> Callable[[CompanyRecord], bool]:
    """Offer a command only to companies in one of these statuses."""
    return lambda record: record.status in statuses


def unfiled_years(record: CompanyRecord) -> list[int]:
    """Finished financial years since registration without an annual report, oldest first
    (the years ``Company.file_annual_report`` accepts)."""
    filed = set(record.annual_reports.values_list("year", flat=True))
    finished = range(record.registered_on.year, timezone.localdate().year)
    return [year for year in finished if year not in filed]


def _report_due(record: CompanyRecord) -> bool:
    return record.status in ("active", "in_liquidation") and bool(unfiled_years(record))


def _next_report_from(record: CompanyRecord) -> date | None:
    """The day the next financial year ends and its report can be filed."""
    if record.status not in ("active", "in_liquidation"):
        return None
    return date(timezone.localdate().year + 1, 1, 1)


COMPANIES = Target(route="companies/", tags=TAGS)
# A registrar's bulk registrations: many companies in one transaction.
COMPANY_BATCHES = Target(route="company-registrations/", tags=TAGS)
COMPANY = Target(
    route="companies/<str:code>/",
    tags=TAGS,
    parameters=(CODE_PARAMETER,),
    check=lambda code: checked_registry_code(code),
    key=lambda record, who: {"code": record.registry_code},
)
REGISTERED = Reply(
    CompanyDetailSerializer,
    lambda request, data, code: company_body(request, str(code)),
    location=lambda request, data, code: request.build_absolute_uri(
        reverse("business:company-detail", args=[code])
    ),
)
# Every command on a company answers with its registry card.
CARD = Reply(
    CompanyDetailSerializer, lambda request, data, result: company_body(request, data["code"])
)


def _on_company(**declaration: Any) -> Command:
    """A registrar's command on one company, answered with its registry card."""
    return Command(
        **{
            "target": COMPANY,
            "permission": PublicReadRegistrarWrite,
            "reply": CARD,
            **declaration,
        }
    )


COMMANDS = Catalog(
    BusinessRegistry,
    PROJECTIONS,
    [
        Command(
            name="register",
            title=N_("Register company"),
            target=COMPANIES,
            permission=PublicReadRegistrarWrite,
            reply=REGISTERED,
            input=RegistrationSerializer,
            url_name="company-list",
            summary="Register a company",
            status=status.HTTP_201_CREATED,
            problems=(400, 401, 403, 409, 429),
            form=AdminForm(
                ask={
                    "name": Ask(help_text=N_("Must show the legal form, e.g. “Põhjarannik OÜ”.")),
                    "legal_form": Ask(
                        choices={
                            form: f"{form}: {meaning}" for form, meaning in LEGAL_FORMS.items()
                        }
                    ),
                    "share_capital_cents": Ask(
                        label=N_("Share capital (€)"), initial=Decimal("2500.00")
                    ),
                    "founders": Ask(help_text=CODES_HELP),
                    "board": Ask(label=N_("Management board"), help_text=CODES_HELP),
                }
            ),
            run=lambda app, data, who: app.register_company(
                Registration(**data), who, timezone.localdate()
            ),
        ),
        Command(
            name="register-companies",
            title=N_("Register companies"),
            target=COMPANY_BATCHES,
            permission=PublicReadRegistrarWrite,
            reply=batch_reply("RegisteredCompaniesSerializer", "codes", "new registry codes"),
            input=batch_input(
                "CompanyRegistrationsSerializer", "companies", RegistrationSerializer, "companies"
            ),
            url_name="company-registrations",
            summary="Register many companies at once",
            description=(
                "Register companies in one transaction: all of them or, if one is refused,\n"
                "none (the problem names it, such as `companies.3`)."
            ),
            status=status.HTTP_201_CREATED,
            run=lambda app, data, who: app.register_companies(
                [Registration(**item) for item in data["companies"]], who, timezone.localdate()
            ),
        ),
        _on_company(
            name="address",
            title=N_("Change address"),
            input=AddressChangeSerializer,
            route="address/",
            url_name="company-address",
            summary="Change the registered address",
            description="Move a company's registered address.",
            form=AdminForm(
                ask={"address": Ask(label=N_("New address"), initial=lambda record: record.address)}
            ),
            done=N_("Address changed"),
            available=_statuses("active"),
            run=lambda app, data, who: app.change_address(data["code"], data["address"], who),
        ),
        _on_company(
            name="board",
            title=N_("Change board"),
            input=BoardChangeSerializer,
            route="board/",
            url_name="company-board",
            summary="Replace the management board",
            description="Replace the management board of a company.",
            form=AdminForm(
                ask={
                    "members": Ask(
                        label=N_("New management board"), help_text=CODES_HELP, initial=_board
                    )
                },
                aliases={"board": "members"},
            ),
            done=N_("Management board changed"),
            available=_statuses("active"),
            run=lambda app, data, who: app.change_board(data["code"], data["members"], who),
        ),
        _on_company(
            name="capital",
            title=N_("Increase capital"),
            input=CapitalIncreaseSerializer,
            route="capital-increases/",
            url_name="company-capital-increases",
            summary="Increase the share capital",
            description="Increase a company's share capital.",
            status=status.HTTP_201_CREATED,
            form=AdminForm(
                ask={
                    "amount_cents": Ask(
                        label=N_("Increase by (€)"),
                        help_text=N_(
                            "The amount added to the share capital, in euros, such as 2500.00."
                        ),
                    )
                }
            ),
            done=N_("Share capital increased"),
            available=_statuses("active"),
            run=lambda app, data, who: app.increase_capital(
                data["code"], data["amount_cents"], who
            ),
        ),
        _on_company(
            name="annual-report",
            title=N_("File annual report"),
            permission=public_read(RegistrarOrTheCompany),
            input=AnnualReportFilingSerializer,
            route="annual-reports/",
            url_name="company-annual-reports",
            summary="File an annual report",
            description=(
                "File the annual report of a finished financial year (the registrar, or\n"
                "the company itself through a board member's organisation token)."
            ),
            status=status.HTTP_201_CREATED,
            form=AdminForm(
                ask={
                    "year": Ask(
                        label=N_("Financial year"),
                        initial=_latest_unfiled,
                        help_text=N_("The year the report covers; only a year that has ended."),
                    ),
                    "revenue_cents": Ask(label=N_("Revenue (€)")),
                    "net_profit_cents": Ask(
                        label=N_("Net profit (€)"), help_text=N_("A loss is negative: -1200.50.")
                    ),
                    "employees": Ask(help_text=N_("The average number of employees in the year.")),
                }
            ),
            done=N_("Annual report filed"),
            available=_report_due,
            available_from=_next_report_from,
            later=N_("once the current financial year has ended"),
            run=lambda app, data, who: app.file_annual_report(
                data["code"],
                AnnualReport(
                    year=data["year"],
                    revenue_cents=data["revenue_cents"],
                    net_profit_cents=data["net_profit_cents"],
                    employees=data["employees"],
                ),
                who,
                timezone.localdate(),
            ),
        ),
        _on_company(
            name="liquidation",
            title=N_("Enter liquidation"),
            input=LiquidationSerializer,
            route="liquidation/",
            url_name="company-liquidation",
            summary="Put the company into liquidation",
            description="Put an active company into liquidation.",
            form=AdminForm(
                ask={
                    "reason": Ask(
                        help_text=N_(
                            "Why, as the decision says (such as the shareholders' resolution "
                            "of 2 March 2026); shown on the company's public card."
                        )
                    )
                }
            ),
            done=N_("Company entered liquidation"),
            available=_statuses("active"),
            run=lambda app, data, who: app.enter_liquidation(data["code"], data["reason"], who),
        ),
        _on_company(
            name="deletion",
            title=N_("Delete company"),
            input=DeletionSerializer,
            route="deletion/",
            url_name="company-deletion",
            summary="Delete a liquidated company",
            description="Delete a company in liquidation and release its name.",
            form=AdminForm(confirm=N_("Delete the company from the registry and release its name")),
            done=N_("Company deleted"),
            available=_statuses("in_liquidation"),
            run=lambda app, data, who: app.delete_company(data["code"], who),
        ),
    ],
)
