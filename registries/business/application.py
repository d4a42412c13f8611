"""Commands of the business registry, through the registries' one write path
(:mod:`registries.common.application`)."""

from __future__ import annotations

import secrets
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date

from registries.business.domain import (
    AnnualReport,
    Company,
    CompanyName,
    company_id,
    company_name_id,
)
from registries.common.application import Decision, Ref, RegistryApplication, running
from registries.common.codes import InvalidCodeError, registry_code, validate_registry_code
from registries.common.errors import Conflict, InvalidCommand
from registries.common.payments import ANNUAL_REPORT, COMPANY_REGISTRATION, fee
from registries.common.texts import N_, Message
from registries.identity import services as identity

# Fresh registry codes are drawn at random; a code already taken is drawn again.
_CODE_DRAWS = 20


@dataclass(frozen=True)
class Registration:
    """What a company registration application contains."""

    name: str
    legal_form: str
    share_capital_cents: int
    founders: list[str]
    board: list[str]
    address: str


def company_registered(code: str) -> bool:
    """Whether the business registry holds a company with this registry code."""
    return company_id(code) in running(BusinessRegistry).repository


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

        def attempt() -> str:
            decision = self._registered(registration, actor, today, signatures)
            # Lost to a registration that took the name meanwhile: decided
            # again, the claim is refused; one that took the code: drawn again.
            # The first founder pays the state fee in the same transaction.
            self.save_settling(decision.aggregates, decision.charges)
            return decision.result

        return self.retrying(attempt, f"business name {registration.name!r}")

    def register_companies(
        self, registrations: Sequence[Registration], actor: str, today: date
    ) -> list[str]:
        """Register many companies in ONE transaction (a registrar's bulk work, the
        seeder); return their new registry codes in order.

        Each is decided as :meth:`register_company` decides it; one refused
        (an unknown founder, a name taken, by the registry or by an earlier
        item) refuses all, naming it (``companies.3``), and nothing is written
        (:meth:`~registries.common.application.RegistryApplication.batch`).
        """
        drawn: set[str] = set()

        def decide(registration: Registration) -> Decision[str]:
            decision = self._registered(registration, actor, today, None, drawn)
            drawn.add(decision.result)
            return decision

        with identity.caught_up_once():
            return self.batch(registrations, decide, field="companies")

    def _registered(
        self,
        registration: Registration,
        actor: str,
        today: date,
        signatures: list[dict[str, str]] | None,
        drawn: Collection[str] = (),
    ) -> Decision[str]:
        """A registration decided, nothing saved: the company, its name's claim and the
        first founder's state fee (``drawn``: codes a batch has given out already)."""
        identity.require_people(registration.founders, "founders", alive=True)
        identity.require_people(registration.board, "board", alive=True)
        code = self._free_code(registration.legal_form, drawn)
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
        charge = fee(COMPANY_REGISTRATION, registration.founders[0], code, signatures or ())
        return Decision([company, self._claimed_name(company.name, code)], code, [charge])

    def change_board(
        self,
        code: str,
        members: list[str],
        actor: str,
        signatures: list[dict[str, str]] | None = None,
    ) -> None:
        """Replace the management board of a company (``signatures``: signed online)."""
        identity.require_people(members, "board", alive=True)
        self.update(
            self._company(code), lambda company: company.change_board(members, actor, signatures)
        )

    def change_address(self, code: str, address: str, actor: str) -> None:
        """Change a company's registered address."""
        self.update(self._company(code), lambda company: company.change_address(address, actor))

    def increase_capital(self, code: str, amount_cents: int, actor: str) -> None:
        """Increase a company's share capital."""
        self.update(
            self._company(code), lambda company: company.increase_capital(amount_cents, actor)
        )

    def file_annual_report(self, code: str, report: AnnualReport, actor: str, today: date) -> None:
        """File a company's annual report (once per financial year).

        The company pays the state fee from its wallet in the same transaction.
        """
        ref = self._company(code)

        def attempt() -> None:
            company = self.get(ref)
            company.file_annual_report(report, actor, today)
            charge = fee(ANNUAL_REPORT, code, f"{code}-{report.year}")
            self.save_settling([company], [charge])

        self.retrying(attempt, ref.what)

    def enter_liquidation(self, code: str, reason: str, actor: str, cause: str = "") -> None:
        """Put a company into liquidation; ``cause`` names the ordering event
        of another registry (repeating the same cause changes nothing)."""
        self.update(
            self._company(code), lambda company: company.enter_liquidation(reason, actor, cause)
        )

    def delete_company(self, code: str, actor: str) -> None:
        """Delete a liquidated company and release its name."""
        ref = self._company(code)

        def attempt() -> None:
            company = self.get(ref)
            company.delete(actor)
            name = self.get(self._name(company.name))
            name.release()
            self.save(company, name)

        self.retrying(attempt, ref.what)

    def company(self, code: str) -> Company:
        """The company with this registry code (validated), or NotFound."""
        return self.get(self._company(code))

    @staticmethod
    def _company(code: str) -> Ref[Company]:
        try:
            validate_registry_code(code)
        except InvalidCodeError as error:
            raise InvalidCommand(error.message) from None
        return Ref(
            Company,
            company_id(code),
            Message(N_("company with registry code {code}"), {"code": code}),
        )

    @staticmethod
    def _name(name: str) -> Ref[CompanyName]:
        return Ref(CompanyName, company_name_id(name), f"business name {name!r}")

    def _free_code(self, legal_form: str, drawn: Collection[str] = ()) -> str:
        """A registry code no company has yet (nor one of ``drawn``)."""
        # Non-profit associations get codes starting with 8, companies with 1.
        kind = 8 if legal_form == "MTÜ" else 1
        for _ in range(_CODE_DRAWS):
            code = registry_code(secrets.randbelow(1_000_000), kind_digit=kind)
            if code not in drawn and company_id(code) not in self.repository:
                return code
        raise Conflict(N_("no free registry code found; try again"))

    def _claimed_name(self, name: str, code: str) -> CompanyName:
        """The name's index entry, claimed for ``code`` (Conflict if a live company has it)."""
        existing = self.find(CompanyName, company_name_id(name))
        if existing is None:
            return CompanyName.claim_new(name, code)
        existing.claim(name, code)
        return existing
