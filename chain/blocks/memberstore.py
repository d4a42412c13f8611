"""The membership store: certified membership changes as entries of the chain log.

Every change of the member lists is an entry of the chain's own log
(:mod:`chain.ledger.chainlog`, topic :data:`~chain.memberlog.MEMBERSHIP_TOPIC`)
carrying the change and the supernode votes certifying it: the genesis (the
first member lists, recorded when the first block is signed, or the
cluster's genesis file), a switch of consensus mode (a new genesis certified
by the outgoing supernodes too), enterprise registration, delegated votes,
the board election, key rotation and revocation. The current lists are the
replay of these entries (:class:`~chain.memberlog.MemberLog`, the same code
the verifier runs), and the member rows beside the blocks (``Supernode``,
``Validator``: the bundle header's member history) follow each recorded
change, in the same transaction.

This module reads and writes those entries; the operator's changes that
collect the quorum for them are :mod:`chain.blocks.membercommands`.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import connection
from django.db.models import QuerySet

from chain.blocks.models import FINAL, LEVEL_ORDER, Block, BlockLog, Supernode, Validator
from chain.blocks.nodekeys import held_keys
from chain.consensus.crypto import Signer
from chain.consensus.membership import Genesis, MemberKey
from chain.consensus.messages import Vote
from chain.keys import NodeKey
from chain.ledger import chainlog
from chain.ledger.models import ConsensusEvent, LedgerEntry, LedgerHead
from chain.memberlog import (
    MemberLog,
    MemberLogError,
    change_digest,
    entry_record,
    sealing_height,
)
from chain.protocol import CHAIN_LOG, MEMBERSHIP_TOPIC

__all__ = [
    "SEALING_LOCK",
    "Entry",
    "MembershipCommandError",
    "Recorded",
    "adopt",
    "append_change",
    "certify",
    "entries",
    "entry_originator",
    "era_start",
    "follow_sealing",
    "is_recorded",
    "last_block",
    "record_genesis",
    "recorded_log",
    "sealed_at",
    "serialize_with_sealing",
]


class MembershipCommandError(RuntimeError):
    """A membership change that was refused; nothing was recorded (see the message)."""


@dataclass(frozen=True)
class Recorded:
    """A change appended to the chain log: its entry, heights and signers."""

    seq: int
    kind: str
    height: int
    from_height: int
    signers: tuple[str, ...]
    description: str


# --- reading the recorded membership --------------------------------------------


@dataclass(frozen=True)
class Entry:
    """One membership entry of the chain log, as stored."""

    seq: int
    record: dict[str, Any]

    @property
    def change(self) -> dict[str, Any]:
        """The change record (``type`` and its fields)."""
        change = self.record.get("change")
        return change if isinstance(change, dict) else {}

    @property
    def kind(self) -> str:
        """The change's type, e.g. ``rotate-key``."""
        return str(self.change.get("type", ""))

    @property
    def signers(self) -> tuple[str, ...]:
        """The supernodes whose votes the certificate holds (checked on replay)."""
        votes = self.record.get("certificate")
        return tuple(
            sorted(
                {str(v.get("signer")) for v in votes if isinstance(v, dict)}
                if isinstance(votes, list)
                else ()
            )
        )


_ENTRIES: dict[tuple[str, str], tuple[tuple[int, bytes], list[Entry]]] = {}
"""The membership entries last read per (database, chain), with the chain log's
head (size, last entry hash) they were read at."""


def entries() -> list[Entry]:
    """The membership entries of the chain log, in log order (shared: do not mutate them).

    Read again only when the chain log's head moved: a new membership entry
    moves it (so do evidence and storage failures, which cost a re-read), and
    a rolled-back one moves it back, so one small query per call replaces
    reading and parsing every entry at every block and report.
    """
    head = LedgerHead.objects.filter(registry=CHAIN_LOG).values_list("size", "entry_hash").first()
    mark = (0, b"") if head is None else (int(head[0]), bytes(head[1]))
    key = (str(connection.settings_dict["NAME"]), settings.RIIK_CHAIN_ID)
    cached = _ENTRIES.get(key)
    if cached is not None and cached[0] == mark:
        return list(cached[1])
    found = _read_entries()
    _ENTRIES[key] = (mark, found)
    return list(found)


def _read_entries() -> list[Entry]:
    seqs = dict(
        LedgerEntry.objects.filter(registry=CHAIN_LOG, topic=MEMBERSHIP_TOPIC).values_list(
            "originator_id", "seq"
        )
    )
    states = ConsensusEvent.objects.filter(
        originator_id__in=list(seqs), originator_version=1
    ).values_list("originator_id", "state")
    return sorted(
        (Entry(seqs[originator], json.loads(bytes(state))) for originator, state in states),
        key=lambda entry: entry.seq,
    )


_REPLAYED: dict[tuple[str, str], tuple[tuple[tuple[int, int, str], ...], MemberLog]] = {}
"""The last replay per (database, chain) and the entries it replayed with their
sealing blocks: the host asks for the lists at every proposal and
finalization, and the entries' signatures need checking only when they changed."""


def sealed_at(seq: int, last: int) -> int:
    """The height of the block sealing chain-log entry ``seq`` (the next one,
    ``last + 1``, while none of the blocks up to ``last`` does)."""
    # The first block reaching ``seq`` has the smallest such size, read off the
    # (registry, size, block) index however long the chain.
    first = (
        BlockLog.objects.filter(registry=CHAIN_LOG, size__gte=seq)
        .order_by("size", "block_id")
        .values_list("block__height", "size")
        .first()
    )
    return sealing_height(seq, [first] if first is not None else [(last, 0)])


def entry_originator(record: Mapping[str, Any]) -> UUID:
    """The originator id of a membership entry in the chain log: a node finds the
    entry's seq (and so the block sealing it) among its leaves by it."""
    return chainlog.event_id(
        "membership", int(record["height"]), change_digest(record["change"]).hex()
    )


def recorded_log() -> MemberLog:
    """The member lists replayed from the chain log (not ``started`` before a genesis).

    Each entry applies as the block that seals it makes it (deterministic
    activation, docs/chain-format.md): a late entry from a later epoch start.
    A copy: the caller may apply a change to it without touching the cache.
    """
    found = entries()
    last = last_block()
    key = (str(connection.settings_dict["NAME"]), settings.RIIK_CHAIN_ID)
    # The canonical payloads identify the entries (a rolled-back entry's seq may
    # be reused by another).
    replayed = tuple(
        (entry.seq, sealed_at(entry.seq, last), json.dumps(entry.record, sort_keys=True))
        for entry in found
    )
    cached = _REPLAYED.get(key)
    if cached is not None and cached[0] == replayed:
        return copy.deepcopy(cached[1])
    log = _replay(found, [sealing for _, sealing, _ in replayed])
    _REPLAYED[key] = (replayed, copy.deepcopy(log))
    return log


def _replay(found: Sequence[Entry], sealing: Sequence[int | None]) -> MemberLog:
    """The replay of ``found``, each entry sealed at its ``sealing`` height (None: in time)."""
    log = MemberLog(settings.RIIK_CHAIN_ID)
    for entry, sealed in zip(found, sealing, strict=True):
        where = f"registry {CHAIN_LOG} seq {entry.seq}"
        try:
            log.apply(entry.record, where, sealed_at=sealed)
        except MemberLogError as error:
            # Only a tampered log gets here: nothing is signed on top of it.
            raise MemberLogError(f"{where}: {error}") from None
    return log


def follow_sealing() -> bool:
    """Make the member rows (the header's history) state the ranges of entries
    sealed late; True when rows changed.

    A cluster's entry is recorded with the ranges of its ``from_height``; when
    the block sealing it comes after that block, it applies from a later
    epoch start (:func:`recorded_log`), and the keys it touches get the ranges
    that replay gives. Idempotent; the cluster host calls it as blocks come in.
    Must run inside ``transaction.atomic()``.
    """
    found = entries()
    last = last_block()
    sealing = [sealed_at(entry.seq, last) for entry in found]
    late = tuple(
        (entry.seq, sealed)
        for entry, sealed in zip(found, sealing, strict=True)
        if entry.kind != "genesis" and sealed > int(entry.record["from_height"])
    )
    key = (str(connection.settings_dict["NAME"]), settings.RIIK_CHAIN_ID)
    if not late or _FOLLOWED.get(key) == late:
        return False
    serialize_with_sealing()  # as a recorded change does, before the rows change
    in_time = _replay(found, [None] * len(found)).history()
    log = _replay(found, sealing)
    deferred = log.history()
    mirror = Validator.objects.filter(tier="supernode").exists()
    for name in sorted(in_time.keys() | deferred.keys()):
        if in_time.get(name) != deferred.get(name):
            _set_rows(log, name, in_time.get(name, ()), deferred.get(name, ()), mirror)
    _FOLLOWED[key] = late
    return True


_FOLLOWED: dict[tuple[str, str], tuple[tuple[int, int], ...]] = {}
"""Per (database, chain), the late entries and sealing heights the rows follow."""


def _set_rows(
    log: MemberLog,
    name: tuple[str, str, bytes],
    in_time: Sequence[tuple[int, int | None]],
    deferred: Sequence[tuple[int, int | None]],
    mirror: bool,
) -> None:
    """Make the rows of one key state ``deferred`` (they stated ``in_time``, or an
    earlier deferral). A first range that deferral did not move keeps its row's
    first block: a chain whose genesis came after its first blocks lists its
    keys from there."""
    tier, member, kid = name
    public = log.public_key(tier, member, kid)
    assert public is not None
    kept: int | None = None
    if in_time and deferred and in_time[0][0] == deferred[0][0]:
        kept = (
            _rows(tier, member, kid.hex(), mirror)[0]
            .order_by("added_at_height")
            .values_list("added_at_height", flat=True)
            .first()
        )
    for rows in _rows(tier, member, kid.hex(), mirror):
        rows.delete()
    for index, (start, end) in enumerate(deferred):
        first = kept if index == 0 and kept is not None else start
        _create_row(tier, member, public, kid.hex(), first, end, mirror)


SEALING_LOCK = 0x7269696B_6D656D62
"""PostgreSQL advisory lock key (``riikmemb``) shared by sealing and recording."""


def serialize_with_sealing() -> None:
    """Take the lock that orders membership changes and new blocks (until commit).

    A change applies from the block after the last one; sealing a block and
    recording a change in the same moment could otherwise each read the same
    last block, and the block would miss the change it must already obey.
    On PostgreSQL both take this transaction-scoped advisory lock first; on
    SQLite every transaction is IMMEDIATE and holds the write lock already.
    Must run inside ``transaction.atomic()``.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [SEALING_LOCK])


def last_block() -> int:
    """The height of the last sealed block (0 before the first)."""
    return Block.objects.order_by("-height").values_list("height", flat=True).first() or 0


# --- recording ------------------------------------------------------------------


def certify(
    change: Mapping[str, object], height: int, signers: Sequence[Signer]
) -> list[dict[str, object]]:
    """The ``membership`` votes of ``signers`` on ``change`` at ``height``, as records."""
    digest = change_digest(change)
    return [
        Vote.sign(
            signer,
            chain_id=settings.RIIK_CHAIN_ID,
            tier="supernode",
            kind="membership",
            height=height,
            round=0,
            block_hash=digest,
        ).to_record()
        for signer in signers
    ]


def append_change(
    log: MemberLog,
    change: Mapping[str, object],
    height: int,
    from_height: int,
    votes: Sequence[Mapping[str, object]],
    *,
    sync: bool = True,
) -> Recorded:
    """Check the change on ``log``, append its entry and update the member rows.

    Must run inside ``transaction.atomic()``.
    """
    record = entry_record(
        chain_id=settings.RIIK_CHAIN_ID,
        change=change,
        height=height,
        from_height=from_height,
        certificate=votes,
    )
    before = log.history()
    try:
        description = log.apply(record, "this change")
    except MemberLogError as error:
        raise MembershipCommandError(str(error)) from None
    entry = chainlog.append(entry_originator(record), MEMBERSHIP_TOPIC, record)
    if sync:
        _sync_rows(log, before, log.history())
    last = last_block()
    if change["type"] != "genesis" and last >= from_height:
        # A block sealed meanwhile would already need the new lists (a
        # genesis is recorded by the finalizer of its first block).
        raise MembershipCommandError(
            f"block {last} was sealed while the change was recorded; run it again"
        )
    return Recorded(
        entry.seq,
        str(change["type"]),
        height,
        from_height,
        tuple(sorted({str(vote["signer"]) for vote in votes})),
        description.replace("this change", f"registry {CHAIN_LOG} seq {entry.seq}"),
    )


def _sync_rows(
    log: MemberLog,
    before: Mapping[tuple[str, str, bytes], tuple[tuple[int, int | None], ...]],
    after: Mapping[tuple[str, str, bytes], tuple[tuple[int, int | None], ...]],
) -> None:
    """Make the member rows state the key ranges the change gave (the header's history).

    A change only opens ranges, closes open ones, or drops a range it opened
    in the same epoch (never signed for), so rows are created, closed or deleted.
    """
    mirror = Validator.objects.filter(tier="supernode").exists()
    for (tier, name, kid), spans in after.items():
        old = dict(before.get((tier, name, kid), ()))
        for start, end in spans:
            if start not in old:
                public = log.public_key(tier, name, kid)
                assert public is not None
                _create_row(tier, name, public, kid.hex(), start, end, mirror)
            elif old[start] != end:
                for rows in _rows(tier, name, kid.hex(), mirror):
                    rows.filter(until_height__isnull=True).update(until_height=end)
    for (tier, name, kid), spans in before.items():
        kept = {start for start, _ in after.get((tier, name, kid), ())}
        for start, _ in spans:
            if start not in kept:
                for rows in _rows(tier, name, kid.hex(), mirror):
                    rows.filter(added_at_height=start).delete()


def _rows(
    tier: str, name: str, key_id: str, mirror: bool
) -> list[QuerySet[Supernode] | QuerySet[Validator]]:
    """The rows of one key: ``Supernode`` (and its ``Validator`` mirror) or ``Validator``."""
    validators = Validator.objects.filter(tier=tier, name=name, key_id=key_id)
    if tier != "supernode":
        return [validators]
    supernodes = Supernode.objects.filter(name=name, key_id=key_id)
    return [supernodes, validators] if mirror else [supernodes]


def _create_row(
    tier: str, name: str, public: bytes, key_id: str, start: int, end: int | None, mirror: bool
) -> None:
    if tier == "supernode":
        Supernode.objects.create(
            name=name, public_key=public, key_id=key_id, added_at_height=start, until_height=end
        )
    if tier != "supernode" or mirror:
        Validator.objects.create(
            tier=tier,
            name=name,
            public_key=public,
            key_id=key_id,
            added_at_height=start,
            until_height=end,
        )


# --- the genesis ----------------------------------------------------------------


def is_recorded() -> bool:
    """True once a membership entry (the genesis first) is in the chain log."""
    return LedgerEntry.objects.filter(registry=CHAIN_LOG, topic=MEMBERSHIP_TOPIC).exists()


def _genesis_change(
    tiers: Mapping[str, Sequence[NodeKey]], citizen_threshold: int
) -> dict[str, object]:
    """The genesis of these members; epochs of one block (a change applies to the next)."""
    citizens = tiers.get("citizen", ())
    return Genesis(
        supernodes=tuple(MemberKey(k.name, k.public_bytes) for k in tiers["supernode"]),
        witnesses=tuple(MemberKey(k.name, k.public_bytes) for k in tiers.get("witness", ())),
        citizens=tuple(MemberKey(k.name, k.public_bytes) for k in citizens),
        citizen_threshold=max(1, min(citizen_threshold, len(citizens))),
        board_size=settings.RIIK_WITNESSES,
        epoch_length=1,
    ).record()


def _first_height(tiers: Mapping[str, Sequence[NodeKey]]) -> int:
    """The first block every listed key signs for, from the rows the finalizer made."""
    heights = [1]
    for tier, keys in tiers.items():
        for key in keys:
            rows = _rows(tier, key.name, key.key_id.hex(), mirror=False)[0]
            heights += rows.filter(until_height__isnull=True).values_list(
                "added_at_height", flat=True
            )
    return max(heights)


def record_genesis(
    tiers: Mapping[str, Sequence[NodeKey]], citizen_threshold: int
) -> Recorded | None:
    """Record the first member lists (signed by all their supernodes), once.

    Called by a finalizer after it registered its members' rows, inside the
    transaction of the block it signs; a no-op when a genesis is recorded.
    """
    if is_recorded():
        return None
    change = _genesis_change(tiers, citizen_threshold)
    start = _first_height(tiers)
    signers = [Signer.from_node_key(key) for key in tiers["supernode"]]
    return append_change(
        MemberLog(settings.RIIK_CHAIN_ID),
        change,
        start - 1,
        start,
        certify(change, start - 1, signers),
        sync=False,
    )


def adopt(
    tiers: Mapping[str, Sequence[NodeKey]], citizen_threshold: int, height: int
) -> MemberLog | None:
    """The recorded membership a finalizer signs block ``height`` with (None before a genesis).

    When these members include one the recorded lists never had (the
    consensus mode was switched), a new genesis of them is recorded first,
    from the first block that is not final yet, certified by the outgoing
    supernodes of the block before it
    whose keys this process holds and by the incoming ones; without that
    quorum it raises :class:`MembershipCommandError` and nothing is signed.
    """
    if not is_recorded():
        return None
    log = recorded_log()
    known = {name for members in log.members.values() for name in members}
    if all(key.name in known for keys in tiers.values() for key in keys):
        return log
    # The switch applies from the first block the outgoing members have not
    # made final: blocks they finalized keep their certificates and lists.
    pending = (
        Block.objects.filter(level__in=LEVEL_ORDER[: LEVEL_ORDER.index(FINAL)])
        .order_by("height")
        .values_list("height", flat=True)
        .first()
    )
    start = pending if pending is not None else last_block() + 1
    previous = start - 1
    signers = {
        (key.name, key.key_id): Signer.from_node_key(key)
        for key in [*held_keys(log, "supernode", previous), *tiers["supernode"]]
    }
    change = _genesis_change(tiers, citizen_threshold)
    append_change(log, change, previous, start, certify(change, previous, list(signers.values())))
    return log


def era_start() -> int:
    """The first block of the latest genesis (1 before any): blocks below it were
    finalized by the members of an earlier consensus mode."""
    starts = [entry.record.get("from_height") for entry in entries() if entry.kind == "genesis"]
    return starts[-1] if starts and isinstance(starts[-1], int) else 1
