"""Blocks, their per-registry log heads, signatures and checkpoints."""

from __future__ import annotations

from django.db import models

PROPOSED = "proposed"
COMMITTED = "committed"
FINAL = "final"
WITNESSED = "witnessed"

LEVEL_ORDER = (PROPOSED, COMMITTED, FINAL, WITNESSED)
"""Levels in the order a block reaches them (DESIGN.md section 4)."""


class Block(models.Model):
    """A sealed block: commits to the (size, root) of every registry log.

    ``height`` is the primary key, so two sealers racing for one height are
    settled by the database: the second insert fails.
    """

    LEVELS = [(level, level) for level in LEVEL_ORDER]

    height = models.BigIntegerField(primary_key=True)
    block_hash = models.BinaryField(max_length=32, unique=True)
    prev_hash = models.BinaryField(max_length=32)
    proposer = models.CharField(max_length=100)
    sealed_at = models.CharField(max_length=32)
    header = models.TextField(help_text="Canonical JSON of the header, as hashed")
    round = models.IntegerField(default=0)
    level = models.CharField(max_length=20, choices=LEVELS, default=PROPOSED, db_index=True)

    class Meta:
        app_label = "chain"
        ordering = ["-height"]

    def __str__(self) -> str:
        return f"block {self.height}"


class BlockLog(models.Model):
    """One registry log's (size, root) as committed by a block."""

    block = models.ForeignKey(Block, on_delete=models.PROTECT, related_name="logs")
    registry = models.CharField(max_length=32)
    size = models.BigIntegerField()
    root = models.BinaryField(max_length=32)

    class Meta:
        app_label = "chain"
        constraints = [
            models.UniqueConstraint(fields=["block", "registry"], name="block_log_unique")
        ]
        indexes = [models.Index(fields=["registry", "size"], name="block_log_size")]

    def __str__(self) -> str:
        return f"{self.block_id}/{self.registry}@{self.size}"


class Supernode(models.Model):
    """A tier-1 node whose signatures make blocks final."""

    name = models.CharField(max_length=100, unique=True)
    public_key = models.BinaryField(max_length=32)
    key_id = models.CharField(max_length=8)
    added_at_height = models.BigIntegerField(default=1)

    class Meta:
        app_label = "chain"

    def __str__(self) -> str:
        return self.name


class Validator(models.Model):
    """A member of one consensus tier (``witness``, ``supernode`` or ``citizen``)."""

    tier = models.CharField(max_length=20)
    name = models.CharField(max_length=100)
    public_key = models.BinaryField(max_length=32)
    key_id = models.CharField(max_length=8)
    added_at_height = models.BigIntegerField(default=1)

    class Meta:
        app_label = "chain"
        constraints = [models.UniqueConstraint(fields=["tier", "name"], name="validator_unique")]

    def __str__(self) -> str:
        return f"{self.tier} {self.name}"


class SignedHeight(models.Model):
    """A supernode's last finalize vote: it never signs another block at that height."""

    node = models.CharField(max_length=100, unique=True)
    height = models.BigIntegerField()
    block_hash = models.BinaryField(max_length=32)

    class Meta:
        app_label = "chain"

    def __str__(self) -> str:
        return f"{self.node} signed height {self.height}"


class BlockSignature(models.Model):
    """A node's Ed25519 signature over a block's vote message."""

    block = models.ForeignKey(Block, on_delete=models.PROTECT, related_name="signatures")
    tier = models.CharField(max_length=20)
    kind = models.CharField(max_length=20)
    round = models.IntegerField(default=0)
    signer = models.CharField(max_length=100)
    key_id = models.CharField(max_length=8)
    alg = models.CharField(max_length=20, default="ed25519")
    signature = models.BinaryField(max_length=64)

    class Meta:
        app_label = "chain"
        constraints = [
            # One vote per node, block, tier, kind and round.
            models.UniqueConstraint(
                fields=["block", "tier", "kind", "round", "signer"], name="one_vote_per_node"
            )
        ]

    def __str__(self) -> str:
        return f"{self.signer} on block {self.block_id}"


class Checkpoint(models.Model):
    """A C2SP signed checkpoint of one registry log at one block."""

    block = models.ForeignKey(Block, on_delete=models.PROTECT, related_name="checkpoints")
    registry = models.CharField(max_length=32)
    note = models.TextField()

    class Meta:
        app_label = "chain"
        constraints = [
            models.UniqueConstraint(fields=["block", "registry"], name="checkpoint_unique")
        ]

    def __str__(self) -> str:
        return f"checkpoint {self.registry} @ block {self.block_id}"
