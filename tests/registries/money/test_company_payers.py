"""A company pays from its wallet with the signature of a person who represents it.

The payment e-service takes ``payer``, an organisation's registry code: the
signed-in person must represent it now (a member of the company's management
board in the business registry, or a representative the identity registry
records; ADR 0043), and their e-ID signature covers ``payer``. Anyone else is
refused with 403 problem+json and nothing moves.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest

from registries.business.application import BusinessRegistry, Registration
from registries.business.projections import PROJECTIONS as BUSINESS
from registries.common.commands import issue
from registries.money.domain import Wallet, wallet_id
from registries.money.models import PaymentRecord
from tests.registries.access.citizens import problem
from tests.registries.identity import helpers as identity
from tests.registries.money.helpers import (
    Citizen,
    app,
    balance,
    bank,
    central_bank,
    citizen,
    citizen_client,
    new_payment_id,
    official_of,
    signed,
    wallet,
)

pytestmark = pytest.mark.usefixtures("event_store")

PAY = "/api/v1/money/e-services/payments/"
FUNDS = 20_000


@dataclass(frozen=True)
class Books:
    company: str
    member: Citizen
    payee: str
    bank: str
    central: str


def register_company(board_member: str, name: str = "Maksev") -> str:
    registration = Registration(
        name=f"{name} {board_member} OÜ",
        legal_form="OÜ",
        share_capital_cents=250_000,
        founders=[board_member],
        board=[board_member],
        address="Narva mnt 1, Tallinn",
    )
    return str(
        issue(
            BusinessRegistry,
            BUSINESS,
            lambda app: app.register_company(registration, "registrar", date(2024, 1, 5)),
        )
    )


@pytest.fixture
def books() -> Books:
    """A company with a funded wallet, its board member (with an e-ID key) and a payee."""
    central, pank = central_bank(), bank()
    member = citizen("Juhan", "Juhataja")
    company = register_company(member.code)
    wallet(company, pank, FUNDS, central)
    payee = wallet(identity.person("Pille", "Saaja"), pank)
    return Books(company, member, payee, pank, central)


def payment(books: Books, cents: int = 1_500) -> dict[str, object]:
    return {
        "payment_id": new_payment_id(),
        "payee": books.payee,
        "amount_cents": cents,
        "payer": books.company,
    }


def test_a_board_member_pays_from_the_companys_wallet_with_their_signature(books: Books) -> None:
    body = signed(books.member, payment(books))
    client = citizen_client(books.member)
    paid = client.post(PAY, body, format="json")
    assert paid.status_code == 201, paid.content
    assert paid.json()["payer"] == books.company
    assert (balance(books.company), balance(books.payee)) == (FUNDS - 1_500, 1_500)
    sent = [
        e for e in app().events.get(wallet_id(books.company)) if isinstance(e, Wallet.PaymentSent)
    ]
    # The representative's signature authorised it, and the chain commits to it.
    assert sent[-1].signatures[0]["personal_code"] == books.member.code
    # The client's retry answers the same payment and moves nothing.
    again = client.post(PAY, body, format="json")
    assert again.status_code == 200, again.content
    assert balance(books.company) == FUNDS - 1_500


def test_a_representative_the_identity_registry_records_pays_for_the_organisation() -> None:
    central, pank = central_bank(), bank()
    agency = identity.organisation("state_agency", "Maa-amet")
    wallet(agency, pank, FUNDS, central)
    payee = wallet(identity.person("Pille", "Saaja"), pank)
    representative = official_of(agency)
    body = signed(
        representative,
        {"payment_id": new_payment_id(), "payee": payee, "amount_cents": 700, "payer": agency},
    )
    paid = citizen_client(representative).post(PAY, body, format="json")
    assert paid.status_code == 201, paid.content
    assert (balance(agency), balance(payee)) == (FUNDS - 700, 700)


def test_anyone_who_does_not_represent_the_company_is_refused_and_nothing_moves(
    books: Books,
) -> None:
    stranger = citizen("Võõras", "Inimene")
    wallet(stranger.code, books.bank)
    body = signed(stranger, payment(books))
    problem(
        citizen_client(stranger).post(PAY, body, format="json"),
        403,
        f"you do not represent the organisation {books.company}",
    )
    # Nor another person's wallet, whatever they sign.
    other = signed(stranger, {**payment(books), "payer": books.member.code})
    problem(citizen_client(stranger).post(PAY, other, format="json"), 403, "your own wallet")
    # A repetition of the company's payment id tells a stranger nothing either.
    made = signed(books.member, payment(books, 100))
    assert citizen_client(books.member).post(PAY, made, format="json").status_code == 201
    problem(
        citizen_client(stranger).post(PAY, {**made, "signatures": []}, format="json"),
        403,
        "you do not represent",
    )
    assert balance(books.company) == FUNDS - 100
    assert PaymentRecord.objects.filter(payer=books.company).count() == 1


def test_a_board_members_signature_cannot_be_moved_to_another_wallet(books: Books) -> None:
    second = register_company(books.member.code, "Teine")
    wallet(second, books.bank, FUNDS, books.central)
    wallet(books.member.code, books.bank, FUNDS, books.central)
    body = signed(books.member, payment(books))
    client = citizen_client(books.member)
    # Signed for the first company: neither the second company's wallet nor the
    # member's own pays with it.
    problem(client.post(PAY, {**body, "payer": second}, format="json"), 400, "does not verify")
    without = {key: value for key, value in body.items() if key != "payer"}
    problem(client.post(PAY, without, format="json"), 400, "does not verify")
    assert (balance(books.company), balance(second), balance(books.member.code)) == (
        FUNDS,
        FUNDS,
        FUNDS,
    )


def test_a_payment_signed_on_the_board_is_refused_once_the_signer_left_it(books: Books) -> None:
    # Signed while on the board, sent after a board change removed the signer:
    # representation is checked when the payment is made, not when it was signed.
    body = signed(books.member, payment(books))
    successor = identity.person("Uus", "Juhataja")
    issue(
        BusinessRegistry,
        BUSINESS,
        lambda app: app.change_board(books.company, [successor], "registrar"),
    )
    problem(
        citizen_client(books.member).post(PAY, body, format="json"),
        403,
        f"you do not represent the organisation {books.company}",
    )
    assert balance(books.company) == FUNDS
    assert not PaymentRecord.objects.filter(payer=books.company).exists()
