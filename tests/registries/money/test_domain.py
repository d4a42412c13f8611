"""The money registry's rules on the aggregates alone (no database)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from registries.common.codes import personal_code, registry_code
from registries.common.errors import Conflict, InvalidCommand
from registries.money.domain import (
    ISSUE,
    REDEEM,
    ActNotCertified,
    InsufficientFunds,
    Payment,
    PaymentIdTaken,
    Supply,
    Wallet,
    WalletClosed,
    act_message,
    check_cents,
    check_payment_id,
    settle,
    wallet_id,
)

BANK = registry_code(1, kind_digit=7)
OTHER_BANK = registry_code(2, kind_digit=7)
COMPANY = registry_code(3)
MARI = personal_code(date(1980, 1, 1), "F", 1)
JAAN = personal_code(date(1980, 1, 1), "M", 2)
LIMIT = 300_000


def wallets(*holders: str) -> dict[str, Wallet]:
    """Open wallets at BANK (banks at themselves)."""
    found = {}
    for holder in holders:
        bank = holder if holder in (BANK, OTHER_BANK) else BANK
        found[holder] = Wallet.open_for(holder=holder, bank=bank, actor="t")
    return found


def fund(supply: Supply, wallet: Wallet, cents: int, act_id: str = "act-1") -> None:
    supply.record(ISSUE, act_id, wallet, cents, 1, [], "cb")


def payment(pid: str, payer: str, payee: str, cents: int) -> Payment:
    return Payment(pid, payer, payee, cents)


def lookup(found: dict[str, Wallet]) -> Callable[[str], Wallet]:
    return found.__getitem__


def books(supply: Supply, found: dict[str, Wallet]) -> None:
    """Supply conservation and no negative balance."""
    assert supply.total_cents == sum(w.balance_cents for w in found.values())
    assert all(w.balance_cents >= 0 for w in found.values())


def test_codes_and_amounts_are_checked() -> None:
    assert check_cents(1) == 1
    for bad in (0, -5, True, 1.5, 10**16):
        with pytest.raises(InvalidCommand):
            check_cents(bad)  # type: ignore[arg-type]
    assert check_payment_id("pay-0001") == "pay-0001"
    for wrong in ("short", "has space in it", "x" * 65):
        with pytest.raises(InvalidCommand):
            check_payment_id(wrong)
    with pytest.raises(InvalidCommand, match="holder"):
        Wallet.open_for(holder="123", bank=BANK, actor="t")
    assert wallet_id(MARI) == Wallet.open_for(holder=MARI, bank=BANK, actor="t").id


def test_the_act_message_binds_every_term() -> None:
    base = {"act": ISSUE, "act_id": "a1", "wallet": BANK, "amount_cents": 5, "chain_id": "c"}
    one = act_message(**base)  # type: ignore[arg-type]
    for name, other in (("act", REDEEM), ("act_id", "a2"), ("wallet", OTHER_BANK)):
        assert act_message(**{**base, name: other}) != one  # type: ignore[arg-type]
    assert act_message(**{**base, "amount_cents": 6}) != one  # type: ignore[arg-type]
    assert act_message(**{**base, "chain_id": "d"}) != one  # type: ignore[arg-type]
    assert issubclass(ActNotCertified, InvalidCommand)


def test_issue_and_redeem_change_the_supply_and_the_bank_wallet() -> None:
    supply = Supply()
    found = wallets(BANK)
    fund(supply, found[BANK], 1_000)
    supply.record(REDEEM, "act-2", found[BANK], 400, 1, [], "cb")
    assert supply.total_cents == found[BANK].balance_cents == 600
    with pytest.raises(Conflict, match="act-2"):
        supply.record(REDEEM, "act-2", found[BANK], 1, 1, [], "cb")
    with pytest.raises(InsufficientFunds):
        supply.record(REDEEM, "act-3", found[BANK], 601, 1, [], "cb")
    books(supply, found)


def test_a_payment_moves_cents_and_a_repetition_is_a_no_op() -> None:
    supply = Supply()
    found = wallets(BANK, MARI, JAAN)
    fund(supply, found[MARI], 10_000)
    done = settle(payment("p-000001", MARI, JAAN, 2_500), lookup(found), LIMIT)
    assert (done.amount_cents, done.repeated) == (2_500, False)
    again = settle(payment("p-000001", MARI, JAAN, 2_500), lookup(found), LIMIT)
    assert again.repeated
    assert (found[MARI].balance_cents, found[JAAN].balance_cents) == (7_500, 2_500)
    with pytest.raises(PaymentIdTaken, match="p-000001"):
        settle(payment("p-000001", MARI, JAAN, 2_600), lookup(found), LIMIT)
    books(supply, found)


def test_no_balance_goes_negative() -> None:
    supply = Supply()
    found = wallets(BANK, MARI, JAAN)
    fund(supply, found[MARI], 100)
    with pytest.raises(InsufficientFunds):
        settle(payment("p-000002", MARI, JAAN, 101), lookup(found), LIMIT)
    assert found[MARI].balance_cents == 100
    books(supply, found)


def test_payer_and_payee_are_different_open_wallets() -> None:
    found = wallets(BANK, MARI, JAAN)
    with pytest.raises(InvalidCommand, match="itself"):
        settle(payment("p-000003", MARI, MARI, 1), lookup(found), LIMIT)
    found[JAAN].close("t")
    with pytest.raises(WalletClosed, match="payee"):
        settle(payment("p-000004", MARI, JAAN, 1), lookup(found), LIMIT)


def test_the_waterfall_moves_the_excess_to_the_linked_bank() -> None:
    supply = Supply()
    found = wallets(BANK, MARI, JAAN, COMPANY)
    fund(supply, found[COMPANY], 500_000)
    done = settle(payment("p-000005", COMPANY, MARI, 350_000), lookup(found), LIMIT)
    assert done.swept_cents == 50_000
    assert found[MARI].balance_cents == LIMIT
    assert found[MARI].at_bank_cents == 50_000
    assert found[BANK].balance_cents == 50_000
    # A company has no holding limit.
    settle(payment("p-000006", MARI, COMPANY, 1), lookup(found), LIMIT)
    assert found[COMPANY].balance_cents == 150_001
    books(supply, found)


def test_the_reverse_waterfall_tops_up_a_short_payment_from_the_bank() -> None:
    supply = Supply()
    found = wallets(BANK, MARI, JAAN, COMPANY)
    fund(supply, found[COMPANY], 500_000)
    settle(payment("p-000007", COMPANY, MARI, 350_000), lookup(found), LIMIT)
    done = settle(payment("p-000008", MARI, JAAN, 320_000), lookup(found), LIMIT)
    assert done.topped_up_cents == 20_000
    assert (found[MARI].balance_cents, found[MARI].at_bank_cents) == (0, 30_000)
    # Jaan's excess over the limit went to the same bank that topped Mari up.
    assert (found[JAAN].balance_cents, found[JAAN].at_bank_cents) == (LIMIT, 20_000)
    assert found[BANK].balance_cents == 50_000
    # No more than what the bank holds for her.
    with pytest.raises(InsufficientFunds):
        settle(payment("p-000009", MARI, JAAN, 30_001), lookup(found), LIMIT)
    books(supply, found)


def test_a_wallet_closes_only_at_zero_and_keeps_its_bank_while_money_is_held_there() -> None:
    supply = Supply()
    found = wallets(BANK, OTHER_BANK, MARI, COMPANY)
    fund(supply, found[COMPANY], 400_000)
    settle(payment("p-000010", COMPANY, MARI, 301_000), lookup(found), LIMIT)
    with pytest.raises(Conflict, match="only at zero"):
        found[MARI].close("t")
    with pytest.raises(Conflict, match="held at"):
        found[MARI].set_linked_bank(OTHER_BANK, "t")
    settle(payment("p-000011", MARI, COMPANY, 301_000), lookup(found), LIMIT)
    found[MARI].set_linked_bank(OTHER_BANK, "t")
    found[MARI].close("t")
    assert not found[MARI].open
    books(supply, found)
