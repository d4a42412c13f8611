"""The money registry's commands against a real event store, ledger and identity registry."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext

from chain.ledger.databases import log_database
from chain.ledger.models import LedgerEntry
from registries.common.errors import Conflict, InvalidCommand, NotFound
from registries.money.domain import ISSUE, REDEEM, ActNotCertified, InsufficientFunds, WalletClosed
from registries.money.models import (
    ActRecord,
    PaymentRecord,
    PersonKey,
    SupplyRecord,
    WalletRecord,
)
from registries.money.quorum import Certificate, collect
from tests.registries.identity import helpers as identity
from tests.registries.money.helpers import (
    act,
    app,
    balance,
    bank,
    central_bank,
    pay_unsigned,
    run,
    wallet,
)

pytestmark = pytest.mark.usefixtures("event_store")


def books() -> None:
    """Supply conservation and no negative balance, in the aggregates and the read models."""
    records = list(WalletRecord.objects.all())
    supply = SupplyRecord.objects.get().total_cents
    assert supply == app().supply_cents() == sum(r.balance_cents for r in records)
    assert all(r.balance_cents >= 0 for r in records)


def test_the_central_bank_issues_and_redeems_with_a_supernode_quorum() -> None:
    central, pank = central_bank(), bank()
    issued = act(ISSUE, pank, 1_000_000, central)
    act(REDEEM, pank, 400_000, central)
    assert balance(pank) == 600_000
    assert SupplyRecord.objects.get().total_cents == 600_000
    record = ActRecord.objects.get(act_id=issued)
    assert record.certificate
    assert record.certificate[0]["signer"]
    assert LedgerEntry.objects.filter(registry="money").count() >= 5
    books()


def test_an_act_without_a_valid_certificate_is_refused() -> None:
    central, pank = central_bank(), bank()
    money = app()
    certificate = collect(money.act_message(ISSUE, "act-x", pank, 100))
    with pytest.raises(ActNotCertified):
        run(lambda m: m.record_act(ISSUE, "act-x", pank, 100, Certificate(1, []), central, "cb"))
    # The signatures are over the terms: another amount, wallet or act id does not fit.
    with pytest.raises(ActNotCertified):
        run(lambda m: m.record_act(ISSUE, "act-x", pank, 101, certificate, central, "cb"))
    with pytest.raises(ActNotCertified):
        run(lambda m: m.record_act(ISSUE, "act-y", pank, 100, certificate, central, "cb"))
    forged = Certificate(1, [{**vote, "signature": "00" * 64} for vote in certificate.votes])
    with pytest.raises(ActNotCertified):
        run(lambda m: m.record_act(ISSUE, "act-x", pank, 100, forged, central, "cb"))
    assert app().supply_cents() == 0
    # A certificate is spent once.
    run(lambda m: m.record_act(ISSUE, "act-x", pank, 100, certificate, central, "cb"))
    with pytest.raises(Conflict, match="act-x"):
        run(lambda m: m.record_act(ISSUE, "act-x", pank, 100, certificate, central, "cb"))


def test_only_the_central_bank_acts_and_only_into_a_banks_wallet() -> None:
    pank = bank()
    other = bank("Lõunapank AS")
    person = identity.person()
    with pytest.raises(InvalidCommand, match="central bank"):
        act(ISSUE, pank, 100, other)
    central = central_bank()
    with pytest.raises(InvalidCommand, match="not a bank"):
        act(ISSUE, person, 100, central)


def test_banks_open_wallets_for_living_persons_and_registered_organisations() -> None:
    pank = bank()
    mari = identity.person()
    assert run(lambda m: m.open_wallet(mari, pank, "banker")) == mari
    with pytest.raises(Conflict, match="already"):
        run(lambda m: m.open_wallet(mari, pank, "banker"))
    dead = identity.person("Vana", "Kask")
    identity.run(lambda a: a.record_death(dead, date(2024, 1, 1), "registrar"))
    with pytest.raises(NotFound, match="living"):
        run(lambda m: m.open_wallet(dead, pank, "banker"))
    with pytest.raises(NotFound, match="no living person"):
        run(lambda m: m.open_wallet(identity.new_code(), pank, "banker"))
    court = identity.organisation("court", "Harju Maakohus")
    run(lambda m: m.open_wallet(court, pank, "banker"))
    with pytest.raises(InvalidCommand, match="not a bank"):
        run(lambda m: m.open_wallet(identity.person(), court, "banker"))


def test_a_wallet_closes_at_zero_only_by_its_bank_and_can_be_reopened() -> None:
    central, pank = central_bank(), bank()
    other = bank("Lõunapank AS")
    mari = wallet(identity.person(), pank, 1_000, central)
    with pytest.raises(NotFound, match="at the bank"):
        run(lambda m: m.close_wallet(mari, other, "banker"))
    with pytest.raises(Conflict, match="only at zero"):
        run(lambda m: m.close_wallet(mari, pank, "banker"))
    pay_unsigned(mari, pank, 1_000)
    run(lambda m: m.close_wallet(mari, pank, "banker"))
    with pytest.raises(WalletClosed):
        pay_unsigned(pank, mari, 1)
    run(lambda m: m.open_wallet(mari, other, "banker"))
    assert WalletRecord.objects.get(holder=mari).bank == other
    run(lambda m: m.set_linked_bank(mari, other, pank, "banker"))
    assert WalletRecord.objects.get(holder=mari).bank == pank
    books()


def test_payments_waterfalls_and_supply_conservation_after_a_mixed_sequence(
    settings: object,
) -> None:
    central, pank = central_bank(), bank()
    other = bank("Lõunapank AS")
    company = wallet(identity.organisation("company", "Kohvik OÜ"), other, 900_000, central)
    mari = wallet(identity.person(), pank, 10_000, central)
    jaan = wallet(identity.person("Jaan", "Kask"), other)
    books()
    pay_unsigned(company, mari, 350_000, "salary-0001")
    paid = PaymentRecord.objects.get(payment_id="salary-0001")
    assert paid.swept_cents == 60_000
    assert balance(mari) == 300_000
    assert WalletRecord.objects.get(holder=mari).at_bank_cents == 60_000
    books()
    # A repetition answers the same payment and moves nothing.
    again = pay_unsigned(company, mari, 350_000, "salary-0001")
    assert again.repeated
    assert PaymentRecord.objects.filter(payment_id="salary-0001").count() == 1
    pay_unsigned(mari, jaan, 330_000, "rent-000001")
    assert PaymentRecord.objects.get(payment_id="rent-000001").topped_up_cents == 30_000
    assert balance(mari) == 0
    books()
    with pytest.raises(InsufficientFunds):
        pay_unsigned(mari, jaan, 30_001)
    act(REDEEM, other, 100, central)
    pay_unsigned(jaan, company, 5)
    books()
    assert app().supply_cents() == 900_000 + 10_000 - 100


def test_a_payment_between_known_persons_reads_no_key_ids_from_the_key_table() -> None:
    """The money key store remembers whose key seals which code: once the persons'
    keys exist, a payment seals their codes without asking the key table for key ids."""
    pank = bank()
    mari, jaan = identity.person(), identity.person("Jaan", "Kask")
    wallet(mari, pank, 1_000, central_bank())
    wallet(jaan, pank)
    pay_unsigned(mari, jaan, 1)
    table = PersonKey._meta.db_table
    with CaptureQueriesContext(connections[log_database("money")]) as queries:
        pay_unsigned(mari, jaan, 2)
    subject_reads = [q["sql"] for q in queries if table in q["sql"] and '"subject"' in q["sql"]]
    assert subject_reads == []
    assert balance(jaan) == 3


def test_a_remembered_key_id_whose_key_row_is_gone_is_looked_up_again() -> None:
    """A key id the money key store remembers whose row is no longer in the key table
    (the tables emptied under a running process, as between tests) is forgotten and
    the subject's key found or created again: sealing does not call a live person erased."""
    pank = bank()
    mari = identity.person()
    app().keystore.key_for(mari, "money", "remembered")
    PersonKey.objects.filter(subject=app().keystore.subject_of(mari)).delete()
    assert not PersonKey.objects.filter(subject=app().keystore.subject_of(mari)).exists()
    wallet(mari, pank)
    assert balance(mari) == 0
    assert PersonKey.objects.filter(
        subject=app().keystore.subject_of(mari), wrapped__isnull=False
    ).exists()
