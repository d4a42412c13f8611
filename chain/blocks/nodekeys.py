"""The member keys this process holds, from the key files in ``RIIK_KEYS_DIR``.

:mod:`chain.keys` is the key file format (PEM, key ids, retired and next
keys); this module decides which of those files are this node's: its own
key (``RIIK_NODE_NAME``), the simulated members of a devnet, the members of
a recorded membership whose files are here, and a cluster node's keys
across certified rotations.
"""

from __future__ import annotations

import logging
from functools import cache
from pathlib import Path

from django.conf import settings

from chain import notes
from chain.consensus.crypto import KeyRing, Signer
from chain.consensus.memberview import MemberView
from chain.keys import (
    KeyFileError,
    NodeKey,
    key_path,
    load_next_key,
    load_node_key,
    load_or_create_node_key,
)
from chain.memberlog import TIERS, MemberLog

__all__ = [
    "forget_keys",
    "held_keys",
    "held_tiers",
    "key_at",
    "node_key",
    "rotated_keys",
    "signer_of",
    "tier_keys",
]

log = logging.getLogger(__name__)


@cache
def _key(directory: str, name: str) -> NodeKey:
    return load_or_create_node_key(Path(directory), name)


def forget_keys() -> None:
    """Drop the keys loaded so far (after a key rotation replaced a key file)."""
    _key.cache_clear()


def node_key() -> NodeKey:
    """This node's key, generated into ``RIIK_KEYS_DIR`` on first use."""
    return _key(str(settings.RIIK_KEYS_DIR), settings.RIIK_NODE_NAME)


def tier_keys(tier: str, count: int) -> list[NodeKey]:
    """Keys of the simulated members ``<tier>-1`` .. ``<tier>-<count>``."""
    return [_key(str(settings.RIIK_KEYS_DIR), f"{tier}-{i}") for i in range(1, count + 1)]


def held_keys(log: MemberLog, tier: str, height: int) -> list[NodeKey]:
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
    keys = {tier: held_keys(log, tier, height) for tier in TIERS}
    sizes = {tier: len({name for name, _ in log.keys_at(tier, height)}) for tier in TIERS}
    return keys, sizes


def rotated_keys(key: NodeKey, view: MemberView, tier: str) -> list[tuple[int, NodeKey]]:
    """A cluster node's keys, each from the first block it signs (rotations certified).

    A rotated key is read from ``RIIK_KEYS_DIR/<name>.<key id>.pem``; a missing
    one is logged and skipped, so the node keeps signing with the key it has.
    """
    keys = [(1, key)]
    for start, public in view.key_starts(tier, key.name):
        key_id = notes.key_id(key.name, public)
        if key_id == keys[-1][1].key_id:
            continue
        found = load_next_key(Path(settings.RIIK_KEYS_DIR), key.name, key_id)
        if found is None:
            log.error(
                "%s: no private key %s for blocks from %d (RIIK_KEYS_DIR/%s.%s.pem)",
                key.name,
                key_id.hex(),
                start,
                key.name,
                key_id.hex(),
            )
            continue
        keys.append((start, found))
    return keys


def signer_of(keys: list[tuple[int, NodeKey]]) -> Signer:
    """The signer of :func:`rotated_keys`: each block signed with the key valid at it."""
    if len(keys) == 1:
        return Signer.from_node_key(keys[0][1])
    return KeyRing([(start, Signer.from_node_key(key)) for start, key in keys])


def key_at(keys: list[tuple[int, NodeKey]], height: int) -> NodeKey:
    """Of :func:`rotated_keys`, the key that signs block ``height``."""
    chosen = keys[0][1]
    for start, key in keys:
        if start <= height:
            chosen = key
    return chosen
