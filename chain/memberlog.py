"""Membership changes as entries of the chain's own log: their bytes, replay and checks.

Pure: the standard library, ``cryptography`` and :mod:`chain.encoding` /
:mod:`chain.notes` only, so the registry host (:mod:`chain.blocks.memberstore`,
which records the changes) and the standalone verifier (:mod:`chain.verify`)
replay the same entries with the same rules and can never disagree.

An entry (topic :data:`MEMBERSHIP_TOPIC`, canonical JSON) holds one change
of :mod:`chain.consensus.membership` (its ``record()``), the height whose
supernodes certify it, the first block it applies to and the certificate:
supernode votes of kind ``membership``, round 0, over the SHA-256 of the
canonical change, each naming its signer, algorithm and key id
(docs/chain-format.md). :class:`MemberLog` replays the entries in log order,
re-checks every certificate against the supernodes valid at its height (as
earlier entries made them) and derives each key's height range, which the
bundle header's member history must match (:meth:`MemberLog.compare`).
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from chain import notes
from chain.certificates import Signature, count_certificate, quorum_at
from chain.encoding import canonical, vote_message
from chain.protocol import (
    ACTIVATION_DELAY,
    FIXED_ROUNDS,
    MEMBERSHIP_TOPIC,
    activation_height,
    epoch_start,
)

__all__ = [
    "CHANGE_TYPES",
    "MEMBERSHIP_KIND",
    "MEMBERSHIP_TOPIC",
    "MemberLog",
    "MemberLogError",
    "Span",
    "change_digest",
    "effective_height",
    "elect_board",
    "entry_record",
    "sealing_height",
]

MEMBERSHIP_KIND = "membership"
"""The vote kind of a membership certificate."""

CHANGE_TYPES = (
    "genesis",
    "register-enterprise",
    "delegate-vote",
    "elect-board",
    "rotate-key",
    "revoke-key",
)
"""The changes recorded in the chain log (``type`` of the change record)."""

TIERS = ("supernode", "witness", "citizen")
_HEX = re.compile(r"(?:[0-9a-f]{2})*")

KeyName = tuple[str, str, bytes]
"""(tier, member name, key id) of one key."""


class MemberLogError(ValueError):
    """An entry that cannot be accepted; the message says why."""


def change_digest(change: Mapping[str, Any]) -> bytes:
    """SHA-256 of the canonical change record: the "block hash" its votes sign."""
    return hashlib.sha256(canonical(dict(change))).digest()


def effective_height(height: int, epoch_length: int) -> int:
    """The first block of the epoch after the one of ``height``: where a change
    certified at ``height`` takes effect (height 0 is in epoch 0), the first
    epoch start :data:`~chain.protocol.ACTIVATION_DELAY` blocks after it."""
    return epoch_start(max(height, 1) + ACTIVATION_DELAY, epoch_length)


def sealing_height(seq: int, sizes: Iterable[tuple[int, int]]) -> int:
    """The height of the block that seals chain-log entry ``seq``: the first block
    whose ``logs.consensus.size`` reaches it (docs/chain-format.md, activation).

    ``sizes`` are ``(height, consensus size)`` of the blocks known, in height
    order (a block that does not name the log counts as size 0). An entry no
    known block seals yet is taken as sealed by the next block, the earliest
    it can be: the lists this gives hold for every block up to that one, and
    everyone who knows the same blocks computes the same.
    """
    last = 0
    for height, size in sizes:
        if size >= seq:
            return height
        last = height
    return last + 1


def elect_board(
    delegations: Mapping[str, str], candidates: Iterable[str], size: int
) -> tuple[str, ...]:
    """The ``size`` candidates with the most delegated votes, ties broken by name.

    Only votes between candidates count; a candidate without votes is never
    elected. The result is sorted by name (the proposer order).
    """
    eligible = set(candidates)
    tally: dict[str, int] = {}
    for voter in sorted(delegations):
        candidate = delegations[voter]
        if voter in eligible and candidate in eligible:
            tally[candidate] = tally.get(candidate, 0) + 1
    ranked = sorted(tally.items(), key=lambda item: (-item[1], item[0]))
    return tuple(sorted(name for name, _ in ranked[:size]))


def entry_record(
    *,
    chain_id: str,
    change: Mapping[str, Any],
    height: int,
    from_height: int,
    certificate: Sequence[Mapping[str, Any]],
) -> dict[str, Any]:
    """The chain-log payload of a certified change (canonical JSON when stored)."""
    return {
        "chain_id": chain_id,
        "change": dict(change),
        "height": height,
        "from_height": from_height,
        "certificate": [dict(vote) for vote in certificate],
    }


@dataclass
class Span:
    """Blocks ``start .. end`` (open when ``end`` is None) a key signs for, and why."""

    start: int
    end: int | None
    opened_by: str
    closed_by: str | None = None
    adopted: bool = False
    """A key of the first genesis: the header may list it from an earlier block
    (a chain whose membership was recorded after its first blocks)."""

    def covers(self, height: int) -> bool:
        """True when a block at ``height`` may be signed with this key."""
        return self.start <= height and (self.end is None or height <= self.end)

    def lists(self, start: int, end: int | None) -> bool:
        """True when a header range ``start .. end`` states this span."""
        return end == self.end and (start == self.start or (self.adopted and start <= self.start))

    def text(self) -> str:
        """``5..9`` or ``5..`` (open)."""
        return f"{self.start}..{'' if self.end is None else self.end}"


@dataclass
class _Member:
    """A member of one tier: its current key (None once revoked) and every key it had."""

    key_id: bytes | None
    publics: dict[bytes, bytes] = field(default_factory=dict)


def _label(key: KeyName) -> str:
    tier, name, kid = key
    return f"header: {tier} {name}+{kid.hex()}"


def _text(start: int, end: int | None) -> str:
    return f"{start}..{'' if end is None else end}"


class MemberLog:
    """The member lists replayed from the chain log's certified changes."""

    def __init__(self, chain_id: str) -> None:
        self.chain_id = chain_id
        self.members: dict[str, dict[str, _Member]] = {tier: {} for tier in TIERS}
        """Per tier the members; ``witness`` holds every registered enterprise."""
        self.board: tuple[str, ...] = ()
        self.delegations: dict[str, str] = {}
        self.spans: dict[KeyName, list[Span]] = {}
        """Each key's blocks in the member history (witnesses: while on the board)."""
        self.epoch_length = 1
        self.board_size = 0
        self.citizen_threshold = 1
        self.thresholds: list[tuple[int, int]] = []
        """(first block, citizen threshold) of each genesis, in order."""
        self.genesis_from: int | None = None
        """The first block of the first genesis (None before the genesis)."""
        self.era_from = 0
        """The first block of the latest genesis."""
        self.last_height = 0
        self.last_start = 0
        """The first block of the latest change (a later change never applies before it)."""
        self.changes = 0

    # -- queries --

    @property
    def started(self) -> bool:
        """True once a genesis was replayed."""
        return self.genesis_from is not None

    def public_key(self, tier: str, name: str, key_id: bytes) -> bytes | None:
        """The public key of a member's key (current or not)."""
        member = self.members[tier].get(name)
        return None if member is None else member.publics.get(key_id)

    def keys_at(self, tier: str, height: int) -> dict[tuple[str, bytes], bytes]:
        """``(name, key id) -> public key`` of the keys of ``tier`` valid at ``height``."""
        result: dict[tuple[str, bytes], bytes] = {}
        for (key_tier, name, kid), spans in self.spans.items():
            if key_tier == tier and any(span.covers(height) for span in spans):
                public = self.public_key(tier, name, kid)
                if public is not None:
                    result[(name, kid)] = public
        return result

    def citizen_threshold_at(self, height: int) -> int:
        """The citizen threshold of the latest genesis whose first block is at or
        before ``height`` (the current one before any genesis)."""
        threshold = self.citizen_threshold
        for start, value in self.thresholds:
            if start <= height:
                threshold = value
        return threshold

    def history(self) -> dict[KeyName, tuple[tuple[int, int | None], ...]]:
        """A snapshot of every key's ranges (what the host's member rows must say)."""
        return {
            key: tuple((span.start, span.end) for span in spans)
            for key, spans in self.spans.items()
            if spans
        }

    def candidates(self) -> tuple[str, ...]:
        """Enterprises that may be elected: registered and holding a key."""
        return tuple(
            sorted(name for name, m in self.members["witness"].items() if m.key_id is not None)
        )

    def elect(self) -> tuple[str, ...]:
        """The board the delegated votes recorded so far elect."""
        return elect_board(self.delegations, self.candidates(), self.board_size)

    def next_height(self, last_block: int) -> tuple[int, int]:
        """(certificate height, first block) of a change recorded after ``last_block``."""
        height = max(last_block, self.era_from, self.last_height, 1)
        return height, effective_height(height, self.epoch_length)

    # -- replay --

    def apply(
        self,
        record: Mapping[str, Any],
        where: str = "membership change",
        sealed_at: int | None = None,
    ) -> str:
        """Check and apply one entry's payload; return a description of the change.

        ``sealed_at`` is the height of the final block that seals the entry
        (None when the caller does not know it: the entry is taken as on
        time). An entry sealed after its ``from_height`` applies from
        :func:`chain.protocol.activation_height` instead: the blocks decided
        before it are never judged with its lists.

        Raises :class:`MemberLogError` (naming the problem) when the entry is
        malformed, not certified by a quorum of the supernodes valid at its
        height, out of order or not allowed (an unknown member, an election
        that does not match the votes...). A failed entry may leave the log
        half-applied: callers discard it.
        """
        return self._apply(record, where, certified=True, sealed_at=sealed_at)

    def check_change(self, change: Mapping[str, Any], height: int, from_height: int) -> str:
        """Whether ``change``, certified at ``height``, would be accepted next.

        The rules of :meth:`apply` except the certificate (a supernode checks
        this before it signs its vote), on a copy: this log is unchanged.
        Returns the change's description or raises :class:`MemberLogError`.
        """
        record = entry_record(
            chain_id=self.chain_id,
            change=change,
            height=height,
            from_height=from_height,
            certificate=[],
        )
        if _field(change, "type", str) == "genesis":
            raise MemberLogError("a genesis is not proposed as a change")
        return copy.deepcopy(self)._apply(record, "this change", certified=False)

    def _apply(
        self,
        record: Mapping[str, Any],
        where: str,
        *,
        certified: bool,
        sealed_at: int | None = None,
    ) -> str:
        chain_id = _field(record, "chain_id", str)
        change = _field(record, "change", Mapping)
        kind = _field(change, "type", str)
        height = _int(record, "height", 0)
        from_height = _int(record, "from_height", 1)
        certificate = _field(record, "certificate", list)
        if chain_id != self.chain_id:
            raise MemberLogError(f"{kind} signed for chain {chain_id!r}, not {self.chain_id!r}")
        if kind not in CHANGE_TYPES:
            raise MemberLogError(f"unknown membership change {kind!r}")
        if not self.started and kind != "genesis":
            raise MemberLogError(f"{kind} before the genesis")
        if height < self.last_height:
            raise MemberLogError(
                f"{kind} certified at height {height}, before the previous change "
                f"({self.last_height})"
            )
        expected = height + 1 if kind == "genesis" else effective_height(height, self.epoch_length)
        if from_height != expected:
            raise MemberLogError(
                f"{kind} certified at height {height} takes effect from block {from_height}, "
                f"not {expected}"
            )
        digest = change_digest(change)
        self.changes += 1
        label = f"{where} ({kind})"
        if kind == "genesis":
            listed = {
                (name, notes.key_id(name, public)): public
                for name, public in _keys(change, "supernodes")
            }
            if self.started:
                current = self.keys_at("supernode", height)
                self._certified(kind, digest, height, certificate, current)
            self._certified(kind, digest, height, certificate, listed)
            description = self._genesis(change, from_height, where, label)
        else:
            if certified:
                supernodes = self.keys_at("supernode", height)
                self._certified(kind, digest, height, certificate, supernodes)
            # Never before an earlier entry's first block: changes take
            # effect in log order, even when an earlier one was deferred.
            start = max(
                activation_height(from_height, sealed_at, self.epoch_length), self.last_start
            )
            description = self._change(kind, change, start, where, label)
            self.last_start = start
        self.last_height = height
        return description

    def valid_signers(
        self, change: Mapping[str, Any], height: int, certificate: Sequence[Any]
    ) -> set[str]:
        """The supernodes valid at ``height`` whose votes in ``certificate`` certify ``change``."""
        keys = self.keys_at("supernode", height)
        return self._signers(change_digest(change), height, certificate, keys)

    def quorum_at(self, height: int) -> int:
        """Membership votes needed at ``height``: 2F+1 of the supernodes valid there."""
        return quorum_at(self.keys_at("supernode", height))

    def _signers(
        self,
        digest: bytes,
        height: int,
        certificate: Sequence[Any],
        keys: Mapping[tuple[str, bytes], bytes],
    ) -> set[str]:
        def message(vote_round: int) -> bytes:
            return vote_message(
                chain_id=self.chain_id,
                tier="supernode",
                kind=MEMBERSHIP_KIND,
                height=height,
                round=vote_round,
                block_hash=digest,
            )

        signatures = [
            Signature(
                vote["signer"],
                bytes.fromhex(vote["key_id"]),
                vote["round"],
                bytes.fromhex(vote["signature"]),
            )
            for vote in certificate
            if isinstance(vote, Mapping) and _is_vote(vote, self.chain_id, height, digest)
        ]
        tally = count_certificate(
            signatures, keys, message, fixed_round=FIXED_ROUNDS[MEMBERSHIP_KIND]
        )
        return set(tally.signers)

    def _certified(
        self,
        kind: str,
        digest: bytes,
        height: int,
        certificate: Sequence[Any],
        keys: Mapping[tuple[str, bytes], bytes],
    ) -> None:
        """Fail unless a quorum of ``keys``' members signed ``digest`` at ``height``."""
        signers = self._signers(digest, height, certificate, keys)
        needed = quorum_at(keys)
        if len(signers) < needed:
            raise MemberLogError(
                f"{kind} not certified by a supernode quorum "
                f"({len(signers)} of {needed} valid signatures)"
            )

    def _genesis(self, change: Mapping[str, Any], start: int, where: str, label: str) -> str:
        lists = {
            "supernode": _keys(change, "supernodes"),
            "witness": _keys(change, "witnesses"),
            "citizen": _keys(change, "citizens"),
        }
        epoch_length = _int(change, "epoch_length", 1)
        board_size = _int(change, "board_size", 0)
        threshold = _int(change, "citizen_threshold", 1)
        if not lists["supernode"]:
            raise MemberLogError("genesis lists no supernodes")
        first = not self.started
        for tier, keys in lists.items():
            names = [name for name, _ in keys]
            if len(set(names)) != len(names):
                raise MemberLogError(f"genesis lists a {tier} twice")
            wanted = {name: notes.key_id(name, public) for name, public in keys}
            # Members the new lists drop, or list with another key, stop at the switch.
            for name, member in self.members[tier].items():
                if member.key_id is not None and wanted.get(name) != member.key_id:
                    on_board = tier != "witness" or name in self.board
                    if on_board:
                        self._close((tier, name, member.key_id), start, label)
            members: dict[str, _Member] = {}
            for name, public in keys:
                kid = wanted[name]
                old = self.members[tier].get(name)
                member = _Member(kid, dict(old.publics) if old else {})
                member.publics[kid] = public
                members[name] = member
                continued = (
                    old is not None
                    and old.key_id == kid
                    and (tier != "witness" or name in self.board)
                )
                if not continued:
                    self._open((tier, name, kid), start, label, adopted=first)
            self.members[tier] = members
        self.board = tuple(sorted(name for name, _ in lists["witness"]))
        self.delegations = {}
        self.epoch_length = epoch_length
        self.board_size = board_size
        self.citizen_threshold = threshold
        self.thresholds.append((start, threshold))
        if first:
            self.genesis_from = start
        self.era_from = start
        self.last_start = start
        return (
            f"genesis from block {start}: {len(lists['supernode'])} supernodes, "
            f"{len(lists['witness'])} witnesses, {len(lists['citizen'])} citizens ({where})"
        )

    def _change(
        self, kind: str, change: Mapping[str, Any], start: int, where: str, label: str
    ) -> str:
        if kind == "register-enterprise":
            name = _field(change, "name", str)
            public = _hex(change, "public_key", 32)
            if name in self.members["witness"]:
                raise MemberLogError(f"enterprise {name} is already registered")
            kid = _key_id(name, public)
            self.members["witness"][name] = _Member(kid, {kid: public})
            return f"enterprise {name} registered with key {kid.hex()} ({where})"
        if kind == "delegate-vote":
            voter = _field(change, "voter", str)
            candidate = _field(change, "candidate", str)
            for name in (voter, candidate):
                if name not in self.members["witness"]:
                    raise MemberLogError(f"{name} is not a registered enterprise")
            self.delegations[voter] = candidate
            return f"{voter} delegates its vote to {candidate} ({where})"
        if kind == "elect-board":
            board = _field(change, "board", list)
            elected = self.elect()
            if tuple(sorted(str(name) for name in board)) != elected:
                raise MemberLogError(
                    f"election result {list(board)} does not match the delegated votes "
                    f"({list(elected)})"
                )
            for name in self.board:
                member = self.members["witness"].get(name)
                if name not in elected and member is not None and member.key_id is not None:
                    self._close(("witness", name, member.key_id), start, label)
            for name in elected:
                member = self.members["witness"][name]
                if name not in self.board and member.key_id is not None:
                    self._open(("witness", name, member.key_id), start, label)
            self.board = elected
            return f"board {', '.join(elected)} elected from block {start} ({where})"
        tier = _field(change, "tier", str)
        name = _field(change, "name", str)
        if tier not in TIERS:
            raise MemberLogError(f"unknown tier {tier!r}")
        member = self.members[tier].get(name)
        if member is None:
            raise MemberLogError(f"{tier} {name} does not exist")
        listed = tier != "witness" or name in self.board
        if kind == "rotate-key":
            public = _hex(change, "public_key", 32)
            kid = _key_id(name, public)
            if kid in member.publics:
                raise MemberLogError(f"{name} already had key {kid.hex()}")
            if listed and member.key_id is not None:
                self._close((tier, name, member.key_id), start, label)
            member.publics[kid] = public
            member.key_id = kid
            if listed:
                self._open((tier, name, kid), start, label)
            return f"{tier} {name} signs with key {kid.hex()} from block {start} ({where})"
        kid = _hex(change, "key_id", 4)
        if member.key_id != kid:
            raise MemberLogError(f"{name} has no current key {kid.hex()} to revoke")
        if tier == "supernode" and not any(
            m.key_id is not None for n, m in self.members[tier].items() if n != name
        ):
            raise MemberLogError("no supernode would be left with a key to sign")
        member.key_id = None
        if listed:
            self._close((tier, name, kid), start, label)
        return f"{tier} {name} key {kid.hex()} revoked from block {start} ({where})"

    def _open(self, key: KeyName, start: int, label: str, *, adopted: bool = False) -> None:
        self.spans.setdefault(key, []).append(Span(start, None, label, adopted=adopted))

    def _close(self, key: KeyName, start: int, label: str) -> None:
        """End the open range of ``key`` before block ``start``."""
        spans = self.spans.get(key, [])
        for span in spans:
            if span.end is None:
                span.end, span.closed_by = start - 1, label
        # A key opened and closed by changes of one epoch never signed: drop it.
        self.spans[key] = [s for s in spans if s.end is None or s.end >= s.start]

    # -- the header's member history --

    def compare_change(
        self,
        header: Mapping[KeyName, Sequence[tuple[int, int | None]]],
        before: Mapping[KeyName, tuple[tuple[int, int | None], ...]],
        *,
        complete: bool = True,
        horizon: int | None = None,
    ) -> str | None:
        """The first range the last change (``before`` is :meth:`history` before
        it) ended or started that the header's member history does not state.

        ``complete``: the header states every key's heights; when False only
        the keys it states are matched (a key it leaves out is no mismatch).
        ``horizon``: the last block read before the change; a range it ends
        after that block or starts after the next one is left to
        :meth:`compare` (a range bundle's header stops at its last block).
        """
        last = horizon if horizon is not None else _FAR
        # Ended ranges first: a header keeping a revoked key valid is the worse lie.
        for key, spans in sorted(self.spans.items()):
            old = dict(before.get(key, ()))
            listed = header.get(key, ())
            for span in spans:
                end_of = span.end
                ended = span.start in old and old[span.start] is None and end_of is not None
                if (not complete and key not in header) or (end_of is not None and end_of > last):
                    continue
                if ended and not any(span.lists(start, end) for start, end in listed):
                    shown = ", ".join(_text(start, end) for start, end in listed) or "none"
                    return (
                        f"{_label(key)} listed for blocks {shown}, but {span.closed_by} "
                        f"ended it at block {span.end}"
                    )
        for key, spans in sorted(self.spans.items()):
            old = dict(before.get(key, ()))
            listed = header.get(key, ())
            if not complete and key not in header:
                continue
            for span in spans:
                if span.start > last + 1:
                    continue
                if span.start not in old and not any(
                    start == span.start or (span.adopted and start <= span.start)
                    for start, _ in listed
                ):
                    return f"{_label(key)} is not listed from block {span.start} ({span.opened_by})"
        return None

    def compare(
        self,
        header: Mapping[KeyName, Sequence[tuple[int, int | None]]],
        *,
        complete: bool = True,
        horizon: int | None = None,
    ) -> str | None:
        """The first difference between a bundle header's member history and the
        ranges the entries certify, or None when they match.

        ``horizon``: the bundle's last block; both sides are compared up to it
        only (a range starting after it is left out, one ending at or after
        it is compared as open), so a range bundle's header may stop there.

        ``complete``: the header states every key's heights; when False a
        certified range it leaves out is no mismatch (each range it states
        must still be certified).

        Ranges that end before the first genesis (keys of a chain whose
        membership was recorded later) are not compared.
        """
        first = self.genesis_from or 1
        certified = self.spans
        if horizon is not None:
            header = {key: _clip(ranges, horizon) for key, ranges in header.items()}
            certified = {key: _clip_spans(spans, horizon) for key, spans in self.spans.items()}
        for (tier, name, kid), ranges in sorted(header.items()):
            label = f"header: {tier} {name}+{kid.hex()}"
            expected = certified.get((tier, name, kid), [])
            for start, end in sorted(ranges, key=lambda r: r[0]):
                if end is not None and end < first:
                    continue
                if any(span.lists(start, end) for span in expected):
                    continue
                if not expected:
                    return (
                        f"{label} listed for blocks {_text(start, end)}: no certified "
                        "membership entry introduces this key"
                    )
                ends = [s for s in expected if s.start == start or s.adopted]
                if ends and ends[0].closed_by is not None and end != ends[0].end:
                    return (
                        f"{label} listed for blocks {_text(start, end)}, but "
                        f"{ends[0].closed_by} ended it at block {ends[0].end}"
                    )
                given = "; ".join(f"{s.text()} ({s.opened_by})" for s in expected)
                return (
                    f"{label} listed for blocks {_text(start, end)}, but the certified "
                    f"entries give {given}"
                )
        for (tier, name, kid), spans in sorted(certified.items()):
            listed = header.get((tier, name, kid), ())
            if not complete and not listed:
                continue
            for span in spans:
                if not any(span.lists(start, end) for start, end in listed):
                    return (
                        f"header: {tier} {name}+{kid.hex()} for blocks {span.text()} "
                        f"({span.opened_by}) is not listed"
                    )
        return None


# --- field helpers ------------------------------------------------------------

_FAR = 2**63
"""A height beyond any block (no horizon)."""


def _clip(ranges: Sequence[tuple[int, int | None]], horizon: int) -> list[tuple[int, int | None]]:
    """``ranges`` up to block ``horizon``: later ones dropped, ends from it on opened."""
    return [
        (start, None if end is not None and end >= horizon else end)
        for start, end in ranges
        if start <= horizon
    ]


def _clip_spans(spans: Sequence[Span], horizon: int) -> list[Span]:
    """The certified ``spans`` up to block ``horizon``, as :func:`_clip` cuts a header's."""
    clipped = []
    for span in spans:
        if span.start > horizon:
            continue
        if span.end is not None and span.end >= horizon:
            span = dataclasses.replace(span, end=None, closed_by=None)
        clipped.append(span)
    return clipped


def _field(record: Mapping[str, Any], name: str, kind: type) -> Any:
    value = record.get(name)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise MemberLogError(f"malformed membership entry (field {name!r})")
    return value


def _int(record: Mapping[str, Any], name: str, minimum: int) -> int:
    value: int = _field(record, name, int)
    if value < minimum:
        raise MemberLogError(f"malformed membership entry ({name} below {minimum})")
    return value


def _hex(record: Mapping[str, Any], name: str, size: int) -> bytes:
    text: str = _field(record, name, str)
    if not _HEX.fullmatch(text) or len(text) != 2 * size:
        raise MemberLogError(f"malformed membership entry ({name} is not {size} bytes of hex)")
    return bytes.fromhex(text)


def _key_id(name: str, public: bytes) -> bytes:
    try:
        return notes.key_id(name, public)
    except notes.NoteError as exc:
        raise MemberLogError(str(exc)) from exc


def _keys(change: Mapping[str, Any], list_name: str) -> list[tuple[str, bytes]]:
    items: list[Any] = _field(change, list_name, list)
    keys = []
    for item in items:
        if not isinstance(item, Mapping):
            raise MemberLogError(f"malformed membership entry ({list_name})")
        name = _field(item, "name", str)
        public = _hex(item, "public_key", 32)
        _key_id(name, public)
        keys.append((name, public))
    return keys


def _is_vote(vote: Mapping[str, Any], chain_id: str, height: int, digest: bytes) -> bool:
    """True when ``vote`` is a well-formed membership vote for this change."""
    return (
        vote.get("chain_id") == chain_id
        and vote.get("tier") == "supernode"
        and vote.get("kind") == MEMBERSHIP_KIND
        and vote.get("height") == height
        and vote.get("round") == 0
        and vote.get("block_hash") == digest.hex()
        and vote.get("alg") == "ed25519"
        and isinstance(vote.get("signer"), str)
        and isinstance(vote.get("key_id"), str)
        and re.fullmatch("[0-9a-f]{8}", vote["key_id"]) is not None
        and isinstance(vote.get("signature"), str)
        and _HEX.fullmatch(vote["signature"]) is not None
    )
