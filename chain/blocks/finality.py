"""Making a sealed block final.

The consensus of DESIGN.md section 4 will take this over; until then one local
supernode signs every block, which makes it final with a quorum of one. The
rest of the code only talks to :class:`Finalizer`, so swapping the
implementation changes nothing else.
"""

from __future__ import annotations

from functools import cache
from typing import Protocol

from django.conf import settings
from django.db import transaction

from chain import notes
from chain.blocks.models import FINAL, Block, BlockSignature, Checkpoint, Supernode
from chain.encoding import vote_message
from chain.keys import NodeKey, load_or_create_node_key

SUPERNODE_TIER = "supernode"
FINALIZE_KIND = "finalize"


def quorum(members: int) -> int:
    """Signatures needed among ``members = 3F + 1`` supernodes: ``2F + 1``."""
    faulty = (members - 1) // 3
    return members - faulty


def checkpoint_origin(registry: str) -> str:
    """The C2SP origin line of a registry log, e.g. ``riik.example/business``."""
    return f"{settings.RIIK_ORIGIN_PREFIX}/{registry}"


class Finalizer(Protocol):
    """Brings a sealed block to finality (idempotent)."""

    def finalize(self, block: Block) -> None: ...


class LocalSupernodeFinalizer:
    """This node as the only supernode: signs the block and its checkpoints."""

    def __init__(self, key: NodeKey) -> None:
        self.key = key

    def register(self, height: int) -> Supernode:
        """Record this node's public key the first time it signs."""
        supernode, _ = Supernode.objects.get_or_create(
            name=self.key.name,
            defaults={
                "public_key": self.key.public_bytes,
                "key_id": self.key.key_id.hex(),
                "added_at_height": height,
            },
        )
        if bytes(supernode.public_key) != self.key.public_bytes:
            msg = f"supernode {self.key.name} is registered with another key"
            raise RuntimeError(msg)
        return supernode

    def finalize(self, block: Block) -> None:
        """Sign ``block`` and its checkpoints; mark it final once a quorum signed."""
        with transaction.atomic():
            block = Block.objects.select_for_update().get(height=block.height)
            if block.level == FINAL:
                return
            self.register(block.height)
            message = vote_message(
                chain_id=settings.RIIK_CHAIN_ID,
                tier=SUPERNODE_TIER,
                kind=FINALIZE_KIND,
                height=block.height,
                round=block.round,
                block_hash=bytes(block.block_hash),
            )
            BlockSignature.objects.get_or_create(
                block=block,
                tier=SUPERNODE_TIER,
                kind=FINALIZE_KIND,
                round=block.round,
                signer=self.key.name,
                defaults={
                    "key_id": self.key.key_id.hex(),
                    "alg": "ed25519",
                    "signature": self.key.sign(message),
                },
            )
            for log in block.logs.all():
                body = notes.checkpoint_body(
                    checkpoint_origin(log.registry), log.size, bytes(log.root)
                )
                Checkpoint.objects.get_or_create(
                    block=block,
                    registry=log.registry,
                    defaults={"note": self.key.sign_note(body)},
                )
            signed = block.signatures.filter(tier=SUPERNODE_TIER, kind=FINALIZE_KIND).count()
            if signed >= quorum(Supernode.objects.count()):
                block.level = FINAL
                block.save(update_fields=["level"])


@cache
def node_key() -> NodeKey:
    """This node's key, generated into ``RIIK_KEYS_DIR`` on first use."""
    return load_or_create_node_key(settings.RIIK_KEYS_DIR, settings.RIIK_NODE_NAME)


def finalizer() -> Finalizer:
    """The finalizer this node runs."""
    return LocalSupernodeFinalizer(node_key())
