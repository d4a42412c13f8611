"""Blocks, their per-registry log heads, signatures and checkpoints."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

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

    height = models.BigIntegerField(primary_key=True, verbose_name=_("height"))
    block_hash = models.BinaryField(max_length=32, unique=True, verbose_name=_("block hash"))
    prev_hash = models.BinaryField(max_length=32, verbose_name=_("prev hash"))
    proposer = models.CharField(max_length=100, verbose_name=_("proposer"))
    sealed_at = models.CharField(max_length=32, verbose_name=_("sealed at"))
    header = models.TextField(
        help_text="Canonical JSON of the header, as hashed", verbose_name=_("header")
    )
    round = models.IntegerField(default=0, verbose_name=_("round"))
    level = models.CharField(
        max_length=20, choices=LEVELS, default=PROPOSED, db_index=True, verbose_name=_("level")
    )
    final_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When this node first saw it final (its own clock; not in the header)",
        verbose_name=_("final at"),
    )

    class Meta:
        verbose_name = _("block")
        verbose_name_plural = _("blocks")
        ordering = ["-height"]

    def __str__(self) -> str:
        return f"block {self.height}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Save; the first save at ``final`` or above also notes when that was."""
        # A block reaches final along three paths (this node as the supernode, the
        # devnet, a cluster node's report): noting the moment here covers them all,
        # so the time to finality the explorer charts is never missing for one.
        if self.final_at is None and LEVEL_ORDER.index(self.level) >= LEVEL_ORDER.index(FINAL):
            self.final_at = timezone.now()
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = [*kwargs["update_fields"], "final_at"]
        super().save(*args, **kwargs)


class BlockLog(models.Model):
    """One registry log's (size, root) as committed by a block."""

    block = models.ForeignKey(
        Block, on_delete=models.PROTECT, related_name="logs", verbose_name=_("block")
    )
    registry = models.CharField(max_length=32, verbose_name=_("registry"))
    size = models.BigIntegerField(verbose_name=_("size"))
    root = models.BinaryField(max_length=32, verbose_name=_("root"))

    class Meta:
        verbose_name = _("block's registry log")
        verbose_name_plural = _("blocks' registry logs")
        constraints = [
            models.UniqueConstraint(fields=["block", "registry"], name="block_log_unique")
        ]
        # The first block whose log holds entry n: the first row from (registry,
        # size >= n) in (size, block) order, read straight off this index
        # however many blocks repeat the size of a quiet registry's log.
        indexes = [models.Index(fields=["registry", "size", "block"], name="block_log_first")]

    def __str__(self) -> str:
        return f"{self.block_id}/{self.registry}@{self.size}"


class Supernode(models.Model):
    """A tier-1 node's key, whose signatures make blocks final from ``added_at_height``
    to ``until_height`` (open while the key is current; closed by a rotation)."""

    name = models.CharField(max_length=100, verbose_name=_("name"))
    public_key = models.BinaryField(max_length=32, verbose_name=_("public key"))
    key_id = models.CharField(max_length=8, verbose_name=_("key id"))
    added_at_height = models.BigIntegerField(default=1, verbose_name=_("added at height"))
    until_height = models.BigIntegerField(null=True, blank=True, verbose_name=_("until height"))

    class Meta:
        verbose_name = _("supernode")
        verbose_name_plural = _("supernodes")
        constraints = [models.UniqueConstraint(fields=["name", "key_id"], name="supernode_key")]

    def __str__(self) -> str:
        return self.name


class Validator(models.Model):
    """A member of one consensus tier (``witness``, ``supernode`` or ``citizen``)."""

    tier = models.CharField(max_length=20, verbose_name=_("tier"))
    name = models.CharField(max_length=100, verbose_name=_("name"))
    public_key = models.BinaryField(max_length=32, verbose_name=_("public key"))
    key_id = models.CharField(max_length=8, verbose_name=_("key id"))
    added_at_height = models.BigIntegerField(default=1, verbose_name=_("added at height"))
    until_height = models.BigIntegerField(null=True, blank=True, verbose_name=_("until height"))

    class Meta:
        verbose_name = _("validator")
        verbose_name_plural = _("validators")
        constraints = [
            # A board member re-elected with the same key has one row per term.
            models.UniqueConstraint(
                fields=["tier", "name", "key_id", "added_at_height"], name="validator_key_term"
            )
        ]

    def __str__(self) -> str:
        return f"{self.tier} {self.name}"


class SignedHeight(models.Model):
    """A supernode's last finalize vote: it never signs another block at that height."""

    node = models.CharField(max_length=100, unique=True, verbose_name=_("node"))
    height = models.BigIntegerField(verbose_name=_("height"))
    block_hash = models.BinaryField(max_length=32, verbose_name=_("block hash"))

    class Meta:
        verbose_name = _("signed height")
        verbose_name_plural = _("signed heights")

    def __str__(self) -> str:
        return f"{self.node} signed height {self.height}"


class NodeActVote(models.Model):
    """An act a supernode certified (chain.blocks.cluster.acts): one digest per act id,
    kept before the vote leaves, so it never signs two different acts under one id."""

    kind = models.CharField(max_length=40, verbose_name=_("kind"))
    act_id = models.CharField(max_length=64, verbose_name=_("act id"))
    digest = models.BinaryField(max_length=32, verbose_name=_("digest"))
    height = models.BigIntegerField(verbose_name=_("height"))

    class Meta:
        verbose_name = _("certified act")
        verbose_name_plural = _("certified acts")
        constraints = [
            models.UniqueConstraint(fields=["kind", "act_id"], name="chain_nodeactvote_once")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.act_id} certified at height {self.height}"


class BlockSignature(models.Model):
    """A node's Ed25519 signature over a block's vote message."""

    block = models.ForeignKey(
        Block, on_delete=models.PROTECT, related_name="signatures", verbose_name=_("block")
    )
    tier = models.CharField(max_length=20, verbose_name=_("tier"))
    kind = models.CharField(max_length=20, verbose_name=_("kind"))
    round = models.IntegerField(default=0, verbose_name=_("round"))
    signer = models.CharField(max_length=100, verbose_name=_("signer"))
    key_id = models.CharField(max_length=8, verbose_name=_("key id"))
    alg = models.CharField(max_length=20, default="ed25519", verbose_name=_("alg"))
    signature = models.BinaryField(max_length=64, verbose_name=_("signature"))

    class Meta:
        verbose_name = _("block signature")
        verbose_name_plural = _("block signatures")
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

    block = models.ForeignKey(
        Block, on_delete=models.PROTECT, related_name="checkpoints", verbose_name=_("block")
    )
    registry = models.CharField(max_length=32, verbose_name=_("registry"))
    note = models.TextField(verbose_name=_("note"))

    class Meta:
        verbose_name = _("checkpoint")
        verbose_name_plural = _("checkpoints")
        constraints = [
            models.UniqueConstraint(fields=["block", "registry"], name="checkpoint_unique")
        ]

    def __str__(self) -> str:
        return f"checkpoint {self.registry} @ block {self.block_id}"


class NodeState(models.Model):
    """A cluster node's consensus state (its own database): restored after a restart.

    ``state`` is the state machine's snapshot without its final chain, which
    is kept block by block in :class:`NodeFinal`; the other columns are a
    summary for status tables.
    """

    name = models.CharField(max_length=100, primary_key=True, verbose_name=_("name"))
    tier = models.CharField(max_length=20, verbose_name=_("tier"))
    state = models.TextField(verbose_name=_("state"))
    height = models.BigIntegerField(default=0, verbose_name=_("height"))
    last_final = models.BigIntegerField(default=0, verbose_name=_("last final"))
    last_vote = models.CharField(
        max_length=200, blank=True, default="", verbose_name=_("last vote")
    )
    updated_at = models.FloatField(default=0.0, verbose_name=_("updated at"))

    class Meta:
        verbose_name = _("node state")
        verbose_name_plural = _("node states")

    def __str__(self) -> str:
        return f"{self.tier} {self.name} at height {self.height}"


class NodeFinal(models.Model):
    """A cluster node's replica of the chain: each final block with its certificate."""

    height = models.BigIntegerField(primary_key=True, verbose_name=_("height"))
    block_hash = models.BinaryField(max_length=32, verbose_name=_("block hash"))
    record = models.TextField(
        help_text="FinalBlock.to_record() as canonical JSON", verbose_name=_("record")
    )

    class Meta:
        verbose_name = _("node's final block")
        verbose_name_plural = _("nodes' final blocks")

    def __str__(self) -> str:
        return f"final block {self.height}"


class NodeMemberEntry(models.Model):
    """A membership entry a cluster node verified and applied (from position 1: the
    genesis, position 0, comes from its genesis file)."""

    position = models.IntegerField(primary_key=True, verbose_name=_("position"))
    record = models.TextField(
        help_text="the chain-log entry's payload as canonical JSON", verbose_name=_("record")
    )

    class Meta:
        verbose_name = _("node's membership entry")
        verbose_name_plural = _("nodes' membership entries")

    def __str__(self) -> str:
        return f"membership entry {self.position}"


class ReplicaLeaf(models.Model):
    """A cluster node's copy of one registry log entry's leaf, as the registry host sent it."""

    pk = models.CompositePrimaryKey("registry", "seq")
    registry = models.CharField(max_length=32, verbose_name=_("registry"))
    seq = models.BigIntegerField(verbose_name=_("seq"))
    data = models.BinaryField(verbose_name=_("data"))

    class Meta:
        verbose_name = _("replica leaf")
        verbose_name_plural = _("replica leaves")

    def __str__(self) -> str:
        return f"{self.registry} #{self.seq}"


class ReplicaSubtree(models.Model):
    """Hash of a complete Merkle subtree of a cluster node's replica (level 0: leaf hashes).

    Kept as the ledger keeps :class:`chain.ledger.models.LedgerSubtree`, so
    that the node's roots and proofs cost O(log n) reads, not a pass over
    its replica.
    """

    pk = models.CompositePrimaryKey("registry", "level", "idx")
    registry = models.CharField(max_length=32, verbose_name=_("registry"))
    level = models.SmallIntegerField(verbose_name=_("level"))
    idx = models.BigIntegerField(verbose_name=_("idx"))
    hash = models.BinaryField(max_length=32, verbose_name=_("hash"))

    class Meta:
        verbose_name = _("replica subtree")
        verbose_name_plural = _("replica subtrees")

    def __str__(self) -> str:
        return f"{self.registry} subtree {self.level}/{self.idx}"


class ConsensusEvidence(models.Model):
    """Proof that a member equivocated: two different votes it signed for one slot.

    ``record`` holds both signed votes, so anyone can check the proof with the
    member's public key; the registry host stores it only after checking both
    signatures against the membership.
    """

    kind = models.CharField(max_length=30, verbose_name=_("kind"))
    signer = models.CharField(max_length=100, db_index=True, verbose_name=_("signer"))
    tier = models.CharField(max_length=20, verbose_name=_("tier"))
    vote_kind = models.CharField(max_length=20, verbose_name=_("vote kind"))
    height = models.BigIntegerField(verbose_name=_("height"))
    round = models.IntegerField(verbose_name=_("round"))
    reported_by = models.CharField(max_length=100, verbose_name=_("reported by"))
    record = models.TextField(
        help_text="Evidence.to_record() as canonical JSON", verbose_name=_("record")
    )
    recorded_at = models.CharField(max_length=32, verbose_name=_("recorded at"))
    entry_seq = models.BigIntegerField(
        null=True,
        help_text="Its entry in the chain's own log (registry 'consensus')",
        verbose_name=_("entry seq"),
    )

    class Meta:
        verbose_name = _("consensus evidence")
        verbose_name_plural = _("consensus evidence")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "signer", "tier", "vote_kind", "height", "round"],
                name="evidence_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} by {self.signer} at {self.height}/{self.round}"


class StorageCheck(models.Model):
    """A supernode's storage challenge of a citizen's replica, and how it ended.

    The supernode draws an entry of a final block's logs and asks a citizen
    for it with its inclusion proof; it reports the outcome to the registry
    host, which checks the answer's proof again against the block it holds
    before storing this row. A failed check is also an entry of the chain's
    own log (``entry_seq``).
    """

    challenger = models.CharField(
        max_length=100, help_text="Supernode that asked", verbose_name=_("challenger")
    )
    citizen = models.CharField(
        max_length=100, db_index=True, help_text="Replica challenged", verbose_name=_("citizen")
    )
    registry = models.CharField(max_length=32, verbose_name=_("registry"))
    seq = models.BigIntegerField(help_text="Entry asked for", verbose_name=_("seq"))
    size = models.BigIntegerField(
        help_text="Log size of the tree the proof must reach", verbose_name=_("size")
    )
    height = models.BigIntegerField(
        help_text="Final block the challenge was drawn from", verbose_name=_("height")
    )
    nonce = models.BigIntegerField(verbose_name=_("nonce"))
    answered = models.BooleanField(verbose_name=_("answered"))
    proof_valid = models.BooleanField(
        help_text="The answer's inclusion proof verified", verbose_name=_("proof valid")
    )
    passed = models.BooleanField(db_index=True, verbose_name=_("passed"))
    reason = models.CharField(max_length=50, blank=True, default="", verbose_name=_("reason"))
    record = models.TextField(
        help_text="Challenge and answer as canonical JSON", verbose_name=_("record")
    )
    checked_at = models.CharField(
        max_length=32, help_text="When the host recorded it", verbose_name=_("checked at")
    )
    entry_seq = models.BigIntegerField(
        null=True,
        help_text="A failure's entry in the chain's own log (registry 'consensus')",
        verbose_name=_("entry seq"),
    )

    class Meta:
        verbose_name = _("storage check")
        verbose_name_plural = _("storage checks")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["challenger", "nonce"], name="storage_check_once")
        ]

    def __str__(self) -> str:
        outcome = "passed" if self.passed else f"failed ({self.reason})"
        return f"{self.citizen} {self.registry} #{self.seq}: {outcome}"
