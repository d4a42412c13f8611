"""Commands of the business registry.

Each command loads what it needs, lets the aggregates decide, and saves the
new events together with their ledger entries in one transaction. A refused
command raises a :class:`~registries.common.errors.RegistryError` and writes
nothing.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date

from eventsourcing.application import AggregateNotFoundError

from registries.business.domain import (
    AnnualReport,
    Company,
    CompanyName,
    company_id,
    company_name_id,
)
from registries.common.application import EventStoreConflict, RegistryApplication
from registries.common.codes import InvalidCodeError, registry_code, validate_registry_code
from registries.common.errors import Conflict, InvalidCommand, NotFound

# Fresh registry codes are drawn at random; a collision is retried.
_CODE_ATTEMPTS = 20


@dataclass(frozen=True)
class Registration:
    """What a company registration application contains."""

    name: str
    legal_form: str
    share_capital_cents: int
    founders: list[str]
    board: list[str]
    address: str


class BusinessRegistry(RegistryApplication):
    """The business registry (äriregister)."""

    name = "business"

    def register_company(
        self,
        registration: Registration,
        actor: str,
        today: date,
        signatures: list[dict[str, str]] | None = None,
    ) -> str:
        """Register a company; return its new 8-digit registry code.

        ``signatures``: the founders' verified signatures when they apply online.
        """
        for _ in range(_CODE_ATTEMPTS):
            # Non-profit associations get codes starting with 8, companies with 1.
            kind = 8 if registration.legal_form == "MTÜ" else 1
            code = registry_code(secrets.randbelow(1_000_000), kind_digit=kind)
            if self._exists(code):
                continue
            company = Company.register(
                registry_code=code,
                name=registration.name,
                legal_form=registration.legal_form,
                share_capital_cents=registration.share_capital_cents,
                founders=registration.founders,
                board=registration.board,
                address=registration.address,
                registered_on=today,
                actor=actor,
                signatures=signatures,
            )
            name = self._claim_name(company.name, code)
            try:
                self.save(company, name)
            except EventStoreConflict:
                # Another registration took the name or the code meanwhile.
                if self._name_taken_by_other(company.name, code):
                    raise Conflict(f"name: {company.name!r} is already registered") from None
                continue
            return code
        raise Conflict("no free registry code found; try again")

    def change_board(
        self,
        code: str,
        members: list[str],
        actor: str,
        signatures: list[dict[str, str]] | None = None,
    ) -> None:
        """Replace the management board of a company (``signatures``: signed online)."""
        company = self.company(code)
        company.change_board(members, actor, signatures)
        self._save_company(company)

    def change_address(self, code: str, address: str, actor: str) -> None:
        """Change a company's registered address."""
        company = self.company(code)
        company.change_address(address, actor)
        self._save_company(company)

    def increase_capital(self, code: str, amount_cents: int, actor: str) -> None:
        """Increase a company's share capital."""
        company = self.company(code)
        company.increase_capital(amount_cents, actor)
        self._save_company(company)

    def file_annual_report(self, code: str, report: AnnualReport, actor: str, today: date) -> None:
        """File a company's annual report (once per financial year)."""
        company = self.company(code)
        company.file_annual_report(report, actor, today)
        self._save_company(company)

    def enter_liquidation(self, code: str, reason: str, actor: str, cause: str = "") -> None:
        """Put a company into liquidation; ``cause`` names the ordering event
        of another registry (repeating the same cause changes nothing)."""
        company = self.company(code)
        company.enter_liquidation(reason, actor, cause)
        if company.pending_events:
            self._save_company(company)

    def delete_company(self, code: str, actor: str) -> None:
        """Delete a liquidated company and release its name."""
        company = self.company(code)
        company.delete(actor)
        name: CompanyName = self.repository.get(company_name_id(company.name))
        name.release()
        self._save_company(company, name)

    def company(self, code: str) -> Company:
        """The company with this registry code (validated), or NotFound."""
        try:
            validate_registry_code(code)
        except InvalidCodeError as error:
            raise InvalidCommand(str(error)) from None
        try:
            company: Company = self.repository.get(company_id(code))
        except AggregateNotFoundError:
            raise NotFound(f"no company with registry code {code}") from None
        return company

    def _exists(self, code: str) -> bool:
        return company_id(code) in self.repository

    def _claim_name(self, name: str, code: str) -> CompanyName:
        try:
            existing: CompanyName = self.repository.get(company_name_id(name))
        except AggregateNotFoundError:
            return CompanyName.claim_new(name, code)
        existing.claim(name, code)
        return existing

    def _name_taken_by_other(self, name: str, code: str) -> bool:
        try:
            existing: CompanyName = self.repository.get(company_name_id(name))
        except AggregateNotFoundError:
            return False
        return existing.company_code not in (None, code)

    def _save_company(self, *aggregates: Company | CompanyName) -> None:
        try:
            self.save(*aggregates)
        except EventStoreConflict:
            raise Conflict(
                "the company was changed by another command at the same time; try again"
            ) from None
