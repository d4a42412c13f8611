"""What consensus nodes say to each other: votes, proposals, certificates.

Pure: no Django, no I/O. Every type is a frozen dataclass with a JSON-native
record form (``to_record`` / ``from_record``: bytes as lowercase hex), which
is what a Celery task or a database column carries. Parsing is strict and
raises :class:`MessageFormatError`; a well-formed message is not yet a valid
one: signatures and membership are checked by :mod:`chain.consensus.membership`
and :mod:`chain.consensus.evidence`.

The bytes a vote signs are exactly ``chain.encoding.vote_message(chain_id,
tier, kind, height, round, block_hash)``, so a supernode ``finalize`` vote is
the signature the standalone verifier (``chain.verify``) checks. A nil vote
(Tendermint's "no block in this round") signs 32 zero bytes as its block hash.
A proposal signs the same fields, its valid round and the digest of the
witness certificate it carries (:func:`proposal_message`): a receiver acts on
both, so a relay must not be able to change them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Self, TypeAlias, cast

from chain.consensus.crypto import ALG, Signer
from chain.encoding import ZERO_HASH, block_hash, canonical, vote_message
from chain.protocol import FINALIZE_ROUND, KINDS, TIERS, Kind, Tier

__all__ = [
    "FINALIZE_ROUND",
    "KINDS",
    "NIL_HASH",
    "TIERS",
    "Block",
    "BlockRequest",
    "CommittedBlock",
    "CosignConflict",
    "CosignRequest",
    "FinalBlock",
    "Kind",
    "Message",
    "MessageFormatError",
    "Proposal",
    "QuorumCertificate",
    "StorageChallenge",
    "StorageProof",
    "SyncRequest",
    "Tier",
    "Vote",
    "certificate_digest",
    "message_from_record",
    "message_to_record",
    "message_type",
    "proposal_message",
]


NIL_HASH = ZERO_HASH
"""What a nil vote signs as its block hash: 32 zero bytes."""


class MessageFormatError(ValueError):
    """A record that is not a well-formed consensus message."""


# --- record helpers ---------------------------------------------------------


def _field(record: Mapping[str, Any], name: str, kind: type | tuple[type, ...]) -> Any:
    if not isinstance(record, Mapping):
        raise MessageFormatError("record must be an object")
    if name not in record:
        raise MessageFormatError(f"field {name!r} missing")
    value = record[name]
    if isinstance(value, bool) and kind is int:
        raise MessageFormatError(f"field {name!r} must be an integer")
    if not isinstance(value, kind):
        raise MessageFormatError(f"field {name!r} has the wrong type")
    return value


def _int(record: Mapping[str, Any], name: str, minimum: int = 0) -> int:
    value: int = _field(record, name, int)
    if value < minimum:
        raise MessageFormatError(f"field {name!r} must be >= {minimum}")
    return value


def _hex(value: Any, name: str, size: int | None = None) -> bytes:
    if not isinstance(value, str):
        raise MessageFormatError(f"field {name!r} must be a hex string")
    try:
        data = bytes.fromhex(value)
    except ValueError:
        raise MessageFormatError(f"field {name!r} is not hex") from None
    if data.hex() != value:
        raise MessageFormatError(f"field {name!r} must be lowercase hex")
    if size is not None and len(data) != size:
        raise MessageFormatError(f"field {name!r} must be {size} bytes")
    return data


def _nonzero(block_hash: bytes) -> bytes:
    if block_hash == NIL_HASH:
        raise MessageFormatError("a nil vote has block_hash null, not zero bytes")
    return block_hash


def _hex_field(record: Mapping[str, Any], name: str, size: int | None = None) -> bytes:
    return _hex(_field(record, name, str), name, size)


def json_native(value: Mapping[str, Any]) -> dict[str, Any]:
    """``value`` with bytes turned into hex, as JSON would carry it.

    The canonical encoding writes bytes as hex, so the hash of a header is the
    same before and after this conversion.
    """
    result: dict[str, Any] = json.loads(canonical(value))
    return result


# --- votes ------------------------------------------------------------------


def proposal_message(
    *,
    chain_id: str,
    tier: str,
    height: int,
    round: int,
    block_hash: bytes,
    pol_round: int,
    justification_hash: bytes | None,
) -> bytes:
    """The bytes a proposer signs: a ``proposal`` vote's fields, the valid round and the
    digest of the witness certificate (:func:`certificate_digest`; None: no certificate).

    Tendermint signs the proposal's POLRound: receivers prevote on it, so an
    unsigned valid round lets a relay turn a fresh proposal into one that
    waits for a polka that never comes. A supernode prevotes nil on a witness
    block without its certificate, so the certificate is signed too.
    """
    return canonical(
        {
            "chain_id": chain_id,
            "tier": tier,
            "kind": "proposal",
            "height": height,
            "round": round,
            "block_hash": block_hash,
            "pol_round": pol_round,
            "justification": justification_hash,
        }
    )


def certificate_digest(qc: QuorumCertificate | None) -> bytes | None:
    """SHA-256 of a certificate's canonical record (None for no certificate)."""
    return None if qc is None else hashlib.sha256(canonical(qc.to_record())).digest()


@dataclass(frozen=True, slots=True)
class Vote:
    """One signed statement of one node about one block (or nil) at a height and round.

    ``block_hash`` is ``None`` for a nil vote. The signature covers
    :meth:`signed_bytes`: chain id, tier, kind, height, round and block hash,
    so it cannot be replayed on another chain, tier, height or round; ``alg``
    and ``key_id`` name the key, so the vote stays verifiable after the key is
    rotated. A ``proposal`` vote also signs its ``pol_round`` and
    ``justification_hash`` (every other kind has None in both and signs
    exactly :func:`chain.encoding.vote_message`).
    """

    chain_id: str
    tier: Tier
    kind: Kind
    height: int
    round: int
    block_hash: bytes | None
    signer: str
    key_id: bytes
    signature: bytes
    alg: str = ALG
    pol_round: int | None = None
    justification_hash: bytes | None = None

    @classmethod
    def sign(
        cls,
        signer: Signer,
        *,
        chain_id: str,
        tier: Tier,
        kind: Kind,
        height: int,
        round: int,
        block_hash: bytes | None,
        pol_round: int | None = None,
        justification_hash: bytes | None = None,
    ) -> Vote:
        """A vote by ``signer`` (its key for ``height``), signed over :meth:`signed_bytes`.

        ``pol_round`` and ``justification_hash`` are given for a ``proposal`` vote only.
        """
        signer = signer.at(height)
        unsigned = cls(
            chain_id=chain_id,
            tier=tier,
            kind=kind,
            height=height,
            round=round,
            block_hash=block_hash,
            signer=signer.name,
            key_id=signer.key_id,
            signature=b"",
            pol_round=pol_round,
            justification_hash=justification_hash,
        )
        return replace(unsigned, signature=signer.sign(unsigned.signed_bytes()))

    @property
    def is_nil(self) -> bool:
        """True for a vote for no block."""
        return self.block_hash is None

    @property
    def slot(self) -> tuple[str, str, str, int, int, str]:
        """Where one node may say one thing: (chain, tier, kind, height, round, signer)."""
        return (self.chain_id, self.tier, self.kind, self.height, self.round, self.signer)

    @property
    def statement(self) -> tuple[bytes, int | None, bytes | None]:
        """What the signature says in the slot: the block (and a proposal's round and certificate).

        As signed: a nil vote says 32 zero bytes, so a nil vote relabelled as
        a vote for the all-zero hash says the same thing, not another.
        """
        block = NIL_HASH if self.block_hash is None else self.block_hash
        return (block, self.pol_round, self.justification_hash)

    def signed_bytes(self) -> bytes:
        """Exactly the bytes the signature covers."""
        digest = NIL_HASH if self.block_hash is None else self.block_hash
        if self.pol_round is not None:
            return proposal_message(
                chain_id=self.chain_id,
                tier=self.tier,
                height=self.height,
                round=self.round,
                block_hash=digest,
                pol_round=self.pol_round,
                justification_hash=self.justification_hash,
            )
        return vote_message(
            chain_id=self.chain_id,
            tier=self.tier,
            kind=self.kind,
            height=self.height,
            round=self.round,
            block_hash=digest,
        )

    def same_statement(self, other: Vote) -> bool:
        """True when both votes say the same thing (possibly signed with another key)."""
        return self.slot == other.slot and self.statement == other.statement

    def to_record(self) -> dict[str, Any]:
        """JSON-native record (``pol_round`` and ``justification_hash`` only in a proposal's)."""
        record: dict[str, Any] = {
            "chain_id": self.chain_id,
            "tier": self.tier,
            "kind": self.kind,
            "height": self.height,
            "round": self.round,
            "block_hash": None if self.block_hash is None else self.block_hash.hex(),
            "signer": self.signer,
            "key_id": self.key_id.hex(),
            "alg": self.alg,
            "signature": self.signature.hex(),
        }
        if self.pol_round is not None:
            record["pol_round"] = self.pol_round
            justification = self.justification_hash
            record["justification_hash"] = None if justification is None else justification.hex()
        return record

    def certificate_record(self) -> dict[str, str]:
        """The signature as a bundle block's ``certificate`` lists it (chain.verify)."""
        return {
            "signer": self.signer,
            "key_id": self.key_id.hex(),
            "alg": self.alg,
            "signature": self.signature.hex(),
        }

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Vote:
        """Parse a record written by :meth:`to_record`."""
        tier = _field(record, "tier", str)
        kind = _field(record, "kind", str)
        if tier not in TIERS:
            raise MessageFormatError(f"unknown tier {tier!r}")
        if kind not in KINDS:
            raise MessageFormatError(f"unknown kind {kind!r}")
        raw_hash = record.get("block_hash")
        # A proposal signs its valid round and certificate; no other kind has them.
        pol_round: int | None = None
        justification: bytes | None = None
        if kind == "proposal":
            pol_round = _int(record, "pol_round", minimum=-1)
            raw_justification = _field(record, "justification_hash", (str, type(None)))
            if raw_justification is not None:
                justification = _hex(raw_justification, "justification_hash", 32)
        elif "pol_round" in record or "justification_hash" in record:
            raise MessageFormatError("only a proposal has a pol_round and a justification_hash")
        return cls(
            chain_id=_field(record, "chain_id", str),
            tier=cast(Tier, tier),
            kind=cast(Kind, kind),
            height=_int(record, "height"),
            round=_int(record, "round"),
            block_hash=None if raw_hash is None else _nonzero(_hex(raw_hash, "block_hash", 32)),
            signer=_field(record, "signer", str),
            key_id=_hex_field(record, "key_id", 4),
            signature=_hex_field(record, "signature"),
            alg=_field(record, "alg", str),
            pol_round=pol_round,
            justification_hash=justification,
        )


@dataclass(frozen=True, slots=True)
class QuorumCertificate:
    """Votes of one tier and kind for one block at one height and round.

    A certificate is only as good as its votes: :func:`chain.consensus.evidence.check_certificate`
    counts the distinct members whose vote matches these fields and verifies.
    """

    tier: Tier
    kind: Kind
    height: int
    round: int
    block_hash: bytes | None
    votes: tuple[Vote, ...]

    @property
    def signers(self) -> tuple[str, ...]:
        """Signer names in vote order (duplicates possible in a forged certificate)."""
        return tuple(vote.signer for vote in self.votes)

    def to_records(self) -> list[dict[str, str]]:
        """The bundle ``certificate`` list (for a supernode finalize certificate)."""
        return [vote.certificate_record() for vote in self.votes]

    def to_record(self) -> dict[str, Any]:
        """JSON-native record."""
        return {
            "tier": self.tier,
            "kind": self.kind,
            "height": self.height,
            "round": self.round,
            "block_hash": None if self.block_hash is None else self.block_hash.hex(),
            "votes": [vote.to_record() for vote in self.votes],
        }

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> QuorumCertificate:
        """Parse a record written by :meth:`to_record`."""
        tier = _field(record, "tier", str)
        kind = _field(record, "kind", str)
        if tier not in TIERS or kind not in KINDS:
            raise MessageFormatError(f"unknown tier or kind {tier!r}/{kind!r}")
        raw_hash = record.get("block_hash")
        votes = _field(record, "votes", list)
        return cls(
            tier=cast(Tier, tier),
            kind=cast(Kind, kind),
            height=_int(record, "height"),
            round=_int(record, "round"),
            block_hash=None if raw_hash is None else _hex(raw_hash, "block_hash", 32),
            votes=tuple(Vote.from_record(vote) for vote in votes),
        )


# --- blocks -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Block:
    """A block header (JSON-native: hashes as hex) and its hash.

    Two blocks are equal when their hashes are; ``block_hash`` is always
    recomputed from the header (:meth:`from_header`), never taken on trust.
    """

    header: Mapping[str, Any] = field(compare=False, hash=False)
    hash: bytes

    @classmethod
    def from_header(cls, header: Mapping[str, Any]) -> Block:
        """The block of ``header``; raises :class:`MessageFormatError` if it cannot be hashed."""
        try:
            native = json_native(header)
            digest = block_hash(native)
        except (TypeError, ValueError) as exc:
            raise MessageFormatError(f"block header has no canonical form: {exc}") from exc
        return cls(native, digest)

    @property
    def height(self) -> int:
        """``header["height"]`` (-1 when missing or not an integer)."""
        value = self.header.get("height")
        return value if isinstance(value, int) and not isinstance(value, bool) else -1

    @property
    def prev_hash(self) -> bytes | None:
        """``header["prev_hash"]`` as bytes (None when missing or malformed)."""
        try:
            return _hex(self.header.get("prev_hash"), "prev_hash", 32)
        except MessageFormatError:
            return None

    @property
    def proposer(self) -> str:
        """``header["proposer"]`` ('' when missing)."""
        value = self.header.get("proposer")
        return value if isinstance(value, str) else ""

    @property
    def chain_id(self) -> str:
        """``header["chain_id"]`` ('' when missing)."""
        value = self.header.get("chain_id")
        return value if isinstance(value, str) else ""

    def logs(self) -> dict[str, tuple[int, bytes]]:
        """The header's ``{registry: (size, root)}``; raises MessageFormatError when malformed."""
        logs = self.header.get("logs")
        if not isinstance(logs, Mapping):
            raise MessageFormatError("block header has no logs")
        result = {}
        for registry in sorted(logs):
            item = logs[registry]
            if not isinstance(item, Mapping):
                raise MessageFormatError(f"log {registry!r} is not an object")
            result[registry] = (_int(item, "size"), _hex_field(item, "root", 32))
        return result

    def to_record(self) -> dict[str, Any]:
        """JSON-native record: the header (the hash is recomputed when read)."""
        return {"header": dict(self.header)}

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Block:
        """Parse a record written by :meth:`to_record`."""
        return cls.from_header(_field(record, "header", Mapping))


@dataclass(frozen=True, slots=True)
class BlockRequest:
    """What a proposer's ``propose_block`` callback is asked to build."""

    chain_id: str
    height: int
    round: int
    prev_hash: bytes
    proposer: str
    now: int
    """The proposer's local clock (ticks), for a deterministic ``sealed_at``."""


@dataclass(frozen=True, slots=True)
class Proposal:
    """A proposer's block for (height, round), signed as a vote of kind ``proposal``.

    The signed vote covers the block hash, ``pol_round`` (Tendermint's
    valid round, -1 for a fresh block) and the digest of ``justification``,
    the witness commit certificate of a witness block re-proposed by a
    supernode. ``pol``, the prevotes of the valid round, is not signed by
    the proposer (any 2f+1 of them will do, and a receiver only waits for
    them): its votes are checked one by one.
    """

    block: Block
    vote: Vote
    pol: QuorumCertificate | None = None
    justification: QuorumCertificate | None = None

    @classmethod
    def sign(
        cls,
        signer: Signer,
        *,
        chain_id: str,
        tier: Tier,
        round: int,
        block: Block,
        pol_round: int = -1,
        pol: QuorumCertificate | None = None,
        justification: QuorumCertificate | None = None,
    ) -> Proposal:
        """A proposal of ``block`` by ``signer``."""
        vote = Vote.sign(
            signer,
            chain_id=chain_id,
            tier=tier,
            kind="proposal",
            height=block.height,
            round=round,
            block_hash=block.hash,
            pol_round=pol_round,
            justification_hash=certificate_digest(justification),
        )
        return cls(block, vote, pol, justification)

    @property
    def height(self) -> int:
        """The height the proposal is signed for."""
        return self.vote.height

    @property
    def round(self) -> int:
        """The round the proposal is signed for."""
        return self.vote.round

    @property
    def pol_round(self) -> int:
        """The signed valid round (-1: a fresh block)."""
        return -1 if self.vote.pol_round is None else self.vote.pol_round

    @property
    def proposer(self) -> str:
        """Who signed the proposal."""
        return self.vote.signer

    @property
    def justification_signed(self) -> bool:
        """True when ``justification`` is the certificate the proposer signed."""
        return self.vote.justification_hash == certificate_digest(self.justification)

    def to_record(self) -> dict[str, Any]:
        """JSON-native record."""
        return {
            "block": self.block.to_record(),
            "vote": self.vote.to_record(),
            "pol": None if self.pol is None else self.pol.to_record(),
            "justification": None if self.justification is None else self.justification.to_record(),
        }

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Proposal:
        """Parse a record written by :meth:`to_record`."""
        pol = record.get("pol")
        justification = record.get("justification")
        vote = Vote.from_record(_field(record, "vote", Mapping))
        if vote.kind != "proposal":
            raise MessageFormatError("a proposal is signed as a vote of kind 'proposal'")
        return cls(
            block=Block.from_record(_field(record, "block", Mapping)),
            vote=vote,
            pol=None if pol is None else QuorumCertificate.from_record(pol),
            justification=(
                None if justification is None else QuorumCertificate.from_record(justification)
            ),
        )


@dataclass(frozen=True, slots=True)
class _CertifiedBlock:
    """A block's header with the quorum certificate that justifies it."""

    block: Block
    qc: QuorumCertificate

    def to_record(self) -> dict[str, Any]:
        """JSON-native record."""
        return {"block": self.block.to_record(), "qc": self.qc.to_record()}

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Self:
        """Parse a record written by :meth:`to_record`."""
        return cls(
            Block.from_record(_field(record, "block", Mapping)),
            QuorumCertificate.from_record(_field(record, "qc", Mapping)),
        )


@dataclass(frozen=True, slots=True)
class CommittedBlock(_CertifiedBlock):
    """A block the witness board committed: its header and 2f+1 witness precommits."""


@dataclass(frozen=True, slots=True)
class FinalBlock(_CertifiedBlock):
    """A final block: its header and 2F+1 supernode finalize votes (round 0)."""

    @property
    def height(self) -> int:
        """The block's height."""
        return self.qc.height


@dataclass(frozen=True, slots=True)
class CosignRequest:
    """Asks a citizen witness to cosign a final block (the tlog-witness add-checkpoint).

    ``old_sizes`` are the log sizes the requester believes the citizen last
    cosigned; ``proofs`` the consistency proofs from those sizes to the
    block's, per registry.
    """

    final: FinalBlock
    old_sizes: Mapping[str, int]
    proofs: Mapping[str, tuple[bytes, ...]]

    def to_record(self) -> dict[str, Any]:
        """JSON-native record."""
        return {
            "final": self.final.to_record(),
            "old_sizes": dict(sorted(self.old_sizes.items())),
            "proofs": {r: [p.hex() for p in proof] for r, proof in sorted(self.proofs.items())},
        }

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> CosignRequest:
        """Parse a record written by :meth:`to_record`."""
        sizes = _field(record, "old_sizes", Mapping)
        proofs = _field(record, "proofs", Mapping)
        return cls(
            FinalBlock.from_record(_field(record, "final", Mapping)),
            {str(r): _int(sizes, r) for r in sizes},
            {str(r): tuple(_hex(p, "proof", 32) for p in proofs[r]) for r in proofs},
        )


@dataclass(frozen=True, slots=True)
class CosignConflict:
    """A citizen's answer when the request assumed other old sizes: what it has cosigned."""

    height: int
    sizes: Mapping[str, int]

    def to_record(self) -> dict[str, Any]:
        """JSON-native record."""
        return {"height": self.height, "sizes": dict(sorted(self.sizes.items()))}

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> CosignConflict:
        """Parse a record written by :meth:`to_record`."""
        sizes = _field(record, "sizes", Mapping)
        return cls(_int(record, "height"), {str(r): _int(sizes, r) for r in sizes})


@dataclass(frozen=True, slots=True)
class StorageChallenge:
    """Prove you still hold entry ``seq`` of ``registry`` in the tree of ``size`` leaves."""

    nonce: int
    registry: str
    seq: int
    size: int
    root: bytes

    def to_record(self) -> dict[str, Any]:
        """JSON-native record."""
        return {
            "nonce": self.nonce,
            "registry": self.registry,
            "seq": self.seq,
            "size": self.size,
            "root": self.root.hex(),
        }

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> StorageChallenge:
        """Parse a record written by :meth:`to_record`."""
        return cls(
            _int(record, "nonce"),
            _field(record, "registry", str),
            _int(record, "seq", 1),
            _int(record, "size", 1),
            _hex_field(record, "root", 32),
        )


@dataclass(frozen=True, slots=True)
class StorageProof:
    """A replica's answer to a challenge: the entry's leaf bytes and its inclusion proof."""

    nonce: int
    registry: str
    seq: int
    size: int
    leaf: bytes
    proof: tuple[bytes, ...]

    def to_record(self) -> dict[str, Any]:
        """JSON-native record."""
        return {
            "nonce": self.nonce,
            "registry": self.registry,
            "seq": self.seq,
            "size": self.size,
            "leaf": self.leaf.hex(),
            "proof": [p.hex() for p in self.proof],
        }

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> StorageProof:
        """Parse a record written by :meth:`to_record`."""
        return cls(
            _int(record, "nonce"),
            _field(record, "registry", str),
            _int(record, "seq", 1),
            _int(record, "size", 1),
            _hex_field(record, "leaf"),
            tuple(_hex(p, "proof", 32) for p in _field(record, "proof", list)),
        )


@dataclass(frozen=True, slots=True)
class SyncRequest:
    """A lagging node asks a peer for the final blocks from ``from_height`` on."""

    from_height: int

    def to_record(self) -> dict[str, Any]:
        """JSON-native record."""
        return {"from_height": self.from_height}

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> SyncRequest:
        """Parse a record written by :meth:`to_record`."""
        return cls(_int(record, "from_height", 1))


Message: TypeAlias = (
    Vote
    | Proposal
    | CommittedBlock
    | FinalBlock
    | CosignRequest
    | CosignConflict
    | StorageChallenge
    | StorageProof
    | SyncRequest
)

_TYPES: dict[str, Any] = {
    "vote": Vote,
    "proposal": Proposal,
    "committed": CommittedBlock,
    "final": FinalBlock,
    "cosign-request": CosignRequest,
    "cosign-conflict": CosignConflict,
    "storage-challenge": StorageChallenge,
    "storage-proof": StorageProof,
    "sync": SyncRequest,
}
_NAMES = {cls: name for name, cls in _TYPES.items()}


def message_type(message: Message) -> str:
    """The wire name of a message's type (``vote``, ``proposal``, ...)."""
    return _NAMES[type(message)]


def message_to_record(message: Message) -> dict[str, Any]:
    """``{"type": ..., "body": ...}``: what goes into a queue."""
    return {"type": message_type(message), "body": message.to_record()}


def message_from_record(record: Mapping[str, Any]) -> Message:
    """Parse a record written by :func:`message_to_record`."""
    kind = _field(record, "type", str)
    cls = _TYPES.get(kind)
    if cls is None:
        raise MessageFormatError(f"unknown message type {kind!r}")
    message: Message = cls.from_record(_field(record, "body", Mapping))
    return message
