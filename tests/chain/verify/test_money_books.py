"""The verifier's money rules stay in step with the money registry they replay."""

from __future__ import annotations

import dataclasses
import hashlib
import inspect
import json
from collections.abc import Callable
from typing import Any

import pytest
from eventsourcing.domain import Aggregate

from chain.encoding import vote_message
from chain.keys import NodeKey
from chain.verify import EntryRow, VerificationFailure
from chain.verify import money as books
from registries.money import domain, quorum


def _money_events() -> dict[str, type]:
    """``Aggregate.Event`` name -> class, for every event of the money registry's aggregates."""
    events: dict[str, type] = {}
    for aggregate in vars(domain).values():
        if not (inspect.isclass(aggregate) and issubclass(aggregate, Aggregate)):
            continue
        if aggregate.__module__ != domain.__name__:
            continue
        for name, value in vars(aggregate).items():
            # ``Event`` and ``Created`` are the library's bases, never recorded as such.
            if name in ("Event", "Created"):
                continue
            if inspect.isclass(value) and issubclass(value, Aggregate.Event):
                events[f"{aggregate.__name__}.{name}"] = value
    return events


def test_the_verifier_knows_every_money_event_and_which_ones_move_cents() -> None:
    events = _money_events()
    known = set(books.WALLET_CHANGES) | set(books.SUPPLY_CHANGES) | set(books.NO_CHANGE)
    assert set(events) <= known, (
        f"add {sorted(set(events) - known)} to chain/verify/money.py (and say how they move cents)"
    )
    moving = {
        name
        for name, cls in events.items()
        if "amount_cents" in {field.name for field in dataclasses.fields(cls)}
    }
    assert moving == set(books.WALLET_CHANGES) | set(books.SUPPLY_CHANGES)


def test_the_verifier_spells_an_act_as_the_registry_signs_it() -> None:
    ours = books.act_message(
        chain_id="riik-test", act="issue", act_id="2026-01", wallet="70000001", amount_cents=12345
    )
    theirs = domain.act_message(
        chain_id="riik-test", act="issue", act_id="2026-01", wallet="70000001", amount_cents=12345
    )
    assert ours == theirs
    assert (books.ACT_KIND, books.ACT_ROUND) == (quorum.KIND, quorum.ROUND)
    assert {act for act, _ in books.SUPPLY_CHANGES.values()} == set(domain.ACTS)


# The books on hand-made entries (no database): each refusal names its entry.

CHAIN = "riik-test"
SUPERNODE = NodeKey.generate("supernode-1")
WALLET_A = "wallet-a"
WALLET_B = "wallet-b"


def _row(seq: int, name: str, originator: str, payload: dict[str, Any] | None) -> EntryRow:
    return EntryRow(
        registry="money",
        seq=seq,
        originator_id=originator,
        originator_version=1,
        topic=books.TOPIC_PREFIX + name,
        recorded_at="2026-12-07T20:00:00.000000Z",
        payload_hash=b"\0" * 32,
        prev_hash=b"\0" * 32,
        entry_hash=b"\0" * 32,
        payload=b"" if payload is None else json.dumps(payload).encode(),
    )


def _votes(act: str, act_id: str, wallet: str, amount: int) -> list[dict[str, Any]]:
    message = books.act_message(
        chain_id=CHAIN, act=act, act_id=act_id, wallet=wallet, amount_cents=amount
    )
    vote = vote_message(
        chain_id=CHAIN,
        tier="supernode",
        kind=books.ACT_KIND,
        height=1,
        round=0,
        block_hash=hashlib.sha256(message).digest(),
    )
    return [
        {
            "signer": SUPERNODE.name,
            "key_id": SUPERNODE.key_id.hex(),
            "round": 0,
            "signature": SUPERNODE.sign(vote).hex(),
        }
    ]


def _issued(seq: int, act_id: str, amount: int, votes: list[dict[str, Any]] | None = None) -> Any:
    terms = {
        "act_id": act_id,
        "wallet": "70000001",
        "amount_cents": amount,
        "height": 1,
        "certificate": votes if votes is not None else _votes("issue", act_id, "70000001", amount),
    }
    return _row(seq, "Supply.Issued", "supply", terms)


def _books(public: bool = False) -> books.MoneyBooks:
    keys = {(SUPERNODE.name, SUPERNODE.key_id): SUPERNODE.public_bytes}
    return books.MoneyBooks(CHAIN, lambda height: keys, lambda height, found: 1, public=public)


def _fails(feed: Callable[[], None]) -> str:
    with pytest.raises(VerificationFailure) as failure:
        feed()
    return failure.value.message


def test_issued_money_paid_on_balances_at_the_block() -> None:
    money = _books()
    money.entry(_row(1, "Wallet.Opened", WALLET_A, {"holder": "x"}))
    money.entry(_row(2, "Wallet.Opened", WALLET_B, {"holder": "y"}))
    money.entry(_issued(3, "act-1", 500))
    money.entry(_row(4, "Wallet.IssuanceReceived", WALLET_A, {"amount_cents": 500}))
    money.entry(_row(5, "Wallet.PaymentSent", WALLET_A, {"amount_cents": 200}))
    money.entry(_row(6, "Wallet.PaymentReceived", WALLET_B, {"amount_cents": 200}))
    money.check("block 1")
    assert (money.report.supply_cents, money.report.wallets, money.report.checked_at) == (
        500,
        2,
        1,
    )


def test_an_unknown_money_event_fails_naming_it() -> None:
    row = _row(1, "Wallet.Minted", WALLET_A, {"amount_cents": 5})
    assert _fails(lambda: _books().entry(row)) == (
        "registry money seq 1: unknown money event 'Wallet.Minted': its effect on balances "
        "is not known"
    )


def test_money_in_a_wallet_never_opened_fails() -> None:
    row = _row(1, "Wallet.PaymentReceived", WALLET_A, {"amount_cents": 5})
    assert _fails(lambda: _books().entry(row)) == (
        f"registry money seq 1: money moved in wallet {WALLET_A}, which was never opened"
    )


def test_an_act_id_counts_once() -> None:
    money = _books()
    money.entry(_issued(1, "act-1", 500))
    assert _fails(lambda: money.entry(_issued(2, "act-1", 500))) == (
        "registry money seq 2: act act-1 was recorded before, at registry money seq 1"
    )


def test_votes_for_other_terms_certify_nothing() -> None:
    money = _books()
    money.entry(_issued(1, "act-1", 900, votes=_votes("issue", "act-1", "70000001", 100)))
    assert "not certified by a supernode quorum (0 of 1" in _fails(lambda: money.check("block 1"))


def test_a_public_act_entry_needs_its_public_terms() -> None:
    row = _row(1, "Supply.Issued", "supply", None)
    assert _fails(lambda: _books(public=True).entry(row, {})) == (
        "registry money seq 1: an act's entry without its public terms (money_act)"
    )


def test_a_payload_that_is_not_json_fails() -> None:
    row = _row(1, "Wallet.Opened", WALLET_A, None)._replace(payload=b"\xff")
    assert _fails(lambda: _books().entry(row)).startswith(
        "registry money seq 1: money payload is not JSON"
    )
