"""Auditor endpoints: blocks with their certificates, and proofs from stored subtrees."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from chain import merkle
from chain.api.serializers import (
    BlockDetailSerializer,
    BlockSummarySerializer,
    ConsistencyProofSerializer,
    InclusionProofSerializer,
)
from chain.blocks.models import Block
from chain.blocks.status import ledger_status
from chain.ledger import proofs
from chain.ledger.models import LedgerEntry


class NewestBlocksFirst(CursorPagination):
    ordering = "-height"
    page_size = 50


class BlockList(generics.ListAPIView[Block]):
    """Blocks, newest first (cursor-paginated feed)."""

    queryset = Block.objects.all()
    serializer_class = BlockSummarySerializer
    pagination_class = NewestBlocksFirst
    permission_classes = [AllowAny]


class BlockDetail(generics.RetrieveAPIView[Block]):
    """One block: canonical header, supernode certificate and signed checkpoints."""

    queryset = Block.objects.prefetch_related("signatures", "checkpoints")
    serializer_class = BlockDetailSerializer
    lookup_field = "height"
    permission_classes = [AllowAny]


def _registry(name: str) -> str:
    if name not in settings.RIIK_REGISTRIES:
        raise NotFound(f"no registry log named {name!r}")
    return name


def _size_param(request: Request, name: str, default: int | None = None) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        if default is None:
            raise ValidationError({name: ["this query parameter is required"]})
        return default
    if not raw.isdigit():
        raise ValidationError({name: ["must be a non-negative integer"]})
    return int(raw)


class InclusionProof(APIView):
    """Inclusion proof of one ledger entry in its registry log.

    Without ``tree_size``, the proof is against the first block that holds the
    entry, so it can be checked against that block's signed checkpoint.
    """

    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[OpenApiParameter("tree_size", OpenApiTypes.INT, required=False)],
        responses=InclusionProofSerializer,
    )
    def get(self, request: Request, registry: str, seq: int) -> Response:
        registry = _registry(registry)
        entry = LedgerEntry.objects.filter(registry=registry, seq=seq).first()
        if entry is None:
            raise NotFound(f"registry {registry} has no entry {seq}")
        status = ledger_status(registry, seq)
        default_size = (
            Block.objects.get(height=status.block_height).logs.get(registry=registry).size
            if status.block_height is not None
            else proofs.log_size(registry)
        )
        tree_size = _size_param(request, "tree_size", default_size)
        try:
            proof = proofs.inclusion_proof(registry, seq, tree_size)
            root = proofs.tree_root(registry, tree_size)
        except proofs.ProofError as error:
            raise ValidationError({"tree_size": [str(error)]}) from None
        leaf = entry.leaf()
        body: dict[str, Any] = {
            "registry": registry,
            "seq": seq,
            "leaf_index": seq - 1,
            "tree_size": tree_size,
            "root_hash": root.hex(),
            "leaf": leaf.hex(),
            "leaf_hash": merkle.leaf_hash(leaf).hex(),
            "proof": [node.hex() for node in proof],
            "block_height": status.block_height if tree_size == default_size else None,
        }
        return Response(InclusionProofSerializer(body).data)


class ConsistencyProof(APIView):
    """Proof that a registry log at size ``first`` is a prefix of it at ``second``."""

    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[
            OpenApiParameter("first", OpenApiTypes.INT, required=True),
            OpenApiParameter("second", OpenApiTypes.INT, required=True),
        ],
        responses=ConsistencyProofSerializer,
    )
    def get(self, request: Request, registry: str) -> Response:
        registry = _registry(registry)
        first, second = _size_param(request, "first"), _size_param(request, "second")
        try:
            proof = proofs.consistency_proof(registry, first, second)
            first_root = proofs.tree_root(registry, first)
            second_root = proofs.tree_root(registry, second)
        except proofs.ProofError as error:
            raise ValidationError({"second": [str(error)]}) from None
        body = {
            "registry": registry,
            "first": first,
            "second": second,
            "first_root": first_root.hex(),
            "second_root": second_root.hex(),
            "proof": [node.hex() for node in proof],
        }
        return Response(ConsistencyProofSerializer(body).data)
