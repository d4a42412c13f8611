"""Auditor endpoints: blocks, checkpoints, proofs from stored subtrees, receipts, a witness.

Everything here is public except :class:`FullReceipt`: envelopes, proofs,
block headers, certificates, checkpoints, membership and evidence, never a
registry event's payload bytes (DESIGN §8; the rules in :mod:`chain.api.hooks`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.http import HttpResponse
from django.utils.translation import gettext, gettext_noop
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics
from rest_framework.exceptions import APIException, NotAuthenticated, NotFound, ValidationError
from rest_framework.permissions import AllowAny, BasePermission
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from chain import merkle, notes
from chain.api.hooks import is_auditor, payload_read, public_records, subjects_of
from chain.api.pagination import CursorPagination
from chain.api.serializers import (
    BlockDetailSerializer,
    BlockSummarySerializer,
    CheckpointSerializer,
    ConsistencyProofSerializer,
    EvidenceSerializer,
    InclusionProofSerializer,
    MemberKeysSerializer,
    MembershipEntrySerializer,
    RecordEntrySerializer,
    StorageCheckSerializer,
)
from chain.blocks.checkpoints import checkpoint_origin, head_quorums, latest_published
from chain.blocks.models import (
    Block,
    ConsensusEvidence,
    StorageCheck,
    Supernode,
    Validator,
)
from chain.blocks.status import annotate_blocks, ledger_status
from chain.export import ReceiptError, ledger_row, receipt_record
from chain.keys import load_or_create_node_key
from chain.ledger import proofs
from chain.ledger.models import LedgerEntry, MembershipEntry
from chain.protocol import CHAIN_LOG, MEMBERSHIP_TOPIC
from chain.verify import EntryRow, VerificationFailure
from chain.witness import SignerQuorum, Witness, WitnessError, WitnessState


class NewestBlocksFirst(CursorPagination):
    ordering = "-height"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class BlockList(generics.ListAPIView[Block]):
    """Blocks, newest first (cursor-paginated feed; ``page_size`` 1 to 200, default 50)."""

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


class NewestEvidenceFirst(CursorPagination):
    ordering = "-id"
    page_size = 50


class EvidenceList(generics.ListAPIView[ConsensusEvidence]):
    """Proven equivocations, newest first (cursor-paginated feed)."""

    queryset = ConsensusEvidence.objects.all()
    serializer_class = EvidenceSerializer
    pagination_class = NewestEvidenceFirst
    permission_classes = [AllowAny]


class EvidenceDetail(generics.RetrieveAPIView[ConsensusEvidence]):
    """One proven equivocation with both signed votes and its chain log entry."""

    queryset = ConsensusEvidence.objects.all()
    serializer_class = EvidenceSerializer
    permission_classes = [AllowAny]


@extend_schema(
    parameters=[
        OpenApiParameter("citizen", str, description="Only this citizen's checks"),
        OpenApiParameter("passed", bool, description="true: passed checks only; false: failed"),
    ]
)
class StorageCheckList(generics.ListAPIView[StorageCheck]):
    """Storage challenges of citizen replicas and their outcomes, newest first."""

    serializer_class = StorageCheckSerializer
    pagination_class = NewestEvidenceFirst
    permission_classes = [AllowAny]

    def get_queryset(self) -> Any:
        checks = StorageCheck.objects.all()
        citizen = self.request.query_params.get("citizen")
        if citizen:
            checks = checks.filter(citizen=citizen)
        passed = self.request.query_params.get("passed")
        if passed is not None:
            if passed not in ("true", "false"):
                raise ValidationError({"passed": [gettext("must be true or false")]})
            checks = checks.filter(passed=passed == "true")
        return checks


class NewestEntriesFirst(CursorPagination):
    ordering = "-seq"
    page_size = 50


MEMBERSHIP_ENTRIES = MembershipEntry.objects.filter(registry=CHAIN_LOG, topic=MEMBERSHIP_TOPIC)


class MembershipList(generics.ListAPIView[MembershipEntry]):
    """Membership changes certified by a supernode quorum, newest first (cursor feed).

    The genesis, enterprise registrations, delegated votes, board elections,
    key rotations and revocations, each with the votes that certify it.
    """

    queryset = MEMBERSHIP_ENTRIES
    serializer_class = MembershipEntrySerializer
    pagination_class = NewestEntriesFirst
    permission_classes = [AllowAny]


class MembershipDetail(generics.RetrieveAPIView[MembershipEntry]):
    """One membership change, by its seq in the chain log (registry ``consensus``)."""

    queryset = MEMBERSHIP_ENTRIES
    serializer_class = MembershipEntrySerializer
    lookup_field = "seq"
    permission_classes = [AllowAny]


class OldestEntriesFirst(CursorPagination):
    ordering = "seq"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


@extend_schema(
    parameters=[
        OpenApiParameter(
            "identifier",
            str,
            OpenApiParameter.PATH,
            description="The record's public identifier: a company's registry code "
            "(business), a land unit's cadastral code (property), a case number (court)",
        )
    ]
)
class RecordEntries(generics.ListAPIView[LedgerEntry]):
    """The ledger entries of one record, found by its public identifier, oldest first.

    Envelopes and hashes with each entry's block and level, never a payload
    (DESIGN §8): what the explorer shows for a company, a land unit or a case.
    Only registries whose records have a public identifier answer.
    """

    serializer_class = RecordEntrySerializer
    pagination_class = OldestEntriesFirst
    permission_classes = [AllowAny]

    def get_queryset(self) -> Any:
        registry = _registry(str(self.kwargs["registry"]))
        records = public_records().get(registry)
        if records is None:
            raise NotFound(
                gettext("registry {registry} has no records with a public identifier").format(
                    registry=registry
                )
            )
        identifier = str(self.kwargs["identifier"])
        aggregate = records.find(identifier)
        if aggregate is None:
            raise NotFound(
                gettext("registry {registry} has no record with {kind} {identifier}").format(
                    registry=registry, kind=gettext(records.identifier), identifier=identifier
                )
            )
        return annotate_blocks(
            LedgerEntry.objects.filter(registry=registry, originator_id=aggregate)
        )


def _registry(name: str) -> str:
    if name not in settings.RIIK_REGISTRIES:
        raise NotFound(gettext("no registry log named {name!r}").format(name=name))
    return name


def _size_param(request: Request, name: str, default: int | None = None) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        if default is None:
            raise ValidationError({name: [gettext("this query parameter is required")]})
        return default
    if not raw.isdigit():
        raise ValidationError({name: [gettext("must be a non-negative integer")]})
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
            raise NotFound(
                gettext("registry {registry} has no entry {seq}").format(registry=registry, seq=seq)
            )
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


class Conflict(APIException):
    """409: the request is valid but the chain is not there yet (e.g. not final)."""

    status_code = 409
    default_detail = "conflict"
    default_code = "conflict"


class NoteRenderer(BaseRenderer):
    """``text/plain``: a checkpoint as its C2SP signed note, byte for byte."""

    media_type = "text/plain"
    format = "note"
    charset = "utf-8"

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> bytes:
        note = data.get("note") if isinstance(data, Mapping) else None
        if isinstance(note, str):
            return note.encode("utf-8")
        return json.dumps(data, sort_keys=True).encode("utf-8")


class LatestCheckpoint(APIView):
    """A registry log's signed checkpoint (C2SP tlog-checkpoint in a signed note).

    The newest one, or the one of block ``height``. ``Accept: text/plain`` (or
    ``?format=note``) answers the note itself, for standard witnesses and tools.
    """

    permission_classes = [AllowAny]
    renderer_classes = [JSONRenderer, NoteRenderer]

    @extend_schema(
        parameters=[OpenApiParameter("height", OpenApiTypes.INT, required=False)],
        responses={
            (200, "application/json"): CheckpointSerializer,
            (200, "text/plain"): OpenApiTypes.STR,
        },
    )
    def get(self, request: Request, registry: str) -> Response:
        registry = _registry(registry)
        raw = request.query_params.get("height")
        height = None if raw is None else _size_param(request, "height")
        # Only a checkpoint cosigned by a supernode quorum is served
        # (chain.blocks.checkpoints); the view's docstring is the schema's text.
        checkpoint = latest_published(registry, height)
        if checkpoint is None:
            missing = (
                gettext("registry {registry} has no checkpoint signed by a supernode quorum yet")
                if raw is None
                else gettext(
                    "registry {registry} has no checkpoint signed by a supernode quorum at block "
                    "{height}"
                )
            )
            raise NotFound(missing.format(registry=registry, height=raw))
        log = checkpoint.block.logs.get(registry=registry)
        body = {
            "registry": registry,
            "origin": checkpoint_origin(registry),
            "height": checkpoint.block_id,
            "size": log.size,
            "root_hash": bytes(log.root).hex(),
            "note": checkpoint.note,
        }
        return Response(CheckpointSerializer(body).data)


def entry_or_problem(registry: str, seq: int) -> EntryRow:
    """Entry ``seq`` of a registry log with its payload, or the API's 404."""
    try:
        return ledger_row(_registry(registry), seq)
    except ReceiptError as error:
        raise NotFound(str(error)) from None


def receipt_or_problem(registry: str, seq: int, *, public: bool) -> dict[str, Any]:
    """The receipt of entry ``seq``, or the API's 404 / 409 saying why there is none."""
    try:
        return receipt_record(_registry(registry), seq, public=public)
    except ReceiptError as error:
        if error.status == 409:
            raise Conflict(str(error)) from None
        raise NotFound(str(error)) from None
    except VerificationFailure as failure:
        raise Conflict(failure.message) from None


RECEIPT_RESPONSES = {
    404: OpenApiResponse(description="no such registry or entry"),
    409: OpenApiResponse(description="the entry is not in a final block yet"),
}


class Receipt(APIView):
    """A record's public finality receipt: check it offline with ``python -m chain.verify``.

    It carries the entry's envelope and payload hash, not the payload of a
    registry event (``"payloads": "omitted"``): the verifier checks all the
    rest and says the payload was not re-hashed. The record's subject gets it
    with the payload at ``/api/v1/me/receipts/``, an auditor at ``full/``.
    """

    permission_classes = [AllowAny]

    @extend_schema(
        responses={
            200: OpenApiResponse(OpenApiTypes.OBJECT, description="riik-receipt/1, public"),
            **RECEIPT_RESPONSES,
        }
    )
    def get(self, request: Request, registry: str, seq: int) -> Response:
        return Response(receipt_or_problem(registry, seq, public=True))


class AuditorOfTheLog(BasePermission):
    """An auditor of the registry log in the URL (401 anonymous, 403 anyone else)."""

    message = gettext_noop("only an auditor of this registry may have its payloads")

    def has_permission(self, request: Request, view: Any) -> bool:
        if not (request.user and request.user.is_authenticated):
            raise NotAuthenticated()
        return is_auditor(request, str(view.kwargs["registry"]))


class FullReceipt(APIView):
    """A finality receipt with the event's payload, for an auditor of its registry.

    A tracked read: before it is answered, the data tracker records it for
    every person the entry is about (``?purpose=`` states why; the default is
    "audit of the chain").
    """

    permission_classes = [AuditorOfTheLog]

    @extend_schema(
        parameters=[OpenApiParameter("purpose", str, description="Why the auditor reads it")],
        responses={
            200: OpenApiResponse(OpenApiTypes.OBJECT, description="riik-receipt/1, full"),
            401: OpenApiResponse(description="not signed in"),
            403: OpenApiResponse(description="not an auditor of this registry"),
            **RECEIPT_RESPONSES,
        },
    )
    def get(self, request: Request, registry: str, seq: int) -> Response:
        receipt = receipt_or_problem(registry, seq, public=False)
        row = entry_or_problem(registry, seq)
        payload_read.send(
            sender=FullReceipt,
            request=request,
            row=row,
            subjects=subjects_of(row),
            what=f"full receipt of {registry} ledger entry {seq}",
        )
        return Response(receipt)


def supernode_verifier_keys() -> list[str]:
    """The C2SP verifier key of every supernode key, current and retired, by name."""
    return [
        notes.verifier_key(s.name, bytes(s.public_key)) for s in Supernode.objects.order_by("name")
    ]


class MemberKeys(APIView):
    """The C2SP verifier keys of every tier's members and of this node's witness."""

    permission_classes = [AllowAny]

    @extend_schema(responses=MemberKeysSerializer)
    def get(self, request: Request) -> Response:
        def members(tier: str) -> list[str]:
            return [
                notes.verifier_key(v.name, bytes(v.public_key))
                for v in Validator.objects.filter(tier=tier).order_by("name")
            ]

        body = {
            "supernodes": supernode_verifier_keys(),
            "witnesses": members("witness"),
            "citizens": members("citizen"),
            "witness": node_witness().verifier_key(),
        }
        return Response(MemberKeysSerializer(body).data)


class SupernodeKeysText(APIView):
    """The supernodes' C2SP verifier keys as text, one per line: the trusted-keys
    file ``python -m chain.verify --trusted-keys`` reads and ``riik_client keys pin``
    writes (the same keys as ``supernodes`` in ``/api/v1/chain/keys/``)."""

    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="chain_keys_supernodes_text",
        responses={(200, "text/plain"): OpenApiTypes.STR},
    )
    def get(self, request: Request) -> HttpResponse:
        # Sorted as ``keys pin`` writes them, so that the two files can be compared.
        keys = sorted(supernode_verifier_keys())
        return HttpResponse(
            "".join(f"{key}\n" for key in keys), content_type="text/plain; charset=utf-8"
        )


def node_witness() -> Witness:
    """This node's C2SP witness of its own registry logs: it cosigns a checkpoint
    only with signatures of a quorum of the supernodes valid at its block."""
    key = load_or_create_node_key(settings.RIIK_KEYS_DIR, f"{settings.RIIK_NODE_NAME}-witness")
    # Current keys only: a key retired by a rotation must not sign new checkpoints.
    known = {
        (s.name, bytes.fromhex(s.key_id)): bytes(s.public_key)
        for s in Supernode.objects.filter(until_height__isnull=True)
    }
    logs = {checkpoint_origin(registry): known for registry in settings.RIIK_REGISTRIES}
    registries = {checkpoint_origin(registry): registry for registry in settings.RIIK_REGISTRIES}

    def quorum_of(checkpoint: notes.Checkpoint) -> list[SignerQuorum]:
        return head_quorums(registries[checkpoint.origin], checkpoint.size, checkpoint.root)

    state = WitnessState(settings.RIIK_DATA_DIR / "witness" / "state.json")
    return Witness(key.name, key.private_key, logs, state, quorum_of)


class AddCheckpoint(APIView):
    """C2SP tlog-witness ``add-checkpoint``: cosign a checkpoint proved consistent.

    Body: ``old <size>``, base64 consistency proof lines, a blank line, the
    signed checkpoint. 200 with the cosignature line; 400 malformed; 403 no
    trusted log signature; 404 unknown log; 409 (``text/x.tlog.size``: the
    latest cosigned size) when ``old`` is not that size or the root differs at
    that size; 422 when the consistency proof does not verify.
    """

    permission_classes = [AllowAny]
    authentication_classes: list[type[Any]] = []
    parser_classes: list[type[Any]] = []

    @extend_schema(
        request={"text/plain": OpenApiTypes.STR},
        responses={
            (200, "text/plain"): OpenApiTypes.STR,
            (409, "text/x.tlog.size"): OpenApiTypes.STR,
            400: OpenApiResponse(description="malformed request"),
            403: OpenApiResponse(description="no valid signature by a trusted log key"),
            404: OpenApiResponse(description="unknown log origin"),
            422: OpenApiResponse(description="consistency proof does not verify"),
        },
    )
    def post(self, request: Request) -> HttpResponse:
        try:
            line = node_witness().add_checkpoint(request.body)
        except WitnessError as error:
            if error.status == 409 and error.latest_size is not None:
                return HttpResponse(
                    f"{error.latest_size}\n", status=409, content_type="text/x.tlog.size"
                )
            raise _WitnessProblem(error) from None
        return HttpResponse(line, content_type="text/plain; charset=utf-8")


class _WitnessProblem(APIException):
    def __init__(self, error: WitnessError) -> None:
        super().__init__(error.message, code=_WITNESS_CODES.get(error.status, "invalid"))
        self.status_code = error.status


_WITNESS_CODES = {403: "permission_denied", 404: "not_found", 422: "unprocessable"}
