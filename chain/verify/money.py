"""The money log's books as the verifier keeps them: supply conservation (DESIGN §10).

The ``money`` registry's events are replayed entry by entry
(:class:`MoneyBooks`): the balance of every wallet (by its aggregate id, the
entry's originator id, never the holder's code), the supply, and the
central bank's acts. At every block, and at the end, the supply must equal
the sum of the balances; no balance may go below zero; every issuance and
redemption must carry a quorum of ``money-act`` votes of the supernode keys
valid at its height (the one certificate rule of
:func:`chain.certificates.count_certificate`), and an act id counts once.

**Full bundles** (payloads included: auditors) are checked completely.
**Public bundles** carry no wallet payloads (amounts and counterparties are
private, DESIGN §8); an issuance's or redemption's entry carries its public
terms in ``money_act`` (:func:`public_act`: act, act id, the bank's wallet,
amount, height and the supernode votes, never who asked for it). The
verifier checks each such act's certificate and reports the running supply;
it says that balances and conservation could not be checked.

The verifier knows every money event: one it does not know fails the
verification, naming its topic (:data:`WALLET_CHANGES`, :data:`SUPPLY_CHANGES`,
:data:`NO_CHANGE`; a test keeps them in step with ``registries.money.domain``).
Standard library only; the act's bytes are spelled here as the registry
spells them (a test compares the two).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, NoReturn

from chain.certificates import PublicKey, Signature, count_certificate
from chain.encoding import canonical, vote_message
from chain.protocol import SUPERNODE_TIER
from chain.verify.records import EntryRow, fail

__all__ = [
    "ACT_KIND",
    "ACT_PURPOSE",
    "MONEY_LOG",
    "NO_CHANGE",
    "PUBLIC_ACT",
    "SUPPLY_CHANGES",
    "TOPIC_PREFIX",
    "WALLET_CHANGES",
    "MoneyBooks",
    "MoneyReport",
    "act_message",
    "public_act",
]

MONEY_LOG = "money"
TOPIC_PREFIX = "registries.money.domain:"
"""Topics of the money log are this prefix and ``Aggregate.Event`` (``Wallet.PaymentSent``)."""

ACT_PURPOSE = "riik-money-act"
"""As ``registries.money.domain.ACT_PURPOSE``: names the bytes the supernodes certify."""
ACT_KIND = "money-act"
"""As ``registries.money.quorum.KIND``: the vote kind of an act (round 0)."""
ACT_ROUND = 0

PUBLIC_ACT = "money_act"
"""The field of a public bundle's entry that carries an act's public terms."""

WALLET_CHANGES: Mapping[str, int] = {
    "Wallet.IssuanceReceived": 1,
    "Wallet.RedemptionPaid": -1,
    "Wallet.PaymentSent": -1,
    "Wallet.PaymentReceived": 1,
    "Wallet.ToppedUp": 1,
    "Wallet.TopUpSent": -1,
    "Wallet.ExcessSwept": -1,
    "Wallet.SweepReceived": 1,
}
"""Wallet events and the sign their ``amount_cents`` takes in the wallet's balance."""

SUPPLY_CHANGES: Mapping[str, tuple[str, int]] = {
    "Supply.Issued": ("issue", 1),
    "Supply.Redeemed": ("redeem", -1),
}
"""The central bank's acts: their name in the act's bytes and their sign in the supply."""

NO_CHANGE = frozenset(
    {
        "Supply.Started",
        "Wallet.Opened",
        "Wallet.Closed",
        "Wallet.Reopened",
        "Wallet.LinkedBankSet",
    }
)
"""Money events that move no cents."""

_OPENED = "Wallet.Opened"
_ACT_FIELDS = ("act_id", "wallet", "amount_cents", "height", "certificate")


def _event_name(row: EntryRow) -> str:
    if not row.topic.startswith(TOPIC_PREFIX):
        fail(f"{row.where}: topic {row.topic!r} is not a money event")
    name = row.topic[len(TOPIC_PREFIX) :]
    if name not in WALLET_CHANGES and name not in SUPPLY_CHANGES and name not in NO_CHANGE:
        fail(f"{row.where}: unknown money event {name!r}: its effect on balances is not known")
    return name


def _reject_float(text: str) -> NoReturn:
    raise ValueError(f"number {text} is not an integer")


# One decoder for every payload: ``json.loads`` with a hook builds a new one per call.
_DECODER = json.JSONDecoder(parse_float=_reject_float)


def _decode(row: EntryRow) -> dict[str, Any]:
    """The stored event of a money entry (eventsourcing's JSON of the event's fields)."""
    try:
        # Exactly json.loads(payload, parse_float=...) on bytes: the same
        # encoding detection, then the one decoder.
        text = row.payload.decode(json.detect_encoding(row.payload), "surrogatepass")
        value = _DECODER.decode(text)
    except (UnicodeDecodeError, ValueError) as exc:
        fail(f"{row.where}: money payload is not JSON ({exc})")
    if not isinstance(value, dict):
        fail(f"{row.where}: money payload is not a JSON object")
    return value


def _cents(value: Mapping[str, Any], where: str, name: str = "amount_cents") -> int:
    amount = value.get(name)
    if not isinstance(amount, int) or isinstance(amount, bool) or amount < 0:
        fail(f"{where}: money event without a whole, non-negative {name}")
    return amount


def act_message(*, chain_id: str, act: str, act_id: str, wallet: str, amount_cents: int) -> bytes:
    """The canonical bytes the supernodes certify for an act (as the money registry makes them)."""
    return canonical(
        {
            "purpose": ACT_PURPOSE,
            "chain_id": chain_id,
            "act": act,
            "act_id": act_id,
            "wallet": wallet,
            "amount_cents": amount_cents,
        }
    )


def public_act(row: EntryRow) -> dict[str, Any] | None:
    """The public terms of an issuance's or redemption's entry (None for any other entry).

    What the money registry's public ``supply/`` shows of an act: its kind,
    id, the bank's wallet, amount, height and supernode votes. Not the
    ``actor`` (a central bank official's personal code) nor anything of a
    wallet's own events.
    """
    if row.registry != MONEY_LOG or not row.topic.startswith(TOPIC_PREFIX):
        return None
    change = SUPPLY_CHANGES.get(row.topic[len(TOPIC_PREFIX) :])
    if change is None:
        return None
    payload = _decode(row)
    return {"act": change[0], **{name: payload.get(name) for name in _ACT_FIELDS}}


@dataclass(frozen=True)
class _Act:
    where: str
    act: str
    act_id: str
    wallet: str
    amount_cents: int
    height: int
    certificate: list[Any]


@dataclass
class MoneyReport:
    """What the verifier found of the money log."""

    mode: str
    """``full`` (payloads: conservation checked), ``public`` (acts only) or ``range``."""
    supply_cents: int = 0
    issued_cents: int = 0
    redeemed_cents: int = 0
    acts: int = 0
    wallets: int = 0
    checked_at: int = 0
    """Blocks (and the end) at which supply == sum of balances was checked."""
    after_block: int | None = None
    """For a range bundle: the block it starts after."""

    def line(self) -> str:
        """One line of the verifier's summary."""
        acts = (
            f"{self.acts} certified act{'' if self.acts == 1 else 's'} (issued "
            f"{self.issued_cents}, redeemed "
            f"{self.redeemed_cents} cents; each act's supernode certificate checked)"
        )
        if self.mode == "full":
            return (
                f"money: supply {self.supply_cents} cents after {acts}; conservation (supply == "
                f"sum of {self.wallets} wallet balances, none negative) checked at "
                f"{self.checked_at} points (every block and the end)"
            )
        if self.mode == "public":
            return (
                f"money: supply {self.supply_cents} cents after {acts}, from the acts' public "
                "terms; NOT checked: wallet balances and conservation (a public bundle carries "
                "no wallet payloads; a full bundle does)"
            )
        return (
            f"money: NOT checked: this range bundle starts after block {self.after_block}, "
            "so the balances before it are unknown; verify a full bundle from block 1"
        )


KeysAt = Callable[[int], Mapping[tuple[str, bytes], PublicKey]]
ThresholdAt = Callable[[int, Mapping[tuple[str, bytes], PublicKey]], int]


@dataclass
class MoneyBooks:
    """The money log replayed: per-wallet balances, the supply and the acts.

    ``keys_at(height)`` gives the supernode keys valid at a height and
    ``threshold_at(height, keys)`` the signers a quorum needs: the verifier's
    own (from the certified membership entries or the trusted keys). An
    act's certificate is counted at the next block (or the end), when every
    membership entry before it has been read.
    """

    chain_id: str
    keys_at: KeysAt
    threshold_at: ThresholdAt
    public: bool = False
    report: MoneyReport = field(init=False)
    _balances: dict[str, int] = field(default_factory=dict, init=False)
    _total: int = field(default=0, init=False)
    _act_ids: dict[str, str] = field(default_factory=dict, init=False)
    _pending: list[_Act] = field(default_factory=list, init=False)
    _entries: int = field(default=0, init=False)
    _balanced_at: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        self.report = MoneyReport("public" if self.public else "full")

    def start_after(self, height: int) -> None:
        """A range bundle: nothing before ``height`` is known, so nothing is checked."""
        self.report = MoneyReport("range", after_block=height)

    def entry(self, row: EntryRow, record: Mapping[str, Any] | None = None) -> None:
        """Replay one entry of the money log (``record``: the bundle record, for a public act)."""
        if self.report.mode == "range":
            return
        self._entries = row.seq
        name = _event_name(row)
        if not row.payload:
            # A public bundle: only an act's public terms are there to replay.
            if name in SUPPLY_CHANGES:
                terms = None if record is None else record.get(PUBLIC_ACT)
                if not isinstance(terms, Mapping):
                    fail(f"{row.where}: an act's entry without its public terms ({PUBLIC_ACT})")
                self._act(row, name, terms)
            return
        payload = _decode(row)
        if name in SUPPLY_CHANGES:
            self._act(row, name, payload)
        elif name in WALLET_CHANGES:
            wallet = row.originator_id
            if wallet not in self._balances:
                fail(f"{row.where}: money moved in wallet {wallet}, which was never opened")
            change = WALLET_CHANGES[name] * _cents(payload, row.where)
            balance = self._balances[wallet] + change
            if balance < 0:
                fail(f"{row.where}: wallet {wallet} goes below zero ({balance} cents)")
            self._balances[wallet] = balance
            self._total += change
        elif name == _OPENED and row.originator_id not in self._balances:
            self._balances[row.originator_id] = 0
        if self._total == self.report.supply_cents:
            self._balanced_at = row.seq

    def _act(self, row: EntryRow, name: str, terms: Mapping[str, Any]) -> None:
        act, sign = SUPPLY_CHANGES[name]
        act_id = terms.get("act_id")
        wallet = terms.get("wallet")
        height = terms.get("height")
        certificate = terms.get("certificate")
        amount = _cents(terms, row.where)
        if not (
            isinstance(act_id, str)
            and isinstance(wallet, str)
            and isinstance(height, int)
            and not isinstance(height, bool)
            and height >= 1
            and isinstance(certificate, list)
        ):
            fail(f"{row.where}: malformed {act} act (act_id, wallet, height, certificate)")
        if act_id in self._act_ids:
            fail(f"{row.where}: act {act_id} was recorded before, at {self._act_ids[act_id]}")
        self._act_ids[act_id] = row.where
        supply = self.report.supply_cents + sign * amount
        if supply < 0:
            fail(f"{row.where}: the redemption takes the supply below zero ({supply} cents)")
        self.report.supply_cents = supply
        self.report.acts += 1
        if sign > 0:
            self.report.issued_cents += amount
        else:
            self.report.redeemed_cents += amount
        self._pending.append(_Act(row.where, act, act_id, wallet, amount, height, certificate))

    def check(self, where: str) -> None:
        """At a block (or the end): every act so far certified, and supply == sum of balances."""
        if self.report.mode == "range":
            return
        for act in self._pending:
            self._check_certificate(act)
        self._pending.clear()
        if self.public:
            return
        if self._total != self.report.supply_cents:
            fail(
                f"{where}: money not conserved: supply {self.report.supply_cents} cents but the "
                f"balances sum to {self._total} cents (the money entries after seq "
                f"{self._balanced_at} up to seq {self._entries} do not add up)"
            )
        self.report.checked_at += 1
        self.report.wallets = len(self._balances)

    def _check_certificate(self, act: _Act) -> None:
        message = act_message(
            chain_id=self.chain_id,
            act=act.act,
            act_id=act.act_id,
            wallet=act.wallet,
            amount_cents=act.amount_cents,
        )
        digest = hashlib.sha256(message).digest()
        keys = self.keys_at(act.height)
        signatures: list[Signature] = []
        for vote in act.certificate:
            try:
                signatures.append(
                    Signature(
                        str(vote["signer"]),
                        bytes.fromhex(str(vote["key_id"])),
                        int(vote["round"]),
                        bytes.fromhex(str(vote["signature"])),
                    )
                )
            except (KeyError, TypeError, ValueError):
                fail(f"{act.where}: malformed vote in the {act.act} act {act.act_id}'s certificate")
        tally = count_certificate(
            signatures,
            keys,
            lambda vote_round: vote_message(
                chain_id=self.chain_id,
                tier=SUPERNODE_TIER,
                kind=ACT_KIND,
                height=act.height,
                round=vote_round,
                block_hash=digest,
            ),
            fixed_round=ACT_ROUND,
        )
        needed = self.threshold_at(act.height, keys)
        if len(tally.signers) < needed:
            fail(
                f"{act.where}: the {act.act} act {act.act_id} of {act.amount_cents} cents is not "
                f"certified by a supernode quorum ({len(tally.signers)} of {needed} valid "
                f"signatures at height {act.height})"
            )
