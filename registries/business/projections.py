"""Keeps the business registry's read models from its events."""

from __future__ import annotations

from typing import Any

from eventsourcing.dispatch import singledispatchmethod
from eventsourcing.persistence import Tracking

from registries.business.application import BusinessRegistry
from registries.business.domain import Company
from registries.business.models import AnnualReportRecord, CompanyPerson, CompanyRecord
from registries.common.projections import ReadModelProjection, touch
from registries.common.projections import ledger_seq as common_ledger_seq


def _ledger_seq(event: Any) -> int:
    return common_ledger_seq(BusinessRegistry.name, event)


def _touch(event: Any, **changes: Any) -> CompanyRecord:
    return touch(CompanyRecord, event, _ledger_seq(event), **changes)


class CompanyProjection(ReadModelProjection):
    """Company cards, their people and annual reports."""

    name = "business-companies"
    application = BusinessRegistry

    @singledispatchmethod
    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        """Events not shown in these read models are only tracked."""

    @process_event.register
    def registered(self, event: Company.Registered, tracking: Tracking) -> None:
        record = CompanyRecord.objects.create(
            registry_code=event.registry_code,
            aggregate_id=event.originator_id,
            name=event.name,
            legal_form=event.legal_form,
            share_capital_cents=event.share_capital_cents,
            address=event.address,
            registered_on=event.registered_on,
            version=event.originator_version,
            ledger_seq=_ledger_seq(event),
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

    @process_event.register
    def board_changed(self, event: Company.BoardChanged, tracking: Tracking) -> None:
        record = _touch(event)
        record.people.filter(role=CompanyPerson.BOARD).delete()
        CompanyPerson.objects.bulk_create(
            [
                CompanyPerson(company=record, role=CompanyPerson.BOARD, personal_code=c)
                for c in event.members
            ]
        )

    @process_event.register
    def address_changed(self, event: Company.AddressChanged, tracking: Tracking) -> None:
        _touch(event, address=event.address)

    @process_event.register
    def capital_increased(self, event: Company.CapitalIncreased, tracking: Tracking) -> None:
        _touch(event, share_capital_cents=event.share_capital_cents)

    @process_event.register
    def annual_report_filed(self, event: Company.AnnualReportFiled, tracking: Tracking) -> None:
        record = _touch(event)
        AnnualReportRecord.objects.create(
            company=record,
            year=event.year,
            revenue_cents=event.revenue_cents,
            net_profit_cents=event.net_profit_cents,
            employees=event.employees,
            ledger_seq=record.ledger_seq,
        )

    @process_event.register
    def liquidation_entered(self, event: Company.LiquidationEntered, tracking: Tracking) -> None:
        _touch(
            event,
            status="in_liquidation",
            liquidation_reason=event.reason,
            liquidation_cause=event.cause,
        )

    @process_event.register
    def deleted(self, event: Company.Deleted, tracking: Tracking) -> None:
        _touch(event, status="deleted")


PROJECTIONS: list[type[ReadModelProjection]] = [CompanyProjection]
