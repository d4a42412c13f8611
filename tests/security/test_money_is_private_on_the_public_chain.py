"""Nothing public carries a personal code from money events (DESIGN §8, §10).

The public bundle, the chain API's public receipts and the public supply show
envelopes, hashes and the central bank's acts; not the payers, payees or
holders, not the official who asked for an act, and no wallet id a personal
code could be brute-forced from (a person's wallet id is keyed by a secret).
"""

from __future__ import annotations

import io
from pathlib import Path
from uuid import uuid5

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from chain.blocks.sealing import seal_pending
from chain.ledger.models import LedgerEntry
from chain.verify import verify_receipt
from registries.money.domain import _NAMESPACE, ISSUE, wallet_id
from registries.money.quorum import collect
from tests.registries.money import helpers as h

pytestmark = pytest.mark.usefixtures("event_store")


def test_the_public_chain_shows_no_personal_code_from_money_events(tmp_path: Path) -> None:
    bank = h.bank()
    central = h.central_bank()
    official = h.official_of(central).code
    message = h.app().act_message(ISSUE, "public-act-1", bank, 5000)
    certificate = collect(message)
    h.run(
        lambda money: money.record_act(
            ISSUE, "public-act-1", bank, 5000, certificate, central, official
        )
    )
    mari = h.wallet(h.citizen().code, bank)
    jaan = h.wallet(h.citizen("Jaan", "Kask").code, bank)
    h.pay_unsigned(bank, mari, 2000)
    h.pay_unsigned(mari, jaan, 700)
    assert seal_pending() is not None
    persons = [mari, jaan, official]
    # Wallet ids made from the code alone would give the code away to a brute force.
    guessable = [str(uuid5(_NAMESPACE, f"wallet:{code}")) for code in (mari, jaan)]
    assert str(wallet_id(mari)) not in guessable

    bundle = tmp_path / "public.jsonl"
    call_command(
        "chain", "export", "--public", "--out", str(bundle), "--no-progress", stdout=io.StringIO()
    )
    public = bundle.read_text()
    anonymous = APIClient()
    receipts = [
        anonymous.get(f"/api/v1/chain/logs/money/entries/{seq}/receipt/")
        for seq in LedgerEntry.objects.filter(registry="money").values_list("seq", flat=True)
    ]
    supply = anonymous.get("/api/v1/money/supply/")

    assert {response.status_code for response in receipts} == {200}
    act_receipt = next(r.json() for r in receipts if "money_act" in r.json()["entry"])
    assert act_receipt["entry"]["money_act"]["amount_cents"] == 5000
    assert verify_receipt(act_receipt)  # the act's terms beside the entry change nothing it checks
    assert supply.status_code == 200
    assert "public-act-1" in public
    assert supply.json()["total_cents"] == 5000
    for text in [public, supply.content.decode(), *(r.content.decode() for r in receipts)]:
        for secret in persons + guessable:
            assert secret not in text
