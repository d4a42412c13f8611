"""Read models of the business registry, kept by :mod:`registries.business.projections`.

Never edited directly: the admin and the API change companies only through
commands of :class:`~registries.business.application.BusinessRegistry`.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from registries.common.models import LedgerLinked


class CompanyRecord(LedgerLinked):
    """A company as the public registry card shows it."""

    ledger_registry = "business"

    STATUS_CHOICES = [
        ("active", "active"),
        ("in_liquidation", "in liquidation"),
        ("deleted", "deleted"),
    ]

    registry_code = models.CharField(
        max_length=8, primary_key=True, verbose_name=_("registry code")
    )
    aggregate_id = models.UUIDField(unique=True, verbose_name=_("aggregate id"))
    name = models.CharField(max_length=200, db_index=True, verbose_name=_("name"))
    legal_form = models.CharField(max_length=3, verbose_name=_("legal form"))
    status = models.CharField(
        max_length=20, choices=STATUS_CHOICES, default="active", verbose_name=_("status")
    )
    share_capital_cents = models.BigIntegerField(verbose_name=_("share capital cents"))
    address = models.CharField(max_length=300, verbose_name=_("address"))
    registered_on = models.DateField(verbose_name=_("registered on"))
    liquidation_reason = models.TextField(blank=True, verbose_name=_("liquidation reason"))
    liquidation_cause = models.CharField(
        max_length=200,
        blank=True,
        help_text="The event of another registry that ordered it",
        verbose_name=_("liquidation cause"),
    )
    version = models.IntegerField(
        help_text="Version of the company aggregate shown here", verbose_name=_("version")
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("company")
        verbose_name_plural = _("companies")

    def __str__(self) -> str:
        return f"{self.name} ({self.registry_code})"


class CompanyPerson(models.Model):
    """A founder or a current management board member of a company."""

    FOUNDER = "founder"
    BOARD = "board"

    company = models.ForeignKey(
        CompanyRecord, on_delete=models.CASCADE, related_name="people", verbose_name=_("company")
    )
    role = models.CharField(
        max_length=10,
        choices=[(FOUNDER, "founder"), (BOARD, "board member")],
        verbose_name=_("role"),
    )
    personal_code = models.CharField(max_length=11, db_index=True, verbose_name=_("personal code"))

    class Meta:
        verbose_name = _("company's person")
        verbose_name_plural = _("companies' people")
        ordering = ["role", "personal_code"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "role", "personal_code"], name="company_person_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.personal_code} ({self.role})"


class AnnualReportRecord(LedgerLinked):
    """Key figures of a filed annual report."""

    ledger_registry = "business"

    company = models.ForeignKey(
        CompanyRecord,
        on_delete=models.CASCADE,
        related_name="annual_reports",
        verbose_name=_("company"),
    )
    year = models.IntegerField(verbose_name=_("year"))
    revenue_cents = models.BigIntegerField(verbose_name=_("revenue cents"))
    net_profit_cents = models.BigIntegerField(verbose_name=_("net profit cents"))
    employees = models.IntegerField(verbose_name=_("employees"))

    class Meta:
        verbose_name = _("annual report")
        verbose_name_plural = _("annual reports")
        ordering = ["-year"]
        constraints = [
            models.UniqueConstraint(fields=["company", "year"], name="annual_report_unique")
        ]

    def __str__(self) -> str:
        return f"{self.company_id} {self.year}"
