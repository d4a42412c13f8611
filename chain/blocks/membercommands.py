"""The operator's membership changes, certified by a supernode quorum.

``manage.py consensus register-enterprise | delegate | elect-board |
rotate-key | revoke-key`` (and ``manage.py chain rotate-key``) call these.
Each builds the change on the recorded lists and has it certified and
appended to the chain log (:mod:`chain.blocks.memberstore`). The quorum
depends on the consensus mode (:mod:`chain.blocks.mode`): in ``local`` mode
the node's own key (the single supernode is its own quorum), in ``devnet``
every supernode key this process holds; a cluster host holds no supernode
key, and the supernode nodes certify its changes over the broker
(:mod:`chain.blocks.cluster.quorum`).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import cast

from django.conf import settings
from django.db import transaction

from chain.blocks.cluster.quorum import DEFAULT_TIMEOUT, Build, record_by_quorum
from chain.blocks.finality import finalizer
from chain.blocks.memberstore import (
    MembershipCommandError,
    Recorded,
    append_change,
    certify,
    is_recorded,
    last_block,
    recorded_log,
    serialize_with_sealing,
)
from chain.blocks.mode import consensus_mode
from chain.blocks.models import FINAL, LEVEL_ORDER, Block
from chain.blocks.nodekeys import forget_keys, held_keys, node_key
from chain.blocks.sealing import finalize_all
from chain.consensus.crypto import Signer
from chain.consensus.membership import (
    DelegateVote,
    ElectBoard,
    RegisterEnterprise,
    RevokeKey,
    RotateKey,
)
from chain.consensus.messages import Tier
from chain.keys import KeyFileError, NodeKey, key_path, load_node_key, load_or_create_node_key
from chain.memberlog import TIERS, MemberLog

__all__ = [
    "delegate",
    "elect_board",
    "register_enterprise",
    "revoke_key",
    "rotate_key",
]


# --- the quorum this process collects -------------------------------------------


def _signers(log: MemberLog, height: int) -> list[Signer]:
    """The supernode quorum this process can collect for a change at ``height``."""
    if consensus_mode().single_supernode:
        own = node_key()
        valid = (own.name, own.key_id) in log.keys_at("supernode", height)
        return [Signer.from_node_key(own)] if valid else []
    return [Signer.from_node_key(key) for key in held_keys(log, "supernode", height)]


# --- operator changes -----------------------------------------------------------


def _begin() -> MemberLog:
    """The recorded membership, this node's genesis recorded first when there is none."""
    serialize_with_sealing()
    if not is_recorded():
        finalizer().register(last_block() + 1)
    return recorded_log()


def _record_change(log: MemberLog, change: Mapping[str, object]) -> Recorded:
    height, start = log.next_height(last_block())
    return append_change(log, change, height, start, certify(change, height, _signers(log, height)))


def _record(build: Build, timeout: float) -> Recorded:
    """Record the change ``build`` makes: certified by this process's supernode
    keys, or in a cluster by the supernode nodes (:mod:`chain.blocks.cluster.quorum`)."""
    if not consensus_mode().host_holds_supernode_keys:
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

    if not consensus_mode().host_holds_supernode_keys:
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
