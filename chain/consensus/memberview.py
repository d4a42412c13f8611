"""A cluster node's view of the membership: the certified entries it applied
and its vote on a change the registry host proposes.

Pure: no Django, no I/O. A node replays the chain log's membership entries
with :class:`chain.memberlog.MemberLog` (the verifiers' rules) and applies
each one to the :class:`~chain.consensus.membership.Membership` its state
machines read, so from the block the entry applies to (its ``from_height``,
or later when a final block sealed it late) they use the new lists.
An entry is accepted only when its certificate verifies against this node's
own view; one that does not (or that contradicts an entry held) stops the
replay and changes nothing.

A supernode votes (kind ``membership``) for a proposed change only when it
holds every entry the host recorded, is a supernode at the proposed height,
has not started a block the change would apply to, and the change passes
the same rules as the replay.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from chain.consensus.crypto import SignatureVerifier, Signer
from chain.consensus.membership import (
    Genesis,
    Membership,
    MembershipError,
    certificate_of_entry,
)
from chain.consensus.messages import Vote
from chain.encoding import canonical
from chain.memberlog import MemberLog, MemberLogError, change_digest

__all__ = [
    "MemberProposal",
    "MemberView",
    "MemberViewError",
    "SealedAt",
    "VoteAnswer",
]

SealedAt = Callable[[Mapping[str, Any]], int | None]
"""The height of the final block that seals a membership entry (the first whose
``consensus`` log reaches its seq), None while no final block a node holds does."""


class MemberViewError(ValueError):
    """An entry this node cannot accept (the message says why); nothing of it was applied."""


@dataclass(frozen=True)
class MemberProposal:
    """A change the host asks the supernodes to certify at ``height``."""

    chain_id: str
    change: Mapping[str, Any]
    height: int
    from_height: int
    entries: int
    """How many membership entries (the genesis included) the host has recorded."""
    expires_at: float = 0.0
    """Unix time after which the host records nothing on these votes."""

    def to_record(self) -> dict[str, Any]:
        """JSON-native form (a task argument)."""
        return {
            "chain_id": self.chain_id,
            "change": dict(self.change),
            "height": self.height,
            "from_height": self.from_height,
            "entries": self.entries,
            "expires_at": self.expires_at,
        }

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> MemberProposal:
        """Parse :meth:`to_record`; raises ``KeyError``/``TypeError``/``ValueError``."""
        change = record["change"]
        if not isinstance(change, Mapping):
            raise TypeError("change is not an object")
        return cls(
            chain_id=str(record["chain_id"]),
            change=dict(change),
            height=int(record["height"]),
            from_height=int(record["from_height"]),
            entries=int(record["entries"]),
            expires_at=float(record.get("expires_at", 0.0)),
        )


@dataclass(frozen=True)
class VoteAnswer:
    """A supernode's answer: its signed vote, or why it refused."""

    signer: str
    vote: Vote | None
    reason: str = ""
    behind: bool = False
    """Refused only because the node has not applied every recorded entry yet
    (one waits for a final block sealing it): asking again later may succeed."""

    def to_record(self) -> dict[str, Any]:
        """JSON-native form (the reply message; ``behind`` only when true)."""
        record: dict[str, Any] = {
            "signer": self.signer,
            "vote": None if self.vote is None else self.vote.to_record(),
            "reason": self.reason,
        }
        if self.behind:
            record["behind"] = True
        return record


class MemberView:
    """The membership entries a node applied, replayed for its state machines."""

    def __init__(
        self, genesis: Mapping[str, Any], verifier: SignatureVerifier | None = None
    ) -> None:
        chain_id = str(genesis.get("chain_id"))
        self.log = MemberLog(chain_id)
        try:
            self.log.apply(genesis, "genesis")
            certificate = certificate_of_entry(genesis)
            self.membership = Membership(chain_id, certificate, verifier)
        except (MemberLogError, MembershipError) as error:
            raise MemberViewError(f"genesis: {error}") from None
        self.entries: list[dict[str, Any]] = [dict(genesis)]
        self.starts: list[int] = [int(genesis["from_height"])]
        """The first block each entry applies to (a late one's is deferred)."""

    @property
    def chain_id(self) -> str:
        """The chain whose membership this is."""
        return self.log.chain_id

    def apply(
        self,
        records: Sequence[Mapping[str, Any]],
        sealed_at: SealedAt | None = None,
        decided: int = 0,
    ) -> list[str]:
        """Apply the entries of ``records`` (the log's, genesis first) not held yet.

        With ``sealed_at``, an entry applies only once a final block this
        node holds seals it, from the block that sealing gives
        (:func:`chain.protocol.activation_height`, the verifiers' rule); it
        and the entries after it wait until then (changes apply in log
        order). Without it every entry is taken as sealed in time.
        ``decided`` is the highest block this node decided: a change that
        would apply at or below it is refused (decided blocks are never
        judged again).

        Returns a description of each newly applied change. Raises
        :class:`MemberViewError` at the first entry that contradicts one held
        or does not verify; those before it stay applied.
        """
        done = []
        for index, record in enumerate(records):
            if index < len(self.entries):
                if canonical(dict(record)) != canonical(self.entries[index]):
                    raise MemberViewError(f"membership entry {index} differs from the one held")
                continue
            sealing = None if sealed_at is None else sealed_at(record)
            if sealed_at is not None and sealing is None:
                break  # not sealed by a final block yet: it and the later ones wait
            done.append(self._apply_one(index, record, sealing, decided))
        return done

    def _apply_one(
        self, index: int, record: Mapping[str, Any], sealed_at: int | None, decided: int
    ) -> str:
        where = f"membership entry {index}"
        trial = copy.deepcopy(self.log)
        try:
            description = trial.apply(record, where, sealed_at=sealed_at)
            certificate = certificate_of_entry(record)
        except (MemberLogError, MembershipError) as error:
            raise MemberViewError(f"{where}: {error}") from None
        if isinstance(certificate.change, Genesis):
            # A consensus-mode switch happens on the host, not among running nodes.
            raise MemberViewError(f"{where}: a new genesis is not applied by a running cluster")
        try:
            epoch = self.membership.apply(certificate, sealed_at=sealed_at, decided=decided)
        except MembershipError as error:
            raise MemberViewError(f"{where}: {error}") from None
        first = epoch * self.membership.epoch_length + 1
        if first != trial.last_start:  # the two replays disagree: never sign on it
            raise MemberViewError(
                f"{where}: applies from block {first}, the replay says {trial.last_start}"
            )
        self.log = trial
        self.entries.append(dict(record))
        self.starts.append(first)
        return description

    def key_starts(self, tier: str, name: str) -> list[tuple[int, bytes]]:
        """``(first block, public key)`` of each key a member was given, oldest first
        (a node builds its :class:`~chain.consensus.crypto.KeyRing` from them)."""
        found: list[tuple[int, bytes]] = []
        for record, start in zip(self.entries, self.starts, strict=True):
            change = record.get("change", {})
            if (change.get("type"), change.get("tier"), change.get("name")) == (
                "rotate-key",
                tier,
                name,
            ):
                found.append((start, bytes.fromhex(change["public_key"])))
        return found

    def answer(self, proposal: MemberProposal, signer: Signer, started: int) -> VoteAnswer:
        """This supernode's vote on ``proposal``, or its refusal.

        ``started`` is the highest block height this node has begun to vote
        on: a change must apply to a later block, or the node would already
        have signed that block with the old lists.
        """

        def refuse(reason: str) -> VoteAnswer:
            return VoteAnswer(signer.name, None, reason)

        if proposal.chain_id != self.chain_id:
            return refuse(f"chain {proposal.chain_id!r} is not {self.chain_id!r}")
        if proposal.entries != len(self.entries):
            return VoteAnswer(
                signer.name,
                None,
                f"{signer.name} holds {len(self.entries)} membership entries, "
                f"the host {proposal.entries}",
                behind=len(self.entries) < proposal.entries,
            )
        key = signer.at(proposal.height)
        if (signer.name, key.key_id) not in self.log.keys_at("supernode", proposal.height):
            return refuse(f"{signer.name} is no supernode at height {proposal.height}")
        if proposal.from_height <= started:
            return refuse(
                f"{signer.name} is already at block {started}: a change certified at height "
                f"{proposal.height} would apply from block {proposal.from_height}"
            )
        try:
            self.log.check_change(proposal.change, proposal.height, proposal.from_height)
        except MemberLogError as error:
            return refuse(str(error))
        vote = Vote.sign(
            signer,
            chain_id=self.chain_id,
            tier="supernode",
            kind="membership",
            height=proposal.height,
            round=0,
            block_hash=change_digest(proposal.change),
        )
        return VoteAnswer(signer.name, vote)
