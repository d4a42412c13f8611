"""The business registry's aggregates and events (pure: no Django, no I/O).

Every rule of the Commercial Code that one company can check by itself is
checked here, before an event is recorded. Rules that span companies (a name
is unique among live companies) are kept by the :class:`CompanyName` index
aggregate, whose id is derived from the normalised name so that two
registrations of one name collide in the event store.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from registries.common.codes import InvalidCodeError, validate_personal_code
from registries.common.errors import Conflict, InvalidCommand
from registries.common.texts import N_, Message, on_field

LEGAL_FORMS = {
    "OÜ": "private limited company (osaühing)",
    "AS": "public limited company (aktsiaselts)",
    "TÜ": "general partnership (täisühing)",
    "UÜ": "limited partnership (usaldusühing)",
    "MTÜ": "non-profit association (mittetulundusühing)",
}
# Minimum share capital in euro cents (Commercial Code §136, §222).
MINIMUM_CAPITAL_CENTS = {"OÜ": 1, "AS": 2_500_000, "TÜ": 0, "UÜ": 0, "MTÜ": 0}
MAX_NAME_LENGTH = 200

ACTIVE = "active"
IN_LIQUIDATION = "in_liquidation"
DELETED = "deleted"

_NAMESPACE = uuid5(NAMESPACE_URL, "https://riik.example/business")


def company_id(registry_code: str) -> UUID:
    """Aggregate id of the company with this (public) registry code."""
    return uuid5(_NAMESPACE, f"company:{registry_code}")


def normalised_name(name: str) -> str:
    """The form in which two business names count as the same name."""
    folded = unicodedata.normalize("NFKC", name).casefold()
    return " ".join(folded.split())


def company_name_id(name: str) -> UUID:
    """Aggregate id of the name index entry for ``name``."""
    return uuid5(_NAMESPACE, f"name:{normalised_name(name)}")


def check_person_codes(role: str, codes: list[str], *, at_least: int) -> list[str]:
    """Validate a list of personal codes for a role (founders, board members)."""
    if len(codes) < at_least:
        raise InvalidCommand(
            Message(
                N_("{role}: at least {at_least} person(s) required"),
                {"role": role, "at_least": at_least},
            )
        )
    if len(set(codes)) != len(codes):
        raise InvalidCommand(Message(N_("{role}: the same person is listed twice"), {"role": role}))
    for code in codes:
        try:
            validate_personal_code(code)
        except InvalidCodeError as error:
            raise InvalidCommand(on_field(role, error.message)) from None
    return list(codes)


def check_name(name: str, legal_form: str) -> str:
    """A business name must be non-empty, not too long and show its legal form."""
    name = " ".join(name.split())
    if not name:
        raise InvalidCommand(N_("name: must not be empty"))
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidCommand(
            Message(
                N_("name: at most {MAX_NAME_LENGTH} characters"),
                {"MAX_NAME_LENGTH": MAX_NAME_LENGTH},
            )
        )
    if legal_form not in LEGAL_FORMS:
        raise InvalidCommand(
            Message(
                N_("legal_form: {legal_form!r} is not one of {choices}"),
                {"legal_form": legal_form, "choices": ", ".join(LEGAL_FORMS)},
            )
        )
    if legal_form.casefold() not in normalised_name(name).split():
        raise InvalidCommand(
            Message(
                N_("name: a business name must show its legal form ({legal_form})"),
                {"legal_form": legal_form},
            )
        )
    return name


def check_address(address: str) -> str:
    """An address is a non-empty line of at most 300 characters."""
    address = " ".join(address.split())
    if not address or len(address) > 300:
        raise InvalidCommand(N_("address: must be 1-300 characters"))
    return address


@dataclass(frozen=True)
class AnnualReport:
    """Key figures of one financial year's report (amounts in euro cents)."""

    year: int
    revenue_cents: int
    net_profit_cents: int
    employees: int


class Company(Aggregate):
    """A company in the business registry, identified by its registry code."""

    @staticmethod
    def create_id(registry_code: str) -> UUID:
        """Companies are found by their public registry code."""
        return company_id(registry_code)

    class Registered(Aggregate.Created):
        registry_code: str
        name: str
        legal_form: str
        share_capital_cents: int
        founders: list[str]
        board: list[str]
        address: str
        registered_on: date
        actor: str
        signatures: list[dict[str, str]] | None = None
        """Founders' and board members' signatures when registered online (e-service)."""

    @event(Registered)
    def __init__(
        self,
        registry_code: str,
        name: str,
        legal_form: str,
        share_capital_cents: int,
        founders: list[str],
        board: list[str],
        address: str,
        registered_on: date,
        actor: str,
        signatures: list[dict[str, str]] | None = None,
    ) -> None:
        self.registry_code = registry_code
        self.name = name
        self.legal_form = legal_form
        self.share_capital_cents = share_capital_cents
        self.founders = founders
        self.board = board
        self.address = address
        self.registered_on = registered_on
        self.status = ACTIVE
        self.annual_reports: dict[int, AnnualReport] = {}
        self.liquidation_reason = ""
        self.liquidation_cause = ""

    @classmethod
    def register(
        cls,
        *,
        registry_code: str,
        name: str,
        legal_form: str,
        share_capital_cents: int,
        founders: list[str],
        board: list[str],
        address: str,
        registered_on: date,
        actor: str,
        signatures: list[dict[str, str]] | None = None,
    ) -> Company:
        """Check a registration against the Commercial Code and record it."""
        name = check_name(name, legal_form)
        minimum = MINIMUM_CAPITAL_CENTS[legal_form]
        if share_capital_cents < minimum:
            raise InvalidCommand(
                Message(
                    N_(
                        "share_capital_cents: the minimum share capital of {legal_form} is "
                        "{euros:,}.{cents:02d} euros ({minimum} cents)"
                    ),
                    {
                        "legal_form": legal_form,
                        "euros": minimum // 100,
                        "cents": minimum % 100,
                        "minimum": minimum,
                    },
                )
            )
        return cls(
            registry_code=registry_code,
            name=name,
            legal_form=legal_form,
            share_capital_cents=share_capital_cents,
            founders=check_person_codes("founders", founders, at_least=1),
            board=check_person_codes("board", board, at_least=1),
            address=check_address(address),
            registered_on=registered_on,
            actor=actor,
            signatures=signatures,
        )

    def _require_active(self, what: str) -> None:
        if self.status != ACTIVE:
            raise Conflict(
                Message(
                    N_("{what}: company {registry_code} is {status}"),
                    {
                        "what": what,
                        "registry_code": self.registry_code,
                        "status": self.status.replace("_", " "),
                    },
                )
            )

    class BoardChanged(Aggregate.Event):
        members: list[str]
        actor: str
        signatures: list[dict[str, str]] | None = None
        """The new members' and the applicant's signatures when changed online."""

    class AddressChanged(Aggregate.Event):
        address: str
        actor: str

    class CapitalIncreased(Aggregate.Event):
        amount_cents: int
        share_capital_cents: int
        actor: str

    class AnnualReportFiled(Aggregate.Event):
        year: int
        revenue_cents: int
        net_profit_cents: int
        employees: int
        actor: str

    class LiquidationEntered(Aggregate.Event):
        reason: str
        actor: str
        cause: str = ""
        """The event that caused it in another registry (a court judgment), if any."""

    class Deleted(Aggregate.Event):
        actor: str

    def change_board(
        self, members: list[str], actor: str, signatures: list[dict[str, str]] | None = None
    ) -> None:
        """Replace the management board."""
        self._require_active("change board")
        members = check_person_codes("board", members, at_least=1)
        if members == self.board:
            raise InvalidCommand(N_("board: the new board is the same as the current one"))
        self._board_changed(members=members, actor=actor, signatures=signatures)

    @event(BoardChanged)
    def _board_changed(
        self, members: list[str], actor: str, signatures: list[dict[str, str]] | None = None
    ) -> None:
        self.board = members

    def change_address(self, address: str, actor: str) -> None:
        """Move the company's registered address."""
        self._require_active("change address")
        self._address_changed(address=check_address(address), actor=actor)

    @event(AddressChanged)
    def _address_changed(self, address: str, actor: str) -> None:
        self.address = address

    def increase_capital(self, amount_cents: int, actor: str) -> None:
        """Increase the share capital by a positive amount."""
        self._require_active("increase capital")
        if amount_cents <= 0:
            raise InvalidCommand(N_("amount_cents: must be a positive number of cents"))
        self._capital_increased(
            amount_cents=amount_cents,
            share_capital_cents=self.share_capital_cents + amount_cents,
            actor=actor,
        )

    @event(CapitalIncreased)
    def _capital_increased(self, amount_cents: int, share_capital_cents: int, actor: str) -> None:
        self.share_capital_cents = share_capital_cents

    def file_annual_report(self, report: AnnualReport, actor: str, today: date) -> None:
        """File the annual report of a finished financial year, once per year."""
        if self.status == DELETED:
            raise Conflict(
                Message(
                    N_("file annual report: company {registry_code} is deleted"),
                    {"registry_code": self.registry_code},
                )
            )
        if not self.registered_on.year <= report.year < today.year:
            raise InvalidCommand(
                Message(
                    N_("year: must be a finished financial year from {first} to {last}"),
                    {
                        "first": self.registered_on.year,
                        "last": today.year - 1,
                    },
                )
            )
        if report.year in self.annual_reports:
            raise Conflict(
                Message(
                    N_("year: the annual report for {year} has already been filed"),
                    {"year": report.year},
                )
            )
        if report.employees < 0 or report.revenue_cents < 0:
            raise InvalidCommand(N_("revenue_cents and employees must not be negative"))
        self._annual_report_filed(
            year=report.year,
            revenue_cents=report.revenue_cents,
            net_profit_cents=report.net_profit_cents,
            employees=report.employees,
            actor=actor,
        )

    @event(AnnualReportFiled)
    def _annual_report_filed(
        self, year: int, revenue_cents: int, net_profit_cents: int, employees: int, actor: str
    ) -> None:
        self.annual_reports[year] = AnnualReport(year, revenue_cents, net_profit_cents, employees)

    def enter_liquidation(self, reason: str, actor: str, cause: str = "") -> None:
        """Start liquidation (by the owners' decision or a court's).

        ``cause`` names the event in another registry that ordered it (e.g. a
        final insolvency judgment), so an auditor can follow the chain of cause
        and a repeated order with the same cause changes nothing.
        """
        if cause and cause == self.liquidation_cause:
            return
        self._require_active("enter liquidation")
        reason = " ".join(reason.split())
        if not reason:
            raise InvalidCommand(N_("reason: say why the company enters liquidation"))
        self._liquidation_entered(reason=reason, actor=actor, cause=cause)

    @event(LiquidationEntered)
    def _liquidation_entered(self, reason: str, actor: str, cause: str) -> None:
        self.status = IN_LIQUIDATION
        self.liquidation_reason = reason
        self.liquidation_cause = cause

    def delete(self, actor: str) -> None:
        """Delete a liquidated company from the registry."""
        if self.status != IN_LIQUIDATION:
            raise Conflict(
                Message(
                    N_("delete: company {registry_code} must be in liquidation before deletion"),
                    {"registry_code": self.registry_code},
                )
            )
        self._deleted(actor=actor)

    @event(Deleted)
    def _deleted(self, actor: str) -> None:
        self.status = DELETED


class CompanyName(Aggregate):
    """Index entry that reserves a business name for one live company."""

    @staticmethod
    def create_id(name: str) -> UUID:
        """One index entry per normalised name."""
        return company_name_id(name)

    class Claimed(Aggregate.Created):
        name: str
        company_code: str

    class Reclaimed(Aggregate.Event):
        name: str
        company_code: str

    class Released(Aggregate.Event):
        pass

    @event(Claimed)
    def __init__(self, name: str, company_code: str) -> None:
        self.name = name
        self.company_code: str | None = company_code

    @classmethod
    def claim_new(cls, name: str, company_code: str) -> CompanyName:
        """Reserve a name that has never been used."""
        return cls(name=name, company_code=company_code)

    def claim(self, name: str, company_code: str) -> None:
        """Reserve a name that a deleted company has released."""
        if self.company_code is not None:
            raise Conflict(
                Message(
                    N_("name: {name!r} is already used by company {company_code}"),
                    {"name": self.name, "company_code": self.company_code},
                )
            )
        self._reclaimed(name=name, company_code=company_code)

    @event(Reclaimed)
    def _reclaimed(self, name: str, company_code: str) -> None:
        self.name = name
        self.company_code = company_code

    @event(Released)
    def release(self) -> None:
        """Free the name when its company is deleted."""
        self.company_code = None
