"""The one certificate rule that nodes and the offline verifier share.

A tier's certificate for one statement (a block, a membership change) counts
**distinct signers**, each with a **key valid at that height**, **within one
round**: signatures of different rounds sign different bytes and never add up
(two rounds of two honest votes each are no quorum of four). Kinds whose round
is fixed (``finalize`` and ``cosign`` at :data:`chain.protocol.FINALIZE_ROUND`,
``membership`` at 0) count only that round; any other round is refused, so a
validly signed vote of another round is the signer's fault, never a vote.

The keys valid at a height come from the key history derived from the chain
log's certified membership entries (:class:`chain.memberlog.MemberLog`), never
from an unsigned bundle header. Pure: standard library and ``cryptography``
only (the standalone verifier copies this file as it is).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from chain import protocol

__all__ = [
    "OFF_ROUND",
    "Refusal",
    "Signature",
    "Tally",
    "count_certificate",
    "quorum_at",
]

OFF_ROUND = "off-round"
"""The reason of a refusal for a vote of another round than the kind's fixed one."""


@dataclass(frozen=True)
class Signature:
    """One vote of a certificate as stored: who signed, with which key, in which round."""

    signer: str
    key_id: bytes
    round: int
    signature: bytes


@dataclass(frozen=True)
class Refusal:
    """A signature that does not count, and why (``unknown key``, ``invalid signature``
    or :data:`OFF_ROUND`; an off-round refusal has ``verified`` True when its
    signature is valid under the signer's key, i.e. the signer really signed it)."""

    signature: Signature
    reason: str
    verified: bool = False


@dataclass(frozen=True)
class Tally:
    """The counted round of a certificate, its distinct signers there, and the refusals."""

    round: int | None
    """The round whose signers count (None when no signature is valid)."""
    signers: frozenset[str]
    refused: tuple[Refusal, ...]
    other_rounds: frozenset[str]
    """Valid signers of the other rounds: reported, never counted."""


PublicKey = Ed25519PublicKey | bytes
"""A key as the caller holds it: loaded, or its 32 raw bytes."""


def _verifies(key: PublicKey, signature: bytes, message: bytes) -> bool:
    try:
        loaded = key
        if not isinstance(loaded, Ed25519PublicKey):
            loaded = Ed25519PublicKey.from_public_bytes(loaded)
        loaded.verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True


def count_certificate(
    signatures: Iterable[Signature],
    keys: Mapping[tuple[str, bytes], PublicKey],
    message: Callable[[int], bytes],
    *,
    fixed_round: int | None = None,
) -> Tally:
    """Count a certificate under the one rule: distinct signers, valid keys, one round.

    ``keys``: ``(name, key id) -> public key`` of the tier's keys valid at the
    statement's height. ``message``: the signed bytes of the statement in a
    given round (:func:`chain.encoding.vote_message`). ``fixed_round``: the
    only round the kind is signed in; other rounds are refused. Otherwise the
    counted round is the one with the most distinct valid signers (the lowest
    on a tie); the signers of other rounds are never added to it.
    """
    by_round: dict[int, set[str]] = {}
    refused: list[Refusal] = []
    messages: dict[int, bytes] = {}
    for signature in signatures:
        key = keys.get((signature.signer, signature.key_id))
        if key is None:
            refused.append(Refusal(signature, "unknown key"))
            continue
        if signature.round not in messages:
            messages[signature.round] = message(signature.round)
        valid = _verifies(key, signature.signature, messages[signature.round])
        if fixed_round is not None and signature.round != fixed_round:
            refused.append(Refusal(signature, OFF_ROUND, verified=valid))
            continue
        if not valid:
            refused.append(Refusal(signature, "invalid signature"))
            continue
        by_round.setdefault(signature.round, set()).add(signature.signer)
    if not by_round:
        return Tally(None, frozenset(), tuple(refused), frozenset())
    best = min(by_round, key=lambda r: (-len(by_round[r]), r))
    others = {name for r, names in by_round.items() if r != best for name in names}
    return Tally(best, frozenset(by_round[best]), tuple(refused), frozenset(others))


def quorum_at(keys: Iterable[tuple[str, bytes]]) -> int:
    """Signers a certificate needs among the members holding a key valid at its height.

    A member counts once whatever its number of keys; a member whose key was
    revoked (no key valid there) is not a member of that height and does not
    raise the quorum. At least 1.
    """
    return max(protocol.quorum(len({name for name, _ in keys})), 1)
