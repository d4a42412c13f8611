"""Membership changes certified by a supernode quorum, recorded in the chain log.

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

The quorum is collected in this process: in ``local`` mode the node's own
key (the single supernode is its own quorum), in ``devnet`` every supernode
key this process holds. A cluster host holds no supernode key: the supernode
nodes certify its changes over the broker (:mod:`chain.blocks.quorum`).
"""

from __future__ import annotations

import copy
import json
import logging
import os
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from django.conf import settings
from django.db import connection, transaction
from django.db.models import QuerySet

from chain.blocks.models import FINAL, LEVEL_ORDER, Block, Supernode, Validator
from chain.consensus.crypto import Signer
from chain.consensus.membership import (
    DelegateVote,
    ElectBoard,
    Genesis,
    MemberKey,
    RegisterEnterprise,
    RevokeKey,
    RotateKey,
)
from chain.consensus.messages import Tier, Vote
from chain.keys import KeyFileError, NodeKey, key_path, load_node_key, load_or_create_node_key
from chain.ledger import chainlog
from chain.ledger.models import ConsensusEvent, LedgerEntry
from chain.memberlog import (
    MemberLog,
    MemberLogError,
    change_digest,
    entry_record,
)
from chain.protocol import CHAIN_LOG, MEMBERSHIP_TOPIC

__all__ = [
    "Entry",
    "MembershipCommandError",
    "Recorded",
    "adopt",
    "delegate",
    "elect_board",
    "entries",
    "era_start",
    "held_tiers",
    "last_block",
    "record_cluster_genesis",
    "record_genesis",
    "recorded_log",
    "register_enterprise",
    "revoke_key",
    "rotate_key",
    "serialize_with_sealing",
]

TIERS = ("supernode", "witness", "citizen")
DEFAULT_TIMEOUT = 30.0
"""Seconds a cluster's supernodes have to certify an operator's change."""
logger = logging.getLogger(__name__)


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


def entries() -> list[Entry]:
    """The membership entries of the chain log, in log order."""
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


_REPLAYED: dict[tuple[str, str], tuple[tuple[tuple[int, str], ...], MemberLog]] = {}
"""The last replay per (database, chain) and the entries it replayed: the host
asks for the lists at every proposal and finalization, and the entries'
signatures need checking only when they changed."""


def recorded_log() -> MemberLog:
    """The member lists replayed from the chain log (not ``started`` before a genesis).

    A copy: the caller may apply a change to it without touching the cache.
    """
    found = entries()
    key = (str(connection.settings_dict["NAME"]), settings.RIIK_CHAIN_ID)
    # The canonical payloads identify the entries (a rolled-back entry's seq may
    # be reused by another).
    replayed = tuple((entry.seq, json.dumps(entry.record, sort_keys=True)) for entry in found)
    cached = _REPLAYED.get(key)
    if cached is not None and cached[0] == replayed:
        return copy.deepcopy(cached[1])
    log = MemberLog(settings.RIIK_CHAIN_ID)
    for entry in found:
        where = f"registry {CHAIN_LOG} seq {entry.seq}"
        try:
            log.apply(entry.record, where)
        except MemberLogError as error:
            # Only a tampered log gets here: nothing is signed on top of it.
            raise MemberLogError(f"{where}: {error}") from None
    _REPLAYED[key] = (replayed, copy.deepcopy(log))
    return log


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


def _votes(
    change: Mapping[str, object], height: int, signers: Sequence[Signer]
) -> list[dict[str, object]]:
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


def _append(
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
    digest = change_digest(change).hex()
    entry = chainlog.append(
        chainlog.event_id("membership", height, digest), MEMBERSHIP_TOPIC, record
    )
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


def _recorded() -> bool:
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
    if _recorded():
        return None
    change = _genesis_change(tiers, citizen_threshold)
    start = _first_height(tiers)
    signers = [Signer.from_node_key(key) for key in tiers["supernode"]]
    return _append(
        MemberLog(settings.RIIK_CHAIN_ID),
        change,
        start - 1,
        start,
        _votes(change, start - 1, signers),
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
    if not _recorded():
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
        for key in [*_held_keys(log, "supernode", previous), *tiers["supernode"]]
    }
    change = _genesis_change(tiers, citizen_threshold)
    _append(log, change, previous, start, _votes(change, previous, list(signers.values())))
    return log


def era_start() -> int:
    """The first block of the latest genesis (1 before any): blocks below it were
    finalized by the members of an earlier consensus mode."""
    starts = [entry.record.get("from_height") for entry in entries() if entry.kind == "genesis"]
    return starts[-1] if starts and isinstance(starts[-1], int) else 1


def record_cluster_genesis(path: str) -> Recorded | None:
    """Record a cluster's genesis file (its supernodes' votes included), once.

    The cluster host calls this where it registers the genesis members'
    rows (:func:`chain.blocks.cluster.register_members`), in its transaction.
    """
    from chain.blocks.genesis import read_genesis

    if _recorded():
        return None
    chain_id, certificate = read_genesis(Path(path))
    if chain_id != settings.RIIK_CHAIN_ID:
        # Its votes would not verify in this chain's bundles; the blocks the
        # nodes sign name the genesis's chain too, which the verifier reports.
        logger.warning(
            "genesis file is for chain %r, not RIIK_CHAIN_ID %r: not recorded",
            chain_id,
            settings.RIIK_CHAIN_ID,
        )
        return None
    return _append(
        MemberLog(chain_id),
        certificate.change.record(),
        certificate.height,
        certificate.height + 1,
        [vote.to_record() for vote in certificate.votes],
        sync=False,
    )


# --- the keys this process holds ------------------------------------------------


def _held_keys(log: MemberLog, tier: str, height: int) -> list[NodeKey]:
    """The keys of ``tier`` valid at ``height`` whose key files are in ``RIIK_KEYS_DIR``."""
    held = []
    for name, kid in sorted(log.keys_at(tier, height)):
        try:
            if not key_path(settings.RIIK_KEYS_DIR, name).exists():
                continue
            key = load_node_key(settings.RIIK_KEYS_DIR, name)
        except KeyFileError:
            continue
        if key.key_id == kid:
            held.append(key)
    return held


def held_tiers(log: MemberLog, height: int) -> tuple[dict[str, list[NodeKey]], dict[str, int]]:
    """For the devnet: the keys it holds of each tier's members at ``height`` (the
    witnesses are the board) and each tier's full size, for the quorums."""
    keys = {tier: _held_keys(log, tier, height) for tier in TIERS}
    sizes = {tier: len({name for name, _ in log.keys_at(tier, height)}) for tier in TIERS}
    return keys, sizes


def _signers(log: MemberLog, height: int) -> list[Signer]:
    """The supernode quorum this process can collect for a change at ``height``."""
    if settings.RIIK_CONSENSUS == "local":
        from chain.blocks.finality import node_key

        own = node_key()
        valid = (own.name, own.key_id) in log.keys_at("supernode", height)
        return [Signer.from_node_key(own)] if valid else []
    return [Signer.from_node_key(key) for key in _held_keys(log, "supernode", height)]


# --- operator changes -----------------------------------------------------------


def _begin() -> MemberLog:
    """The recorded membership, this node's genesis recorded first when there is none."""
    serialize_with_sealing()
    if not _recorded():
        from chain.blocks.finality import finalizer

        finalizer().register(last_block() + 1)
    return recorded_log()


def _record_change(log: MemberLog, change: Mapping[str, object]) -> Recorded:
    height, start = log.next_height(last_block())
    return _append(log, change, height, start, _votes(change, height, _signers(log, height)))


Build = Callable[[MemberLog], Mapping[str, object]]
"""Makes a change of the recorded lists (raising :class:`MembershipCommandError`)."""


def _record(build: Build, timeout: float) -> Recorded:
    """Record the change ``build`` makes: certified by this process's supernode
    keys, or in a cluster by the supernode nodes (:mod:`chain.blocks.quorum`)."""
    if settings.RIIK_CONSENSUS == "cluster":
        from chain.blocks.quorum import record_by_quorum

        return record_by_quorum(build, timeout)
    with transaction.atomic():
        log = _begin()
        return _record_change(log, build(log))


def _check_tier(tier: str) -> Tier:
    if tier not in TIERS:
        raise MembershipCommandError(f"unknown tier {tier!r} (one of {', '.join(TIERS)})")
    return cast(Tier, tier)


def register_enterprise(
    name: str, public_key: bytes | None = None, *, timeout: float = DEFAULT_TIMEOUT
) -> Recorded:
    """Register an enterprise (a voter and board candidate) with its public key.

    Without ``public_key`` the enterprise's key is this process's key file
    ``RIIK_KEYS_DIR/<name>.pem`` (created if missing), so a devnet can run it.
    ``timeout``: seconds a cluster's supernodes have to certify it.
    """

    def build(log: MemberLog) -> Mapping[str, object]:
        if name in log.members["witness"]:
            raise MembershipCommandError(f"enterprise {name} is already registered")
        key = public_key
        if key is None:
            try:
                key = load_or_create_node_key(settings.RIIK_KEYS_DIR, name).public_bytes
            except KeyFileError as error:
                raise MembershipCommandError(str(error)) from None
        return RegisterEnterprise(name, key).record()

    return _record(build, timeout)


def delegate(voter: str, candidate: str, *, timeout: float = DEFAULT_TIMEOUT) -> Recorded:
    """Record that enterprise ``voter`` gives its vote to ``candidate`` (the latest counts)."""
    return _record(lambda log: DelegateVote(voter, candidate).record(), timeout)


def elect_board(*, timeout: float = DEFAULT_TIMEOUT) -> Recorded:
    """Record the board the delegated votes elect (top ``board_size``), from the next epoch."""

    def build(log: MemberLog) -> Mapping[str, object]:
        board = log.elect()
        if not board:
            raise MembershipCommandError(
                "no delegated votes between registered enterprises: the board would be empty"
            )
        if board == log.board:
            raise MembershipCommandError(
                f"the delegated votes elect the current board ({', '.join(board)}): "
                "nothing to record"
            )
        return ElectBoard(board).record()

    return _record(build, timeout)


def _final_up_to_now() -> None:
    """Sign every sealed block with the current keys first, or refuse."""
    from chain.blocks.sealing import finalize_all

    finalize_all()
    pending = (
        Block.objects.filter(level__in=LEVEL_ORDER[: LEVEL_ORDER.index(FINAL)])
        .order_by("height")
        .first()
    )
    if pending is not None:
        raise MembershipCommandError(
            f"block {pending.height} is not final yet: the current keys must sign it first"
        )


def rotate_key(
    tier: str, name: str, public_key: bytes | None = None, *, timeout: float = DEFAULT_TIMEOUT
) -> Recorded:
    """Give a member a new key from the next epoch on, certified by a supernode quorum.

    Without ``public_key`` a new key is generated for a member whose key
    file this process holds, and replaces that file once the change commits
    (the old one is kept as ``<name>.<old key id>.retired``). A cluster host
    holds no member keys: its operator gives the new public key, and the
    node reads the private key from ``RIIK_KEYS_DIR/<name>.<new key id>.pem``.
    """
    checked = _check_tier(tier)

    def build(log: MemberLog) -> Mapping[str, object]:
        if name not in log.members[tier]:
            raise MembershipCommandError(f"{tier} {name} does not exist")
        assert public_key is not None
        return RotateKey(checked, name, public_key).record()

    if settings.RIIK_CONSENSUS == "cluster":
        if public_key is None:
            raise MembershipCommandError(
                f"a cluster host holds no member keys: give {name}'s new public key "
                f"(its node reads the private key from RIIK_KEYS_DIR/{name}.<key id>.pem)"
            )
        return _record(build, timeout)
    directory = Path(settings.RIIK_KEYS_DIR)
    try:
        path = key_path(directory, name)
    except KeyFileError as error:
        raise MembershipCommandError(str(error)) from None
    _final_up_to_now()
    with transaction.atomic():
        if name not in _begin().members[tier]:
            raise MembershipCommandError(f"{tier} {name} does not exist")
    staged: Path | None = None
    old_key_id = ""
    if public_key is None:
        if not path.exists():
            raise MembershipCommandError(
                f"this process holds no key of {name}: give its new public key"
            )
        old_key_id = load_node_key(directory, name).key_id.hex()
        new = NodeKey.generate(name)
        public_key = new.public_bytes
        # The new key is on disk before the change commits and moved into
        # place only after: a crash in between leaves the old key with the old lists.
        staged = directory / f".{name}.{secrets.token_hex(8)}.next"
        fd = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(new.pem())
            handle.flush()
            os.fsync(handle.fileno())
    try:
        with transaction.atomic():
            log = _begin()
            done = _record_change(log, build(log))
            if staged is not None:
                retired = directory / f"{name}.{old_key_id}.retired"
                ready = staged
                transaction.on_commit(lambda: _swap_key_files(path, retired, ready))
    except BaseException:
        if staged is not None:
            staged.unlink(missing_ok=True)
        raise
    return done


def _swap_key_files(path: Path, retired: Path, staged: Path) -> None:
    from chain.blocks.finality import forget_keys

    os.replace(path, retired)
    os.replace(staged, path)
    forget_keys()


def revoke_key(
    tier: str, name: str, key_id: bytes | None = None, *, timeout: float = DEFAULT_TIMEOUT
) -> Recorded:
    """Stop a member's key (its current one by default) from signing from the next epoch on."""
    checked = _check_tier(tier)

    def build(log: MemberLog) -> Mapping[str, object]:
        member = log.members[tier].get(name)
        if member is None:
            raise MembershipCommandError(f"{tier} {name} does not exist")
        kid = key_id if key_id is not None else member.key_id
        if kid is None:
            raise MembershipCommandError(f"{tier} {name} has no current key")
        return RevokeKey(checked, name, kid).record()

    return _record(build, timeout)
