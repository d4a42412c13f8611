"""The Tendermint BFT state machine shared by the witness board and the supernodes.

Pure: no Django, no I/O, no wall clock, no randomness.

This follows Algorithm 1 of Buchman, Kwon and Milosevic, "The latest gossip
on BFT consensus" (2018); the comments name its line numbers. Per height:
rounds of propose, prevote and precommit; a proposer chosen round-robin by
``height + round``; timeouts that grow with the round; ``lockedValue`` /
``lockedRound`` (a node that precommitted a block prevotes only that block
until it sees 2f+1 prevotes for another block in a later round) and
``validValue`` / ``validRound`` (a proposer re-proposes the most recent block
that had 2f+1 prevotes). Together they make it impossible for 2f+1
precommits to form for two different blocks at one height while at most f
members are byzantine, whatever the network does.

Adaptations, each safe because the safety argument rests only on counting
2f+1 signed votes:

* Lines 36 and 49 need "the proposal of round r for v"; here any known,
  valid block with that hash will do (the block may arrive through another
  round's proposal, a proof-of-lock or a peer's commit certificate).
* A proposal carries the 2f+1 prevotes of its ``pol_round`` (the
  proof-of-lock), so a receiver that lost them can still accept it. The
  proposer signs ``pol_round`` and the digest of the witness certificate it
  re-proposes (a receiver acts on both, so a relay must not change them);
  the proof-of-lock is not signed by the proposer (a receiver only waits
  for it), so every copy of a proposal is read for the votes it carries,
  each checked on its own (see :meth:`BftNode._on_proposal`).
* Nothing is allocated for a message before its signer's membership and
  signature are checked. Votes and proposals for rounds beyond the next one
  are held, one round per member, until f+1 members are that far ahead (the
  evidence Tendermint's line 55 asks for); messages for a later height are
  buffered in a share per sender, so one sender's flood evicts nobody else's.
* Own votes are resent every ``Timeouts.resend`` ticks and nodes behind
  catch up through final-block sync: the paper assumes gossip that
  eventually delivers every message, a network that drops does not.
* After a decision a node waits at its height for the final block (the
  supernode tier's decision), which may differ from its own decision when
  the supernodes took over; it then moves to the height after it.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from chain.consensus.crypto import Signer
from chain.consensus.evidence import Evidence, check_certificate, conflict, refusal
from chain.consensus.membership import Membership, ValidatorSet, VoteCheck
from chain.consensus.messages import (
    Block,
    BlockRequest,
    CommittedBlock,
    FinalBlock,
    Kind,
    Message,
    MessageFormatError,
    Proposal,
    QuorumCertificate,
    SyncRequest,
    Tier,
    Vote,
)
from chain.consensus.node import FUTURE_BUFFER, FUTURE_SHARE, ChainNode, Timeouts

__all__ = ["DECIDED", "PRECOMMIT", "PREVOTE", "PROPOSE", "BftNode", "BlockBuilder", "Candidate"]

PROPOSE, PREVOTE, PRECOMMIT, DECIDED = 0, 1, 2, 3
BFT_KINDS = ("prevote", "precommit")

BlockBuilder = Callable[[BlockRequest], Mapping[str, Any]]
"""Builds the header a proposer proposes (the hash is computed from it, never trusted)."""


@dataclass(frozen=True, slots=True)
class Candidate:
    """A block that may be decided, with the witness commit certificate that justifies it."""

    block: Block
    justification: QuorumCertificate | None = None

    @property
    def hash(self) -> bytes:
        """The block hash."""
        return self.block.hash

    def to_record(self) -> dict[str, Any]:
        """JSON-native record."""
        return {
            "block": self.block.to_record(),
            "justification": None if self.justification is None else self.justification.to_record(),
        }

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Candidate:
        """Parse a record written by :meth:`to_record`."""
        justification = record.get("justification")
        return cls(
            Block.from_record(record["block"]),
            None if justification is None else QuorumCertificate.from_record(justification),
        )


class _Round:
    """Everything received for one round of the current height.

    Votes are counted per (block, signer): a byzantine member that sends
    two different prevotes is counted once for each block. That is safe (two
    2f+1 sets for different blocks still share an honest member, and honest
    members vote once) and it keeps one equivocator from hiding a real
    quorum from part of the honest nodes. ``prevotes`` / ``precommits`` keep
    the first vote per member, for the "2f+1 votes of any kind" rules.
    """

    __slots__ = (
        "candidate",
        "pol_round",
        "polka_done",
        "polkas",
        "precommit_for",
        "precommit_timer",
        "precommits",
        "prevote_for",
        "prevote_timer",
        "prevotes",
        "proposal",
        "signers",
    )

    def __init__(self) -> None:
        self.proposal: Proposal | None = None
        self.candidate: Candidate | None = None
        self.pol_round = -1
        self.prevotes: dict[str, Vote] = {}
        self.precommits: dict[str, Vote] = {}
        self.prevote_for: dict[bytes | None, dict[str, Vote]] = {}
        self.precommit_for: dict[bytes | None, dict[str, Vote]] = {}
        self.signers: set[str] = set()
        self.prevote_timer = False
        self.precommit_timer = False
        self.polka_done = False
        self.polkas: list[bytes] = []

    def tally(self, kind: str, block_hash: bytes | None) -> int:
        """Distinct members that voted ``kind`` for ``block_hash`` (None: nil)."""
        votes = self.prevote_for if kind == "prevote" else self.precommit_for
        return len(votes.get(block_hash, ()))

    def votes_for(self, kind: str, block_hash: bytes | None) -> tuple[Vote, ...]:
        """Those votes, sorted by signer (a certificate)."""
        votes = self.prevote_for if kind == "prevote" else self.precommit_for
        found = votes.get(block_hash, {})
        return tuple(found[name] for name in sorted(found))


def _message_height(message: Message) -> int | None:
    if isinstance(message, Proposal | Vote):
        return message.height
    if isinstance(message, CommittedBlock):
        return message.qc.height
    return None


class BftNode(ChainNode):
    """A member of a BFT group (the witness board or the supernodes).

    Subclasses say what a valid block is (:meth:`_is_valid`), what to propose
    (:meth:`_new_candidate`) and what deciding means (:meth:`_on_commit`).
    """

    tier: Tier
    group: str = ""

    def __init__(
        self,
        *,
        name: str,
        chain_id: str,
        membership: Membership,
        signer: Signer | None,
        timeouts: Timeouts | None = None,
        propose_block: BlockBuilder | None = None,
    ) -> None:
        super().__init__(
            name=name, chain_id=chain_id, membership=membership, signer=signer, timeouts=timeouts
        )
        self.propose_block = propose_block
        self._future: list[tuple[str, Message]] = []
        self._future_shares: dict[str, int] = {}
        self._reset_height(1)

    # -- state of one height --

    def _reset_height(self, height: int) -> None:
        self.height = height
        self.round = 0
        self.step = PROPOSE
        self.locked: Candidate | None = None
        self.locked_round = -1
        self.valid: Candidate | None = None
        self.valid_round = -1
        self.decision: tuple[Candidate, QuorumCertificate] | None = None
        self.rounds: dict[int, _Round] = {}
        self.blocks: dict[bytes, Candidate] = {}
        self.sent_votes: dict[tuple[int, str], Vote] = {}
        self.sent_proposals: dict[int, Proposal] = {}
        self._commit_candidates: list[tuple[int, bytes]] = []
        self._timers: list[tuple[int, int, int, int]] = []
        self._timer_seq = 0
        self._next_resend = self.now + self.timeouts.resend
        self._progress_mark: tuple[int, int, int, int] = (-1, -1, -1, -1)
        self._ahead: dict[str, tuple[int, dict[str, tuple[str, Proposal | Vote]]]] = {}
        """Per member: its highest round beyond the next one, and what it sent there by kind."""

    @property
    def validators(self) -> ValidatorSet:
        """The group voting at the current height."""
        return self.membership.validator_set(self.tier, self.height)

    @property
    def is_member(self) -> bool:
        """True when this node votes at the current height."""
        return self.signer is not None and self.name in self.validators

    def _round(self, round: int) -> _Round:
        state = self.rounds.get(round)
        if state is None:
            state = self.rounds[round] = _Round()
        return state

    # -- hooks for subclasses --

    def _is_valid(self, candidate: Candidate) -> bool:
        """Tendermint's valid(v) for this height."""
        raise NotImplementedError

    def _new_candidate(self, round: int) -> Candidate | None:
        """What this node proposes when it has no valid value (getValue())."""
        raise NotImplementedError

    def _on_commit(self, candidate: Candidate, qc: QuorumCertificate) -> None:
        """2f+1 precommits for ``candidate`` at this height."""
        raise NotImplementedError

    def _may_propose(self, round: int) -> bool:
        return True

    def _round_candidate(self, round: int) -> tuple[Candidate, int] | None:
        """The proposal of ``round`` and its pol_round (line 22 / 28), if any."""
        state = self.rounds.get(round)
        if state is None or state.candidate is None:
            return None
        return state.candidate, state.pol_round

    def _on_own_height(self, src: str, message: Message) -> None:
        """A message of the current height that the BFT core does not handle."""

    def _on_other(self, src: str, message: Message) -> None:
        """A message that has no height of its own (requests, cosignatures...)."""

    def _resend_extra(self) -> None:
        """Subclass messages to send again on the resend timer."""

    def _entered_height(self) -> None:
        """Called after a new height started."""

    # -- inputs --

    def _on_start(self) -> None:
        if self.height <= self.last_final:
            self._enter_height()  # the state is older than the final chain
            return
        if self.height > self.last_final + 1:
            # The signing state outlived the final chain (a lost write): it
            # is kept, and the final blocks in between are fetched.
            self._send(self.group, SyncRequest(self.last_final + 1))
        if self.decision is None and not self.rounds and not self.sent_votes:
            self._start_round(self.round)
            self._process()
            return
        # Resuming from persisted state: the timers died with the process.
        if self.decision is None:
            if self.step == PROPOSE:
                self._schedule(PROPOSE, self.round, self._propose_timeout(self.round))
            elif self.step == PREVOTE:
                self._schedule(PREVOTE, self.round, self.timeouts.prevote_timeout(self.round))
            else:
                self._schedule(PRECOMMIT, self.round, self.timeouts.precommit_timeout(self.round))
        self._resend()

    def _on_message(self, src: str, message: Message) -> None:
        height = _message_height(message)
        if height is None:
            self._on_other(src, message)
            return
        if height < self.height:
            if isinstance(message, Proposal | CommittedBlock) or (
                isinstance(message, Vote) and message.kind in ("prevote", "precommit", "finalize")
            ):
                # The sender is still working on a height that is final here.
                self._help_lagging(src, height)
            self._on_other(src, message)
            return
        if height > self.height:
            self._buffer(src, message)
            self._request_sync(src)
            return
        if isinstance(message, Proposal):
            self._on_proposal(src, message)
        elif isinstance(message, Vote) and message.tier == self.tier and message.kind in BFT_KINDS:
            if self._add_vote(src, message):
                self._process()
        elif isinstance(message, CommittedBlock) and message.qc.tier == self.tier:
            self._on_peer_commit(src, message)
        else:
            self._on_own_height(src, message)

    def _on_peer_commit(self, src: str, committed: CommittedBlock) -> None:
        """A peer's 2f+1 precommits decide this height here too (Tendermint's commit gossip).

        The certificate is all that matters: at least f+1 honest members
        checked the block before precommitting it, so only the chain rules a
        header can be checked for on its own (:meth:`_commit_valid`) are
        checked again.
        """
        if self.decision is not None:
            return
        qc = committed.qc
        candidate = self.blocks.get(committed.block.hash) or Candidate(committed.block)
        if qc.block_hash != committed.block.hash or not self._commit_valid(candidate):
            return
        result = check_certificate(
            qc,
            self.validators,
            tier=self.tier,
            kind="precommit",
            height=self.height,
            block_hash=committed.block.hash,
            sender=src,
        )
        for refused in result.refused:
            self._evidence(refused)
        if not result.valid:
            return
        for vote in result.votes:
            # The certificate may show a vote that conflicts with one we hold.
            held = self._round(vote.round).precommits.get(vote.signer)
            if held is not None and held.block_hash != vote.block_hash:
                evidence = conflict(held, vote, src)
                if evidence is not None:
                    self._evidence(evidence)
        self.blocks.setdefault(candidate.hash, candidate)
        self._commit(
            candidate,
            QuorumCertificate(
                self.tier, "precommit", self.height, qc.round, qc.block_hash, result.votes
            ),
        )

    def _commit_valid(self, candidate: Candidate) -> bool:
        """The checks a block decided by a peer's certificate must still pass."""
        block = candidate.block
        return (
            block.chain_id == self.chain_id
            and block.height == self.height
            and block.prev_hash == self.last_final_hash
        )

    @property
    def committed(self) -> CommittedBlock | None:
        """This node's decision at the current height with its certificate, if any."""
        if self.decision is None:
            return None
        candidate, qc = self.decision
        return CommittedBlock(candidate.block, qc)

    def _buffer(self, src: str, message: Message) -> None:
        # Messages of the next height often arrive before the final block of
        # this one; keeping them saves a round of resends. They cannot be
        # checked yet (the next height's members may differ), so each sender
        # gets a share: a flood fills only the flooder's.
        share = self._future_shares.get(src, 0)
        if share < FUTURE_SHARE and len(self._future) < FUTURE_BUFFER:
            self._future_shares[src] = share + 1
            self._future.append((src, message))

    def _on_tick(self) -> None:
        while self._timers and self._timers[0][0] <= self.now:
            _, _, step, round = heapq.heappop(self._timers)
            self._on_timeout(step, round)
            self._process()
        if self.now >= self._next_resend:
            self._next_resend = self.now + self.timeouts.resend
            # Resend only when stuck: a node that moved on since the last
            # check is hearing from its peers, so its messages are flowing.
            mark = (self.height, self.round, self.step, self.last_final)
            if mark == self._progress_mark:
                self._resend()
                if self.height > self.last_final + 1:
                    # Still missing final blocks below the signing state's height.
                    self._send(self.group, SyncRequest(self.last_final + 1))
            self._progress_mark = mark

    # -- the state machine --

    def _enter_height(self) -> None:
        self._reset_height(self.last_final + 1)
        self._entered_height()
        self._start_round(0)
        self._process()
        pending, self._future, self._future_shares = self._future, [], {}
        for src, message in pending:
            height = _message_height(message)
            if height is None or height < self.height:
                continue
            if height > self.height:
                self._buffer(src, message)
                continue
            self._on_message(src, message)

    def _schedule(self, step: int, round: int, delay: int) -> None:
        self._timer_seq += 1
        heapq.heappush(self._timers, (self.now + delay, self._timer_seq, step, round))

    def _start_round(self, round: int) -> None:
        """StartRound (lines 11-21)."""
        self.round = round
        self.step = PROPOSE
        state = self._round(round)
        validators = self.validators
        if (
            self.is_member
            and self._may_propose(round)
            and validators.proposer(self.height, round) == self.name
        ):
            proposal = self.sent_proposals.get(round)
            if proposal is None:
                proposal = self._make_proposal(round)
            if proposal is not None:
                self._send(self.group, proposal)
                if state.proposal is None:
                    state.proposal = proposal
                    state.candidate = Candidate(proposal.block, proposal.justification)
                    state.pol_round = proposal.pol_round
                    state.signers.add(self.name)
                    if self._is_valid(state.candidate):
                        self.blocks.setdefault(state.candidate.hash, state.candidate)
        self._schedule(PROPOSE, round, self._propose_timeout(round))

    def _propose_timeout(self, round: int) -> int:
        return self.timeouts.propose_timeout(round)

    def _make_proposal(self, round: int) -> Proposal | None:
        assert self.signer is not None
        pol: QuorumCertificate | None = None
        if self.valid is not None:
            candidate, pol_round = self.valid, self.valid_round
            state = self.rounds.get(pol_round)
            if state is not None:
                votes = state.votes_for("prevote", candidate.hash)
                pol = QuorumCertificate(
                    self.tier, "prevote", self.height, pol_round, candidate.hash, votes
                )
        else:
            built = self._new_candidate(round)
            if built is None:
                return None
            candidate, pol_round = built, -1
        proposal = Proposal.sign(
            self.signer,
            chain_id=self.chain_id,
            tier=self.tier,
            round=round,
            block=candidate.block,
            pol_round=pol_round,
            pol=pol,
            justification=candidate.justification,
        )
        self.sent_proposals[round] = proposal
        return proposal

    def _cast(self, kind: Kind, block_hash: bytes | None) -> None:
        """Sign (at most once per round and kind) and broadcast a prevote or precommit."""
        if not self.is_member:
            return
        assert self.signer is not None
        key = (self.round, kind)
        vote = self.sent_votes.get(key)
        if vote is None:
            vote = Vote.sign(
                self.signer,
                chain_id=self.chain_id,
                tier=self.tier,
                kind=kind,
                height=self.height,
                round=self.round,
                block_hash=block_hash,
            )
            self.sent_votes[key] = vote
        self._record_vote(vote)
        self._send(self.group, vote)

    def _check(self, vote: Vote, src: str) -> bool:
        result = self.membership.check_vote(vote, self.tier)
        if result is VoteCheck.OK:
            return True
        self._evidence(refusal(result, vote, src))
        return False

    def _add_vote(self, src: str, vote: Vote) -> bool:
        """Verify and record a prevote or precommit of the current height; True when new."""
        state = self.rounds.get(vote.round)
        if state is not None:
            by_value = state.prevote_for if vote.kind == "prevote" else state.precommit_for
            if vote.signer in by_value.get(vote.block_hash, ()):
                return False  # a duplicate
        # Membership and signature first: nothing is allocated for junk.
        if not self._check(vote, src):
            return False
        if vote.round > self.round + 1:
            return self._hold_ahead(src, vote)
        return self._accept_vote(src, vote)

    def _accept_vote(self, src: str, vote: Vote) -> bool:
        """Record a checked vote; evidence when it contradicts one held; True when new."""
        state = self._round(vote.round)
        first = state.prevotes if vote.kind == "prevote" else state.precommits
        by_value = state.prevote_for if vote.kind == "prevote" else state.precommit_for
        if vote.signer in by_value.get(vote.block_hash, ()):
            return False
        existing = first.get(vote.signer)
        if existing is not None:
            evidence = conflict(existing, vote, src)
            if evidence is not None:
                self._evidence(evidence)
        self._record_vote(vote)
        return True

    def _hold_ahead(self, src: str, message: Proposal | Vote) -> bool:
        """Keep a checked message of a round beyond the next: only each member's highest round.

        A member can sign rounds without end; holding one round per member
        bounds the memory, and is all line 55 needs to count.
        """
        vote = message.vote if isinstance(message, Proposal) else message
        held = self._ahead.get(vote.signer)
        if held is None or vote.round > held[0]:
            self._ahead[vote.signer] = (vote.round, {vote.kind: (src, message)})
            return True
        if vote.round == held[0] and vote.kind not in held[1]:
            held[1][vote.kind] = (src, message)
            return True
        return False

    def _ahead_round(self) -> int:
        """The highest round at least f+1 members have reached beyond the next one (-1: none)."""
        skip = self.validators.skip_threshold
        rounds = sorted((held[0] for held in self._ahead.values()), reverse=True)
        return rounds[skip - 1] if len(rounds) >= skip else -1

    def _release_ahead(self) -> bool:
        """Move held messages whose round is now current or next into the round state."""
        ready = sorted(name for name, held in self._ahead.items() if held[0] <= self.round + 1)
        for name in ready:
            _, messages = self._ahead.pop(name)
            for kind in sorted(messages):
                src, message = messages[kind]
                if isinstance(message, Proposal):
                    state = self.rounds.get(message.round)
                    if state is None or state.proposal is None:
                        self._accept_proposal(src, message)
                else:
                    self._accept_vote(src, message)
        return bool(ready)

    def _record_vote(self, vote: Vote) -> None:
        state = self._round(vote.round)
        if vote.kind == "prevote":
            first, by_value = state.prevotes, state.prevote_for
        else:
            first, by_value = state.precommits, state.precommit_for
        votes = by_value.setdefault(vote.block_hash, {})
        if vote.signer in votes:
            return
        votes[vote.signer] = vote
        first.setdefault(vote.signer, vote)
        state.signers.add(vote.signer)
        if len(votes) == self.validators.quorum and vote.block_hash is not None:
            if vote.kind == "prevote":
                state.polkas.append(vote.block_hash)
            else:
                self._commit_candidates.append((vote.round, vote.block_hash))

    def _on_proposal(self, src: str, proposal: Proposal) -> None:
        """A proposal of the current height (lines 22, 28, 36 and 49 act on it).

        The first validly signed copy of a round's proposal is the round's
        proposal. Another copy of the same signed statement is read for its
        proof-of-lock, each vote checked on its own (a relay may have
        stripped it from the first); a validly signed copy that says
        something else is the proposer's equivocation.
        """
        round = proposal.round
        vote = proposal.vote
        if vote.kind != "proposal" or vote.tier != self.tier or not self._may_propose(round):
            return
        if proposal.proposer != self.validators.proposer(self.height, round):
            return
        if vote.block_hash != proposal.block.hash or not -1 <= proposal.pol_round < round:
            return
        if not proposal.justification_signed:
            self._evidence(
                Evidence("invalid-signature", vote, None, src, "justification not the one signed")
            )
            return
        state = self.rounds.get(round)
        held = None if state is None else state.proposal
        if state is not None and held is not None:
            if held.vote.same_statement(vote):
                self._accept_pol(src, proposal)
                self._process()
            elif self._check(vote, src):
                evidence = conflict(held.vote, vote, src)
                if evidence is not None:
                    self._evidence(evidence)
            return
        if not self._check(vote, src):
            return
        if round > self.round + 1:
            self._hold_ahead(src, proposal)
        else:
            self._accept_proposal(src, proposal)
        self._process()

    def _accept_proposal(self, src: str, proposal: Proposal) -> None:
        """Make a checked proposal its round's proposal."""
        state = self._round(proposal.round)
        self._accept_pol(src, proposal)
        state.proposal = proposal
        state.candidate = Candidate(proposal.block, proposal.justification)
        state.pol_round = proposal.pol_round
        state.signers.add(proposal.proposer)
        if self._is_valid(state.candidate):
            self.blocks.setdefault(state.candidate.hash, state.candidate)

    def _accept_pol(self, src: str, proposal: Proposal) -> None:
        """Count the proof-of-lock prevotes a proposal carries, each checked on its own."""
        if proposal.pol is None or proposal.pol_round < 0:
            return
        for pol_vote in proposal.pol.votes:
            if (
                pol_vote.kind == "prevote"
                and pol_vote.tier == self.tier
                and pol_vote.height == self.height
                and pol_vote.round == proposal.pol_round
                and pol_vote.block_hash == proposal.block.hash
            ):
                self._add_vote(src, pol_vote)
            else:
                # Signed for another height, round or block than the
                # proposal it arrives in: a replay, never counted.
                self._evidence(
                    Evidence(
                        "replay", pol_vote, None, src, "proof-of-lock vote for another statement"
                    )
                )

    def _process(self) -> None:
        """Apply the "upon" rules until none fires."""
        quorum = self.validators.quorum
        while self.decision is None:
            if self._try_decide():
                return
            changed = False
            state = self._round(self.round)
            # Lines 22 and 28: prevote on the round's proposal.
            if self.step == PROPOSE:
                proposed = self._round_candidate(self.round)
                if proposed is not None:
                    candidate, pol_round = proposed
                    if pol_round < 0:
                        good = self._is_valid(candidate) and (
                            self.locked_round == -1
                            or (self.locked is not None and self.locked.hash == candidate.hash)
                        )
                        self._prevote(candidate.hash if good else None)
                        changed = True
                    elif self._tally(pol_round, "prevote", candidate.hash) >= quorum:
                        good = self._is_valid(candidate) and (
                            self.locked_round <= pol_round
                            or (self.locked is not None and self.locked.hash == candidate.hash)
                        )
                        self._prevote(candidate.hash if good else None)
                        changed = True
            # Line 34: 2f+1 prevotes of any kind start the prevote timeout.
            if self.step == PREVOTE and not state.prevote_timer and len(state.prevotes) >= quorum:
                state.prevote_timer = True
                self._schedule(PREVOTE, self.round, self.timeouts.prevote_timeout(self.round))
            # Line 36: a polka for a known valid block locks it (first time only).
            if self.step >= PREVOTE and not state.polka_done:
                for block_hash in state.polkas:
                    candidate_or_none = self.blocks.get(block_hash)
                    if candidate_or_none is None:
                        continue
                    state.polka_done = True
                    if self.step == PREVOTE:
                        self.locked, self.locked_round = candidate_or_none, self.round
                        self._precommit(block_hash)
                    self.valid, self.valid_round = candidate_or_none, self.round
                    changed = True
                    break
            # Line 44: 2f+1 nil prevotes.
            if self.step == PREVOTE and state.tally("prevote", None) >= quorum:
                self._precommit(None)
                changed = True
            # Line 47: 2f+1 precommits of any kind start the precommit timeout.
            if not state.precommit_timer and len(state.precommits) >= quorum:
                state.precommit_timer = True
                self._schedule(PRECOMMIT, self.round, self.timeouts.precommit_timeout(self.round))
            # Line 55: f+1 members already in a later round pull us there.
            skip = self.validators.skip_threshold
            for later in sorted(r for r in self.rounds if r > self.round):
                if len(self.rounds[later].signers) >= skip:
                    self._start_round(later)
                    changed = True
                    break
            ahead = self._ahead_round()
            if ahead > self.round:
                self._start_round(ahead)
                changed = True
            if self._release_ahead():
                changed = True
            if not changed:
                return

    def _tally(self, round: int, kind: str, block_hash: bytes | None) -> int:
        state = self.rounds.get(round)
        return 0 if state is None else state.tally(kind, block_hash)

    def _prevote(self, block_hash: bytes | None) -> None:
        self._cast("prevote", block_hash)
        self.step = PREVOTE

    def _precommit(self, block_hash: bytes | None) -> None:
        self._cast("precommit", block_hash)
        self.step = PRECOMMIT

    def _try_decide(self) -> bool:
        """Line 49: 2f+1 precommits of any round for a known valid block decide it."""
        for round, block_hash in self._commit_candidates:
            candidate = self.blocks.get(block_hash)
            if candidate is None:
                continue
            votes = self.rounds[round].votes_for("precommit", block_hash)
            qc = QuorumCertificate(self.tier, "precommit", self.height, round, block_hash, votes)
            self._commit(candidate, qc)
            return True
        return False

    def _commit(self, candidate: Candidate, qc: QuorumCertificate) -> None:
        self.decision = (candidate, qc)
        self.step = DECIDED
        self._timers.clear()
        self._on_commit(candidate, qc)

    def _on_timeout(self, step: int, round: int) -> None:
        """OnTimeoutPropose / OnTimeoutPrevote / OnTimeoutPrecommit (lines 57-65)."""
        if self.decision is not None or round != self.round:
            return
        if step == PROPOSE and self.step == PROPOSE:
            self._prevote(None)
        elif step == PREVOTE and self.step == PREVOTE:
            self._precommit(None)
        elif step == PRECOMMIT:
            self._start_round(round + 1)

    def _resend(self) -> None:
        """Gossip again what this node holds of the current and the previous round.

        Not only its own votes: Tendermint's liveness rests on correct nodes
        relaying what they received. A node that moved to round r on 2f+1
        precommits, one of them from a member that has since crashed, holds
        the only copy some peers can still get of that precommit.
        """
        if self.decision is not None:
            # The commit certificate (resent by the subclass) says it all.
            self._resend_extra()
            return
        for round in (self.round - 1, self.round):
            proposal = self.sent_proposals.get(round)
            state = self.rounds.get(round)
            if proposal is None and state is not None:
                proposal = state.proposal
            if proposal is not None:
                self._send(self.group, proposal)
            if state is None:
                continue
            for by_value in (state.prevote_for, state.precommit_for):
                for votes in by_value.values():
                    for vote in votes.values():
                        self._send(self.group, vote)
        self._resend_extra()

    def _after_final(self, final: FinalBlock) -> None:
        if self.last_final >= self.height:
            self._enter_height()

    # -- persistence --

    def _bft_snapshot(self) -> dict[str, Any]:
        """The state a BFT member must not forget across a restart (own votes, locks)."""
        decision = None
        if self.decision is not None:
            candidate, qc = self.decision
            decision = {"candidate": candidate.to_record(), "qc": qc.to_record()}
        return {
            "height": self.height,
            "round": self.round,
            "step": self.step,
            "locked": None if self.locked is None else self.locked.to_record(),
            "locked_round": self.locked_round,
            "valid": None if self.valid is None else self.valid.to_record(),
            "valid_round": self.valid_round,
            "decision": decision,
            "sent_votes": [vote.to_record() for vote in self.sent_votes.values()],
            "sent_proposals": [p.to_record() for p in self.sent_proposals.values()],
        }

    def _restore_bft(self, state: Mapping[str, Any]) -> None:
        try:
            self._reset_height(int(state["height"]))
            self.round = int(state["round"])
            self.step = int(state["step"])
            if state["locked"] is not None:
                self.locked = Candidate.from_record(state["locked"])
                self.blocks[self.locked.hash] = self.locked
            self.locked_round = int(state["locked_round"])
            if state["valid"] is not None:
                self.valid = Candidate.from_record(state["valid"])
                self.blocks[self.valid.hash] = self.valid
            self.valid_round = int(state["valid_round"])
            if state["decision"] is not None:
                candidate = Candidate.from_record(state["decision"]["candidate"])
                qc = QuorumCertificate.from_record(state["decision"]["qc"])
                self.decision = (candidate, qc)
                self.blocks[candidate.hash] = candidate
            for record in state["sent_votes"]:
                vote = Vote.from_record(record)
                self.sent_votes[(vote.round, vote.kind)] = vote
                self._record_vote(vote)
            for record in state["sent_proposals"]:
                proposal = Proposal.from_record(record)
                self.sent_proposals[proposal.round] = proposal
        except (KeyError, TypeError, ValueError, MessageFormatError) as exc:
            raise ValueError(f"not a snapshot of a BFT node: {exc}") from exc
