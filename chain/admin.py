"""Read-only admin pages of the chain: blocks, their signatures, ledger entries.

Nothing here can be edited: the chain changes only by sealing.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from chain.blocks.models import (
    Block,
    BlockLog,
    BlockSignature,
    Checkpoint,
    ConsensusEvidence,
    SignedHeight,
    StorageCheck,
    Supernode,
    Validator,
)
from chain.blocks.status import ledger_status, signature_counts
from chain.ledger.models import LedgerEntry, MembershipEntry
from chain.protocol import CHAIN_LOG, MEMBERSHIP_TOPIC

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class ReadOnlyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """An admin that shows and never changes.

    The chain is public: any active staff member (any ministry) may look.
    """

    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_active and request.user.is_staff)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_active and request.user.is_staff)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyInline:
    """Rows shown under a record, never added or deleted."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def hex_column(field: str, description: StrOrPromise) -> Any:
    """An admin column showing the bytes of ``field`` in hex."""

    @admin.display(description=description)
    def column(model_admin: Any, record: Any) -> str:
        return bytes(getattr(record, field)).hex()

    return column


def json_column(field: str, description: StrOrPromise) -> Any:
    """An admin field showing the canonical JSON text of ``field`` indented, one member a
    line, as a reader can follow it (the stored text, as hashed, is the API's and the
    export's)."""

    @admin.display(description=description)
    def column(model_admin: Any, record: Any) -> str:
        shown = json.dumps(json.loads(getattr(record, field)), indent=1, sort_keys=True)
        return format_html('<pre class="canonical-json">{}</pre>', shown)

    return column


class BlockLogInline(ReadOnlyInline, admin.TabularInline):  # type: ignore[type-arg]
    model = BlockLog
    readonly_fields = fields = (
        "registry",
        "size",
        "root_hex",
    )

    root_hex = hex_column("root", _("root"))


class BlockSignatureInline(ReadOnlyInline, admin.TabularInline):  # type: ignore[type-arg]
    model = BlockSignature
    readonly_fields = fields = (
        "tier",
        "kind",
        "round",
        "signer",
        "key_id",
        "alg",
    )


class CheckpointInline(ReadOnlyInline, admin.StackedInline):  # type: ignore[type-arg]
    model = Checkpoint
    readonly_fields = fields = (
        "registry",
        "note",
    )


@admin.register(Block)
class BlockAdmin(ReadOnlyAdmin):
    list_display = [
        "height",
        "hash_prefix",
        "level",
        "sealed_at",
        "proposer",
        "signature_count",
        "witness_count",
        "supernode_count",
        "citizen_count",
    ]
    list_filter = ["level"]
    search_fields = ["height"]
    readonly_fields = fields = (
        "height",
        "hash_hex",
        "prev_hash_hex",
        "level",
        "sealed_at",
        "proposer",
        "round",
        "header_json",
    )
    inlines = [BlockLogInline, BlockSignatureInline, CheckpointInline]

    @admin.display(description=_("block hash"))
    def hash_prefix(self, block: Block) -> str:
        return bytes(block.block_hash).hex()[:16] + "…"

    hash_hex = hex_column("block_hash", _("block hash"))
    header_json = json_column("header", _("header"))
    prev_hash_hex = hex_column("prev_hash", _("previous block hash"))

    @admin.display(description=_("signatures"))
    def signature_count(self, block: Block) -> int:
        return block.signatures.count()

    @admin.display(description=_("witness precommits"))
    def witness_count(self, block: Block) -> int:
        return signature_counts(block)["witness"]

    @admin.display(description=_("supernode finalizes"))
    def supernode_count(self, block: Block) -> int:
        return signature_counts(block)["supernode"]

    @admin.display(description=_("citizen cosignatures"))
    def citizen_count(self, block: Block) -> int:
        return signature_counts(block)["citizen"]


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    list_display = ["registry", "seq", "event", "recorded_at", "block_height", "level"]
    list_filter = ["registry"]
    search_fields = ["=seq", "=originator_id"]
    ordering = ["registry", "-seq"]
    readonly_fields = fields = (
        "registry",
        "seq",
        "originator_id",
        "originator_version",
        "topic",
        "recorded_at",
        "payload_hash_hex",
        "prev_hash_hex",
        "entry_hash_hex",
        "block_height",
        "level",
    )

    @admin.display(description=_("event"))
    def event(self, entry: LedgerEntry) -> str:
        return entry.topic.rsplit(":", 1)[-1]

    payload_hash_hex = hex_column("payload_hash", _("payload hash"))
    prev_hash_hex = hex_column("prev_hash", _("previous entry hash"))
    entry_hash_hex = hex_column("entry_hash", _("entry hash"))

    @admin.display(description=_("block"))
    def block_height(self, entry: LedgerEntry) -> int | None:
        return ledger_status(entry.registry, entry.seq).block_height

    @admin.display(description=_("level"))
    def level(self, entry: LedgerEntry) -> str:
        return ledger_status(entry.registry, entry.seq).level


@admin.register(Supernode)
class SupernodeAdmin(ReadOnlyAdmin):
    list_display = ["name", "key_id", "added_at_height"]


@admin.register(Validator)
class ValidatorAdmin(ReadOnlyAdmin):
    list_display = ["tier", "name", "key_id", "added_at_height"]
    list_filter = ["tier"]


@admin.register(SignedHeight)
class SignedHeightAdmin(ReadOnlyAdmin):
    list_display = ["node", "height"]


@admin.register(ConsensusEvidence)
class ConsensusEvidenceAdmin(ReadOnlyAdmin):
    list_display = (
        "kind",
        "signer",
        "tier",
        "vote_kind",
        "height",
        "round",
        "reported_by",
        "entry_seq",
    )
    list_filter = ("kind", "tier")
    search_fields = ("signer",)
    readonly_fields = (*list_display, "recorded_at", "record_json")
    record_json = json_column("record", _("record"))


@admin.register(StorageCheck)
class StorageCheckAdmin(ReadOnlyAdmin):
    list_display = (
        "citizen",
        "challenger",
        "registry",
        "seq",
        "height",
        "answered",
        "proof_valid",
        "passed",
        "reason",
        "entry_seq",
    )
    list_filter = ("passed", "reason", "citizen")
    search_fields = ("citizen", "challenger")
    readonly_fields = (*list_display, "size", "nonce", "checked_at", "record_json")
    record_json = json_column("record", _("record"))


@admin.register(MembershipEntry)
class MembershipEntryAdmin(ReadOnlyAdmin):
    """Membership changes of the chain log with the supernode votes certifying them."""

    list_display = ["seq", "change_type", "height", "from_height", "signers", "block_height"]
    ordering = ["-seq"]
    readonly_fields = fields = (
        "seq",
        "change_type",
        "height",
        "from_height",
        "signers",
        "recorded_at",
        "block_height",
        "level",
        "payload_json",
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[MembershipEntry]:
        return super().get_queryset(request).filter(registry=CHAIN_LOG, topic=MEMBERSHIP_TOPIC)

    @admin.display(description=_("change"))
    def change_type(self, entry: MembershipEntry) -> str:
        return entry.summary.type

    @admin.display(description=_("certified at height"))
    def height(self, entry: MembershipEntry) -> int:
        return entry.summary.height

    @admin.display(description=_("from block"))
    def from_height(self, entry: MembershipEntry) -> int:
        return entry.summary.from_height

    @admin.display(description=_("certified by"))
    def signers(self, entry: MembershipEntry) -> str:
        return ", ".join(entry.summary.signers)

    @admin.display(description=_("sealed in block"))
    def block_height(self, entry: MembershipEntry) -> int | None:
        return ledger_status(entry.registry, entry.seq).block_height

    @admin.display(description=_("level"))
    def level(self, entry: MembershipEntry) -> str:
        return ledger_status(entry.registry, entry.seq).level

    @admin.display(description=_("entry (change and quorum certificate)"))
    def payload_json(self, entry: MembershipEntry) -> str:
        return format_html("<pre>{}</pre>", json.dumps(entry.payload, indent=1, sort_keys=True))
