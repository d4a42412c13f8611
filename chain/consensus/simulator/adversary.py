"""Byzantine behaviour: the fixed templates, and the adversary that searches.

Pure: no I/O; every choice is drawn from a seeded ``random.Random``.

The **templates** (:class:`Templates`) are the fixed behaviours of
:data:`chain.consensus.simulator.faults.BEHAVIOURS`: equivocate, corrupt
signatures, forge, replay. They find what they were written for.

The **adversary** (:class:`Adversary`) runs every ``adversary`` node (at
most f witnesses and F supernodes) with their keys, and at each of its
choice points draws from its :class:`~chain.consensus.simulator.faults.Policy`:

* its own messages: send, withhold from a recipient, or rewrite first;
* messages it receives from honest nodes: race a rewritten copy to the
  honest nodes, faster than the original (the relay of issue 15's finding 1);
* every honest message: the longest delay the timing model allows, or the
  network's draw (so it chooses the delivery order within the model);
* each tick: replay something it heard to an honest node.

Rewriting (:func:`rewrite`) changes any field: the unsigned ones (a
proposal's proof-of-lock, a certificate's vote list, a cosign request's
sizes and proofs) survive, the signed ones break the signature and must be
refused. The search over the policies lives in
:mod:`chain.consensus.simulator.search`.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from chain.consensus.bft import BftNode
from chain.consensus.messages import (
    Block,
    BlockRequest,
    CommittedBlock,
    CosignRequest,
    FinalBlock,
    Kind,
    Message,
    Proposal,
    QuorumCertificate,
    Tier,
    Vote,
    message_from_record,
    message_to_record,
)
from chain.consensus.node import ChainNode
from chain.consensus.simulator.faults import Behaviour, Policy, sim_signer
from chain.consensus.simulator.ledger import SimLedger
from chain.consensus.simulator.network import Network

__all__ = ["Adversary", "Templates", "corrupt", "rewrite"]

HEARD = 200
"""Messages a byzantine node remembers to replay."""


class Templates:
    """The fixed byzantine behaviours (equivocate, bad-signature, replay, silent)."""

    def __init__(
        self,
        *,
        chain_id: str,
        network: Network,
        rng: random.Random,
        witness_names: list[str],
        supernode_names: list[str],
        faulty: Mapping[str, Behaviour],
        nodes: Mapping[str, ChainNode],
        ledger: SimLedger,
    ) -> None:
        self.chain_id = chain_id
        self.network = network
        self.rng = rng
        self.witness_names = witness_names
        self.supernode_names = supernode_names
        self.faulty = faulty
        self.nodes = nodes
        self.ledger = ledger
        self._alt_blocks: dict[tuple[str, int, int], Block] = {}
        self._alt_votes: dict[tuple[Any, ...], Vote] = {}
        self._heard: dict[str, list[Vote]] = {n: [] for n in faulty}

    def send(
        self, name: str, behaviour: Behaviour, recipients: list[str], message: Message
    ) -> None:
        """What a templated byzantine node does with one of its messages."""
        if behaviour in ("crash", "amnesia", "replay"):
            for dst in recipients:
                self.network.transmit(name, dst, message)
        elif behaviour == "bad-signature":
            corrupted = corrupt(message)
            for dst in recipients:
                self.network.transmit(name, dst, corrupted)
        elif behaviour == "equivocate":
            self._equivocate(name, recipients, message)

    def heard(self, dst: str, message: Message) -> None:
        """Remember a vote a byzantine node received (to replay it later)."""
        if dst in self._heard and isinstance(message, Vote) and message.signer != dst:
            heard = self._heard[dst]
            if len(heard) < HEARD:
                heard.append(message)

    def _equivocate(self, name: str, recipients: list[str], message: Message) -> None:
        alt = self._alternative(name, message)
        for index, dst in enumerate(recipients):
            if alt is None or index % 2 == 0:
                self.network.transmit(name, dst, message)
            if alt is not None and (index % 2 == 1 or index == 0):
                # Recipient 0 gets both: someone must be able to prove it.
                self.network.transmit(name, dst, alt)

    def _alternative(self, name: str, message: Message) -> Message | None:
        signer = sim_signer(name)
        if isinstance(message, Proposal):
            key = (name, message.height, message.round)
            block = self._alt_blocks.get(key)
            if block is None:
                header = dict(message.block.header)
                header["sealed_at"] = f"{header.get('sealed_at')}/equivocation"
                block = Block.from_header(header)
                self._alt_blocks[key] = block
            return Proposal.sign(
                signer,
                chain_id=self.chain_id,
                tier=message.vote.tier,
                round=message.round,
                block=block,
            )
        if isinstance(message, Vote) and message.kind in ("prevote", "precommit", "finalize"):
            alt_block = self._alt_blocks.get((name, message.height, message.round))
            if alt_block is not None and message.kind != "finalize":
                alt_hash = alt_block.hash
            else:
                alt_hash = hashlib.sha256(b"alt" + (message.block_hash or b"nil")).digest()
            if alt_hash == message.block_hash:
                return None
            memo = (*message.slot, alt_hash)
            vote = self._alt_votes.get(memo)
            if vote is None:
                vote = Vote.sign(
                    signer,
                    chain_id=message.chain_id,
                    tier=message.tier,
                    kind=message.kind,
                    height=message.height,
                    round=message.round,
                    block_hash=alt_hash,
                )
                self._alt_votes[memo] = vote
            return vote
        return None

    def extras(self, name: str) -> None:
        """What a ``replay`` or ``bad-signature`` node sends on its own, once per tick."""
        behaviour = self.faulty.get(name)
        node = self.nodes.get(name)
        if behaviour not in ("replay", "bad-signature") or node is None or self.rng.random() > 0.2:
            return
        honest = [n for n in self.witness_names + self.supernode_names if n not in self.faulty]
        if not honest:
            return
        target = self.rng.choice(honest)
        target_node = self.nodes.get(target)
        height = target_node.height if isinstance(target_node, BftNode) else 1
        if behaviour == "replay":
            choice = self.rng.randrange(4)
            if choice == 0:
                # One of its own votes, signed on a staging chain, replayed here.
                tier: Tier = "witness" if name in self.witness_names else "supernode"
                staged = Vote.sign(
                    sim_signer(name),
                    chain_id=f"{self.chain_id}-staging",
                    tier=tier,
                    kind="prevote",
                    height=height,
                    round=0,
                    block_hash=None,
                )
                self.network.transmit(name, target, staged)
                return
            heard = [v for v in self._heard.get(name, []) if v.height != height]
            if not heard:
                return
            vote = self.rng.choice(heard)
            if choice == 1:
                self.network.transmit(name, target, vote)  # an old vote, as it was
            elif choice == 2:
                # Relabelled for the target's height: the signature no longer matches.
                self.network.transmit(name, target, replace(vote, height=height))
            elif isinstance(target_node, BftNode):
                # A witness commit certificate for the target's height made of
                # replayed votes (to a witness: a peer commit; to a supernode:
                # a committed block to certify).
                header = self.ledger.build(
                    BlockRequest(self.chain_id, height, 0, target_node.last_final_hash, name, 0)
                )
                block = Block.from_header(header)
                votes = tuple(v for v in heard if v.kind == "precommit" and v.tier == "witness")[:4]
                if not votes:
                    return
                qc = QuorumCertificate("witness", "precommit", height, 0, block.hash, votes)
                self.network.transmit(name, target, CommittedBlock(block, qc))
            return
        signer = sim_signer(name)
        wrong_tier: Tier = "supernode" if name in self.witness_names else "witness"
        kind: Kind = "finalize" if wrong_tier == "supernode" else "precommit"
        choice = self.rng.randrange(2)
        if choice == 0:
            # A vote for a tier this node is not in, properly signed with its own key.
            wrong = Vote.sign(
                signer,
                chain_id=self.chain_id,
                tier=wrong_tier,
                kind=kind,
                height=height,
                round=0,
                block_hash=hashlib.sha256(b"wrong-tier").digest(),
            )
            dst = self.rng.choice(
                self.supernode_names if wrong_tier == "supernode" else self.witness_names
            )
            self.network.transmit(name, dst, wrong)
        else:
            # A vote forged in an honest peer's name.
            peers = self.witness_names if name in self.witness_names else self.supernode_names
            victim = self.rng.choice(peers)
            forged = Vote(
                chain_id=self.chain_id,
                tier="witness" if name in self.witness_names else "supernode",
                kind="prevote",
                height=height,
                round=0,
                block_hash=None,
                signer=victim,
                key_id=sim_signer(victim).key_id,
                signature=self.rng.randbytes(64),
            )
            self.network.transmit(name, target, forged)


def corrupt(message: Message) -> Message:
    """The same message with its own signature broken (bad-signature behaviour)."""
    if isinstance(message, Vote):
        return replace(message, signature=flip(message.signature))
    if isinstance(message, Proposal):
        return replace(message, vote=replace(message.vote, signature=flip(message.vote.signature)))
    return message


def flip(signature: bytes) -> bytes:
    return signature[:-1] + bytes([signature[-1] ^ 0x01]) if signature else b"\x00"


def rewrite(message: Message, rng: random.Random) -> Message:
    """``message`` with one field rewritten, as a byzantine relay may forward it.

    Unsigned fields (a proposal's proof-of-lock, a certificate's vote list,
    a cosign request's sizes and proofs) are changed in the message;
    signed ones are changed in the wire record, as a relay would, so the
    signature no longer covers them.
    """
    if isinstance(message, Proposal):
        choice = rng.randrange(3)
        if choice == 0:
            return replace(message, pol=None)
        record = message_to_record(message)
        vote = record["body"]["vote"]
        if choice == 1:
            vote["pol_round"] = rng.randint(-1, max(message.round - 1, -1))
        else:
            record["body"]["justification"] = None
        rewritten = message_from_record(record)
        return rewritten if rewritten != message else replace(message, pol=None)
    if isinstance(message, Vote):
        if rng.random() < 0.5:
            return replace(message, round=message.round + rng.randint(1, 3))
        return replace(message, block_hash=None if message.block_hash else bytes(32))
    if isinstance(message, CommittedBlock | FinalBlock):
        votes = message.qc.votes
        thinned = votes[: rng.randint(0, max(len(votes) - 1, 0))]
        return replace(message, qc=replace(message.qc, votes=thinned))
    if isinstance(message, CosignRequest):
        if rng.random() < 0.5:
            return replace(message, proofs={})
        return replace(message, old_sizes={r: s + 1 for r, s in message.old_sizes.items()})
    return message


class Adversary:
    """One adversary for all ``adversary`` nodes of a run, spending seeded choices."""

    def __init__(
        self,
        *,
        network: Network,
        rng: random.Random,
        policy: Policy,
        controlled: set[str],
        honest: list[str],
    ) -> None:
        self.network = network
        self.rng = rng
        self.policy = policy
        self.controlled = controlled
        self.honest = honest
        self.choices = 0
        """Choice points met (each a branch of the schedule explored)."""
        self._heard: list[tuple[str, Message]] = []

    def _draw(self, odds: float) -> bool:
        self.choices += 1
        return self.rng.random() < odds

    def send(self, name: str, recipients: list[str], message: Message) -> None:
        """One of its own messages: per recipient, withhold, rewrite or send as is, fast."""
        for dst in recipients:
            if self._draw(self.policy.withhold):
                continue
            copy = rewrite(message, self.rng) if self._draw(self.policy.tamper) else message
            self.network.transmit(name, dst, copy, delay=1)

    def received(self, dst: str, src: str, message: Message) -> None:
        """A controlled node received ``message``: remember it, maybe race a rewritten copy."""
        if src in self.controlled:
            return
        if len(self._heard) < HEARD:
            self._heard.append((dst, message))
        if not self._draw(self.policy.relay):
            return
        copy = rewrite(message, self.rng) if self._draw(self.policy.tamper) else message
        for target in self.honest:
            if target != src:
                # The fastest delay: the copy overtakes the original.
                self.network.transmit(dst, target, copy, delay=1)

    def delay(self, src: str, dst: str, message: Message) -> int | None:
        """The delay of an honest message: the longest allowed, or None for the network's draw."""
        if self._draw(self.policy.slow):
            return self.network.limit()
        return None

    def tick(self) -> None:
        """Maybe replay something heard, from one controlled node to one honest node."""
        if not self._heard or not self.honest or not self._draw(self.policy.replay):
            return
        sender, message = self.rng.choice(self._heard)
        self.network.transmit(sender, self.rng.choice(self.honest), message, delay=1)
