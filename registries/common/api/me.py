"""What every ``/api/v1/me/`` view shares: who is asking, and each record's place on the chain.

A ``/me`` view answers only about the signed-in citizen (username = personal
code): there is no id in its URL to change, so no citizen can reach another's
record. Each record carries ``chain``: its registry, ledger seq, block height,
level (pending, sealed, committed, final, witnessed) and an RFC 9162 inclusion
proof of its latest event, against the first block that holds it (or against
the whole log while it is still pending), which the citizen can check with
``chain.merkle`` or any RFC 9162 implementation.

The views read the read models as they stand: every command catches up its
registry's projections before it answers (``registries.common.commands.issue``)
and the beat catches up the rest, so a read does not pay for catching up.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import NotAuthenticated, PermissionDenied
from rest_framework.pagination import CursorPagination
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request

from chain import merkle
from chain.blocks.status import including_log, status_in
from chain.ledger import proofs
from chain.ledger.models import LedgerEntry


def my_code(request: Request) -> str:
    """The signed-in citizen's personal code (401 anonymous, 403 not a person)."""
    from registries.identity.services import official_code_of

    if not (request.user and request.user.is_authenticated):
        raise NotAuthenticated()
    code = official_code_of(request.user)
    if code is None:
        # An organisation token's user is the company's account: never the person's data.
        raise PermissionDenied(
            "only a person signed in with their personal code has this /me data "
            "(an organisation token reads /api/v1/me/organisation/)"
        )
    return code


class MyDataPermission(IsAuthenticated):
    """Authenticated; the views narrow everything to the caller's own records."""


class MyFeedPagination(CursorPagination):
    """Cursor pagination of /me lists: newest ledger entries first, stable while they grow."""

    ordering = ("-ledger_seq", "-pk")
    page_size = 50


def chain_position(registry: str, seq: int | None) -> dict[str, Any]:
    """Where ledger entry ``seq`` stands, with the inclusion proof a citizen checks."""
    # One query finds the including block's log: its level, size and root.
    log = None if seq is None else including_log(registry, seq)
    body: dict[str, Any] = status_in(registry, seq, log).as_dict()
    body["proof"] = None
    if seq is None:
        return body
    entry = LedgerEntry.objects.filter(registry=registry, seq=seq).first()
    if entry is None:
        return body
    if log is not None:
        tree_size, root = log.size, bytes(log.root)
    else:
        tree_size = proofs.log_size(registry)
        root = proofs.tree_root(registry, tree_size)
    leaf = entry.leaf()
    body["proof"] = {
        "leaf_index": seq - 1,
        "tree_size": tree_size,
        "root_hash": root.hex(),
        "leaf": leaf.hex(),
        "leaf_hash": merkle.leaf_hash(leaf).hex(),
        "audit_path": [node.hex() for node in proofs.inclusion_proof(registry, seq, tree_size)],
    }
    return body


class ProofSerializer(serializers.Serializer[Any]):
    leaf_index = serializers.IntegerField()
    tree_size = serializers.IntegerField()
    root_hash = serializers.CharField(help_text="Root of the registry log at tree_size, hex")
    leaf = serializers.CharField(help_text="Canonical entry envelope (the Merkle leaf), hex")
    leaf_hash = serializers.CharField(help_text="hex")
    audit_path = serializers.ListField(child=serializers.CharField(), help_text="hex hashes")

    class Meta:
        ref_name = "MyInclusionProof"


class ChainPositionSerializer(serializers.Serializer[Any]):
    registry = serializers.CharField()
    seq = serializers.IntegerField(allow_null=True)
    block_height = serializers.IntegerField(allow_null=True)
    level = serializers.CharField(help_text="pending, sealed, committed, final or witnessed")
    proof = ProofSerializer(allow_null=True)

    class Meta:
        ref_name = "ChainPosition"


@extend_schema_field(ChainPositionSerializer)
class ChainField(serializers.Field):  # type: ignore[type-arg]
    """A record's ``chain`` position (the record's model names its ``ledger_registry``)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs["source"] = "*"
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, value: Any) -> dict[str, Any]:
        """The position of the record's latest ledger entry."""
        return chain_position(value.ledger_registry, value.ledger_seq)
