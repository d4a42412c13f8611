"""Issue 18: the personal codes in money events are sealed with each person's key.

The money event store and every full ``chain export`` bundle hold no payer's,
payee's, holder's or acting official's code in clear (nor the payer's e-ID
signature); amounts, wallet ids, act ids and banks' registry codes stay in
clear, so the verifier replays a full bundle and checks supply conservation
without any key, and the registry reads its events as before.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import override_settings

from chain.blocks.sealing import seal_pending
from chain.ledger.models import LedgerEntry
from chain.verify import main as verify_main
from registries.money.domain import ISSUE, Payment, Wallet, wallet_id
from registries.money.quorum import collect
from tests.registries.health.test_erasure import found_in
from tests.registries.money import helpers as h

pytestmark = pytest.mark.usefixtures("event_store")

SIGNATURE = "5ea1ed5e" * 16


def money_events() -> bytes:
    """Every stored event of the money registry, as bytes."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT state FROM {connection.ops.quote_name('money_events')}")
        return b"\x1f".join(bytes(state) for (state,) in cursor.fetchall())


@override_settings(RIIK_MONEY_HOLDING_LIMIT_CENTS=800)
def test_a_payment_between_two_persons_leaves_no_code_in_clear_and_the_bundle_verifies(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bank, central = h.bank(), h.central_bank()
    official = h.official_of(central).code
    certificate = collect(h.app().act_message(ISSUE, "sealed-act-1", bank, 5000))
    h.run(
        lambda money: money.record_act(
            ISSUE, "sealed-act-1", bank, 5000, certificate, central, official
        )
    )
    mari = h.wallet(h.citizen().code, bank)
    jaan_citizen = h.citizen("Jaan", "Kask")
    jaan = h.wallet(jaan_citizen.code, bank)
    h.pay_unsigned(bank, mari, 2000)
    # Over the holding limit, Mari's 1200 excess went to the bank; paying 900 from her 800
    # takes 100 back from it (reverse waterfall), and Jaan's 100 excess goes to it.
    signed = ({"personal_code": mari, "nonce": "n0nce", "signature": SIGNATURE},)
    h.run(lambda money: money.pay(Payment("sealed-pay-1", mari, jaan, 900, signed)))
    seal_pending()
    bundle = tmp_path / "full.jsonl"
    call_command("chain", "export", "--out", str(bundle), "--no-progress", stdout=io.StringIO())
    stored, exported = money_events(), bundle.read_bytes()

    for clear in ("sealed-act-1", "sealed-pay-1", bank, str(wallet_id(mari))):
        assert found_in(exported, clear), clear
    assert found_in(stored, bank)
    for secret in (mari, jaan, official, SIGNATURE):
        assert not found_in(stored, secret), secret
        assert not found_in(exported, secret), secret

    capsys.readouterr()
    assert verify_main([str(bundle)]) == 0
    report = capsys.readouterr().out
    assert "money: supply 5000 cents" in report
    assert "conservation (supply == sum of" in report

    # The registry opens its events: the aggregate and the read models are as before.
    payee, payer = h.app().find(Wallet, wallet_id(jaan)), h.app().find(Wallet, wallet_id(mari))
    assert payee is not None
    assert payer is not None
    assert (payee.holder, payee.balance_cents, payee.at_bank_cents) == (jaan, 800, 100)
    assert (payer.balance_cents, payer.at_bank_cents) == (0, 1100)
    assert payer.payments["sealed-pay-1"][:2] == (jaan, 900)
    assert (h.balance(mari), h.balance(jaan)) == (0, 800)

    # The payee's own receipt carries the sealed payload, and opened: who paid him.
    received = LedgerEntry.objects.get(
        registry="money", originator_id=wallet_id(jaan), topic__endswith="PaymentReceived"
    )
    receipt = h.citizen_client(jaan_citizen).get(f"/api/v1/me/receipts/money/{received.seq}/")
    assert receipt.status_code == 200, receipt.content
    assert (receipt.json()["opened"]["payer"], receipt.json()["opened"]["amount_cents"]) == (
        mari,
        900,
    )
    assert not found_in(bytes.fromhex(receipt.json()["entry"]["payload"]), mari)
