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

from collections import defaultdict
from collections.abc import Iterable
from typing import Any, TypeVar

from django.db.models import Model
from django.utils.translation import gettext
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import NotAuthenticated, PermissionDenied
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from chain import merkle
from chain.api.hooks import subjects_of
from chain.api.pagination import CursorPagination
from chain.api.views import RECEIPT_RESPONSES, entry_or_problem, receipt_or_problem
from chain.blocks.status import Inclusion, inclusions, ledger_status
from registries.common.api.problems import problem_responses
from registries.common.sealing import opened_payload
from registries.identity.services import official_code_of

M = TypeVar("M", bound=Model)


def person_code(request: Request) -> str:
    """The caller's personal code (their username), or 401/403."""
    user = request.user
    if not (user and user.is_authenticated):
        raise NotAuthenticated()
    code = official_code_of(user)
    if code is None:
        raise PermissionDenied(gettext("sign in as a person: your username is your personal code"))
    return code


def my_code(request: Request) -> str:
    """The signed-in citizen's personal code (401 anonymous, 403 not a person)."""
    if not (request.user and request.user.is_authenticated):
        raise NotAuthenticated()
    code = official_code_of(request.user)
    if code is None:
        # An organisation token's user is the organisation's account: never the person's data.
        raise PermissionDenied(
            gettext(
                "only a person signed in with their personal code has this /me data (an "
                "organisation token reads /api/v1/me/organisation/ and /api/v1/me/court-cases/)"
            )
        )
    return code


class MyDataPermission(IsAuthenticated):
    """Authenticated; the views narrow everything to the caller's own records."""


class MyFeedPagination(CursorPagination):
    """Cursor pagination of /me lists: newest ledger entries first, stable while they grow."""

    ordering = ("-ledger_seq", "-pk")
    page_size = 50


def _position(registry: str, seq: int | None, found: Inclusion | None) -> dict[str, Any]:
    if found is None:
        # No ledger entry (yet): its status, and no proof.
        return {**ledger_status(registry, seq).as_dict(), "proof": None}
    return {
        **found.status.as_dict(),
        "proof": {
            "leaf_index": found.seq - 1,
            "tree_size": found.tree_size,
            "root_hash": found.root.hex(),
            "leaf": found.leaf.hex(),
            "leaf_hash": merkle.leaf_hash(found.leaf).hex(),
            "audit_path": [node.hex() for node in found.audit_path],
        },
    }


def chain_positions(records: Iterable[Any]) -> dict[tuple[str, int | None], dict[str, Any]]:
    """The ``chain`` position of each record, keyed by (ledger registry, ledger seq).

    Two queries per registry, however many records: one for the entries with
    their blocks and levels, one for every subtree hash their proofs need.
    """
    wanted: dict[str, set[int]] = defaultdict(set)
    for record in records:
        if record.ledger_seq is not None:
            wanted[record.ledger_registry].add(record.ledger_seq)
    positions: dict[tuple[str, int | None], dict[str, Any]] = {}
    for registry, seqs in wanted.items():
        found = inclusions(registry, seqs)
        for seq in seqs:
            positions[registry, seq] = _position(registry, seq, found.get(seq))
    return positions


def chain_position(registry: str, seq: int | None) -> dict[str, Any]:
    """Where ledger entry ``seq`` stands, with the inclusion proof a citizen checks."""
    return _position(registry, seq, None if seq is None else inclusions(registry, [seq]).get(seq))


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
        """The position of the record's latest ledger entry.

        Read from the serializer context's ``chain_positions`` when the view
        batched them (:class:`ChainPositionsMixin`), else on its own.
        """
        key = (value.ledger_registry, value.ledger_seq)
        batched: dict[tuple[str, int | None], dict[str, Any]] = self.context.get(
            "chain_positions", {}
        )
        if key in batched:
            return batched[key]
        return chain_position(*key)


class ChainPositionsMixin(GenericAPIView[M]):
    """A view that finds the ``chain`` positions of every record it shows at once.

    :meth:`chain_records` names the records of what one response serializes
    (by default the record, or the page of records, itself; a view whose
    records nest others with a ``chain`` adds those).
    """

    def chain_records(self, instance: Any) -> Iterable[Any]:
        """Every record with a ``chain`` field in ``instance`` (a record or a page of them)."""
        return instance if isinstance(instance, list | tuple) else [instance]

    def get_serializer(self, *args: Any, **kwargs: Any) -> Any:
        """The serializer, with the positions of the records it will show in its context."""
        if args:
            context = kwargs.get("context") or self.get_serializer_context()
            positions = chain_positions(self.chain_records(args[0]))
            kwargs["context"] = {**context, "chain_positions": positions}
        return super().get_serializer(*args, **kwargs)


class MyReceiptView(APIView):
    """The finality receipt of a ledger entry about me, with its payload (DESIGN §8).

    The public receipt (``/api/v1/chain/.../receipt/``) leaves the payload
    out; the entry's subject (a person the registry names for it: the
    person, a case's party, the patient, ...) gets it here. Anyone else: 403.
    A registry that seals its events' personal data at the event store
    (identity, court) adds ``opened``: the event's fields with the sealed
    values opened (the verifier checks ``payload``, the sealed bytes).
    """

    permission_classes = [MyDataPermission]
    throttle_scope = "me"

    @extend_schema(
        tags=["me"],
        summary="My record's finality receipt, payload included",
        responses={
            200: OpenApiResponse(OpenApiTypes.OBJECT, description="riik-receipt/1, full"),
            **problem_responses(401, 403, 429),
            **RECEIPT_RESPONSES,
        },
    )
    def get(self, request: Request, registry: str, seq: int) -> Response:
        code = my_code(request)
        row = entry_or_problem(registry, seq)
        if code not in subjects_of(row):
            raise PermissionDenied(
                gettext("registry {registry} entry {seq} is not about you").format(
                    registry=registry, seq=seq
                )
            )
        receipt = receipt_or_problem(registry, seq, public=False)
        # The payload is stored sealed (identity, court): the subject also gets it opened.
        opened = opened_payload(
            registry, row.originator_id, row.originator_version, row.topic, row.payload
        )
        if opened is not None:
            receipt["opened"] = opened
        return Response(receipt)
