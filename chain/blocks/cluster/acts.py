"""Acts certified by a cluster's supernodes over the broker (the central bank's issuance
and redemption): the host proposes, each supernode checks and votes, the host counts.

A cluster host holds no supernode key. To have an act certified (the bytes
a registry made, e.g. ``registries.money.domain.act_message``) it signs a
proposal with its own node key (:class:`ActProposal`: chain id, vote kind,
the height of the next block, the act's bytes, an expiry and its reply
queue) and sends it to the supernodes valid at that height (task
``chain.tasks.cluster_act_propose``). Each supernode (:func:`answer`)
answers on the reply queue with its signed vote of the kind -- round 0 over
``sha256(act)``, :func:`act_vote`, the bytes both verifiers count -- or its
refusal and why. The host counts each vote with the one certificate rule
(:func:`chain.certificates.count_certificate` against the keys its certified
membership gives that height) and returns the votes once a quorum
(:func:`chain.certificates.quorum_at`) is in (:func:`certify_act`), or
raises :class:`ActQuorumError` saying what was missing. The registry then
records the act exactly as in ``local`` or ``devnet`` mode, checking the
certificate once more.

The chain side stays generic: it knows which vote kinds supernodes certify
and how to check an act of each (:data:`CERTIFIED`; the money act's bytes
as :mod:`chain.verify.money` spells them), never the registry. What a
supernode checks, and why (DESIGN §9: anyone can inject or replay messages
on the broker):

* the proposal is signed by the host's key (:func:`host_key`) and
  has not expired: anything else is dropped unanswered, so nobody else can
  obtain votes or use up an act id (below);
* the kind is one supernodes certify and the act is well formed: exactly
  the canonical bytes of its terms, on this chain;
* the height is this node's next block give or take :data:`HEIGHT_WINDOW`
  (no certificate for an old or a far future height), and this node is a
  supernode there with the key it signs with;
* it never signs two different acts under one act id (:class:`ActMemory`,
  kept in its database before the vote leaves): the same act again (the
  host retrying) gets the vote again.

The host checks every vote's signature over ITS digest at ITS height, so a
relay that rewrites the act or the digest, a vote replayed from an old height
and a vote of a revoked or unknown key all count as nothing.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.conf import settings
from django.db import transaction

from chain.blocks import memberstore
from chain.blocks.cluster import transport
from chain.blocks.cluster.host import register_members
from chain.blocks.nodekeys import node_key
from chain.certificates import Signature, count_certificate, quorum_at
from chain.consensus.crypto import Signer
from chain.encoding import canonical, vote_message
from chain.memberlog import MemberLog
from chain.protocol import SUPERNODE_TIER
from chain.verify import money

__all__ = [
    "ACT_TIMEOUT",
    "CERTIFIED",
    "HEIGHT_WINDOW",
    "ActAnswer",
    "ActMemory",
    "ActProposal",
    "ActQuorumError",
    "Certified",
    "act_vote",
    "answer",
    "authentic",
    "certify_act",
    "read_act",
]

log = logging.getLogger(__name__)

ACT_TIMEOUT = 15.0
"""Seconds a cluster's supernodes have to certify an act (an official waits that long
at most for an answer)."""

HEIGHT_WINDOW = 16
"""How many blocks a proposal's height may lie from a supernode's next block: the
host's and a node's view of the newest block differ by the few blocks on their way,
never by more unless the proposal is old (or forged)."""

ROUND = 0
PROPOSAL_PURPOSE = "riik-act-proposal"
"""Names the bytes the host signs, so its signature counts for nothing else."""


class ActRefused(ValueError):
    """The act is not one a supernode certifies (the message says why)."""


def _money_act(terms: Mapping[str, Any], chain_id: str) -> str:
    """The act id of a well-formed money act on ``chain_id`` (issuance or redemption)."""
    act, act_id, wallet, cents = (
        terms.get(name) for name in ("act", "act_id", "wallet", "amount_cents")
    )
    if terms.get("purpose") != money.ACT_PURPOSE:
        raise ActRefused(f"the act's purpose is not {money.ACT_PURPOSE!r}")
    if act not in {name for name, _ in money.SUPPLY_CHANGES.values()}:
        raise ActRefused(f"{act!r} is no act of the central bank (issue or redeem)")
    if not isinstance(act_id, str) or not 1 <= len(act_id) <= 64:
        raise ActRefused("the act id is not a reference of 1-64 characters")
    if not isinstance(wallet, str) or not wallet:
        raise ActRefused("the act names no wallet")
    if isinstance(cents, bool) or not isinstance(cents, int) or cents < 1:
        raise ActRefused("the act's amount is not a positive whole number of cents")
    return act_id


CERTIFIED: Mapping[str, Callable[[Mapping[str, Any], str], str]] = {money.ACT_KIND: _money_act}
"""Vote kinds the supernodes certify acts of, each with its check: the act's terms
and the chain id -> the act id (raising :class:`ActRefused`)."""


def act_vote(
    kind: str, digest: bytes, height: int, chain_id: str, vote_round: int = ROUND
) -> bytes:
    """The bytes a supernode signs to certify the act with ``digest`` at ``height``."""
    return vote_message(
        chain_id=chain_id,
        tier=SUPERNODE_TIER,
        kind=kind,
        height=height,
        round=vote_round,
        block_hash=digest,
    )


def read_act(kind: str, message: bytes, chain_id: str) -> str:
    """The act id of ``message`` when it is a well-formed act of ``kind`` on ``chain_id``.

    Well formed means exactly the canonical bytes of its terms (no second
    spelling of the same terms can get a second vote), naming this chain.
    """
    check = CERTIFIED.get(kind)
    if check is None:
        raise ActRefused(f"supernodes certify no act of kind {kind!r}")
    try:
        terms = json.loads(message)
    except (UnicodeDecodeError, ValueError):
        raise ActRefused("the act is not JSON") from None
    if not isinstance(terms, dict) or canonical(terms) != message:
        raise ActRefused("the act is not a canonical JSON object")
    if terms.get("chain_id") != chain_id:
        raise ActRefused(f"the act names chain {terms.get('chain_id')!r}, not {chain_id!r}")
    return check(terms, chain_id)


@dataclass(frozen=True)
class ActProposal:
    """The host's request to certify ``message`` (an act of vote kind ``kind``) at ``height``."""

    chain_id: str
    kind: str
    height: int
    message: bytes
    expires_at_ms: int
    """Unix time (ms) after which the host waits no longer: the proposal is dead."""
    reply_to: str
    host_signature: bytes = b""

    @property
    def digest(self) -> bytes:
        """SHA-256 of the act's bytes: what the votes name."""
        return hashlib.sha256(self.message).digest()

    def signed_bytes(self) -> bytes:
        """What the host signs: every field, the reply queue too (a relay cannot
        redirect the answers)."""
        return canonical(
            {
                "purpose": PROPOSAL_PURPOSE,
                "chain_id": self.chain_id,
                "kind": self.kind,
                "height": self.height,
                "message": self.message,
                "expires_at_ms": self.expires_at_ms,
                "reply_to": self.reply_to,
            }
        )

    def signed_by(self, sign: Callable[[bytes], bytes]) -> ActProposal:
        """This proposal with the host's signature."""
        return replace(self, host_signature=sign(self.signed_bytes()))

    def to_record(self) -> dict[str, Any]:
        """JSON-native form (the task's argument)."""
        return {
            "chain_id": self.chain_id,
            "kind": self.kind,
            "height": self.height,
            "message": self.message.hex(),
            "expires_at_ms": self.expires_at_ms,
            "reply_to": self.reply_to,
            "host_signature": self.host_signature.hex(),
        }

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> ActProposal:
        """Parse :meth:`to_record`; raises ``KeyError``/``TypeError``/``ValueError``."""
        height, expires = record["height"], record["expires_at_ms"]
        if not isinstance(height, int) or not isinstance(expires, int):
            raise TypeError("height and expires_at_ms are integers")
        return cls(
            chain_id=str(record["chain_id"]),
            kind=str(record["kind"]),
            height=height,
            message=bytes.fromhex(str(record["message"])),
            expires_at_ms=expires,
            reply_to=str(record["reply_to"]),
            host_signature=bytes.fromhex(str(record["host_signature"])),
        )


def authentic(proposal: ActProposal, host_key: bytes | None, now: float) -> str:
    """Why ``proposal`` is not the host's live proposal ("" when it is): a proposal
    anyone else made, or one replayed after it expired, is never answered."""
    if host_key is None:
        return "this node knows no host key (RIIK_CLUSTER_HOST_KEY or host.pub)"
    if proposal.expires_at_ms < now * 1000:
        return "the proposal has expired"
    try:
        Ed25519PublicKey.from_public_bytes(host_key).verify(
            proposal.host_signature, proposal.signed_bytes()
        )
    except (InvalidSignature, ValueError):
        return "the proposal is not signed by the host's key"
    return ""


class ActMemory(Protocol):
    """The acts a supernode signed: one digest per act id, for good."""

    def signed(self, kind: str, act_id: str) -> bytes | None:
        """The digest this node signed under the act id, if any."""

    def remember(self, kind: str, act_id: str, digest: bytes, height: int) -> None:
        """Keep the digest signed under the act id (durably, before the vote leaves)."""


@dataclass(frozen=True)
class ActAnswer:
    """A supernode's answer: its vote (``signer``, ``key_id``, ``round``, ``signature``,
    as a certificate carries it), or why it refused."""

    signer: str
    vote: dict[str, Any] | None
    reason: str = ""

    def to_record(self) -> dict[str, Any]:
        """JSON-native form (the reply message)."""
        return {"signer": self.signer, "vote": self.vote, "reason": self.reason}


def answer(
    proposal: ActProposal,
    *,
    tier: str,
    log: MemberLog,
    signer: Signer,
    next_height: int,
    memory: ActMemory,
) -> ActAnswer:
    """This node's answer to the host's (authentic) ``proposal``.

    ``next_height`` is the block this node would finalize next; ``memory``
    what it signed before. A vote is remembered before it is returned.
    """

    def refuse(reason: str) -> ActAnswer:
        return ActAnswer(signer.name, None, reason)

    if tier != SUPERNODE_TIER:
        return refuse(f"{signer.name} is no supernode")
    if proposal.chain_id != log.chain_id:
        return refuse(f"chain {proposal.chain_id!r} is not {log.chain_id!r}")
    try:
        act_id = read_act(proposal.kind, proposal.message, log.chain_id)
    except ActRefused as error:
        return refuse(str(error))
    if abs(proposal.height - next_height) > HEIGHT_WINDOW:
        return refuse(
            f"height {proposal.height} is more than {HEIGHT_WINDOW} blocks from "
            f"{signer.name}'s next block {next_height}"
        )
    key = signer.at(proposal.height)
    if (key.name, key.key_id) not in log.keys_at(SUPERNODE_TIER, proposal.height):
        return refuse(f"{signer.name} is no supernode at height {proposal.height}")
    digest = proposal.digest
    before = memory.signed(proposal.kind, act_id)
    if before is not None and before != digest:
        return refuse(f"act {act_id} was certified with other terms: an act id is used once")
    if before is None:
        memory.remember(proposal.kind, act_id, digest, proposal.height)
    signature = key.sign(act_vote(proposal.kind, digest, proposal.height, log.chain_id))
    return ActAnswer(
        key.name,
        {
            "signer": key.name,
            "key_id": key.key_id.hex(),
            "round": ROUND,
            "signature": signature.hex(),
        },
    )


# -- the host --------------------------------------------------------------------


@dataclass(frozen=True)
class Certified:
    """A quorum's votes on an act, at the height whose supernode keys signed it."""

    height: int
    votes: list[dict[str, Any]]


@dataclass(eq=False)  # an exception compares (and hashes) by identity
class ActQuorumError(Exception):
    """No quorum certified the act: who voted, who refused and why, who was silent."""

    votes: int
    needed: int
    refusals: dict[str, str] = field(default_factory=dict)
    silent: list[str] = field(default_factory=list)
    timeout: float = ACT_TIMEOUT

    @property
    def refused(self) -> bool:
        """True when the refusals alone leave too few supernodes for a quorum
        (asking again will not help); False when some were only silent."""
        return self.votes + len(self.silent) < self.needed

    def __str__(self) -> str:
        reasons = "; ".join(f"{name}: {why}" for name, why in sorted(self.refusals.items()))
        if self.refused:
            return f"refused by the supernodes ({self.votes} of {self.needed} votes): {reasons}"
        return (
            f"no supernode quorum within {self.timeout:g} s ({self.votes} of {self.needed} "
            f"votes; no answer from {', '.join(self.silent) or 'nobody'}"
            f"{'; ' + reasons if reasons else ''})"
        )


def _counted(
    vote: object,
    signer: str,
    keys: Mapping[tuple[str, bytes], bytes],
    message: Callable[[int], bytes],
) -> bool:
    """True when ``vote`` is ``signer``'s valid vote (the one certificate rule)."""
    if not isinstance(vote, Mapping) or vote.get("signer") != signer:
        return False
    try:
        signature = Signature(
            signer,
            bytes.fromhex(str(vote["key_id"])),
            int(vote["round"]),
            bytes.fromhex(str(vote["signature"])),
        )
    except (KeyError, TypeError, ValueError):
        return False
    return signer in count_certificate([signature], keys, message, fixed_round=ROUND).signers


def certify_act(kind: str, message: bytes, timeout: float | None = None) -> Certified:
    """The votes of a quorum of the supernodes valid at the next block on the act
    ``message`` of vote kind ``kind``, collected over the broker within ``timeout``
    seconds (:data:`ACT_TIMEOUT`); raises :class:`ActQuorumError` otherwise.

    Call it outside any transaction: no lock is held while the supernodes answer.
    """
    timeout = ACT_TIMEOUT if timeout is None else timeout
    with transaction.atomic():
        register_members()  # the genesis is the first entry
        members = memberstore.recorded_log()
        height = memberstore.last_block() + 1
    keys = members.keys_at(SUPERNODE_TIER, height)
    supernodes = sorted({name for name, _ in keys})
    needed = quorum_at(keys)
    digest = hashlib.sha256(message).digest()
    chain_id = members.chain_id

    def signed_bytes(vote_round: int) -> bytes:
        return act_vote(kind, digest, height, chain_id, vote_round)

    def judge(signer: str, answer: Mapping[str, Any], answers: transport.Answers) -> None:
        vote = answer.get("vote")
        if vote is not None and _counted(vote, signer, keys, signed_bytes):
            answers.votes[signer] = dict(vote)
            answers.refusals.pop(signer, None)
        elif vote is not None:
            answers.refusals[signer] = "an invalid vote (not over this act at this height)"
        else:
            answers.refusals[signer] = str(answer.get("reason") or "refused")

    queue = f"{settings.RIIK_CLUSTER_PREFIX}.host.act.{uuid.uuid4().hex}"
    proposal = ActProposal(
        chain_id, kind, height, message, int((time.time() + timeout) * 1000), queue
    ).signed_by(node_key().sign)
    answers = transport.ask(
        "cluster_act_propose",
        supernodes,
        queue,
        (proposal.to_record(),),
        needed,
        timeout,
        judge,
    )
    votes = answers.votes
    if len(votes) < needed:
        raise ActQuorumError(
            len(votes), needed, answers.refusals, answers.silent(supernodes), timeout
        )
    return Certified(height, [votes[name] for name in sorted(votes)])
