"""Rotating the local supernode's key as a certified membership event on the chain.

The change ("from height h, supernode X signs with key K2 instead of K1") is
signed by the supernodes of the current height, which for a single local
supernode is the old key alone, and appended to the chain's own log
(:mod:`chain.ledger.chainlog`); the old key's validity ends at the last
block, the new key's starts at the next. Blocks signed with the old key keep
verifying: the bundle lists each key with its heights (docs/chain-format.md).
A network of supernodes rotates through a quorum-certified
:class:`chain.consensus.membership.RotateKey` instead.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction

from chain.blocks import finality
from chain.blocks.models import Block, Supernode, Validator
from chain.blocks.sealing import finalize_pending
from chain.encoding import canonical
from chain.keys import NodeKey, key_path
from chain.ledger import chainlog

ROTATE_TOPIC = "chain.consensus.membership:RotateKey"
"""Topic of a key rotation in the chain log."""


class RotationError(RuntimeError):
    """The key cannot be rotated here (see the message)."""


@dataclass(frozen=True)
class Rotation:
    """What a rotation did: the node, its old and new key ids and the first height of the new."""

    name: str
    old_key_id: str
    new_key_id: str
    from_height: int
    entry_seq: int


def rotation_change(
    name: str, old_key_id: str, new: NodeKey, from_height: int
) -> dict[str, object]:
    """The signed statement of a rotation (what the certificate's signatures cover)."""
    return {
        "change": "rotate-key",
        "chain_id": settings.RIIK_CHAIN_ID,
        "tier": "supernode",
        "name": name,
        "old_key_id": old_key_id,
        "public_key": new.public_bytes.hex(),
        "key_id": new.key_id.hex(),
        "from_height": from_height,
    }


def rotate_local_key() -> Rotation:
    """Give this (single, local) supernode a new key from the next block on."""
    if settings.RIIK_CONSENSUS != "local":
        raise RotationError("only RIIK_CONSENSUS=local rotates its own key here")
    finalize_pending()  # every block the old key must sign is signed first
    old = finality.node_key()
    new = NodeKey.generate(old.name)
    directory = settings.RIIK_KEYS_DIR
    # The new key is on disk before the change commits, and moved into place
    # only after: a crash in between leaves the old key with the old membership.
    staged = directory / f".{old.name}.{secrets.token_hex(8)}.next"
    fd = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(new.pem())
        handle.flush()
        os.fsync(handle.fileno())
    try:
        with transaction.atomic():
            current = (
                Supernode.objects.select_for_update()
                .filter(name=old.name, until_height__isnull=True)
                .first()
            )
            if current is None or bytes(current.public_key) != old.public_bytes:
                raise RotationError(f"supernode {old.name} has not signed with this key yet")
            if Supernode.objects.filter(until_height__isnull=True).count() != 1:
                raise RotationError(
                    "other supernodes are members: a rotation needs their quorum certificate"
                )
            last = Block.objects.order_by("-height").values_list("height", flat=True).first() or 0
            change = rotation_change(old.name, old.key_id.hex(), new, last + 1)
            certificate = [
                {
                    "signer": old.name,
                    "key_id": old.key_id.hex(),
                    "alg": "ed25519",
                    "signature": old.sign(canonical(change)).hex(),
                }
            ]
            entry = chainlog.append(
                chainlog.event_id("rotate-key", old.name, new.key_id.hex()),
                ROTATE_TOPIC,
                {**change, "certificate": certificate},
            )
            current.until_height = last
            current.save(update_fields=["until_height"])
            Supernode.objects.create(
                name=old.name,
                public_key=new.public_bytes,
                key_id=new.key_id.hex(),
                added_at_height=last + 1,
            )
            Validator.objects.filter(
                tier="supernode", name=old.name, until_height__isnull=True
            ).update(until_height=last)
            path = key_path(directory, old.name)
            retired = directory / f"{old.name}.{old.key_id.hex()}.retired"
            transaction.on_commit(lambda: _swap_key_files(path, retired, staged))
    except BaseException:
        staged.unlink(missing_ok=True)
        raise
    return Rotation(old.name, old.key_id.hex(), new.key_id.hex(), last + 1, entry.seq)


def _swap_key_files(
    path: os.PathLike[str], retired: os.PathLike[str], staged: os.PathLike[str]
) -> None:
    os.replace(path, retired)
    os.replace(staged, path)
    finality.forget_keys()
