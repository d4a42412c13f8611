"""Serializers of the auditor API."""

from __future__ import annotations

import json
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from chain.blocks.models import Block, ConsensusEvidence, StorageCheck
from chain.blocks.status import LedgerStatus, ledger_status, signature_counts, status_at
from chain.ledger.models import LedgerEntry, MembershipEntry
from chain.protocol import CHAIN_LOG


@extend_schema_field(OpenApiTypes.STR)
class HexField(serializers.ReadOnlyField):
    """Bytes of a model field (a hash) shown as hex."""

    def to_representation(self, value: Any) -> str:
        return bytes(value).hex()


class BlockSummarySerializer(serializers.ModelSerializer[Block]):
    """A block as listed: height, hashes, level, when it became final and the log
    sizes it commits to."""

    block_hash = HexField()
    prev_hash = HexField()
    logs = serializers.SerializerMethodField()

    class Meta:
        model = Block
        fields = [
            "height",
            "block_hash",
            "prev_hash",
            "sealed_at",
            "final_at",
            "proposer",
            "level",
            "logs",
        ]

    def get_logs(self, block: Block) -> dict[str, dict[str, Any]]:
        logs: dict[str, dict[str, Any]] = json.loads(block.header)["logs"]
        return logs


class SignatureSerializer(serializers.Serializer[Any]):
    tier = serializers.CharField()
    kind = serializers.CharField()
    round = serializers.IntegerField()
    signer = serializers.CharField()
    key_id = serializers.CharField()
    alg = serializers.CharField()
    signature = serializers.CharField(help_text="hex")


class BlockDetailSerializer(BlockSummarySerializer):
    """A block with its canonical header, certificate and signed checkpoints."""

    header = serializers.SerializerMethodField()
    certificate = serializers.SerializerMethodField()
    checkpoints = serializers.SerializerMethodField()
    signatures = serializers.SerializerMethodField(
        help_text="valid-kind signatures per tier: witness, supernode, citizen"
    )

    class Meta(BlockSummarySerializer.Meta):
        fields = [
            *BlockSummarySerializer.Meta.fields,
            "header",
            "certificate",
            "checkpoints",
            "signatures",
        ]

    def get_signatures(self, block: Block) -> dict[str, int]:
        return signature_counts(block)

    def get_header(self, block: Block) -> dict[str, Any]:
        header: dict[str, Any] = json.loads(block.header)
        return header

    def get_certificate(self, block: Block) -> list[dict[str, Any]]:
        return [
            {
                "tier": s.tier,
                "kind": s.kind,
                "round": s.round,
                "signer": s.signer,
                "key_id": s.key_id,
                "alg": s.alg,
                "signature": bytes(s.signature).hex(),
            }
            for s in block.signatures.order_by("tier", "signer")
        ]

    def get_checkpoints(self, block: Block) -> dict[str, str]:
        return {c.registry: c.note for c in block.checkpoints.order_by("registry")}


class InclusionProofSerializer(serializers.Serializer[Any]):
    registry = serializers.CharField()
    seq = serializers.IntegerField()
    leaf_index = serializers.IntegerField()
    tree_size = serializers.IntegerField()
    root_hash = serializers.CharField(help_text="tree root at tree_size, hex")
    leaf = serializers.CharField(help_text="canonical envelope (the Merkle leaf data), hex")
    leaf_hash = serializers.CharField(help_text="hex")
    proof = serializers.ListField(child=serializers.CharField(), help_text="hex hashes")
    block_height = serializers.IntegerField(allow_null=True)


class ConsistencyProofSerializer(serializers.Serializer[Any]):
    registry = serializers.CharField()
    first = serializers.IntegerField()
    second = serializers.IntegerField()
    first_root = serializers.CharField()
    second_root = serializers.CharField()
    proof = serializers.ListField(child=serializers.CharField())


class CheckpointSerializer(serializers.Serializer[Any]):
    registry = serializers.CharField()
    origin = serializers.CharField(help_text="the checkpoint's origin line")
    height = serializers.IntegerField(help_text="the block that signed it")
    size = serializers.IntegerField()
    root_hash = serializers.CharField(help_text="hex")
    note = serializers.CharField(help_text="C2SP signed note (tlog-checkpoint body)")


class MemberKeysSerializer(serializers.Serializer[Any]):
    supernodes = serializers.ListField(child=serializers.CharField(), help_text="C2SP vkeys")
    witnesses = serializers.ListField(child=serializers.CharField())
    citizens = serializers.ListField(child=serializers.CharField())
    witness = serializers.CharField(help_text="this node's tlog-witness cosigner vkey (type 0x04)")


class EvidenceSerializer(serializers.ModelSerializer[ConsensusEvidence]):
    """Proven equivocation: both signed votes and the chain log entry that holds them."""

    entry = serializers.SerializerMethodField(
        help_text="Its entry in the chain's own log: registry 'consensus' and seq; "
        "prove it with the log's inclusion-proof endpoint"
    )
    votes = serializers.SerializerMethodField(
        help_text="The two conflicting signed votes (same slot, different blocks)"
    )

    class Meta:
        model = ConsensusEvidence
        fields = [
            "id",
            "kind",
            "signer",
            "tier",
            "vote_kind",
            "height",
            "round",
            "reported_by",
            "recorded_at",
            "entry",
            "votes",
        ]

    def get_entry(self, evidence: ConsensusEvidence) -> dict[str, Any] | None:
        if evidence.entry_seq is None:
            return None
        return {"registry": CHAIN_LOG, "seq": evidence.entry_seq}

    def get_votes(self, evidence: ConsensusEvidence) -> list[dict[str, Any]]:
        record = json.loads(evidence.record)
        return [record["vote"], record["conflicting"]]


class StorageCheckSerializer(serializers.ModelSerializer[StorageCheck]):
    """A supernode's storage challenge of a citizen replica and its outcome."""

    entry = serializers.SerializerMethodField(
        help_text="A failed check's entry in the chain's own log: registry 'consensus' and seq"
    )
    challenge = serializers.SerializerMethodField(
        help_text="The challenge (registry, seq, size, root, nonce) as the supernode sent it"
    )
    answer = serializers.SerializerMethodField(
        help_text="The citizen's answer (leaf and inclusion proof), null when it did not answer"
    )

    class Meta:
        model = StorageCheck
        fields = [
            "id",
            "challenger",
            "citizen",
            "registry",
            "seq",
            "height",
            "answered",
            "proof_valid",
            "passed",
            "reason",
            "checked_at",
            "entry",
            "challenge",
            "answer",
        ]

    def get_entry(self, check: StorageCheck) -> dict[str, Any] | None:
        if check.entry_seq is None:
            return None
        return {"registry": CHAIN_LOG, "seq": check.entry_seq}

    def get_challenge(self, check: StorageCheck) -> dict[str, Any]:
        challenge: dict[str, Any] = json.loads(check.record)["challenge"]
        return challenge

    def get_answer(self, check: StorageCheck) -> dict[str, Any] | None:
        answer: dict[str, Any] | None = json.loads(check.record)["answer"]
        return answer


class MembershipEntrySerializer(serializers.ModelSerializer[MembershipEntry]):
    """A membership change of the chain log with the supernode votes that certify it."""

    type = serializers.CharField(
        source="summary.type",
        read_only=True,
        help_text="genesis, register-enterprise, delegate-vote, elect-board, rotate-key "
        "or revoke-key",
    )
    height = serializers.IntegerField(
        source="summary.height",
        read_only=True,
        help_text="The height whose supernodes certify the change (their votes name it)",
    )
    from_height = serializers.IntegerField(
        source="summary.from_height",
        read_only=True,
        help_text="The first block the change applies to (the next epoch's first)",
    )
    change = serializers.SerializerMethodField(help_text="The change record the votes sign")
    certificate = serializers.SerializerMethodField(
        help_text="Supernode votes of kind 'membership' over SHA-256 of the canonical "
        "change, each naming signer, alg and key_id"
    )
    entry = serializers.SerializerMethodField(
        help_text="Registry 'consensus' and seq; prove it with the inclusion-proof endpoint"
    )
    block = serializers.SerializerMethodField(help_text="The block that seals it, if any")
    level = serializers.SerializerMethodField(help_text="That block's level")

    class Meta:
        model = MembershipEntry
        fields = [
            "seq",
            "type",
            "height",
            "from_height",
            "change",
            "certificate",
            "recorded_at",
            "entry",
            "block",
            "level",
        ]

    def get_change(self, entry: MembershipEntry) -> dict[str, Any]:
        change: dict[str, Any] = entry.payload["change"]
        return change

    def get_certificate(self, entry: MembershipEntry) -> list[dict[str, Any]]:
        votes: list[dict[str, Any]] = entry.payload["certificate"]
        return votes

    def get_entry(self, entry: MembershipEntry) -> dict[str, Any]:
        return {"registry": CHAIN_LOG, "seq": entry.seq}

    def get_block(self, entry: MembershipEntry) -> int | None:
        return ledger_status(CHAIN_LOG, entry.seq).block_height

    def get_level(self, entry: MembershipEntry) -> str:
        return ledger_status(CHAIN_LOG, entry.seq).level


class RecordEntrySerializer(serializers.ModelSerializer[LedgerEntry]):
    """One ledger entry of a record as the chain shows it: its envelope and hashes
    (never the payload) and where it stands (the first block that holds it)."""

    payload_hash = HexField()
    prev_hash = HexField()
    entry_hash = HexField()
    block_height = serializers.SerializerMethodField()
    level = serializers.SerializerMethodField(
        help_text="pending, sealed, committed, final or witnessed"
    )

    class Meta:
        model = LedgerEntry
        fields = [
            "registry",
            "seq",
            "originator_id",
            "originator_version",
            "topic",
            "recorded_at",
            "payload_hash",
            "prev_hash",
            "entry_hash",
            "block_height",
            "level",
        ]

    def get_block_height(self, entry: LedgerEntry) -> int | None:
        return self._status(entry).block_height

    def get_level(self, entry: LedgerEntry) -> str:
        return self._status(entry).level

    @staticmethod
    def _status(entry: LedgerEntry) -> LedgerStatus:
        # Annotated by chain.blocks.status.annotate_blocks in the list's one query.
        height = getattr(entry, "block_height", None)
        return status_at(entry.registry, entry.seq, height, getattr(entry, "block_level", None))
