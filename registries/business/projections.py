"""Keeps the business registry's read models from its events."""

from __future__ import annotations

from typing import Any

from eventsourcing.dispatch import singledispatchmethod

from registries.business.application import BusinessRegistry
from registries.business.domain import Company
from registries.business.models import AnnualReportRecord, CompanyPerson, CompanyRecord
from registries.common.projections import ReadModelProjection


class CompanyProjection(ReadModelProjection):
    """Company cards, their people and annual reports."""

    name = "business-companies"
    application = BusinessRegistry

    @singledispatchmethod
    def apply(self, event: Any) -> None:
        """Events not shown in these read models are only tracked."""

    @apply.register
    def registered(self, event: Company.Registered) -> None:
        record = CompanyRecord.objects.create(
            registry_code=event.registry_code,
            aggregate_id=event.originator_id,
            name=event.name,
            legal_form=event.legal_form,
            share_capital_cents=event.share_capital_cents,
            address=event.address,
            registered_on=event.registered_on,
            version=event.originator_version,
            ledger_seq=self.seq(event),
        )
        CompanyPerson.objects.bulk_create(
            [
                CompanyPerson(company=record, role=CompanyPerson.FOUNDER, personal_code=c)
                for c in event.founders
            ]
            + [
                CompanyPerson(company=record, role=CompanyPerson.BOARD, personal_code=c)
                for c in event.board
            ]
        )

    @apply.register
    def board_changed(self, event: Company.BoardChanged) -> None:
        record = self.touch(CompanyRecord, event)
        record.people.filter(role=CompanyPerson.BOARD).delete()
        CompanyPerson.objects.bulk_create(
            [
                CompanyPerson(company=record, role=CompanyPerson.BOARD, personal_code=c)
                for c in event.members
            ]
        )

    @apply.register
    def address_changed(self, event: Company.AddressChanged) -> None:
        self.touch(CompanyRecord, event, address=event.address)

    @apply.register
    def capital_increased(self, event: Company.CapitalIncreased) -> None:
        self.touch(CompanyRecord, event, share_capital_cents=event.share_capital_cents)

    @apply.register
    def annual_report_filed(self, event: Company.AnnualReportFiled) -> None:
        record = self.touch(CompanyRecord, event)
        AnnualReportRecord.objects.create(
            company=record,
            year=event.year,
            revenue_cents=event.revenue_cents,
            net_profit_cents=event.net_profit_cents,
            employees=event.employees,
            ledger_seq=record.ledger_seq,
        )

    @apply.register
    def liquidation_entered(self, event: Company.LiquidationEntered) -> None:
        self.touch(
            CompanyRecord,
            event,
            status="in_liquidation",
            liquidation_reason=event.reason,
            liquidation_cause=event.cause,
        )

    @apply.register
    def deleted(self, event: Company.Deleted) -> None:
        self.touch(CompanyRecord, event, status="deleted")


PROJECTIONS: list[type[ReadModelProjection]] = [CompanyProjection]
