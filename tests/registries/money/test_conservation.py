"""Both verifiers replay the money log: supply == sum of balances at every block,
no balance below zero, every act certified by a supernode quorum (DESIGN §10).

The forgeries are written through the write path itself (an insider's events
with valid hashes, sealed into a signed block), so only the books can tell.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import override_settings

from chain.blocks.sealing import seal_pending
from chain.encoding import canonical
from chain.ledger.models import LedgerEntry
from registries.common.application import Ref
from registries.money.domain import REDEEM, Supply
from tests.chain.verifiers import ROOT, verify_both
from tests.registries.money import helpers as h

pytestmark = pytest.mark.usefixtures("event_store")

PAYMENT_RECEIVED = "registries.money.domain:Wallet.PaymentReceived"


def _seal() -> int:
    block = seal_pending()
    assert block is not None
    return block.height


def _money_seq(topic: str) -> int:
    """The seq of the latest money entry with this topic."""
    entry = LedgerEntry.objects.filter(registry="money", topic=topic).order_by("-seq").first()
    assert entry is not None
    return int(entry.seq)


def _books() -> tuple[str, str, str]:
    """A bank, and two funded citizens' wallets (1,000 and 0 cents), sealed in block 1."""
    bank = h.bank()
    central = h.central_bank()
    mari = h.wallet(h.citizen().code, bank, 1000, central)
    jaan = h.wallet(h.citizen("Jaan", "Kask").code, bank)
    assert _seal() == 1
    return bank, mari, jaan


@override_settings(RIIK_MONEY_HOLDING_LIMIT_CENTS=800)
def test_both_verifiers_find_the_supply_equal_to_the_balances_at_every_block(
    tmp_path: Path,
) -> None:
    bank, mari, jaan = _books()
    central = h.central_bank()
    h.act("issue", bank, 2000, central)
    h.pay_unsigned(bank, jaan, 900)  # 100 over the limit: swept to the bank
    h.pay_unsigned(mari, jaan, 50)
    assert _seal() == 2
    h.act(REDEEM, bank, 700, central)
    h.pay_unsigned(jaan, mari, 850)  # topped up from the bank
    assert _seal() == 3

    result = verify_both(tmp_path)

    assert result.passed, result.outputs
    for output in result.outputs:
        assert (
            "money: supply 2300 cents after 3 certified acts (issued 3000, redeemed 700 cents"
            in output
        )
        assert "conservation (supply == sum of 3 wallet balances, none negative) checked at 4" in (
            output
        )


def test_a_forged_payment_that_creates_money_fails_both_verifiers_naming_block_and_entries(
    tmp_path: Path,
) -> None:
    bank, mari, _ = _books()
    money = h.app()
    wallet = money.get(money.wallet(mari))
    wallet._received("forged-0001", bank, 500)  # credited, debited from no one
    money.save(wallet)
    forged = _money_seq(PAYMENT_RECEIVED)
    assert _seal() == 2

    result = verify_both(tmp_path)

    assert (result.db_code, result.offline_code) == (1, 1)
    for output in result.outputs:
        assert (
            f"block 2: money not conserved: supply 1000 cents but the balances sum to 1500 cents "
            f"(the money entries after seq {forged - 1} up to seq {forged} do not add up)"
        ) in output


def test_a_payment_beyond_the_balance_fails_both_verifiers_naming_the_entry(
    tmp_path: Path,
) -> None:
    _, mari, jaan = _books()
    money = h.app()
    payer = money.get(money.wallet(jaan))
    payee = money.get(money.wallet(mari))
    payer._sent("overdraw-01", mari, 300, 0, [])  # jaan holds nothing
    payee._received("overdraw-01", jaan, 300)
    money.save(payer, payee)
    assert _seal() == 2
    sent = _money_seq("registries.money.domain:Wallet.PaymentSent")

    result = verify_both(tmp_path)

    assert (result.db_code, result.offline_code) == (1, 1)
    for output in result.outputs:
        assert f"registry money seq {sent}: wallet {payer.id} goes below zero (-300 cents)" in (
            output
        )


def test_an_issuance_without_a_supernode_quorum_fails_both_verifiers(tmp_path: Path) -> None:
    bank, _, _ = _books()
    money = h.app()
    supply = money.get(Ref(Supply, Supply.create_id(), "money supply"))
    target = money.get(money.wallet(bank))
    supply.record("issue", "uncertified-1", target, 10**6, 1, [], "insider")
    money.save(supply, target)
    issued = _money_seq("registries.money.domain:Supply.Issued")
    assert _seal() == 2

    result = verify_both(tmp_path)

    assert (result.db_code, result.offline_code) == (1, 1)
    for output in result.outputs:
        assert (
            f"registry money seq {issued}: the issue act uncertified-1 of 1000000 cents is not "
            "certified by a supernode quorum (0 of 1 valid signatures at height 1)"
        ) in output


def test_a_changed_amount_in_a_full_bundle_fails_naming_the_entry(tmp_path: Path) -> None:
    _, mari, jaan = _books()
    h.pay_unsigned(mari, jaan, 300)
    assert _seal() == 2
    received = _money_seq(PAYMENT_RECEIVED)

    def more(records: list[dict[str, Any]]) -> None:
        for record in records:
            if record.get("registry") == "money" and record.get("seq") == received:
                event = json.loads(bytes.fromhex(record["payload"]))
                event["amount_cents"] = 30000
                record["payload"] = json.dumps(event, separators=(",", ":")).encode().hex()

    result = verify_both(tmp_path, more)

    assert result.db_code == 0
    assert result.offline_code == 1
    assert f"registry money seq {received}: payload hash mismatch" in result.offline_out


def _public_bundle(tmp_path: Path, *options: str) -> list[dict[str, Any]]:
    bundle = tmp_path / "public.jsonl"
    call_command(
        "chain", "export", *options, "--out", str(bundle), "--no-progress", stdout=io.StringIO()
    )
    return [json.loads(line) for line in bundle.read_text().splitlines()]


def _verify_offline(tmp_path: Path, records: list[dict[str, Any]]) -> tuple[int, str]:
    bundle = tmp_path / "edited.jsonl"
    bundle.write_bytes(b"".join(canonical(record) + b"\n" for record in records))
    done = subprocess.run(
        [sys.executable, "-m", "chain.verify", str(bundle)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    return done.returncode, done.stdout + done.stderr


def test_a_public_bundle_shows_the_supply_and_says_what_it_could_not_check(
    tmp_path: Path,
) -> None:
    bank, mari, _ = _books()
    h.pay_unsigned(mari, bank, 300)
    h.act(REDEEM, bank, 100, h.central_bank())
    assert _seal() == 2
    records = _public_bundle(tmp_path, "--public")

    code, out = _verify_offline(tmp_path, records)

    assert code == 0, out
    assert (
        "money: supply 900 cents after 2 certified acts (issued 1000, redeemed 100 cents; each "
        "act's supernode certificate checked), from the acts' public terms; NOT checked: wallet "
        "balances and conservation"
    ) in out
    acts = [record["money_act"] for record in records if "money_act" in record]
    assert [(act["act"], act["wallet"], act["amount_cents"]) for act in acts] == [
        ("issue", bank, 1000),
        ("redeem", bank, 100),
    ]


def test_a_changed_amount_of_a_public_act_fails_naming_the_entry(tmp_path: Path) -> None:
    _books()
    records = _public_bundle(tmp_path, "--public")
    issued = _money_seq("registries.money.domain:Supply.Issued")
    for record in records:
        if "money_act" in record:
            record["money_act"]["amount_cents"] = 10**9

    code, out = _verify_offline(tmp_path, records)

    assert code == 1
    assert f"registry money seq {issued}: the issue act act-" in out
    assert "of 1000000000 cents is not certified by a supernode quorum (0 of 1" in out


def test_a_range_bundle_says_it_could_not_check_the_books(tmp_path: Path) -> None:
    _, mari, jaan = _books()
    h.pay_unsigned(mari, jaan, 300)
    assert _seal() == 2

    code, out = _verify_offline(tmp_path, _public_bundle(tmp_path, "--from-height", "2"))

    assert code == 0, out
    assert (
        "money: NOT checked: this range bundle starts after block 1, so the balances before "
        "it are unknown"
    ) in out
