"""Tier 1: supernodes certify blocks, make them final and take over when witnesses stall.

Pure: no Django, no I/O, no wall clock, no global randomness.

At each height the supernodes run the same Tendermint core as the witness
board (:mod:`chain.consensus.bft`) to agree on the one block they will
certify, and then each signs a ``finalize`` vote for it; 2F+1 finalize votes
are a quorum certificate that makes the block **final** (the certificate the
standalone verifier checks).

* **Round 0 has no proposer: the witnesses are the proposal.** A committed
  witness block (header plus 2f+1 witness precommits) that passes the rules
  (valid certificate of the board of that height, height = last final + 1,
  ``prev_hash`` = last final hash, proposer on the board) is prevoted at once
  by every supernode that receives it. With an honest board there is only
  one committed block per height, so round 0 decides it in two message
  delays.
* **Takeover.** A supernode that receives no committed block for
  ``Timeouts.first_propose`` ticks prevotes nil; from round 1 on a
  round-robin supernode proposes, preferring a committed witness block it
  knows (with its certificate as justification) and otherwise a block it
  builds itself. The state keeps the final say and never depends on the
  witnesses to keep running.
* **One signature per height.** Why the agreement step and not "sign the
  first committed block you see": a supernode that signed a late witness
  block while the others took over with another block could never sign
  again at that height, and with F supernodes down the height would halt
  forever. Agreeing first costs two message delays and makes the finalize
  signature safe to give exactly once. ``last_signed`` (height, hash) is
  persisted before the vote leaves (:class:`SignedFinalize`) and checked
  again before every signature, so even a supernode whose BFT state was lost
  never signs two blocks at one height.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Mapping
from typing import Any

from chain.consensus.bft import BftNode, BlockBuilder, Candidate
from chain.consensus.citizen import LogSource, new_challenge, verify_storage_proof
from chain.consensus.crypto import Signer
from chain.consensus.evidence import Evidence, check_certificate, conflict, refusal
from chain.consensus.membership import Membership, VoteCheck
from chain.consensus.messages import (
    FINALIZE_ROUND,
    Block,
    BlockRequest,
    CommittedBlock,
    CosignConflict,
    CosignRequest,
    FinalBlock,
    Message,
    MessageFormatError,
    QuorumCertificate,
    StorageChallenge,
    StorageProof,
    Vote,
)
from chain.consensus.node import (
    SUPERNODES,
    WITNESSES,
    Alarm,
    Output,
    SignedFinalize,
    StorageChecked,
    Timeouts,
    Witnessed,
)
from chain.consensus.witness import HeaderCheck

__all__ = ["SupernodeNode", "supernode_timeouts"]


def supernode_timeouts(takeover_ticks: int = 30, **overrides: int) -> Timeouts:
    """Timeouts of a supernode: round 0 waits ``takeover_ticks`` for the witnesses."""
    return Timeouts(first_propose=takeover_ticks, **overrides)


class SupernodeNode(BftNode):
    """One supernode (a ministry or agency)."""

    tier = "supernode"
    group = SUPERNODES

    def __init__(
        self,
        *,
        name: str,
        chain_id: str,
        membership: Membership,
        signer: Signer | None,
        propose_block: BlockBuilder,
        check_header: HeaderCheck | None = None,
        log_source: LogSource | None = None,
        timeouts: Timeouts | None = None,
        last_signed: tuple[int, bytes] | None = None,
        challenge_every: int = 0,
        challenge_seed: bytes = b"",
    ) -> None:
        self.check_header = check_header
        self.log_source = log_source
        self.last_signed = last_signed
        """(height, block hash) of the last finalize vote signed: persisted, never contradicted."""
        self.challenge_every = challenge_every
        self.challenge_seed = challenge_seed
        self.witnessed: dict[int, Witnessed] = {}
        self._cosigns: dict[int, dict[str, Vote]] = {}
        self._citizen_heights: dict[str, int] = {}
        self._challenges: dict[int, tuple[str, StorageChallenge, int, int]] = {}
        """Open challenges by nonce: (citizen, challenge, challenge tick issued, final height)."""
        self._challenge_ticks = 0
        """The challenges' own clock: it also runs while the BFT height is idle."""
        self._own_finalize: Vote | None = None
        self._witnesses_stalled = False
        super().__init__(
            name=name,
            chain_id=chain_id,
            membership=membership,
            signer=signer,
            timeouts=timeouts or supernode_timeouts(),
            propose_block=propose_block,
        )

    # -- per-height state --

    def _reset_height(self, height: int) -> None:
        super()._reset_height(height)
        self._witness_commits: dict[bytes, Candidate] = {}
        self._round0: Candidate | None = None
        # Per block, per signer (see bft._Round on counting equivocators).
        self._finalize_first: dict[str, Vote] = {}
        self._finalize_votes: dict[bytes | None, dict[str, Vote]] = {}
        if self._own_finalize is not None and self._own_finalize.height != height:
            self._own_finalize = None
        if self._own_finalize is not None:
            self._record_finalize(self._own_finalize)

    def _propose_timeout(self, round: int) -> int:
        wait = self.timeouts.propose_timeout(round)
        if round == 0 and self._witnesses_stalled:
            # The last height needed a takeover and no witness block was even
            # late for it: do not pay the full wait at every height while the
            # board is down. A late witness block is still proposed in round 1.
            return min(wait, max(self.timeouts.propose, wait // 3))
        return wait

    def _may_propose(self, round: int) -> bool:
        # Round 0 belongs to the witnesses.
        return round > 0

    def _round_candidate(self, round: int) -> tuple[Candidate, int] | None:
        if round == 0:
            return None if self._round0 is None else (self._round0, -1)
        return super()._round_candidate(round)

    def _is_valid(self, candidate: Candidate) -> bool:
        """The certification rules (Tendermint's valid(v) for the supernodes)."""
        block = candidate.block
        if candidate.hash in self.blocks:
            return True
        if (
            block.chain_id != self.chain_id
            or block.height != self.height
            or block.prev_hash != self.last_final_hash
        ):
            return False
        if self.check_header is not None and not self.check_header(block.header):
            return False
        if block.proposer in self.validators:
            return True  # a takeover block built by a supernode
        qc = candidate.justification
        board = self.membership.validator_set("witness", self.height)
        if qc is None or block.proposer not in board:
            return False
        return check_certificate(
            qc,
            board,
            tier="witness",
            kind="precommit",
            height=self.height,
            block_hash=block.hash,
        ).valid

    def _new_candidate(self, round: int) -> Candidate | None:
        for candidate in self._witness_commits.values():
            return candidate  # the witnesses' block first: they were only late
        request = BlockRequest(
            chain_id=self.chain_id,
            height=self.height,
            round=round,
            prev_hash=self.last_final_hash,
            proposer=self.name,
            now=self.now,
        )
        assert self.propose_block is not None
        try:
            candidate = Candidate(Block.from_header(self.propose_block(request)))
        except MessageFormatError:
            return None
        return candidate if self._is_valid(candidate) else None

    # -- messages --

    def _on_own_height(self, src: str, message: Message) -> None:
        if isinstance(message, CommittedBlock):
            self._on_witness_commit(src, message)
        elif isinstance(message, Vote) and message.kind == "finalize":
            self._on_finalize_vote(src, message)

    def _on_other(self, src: str, message: Message) -> None:
        if isinstance(message, Vote) and message.kind == "cosign":
            self._on_cosign(src, message)
        elif isinstance(message, CosignConflict):
            self._on_cosign_conflict(src, message)
        elif isinstance(message, StorageProof):
            self._on_storage_proof(src, message)

    def _on_witness_commit(self, src: str, committed: CommittedBlock) -> None:
        block = committed.block
        if block.hash in self._witness_commits or committed.qc.block_hash != block.hash:
            return
        board = self.membership.validator_set("witness", self.height)
        result = check_certificate(
            committed.qc,
            board,
            tier="witness",
            kind="precommit",
            height=self.height,
            block_hash=block.hash,
            sender=src,
        )
        for refused in result.refused:
            self._evidence(refused)
        if not result.valid:
            return
        candidate = Candidate(block, committed.qc)
        if not self._is_valid(candidate):
            return
        self._witness_commits[block.hash] = candidate
        self.blocks.setdefault(block.hash, candidate)
        if self._round0 is None:
            self._round0 = candidate
        self._process()

    def _on_commit(self, candidate: Candidate, qc: QuorumCertificate) -> None:
        # Peers that missed precommits (or saw an equivocator's other one)
        # decide from this certificate: f + 1 relays send it at once, every
        # decided supernode again from its resend timer.
        if self._relays():
            self._send(SUPERNODES, CommittedBlock(candidate.block, qc))
        self._sign_finalize(candidate)
        self._check_final()

    def _commit_valid(self, candidate: Candidate) -> bool:
        block = candidate.block
        return super()._commit_valid(candidate) and (
            self.check_header is None or self.check_header(block.header)
        )

    def _sign_finalize(self, candidate: Candidate) -> None:
        """Sign the decided block, unless that would be a second block at this height."""
        if self.signer is None or not self.is_member:
            return
        height = self.height
        if self.last_signed is not None:
            signed_height, signed_hash = self.last_signed
            if signed_height > height or (
                signed_height == height and signed_hash != candidate.hash
            ):
                self._decide(
                    Alarm(
                        "refused-second-signature",
                        height,
                        f"already signed {signed_hash.hex()[:16]} at height {signed_height}",
                    )
                )
                return
        vote = self._own_finalize
        if vote is None or vote.block_hash != candidate.hash:
            # Persist first: the vote must never leave without the record of it.
            self._decide(SignedFinalize(height, candidate.hash))
            self.last_signed = (height, candidate.hash)
            vote = Vote.sign(
                self.signer,
                chain_id=self.chain_id,
                tier="supernode",
                kind="finalize",
                height=height,
                round=FINALIZE_ROUND,
                block_hash=candidate.hash,
            )
            self._own_finalize = vote
            self._record_finalize(vote)
        self._send(SUPERNODES, vote)

    def _record_finalize(self, vote: Vote) -> None:
        self._finalize_votes.setdefault(vote.block_hash, {}).setdefault(vote.signer, vote)
        self._finalize_first.setdefault(vote.signer, vote)

    def _on_finalize_vote(self, src: str, vote: Vote) -> None:
        if vote.signer in self._finalize_votes.get(vote.block_hash, ()):
            return
        if vote.round != FINALIZE_ROUND:
            # Finalize votes are per height (round 0): any other round was
            # signed for a statement the protocol never makes.
            self._evidence(Evidence("replay", vote, None, src, "finalize vote of a nonzero round"))
            return
        result = self.membership.check_vote(vote, "supernode")
        if result is not VoteCheck.OK:
            self._evidence(refusal(result, vote, src))
            return
        existing = self._finalize_first.get(vote.signer)
        if existing is not None:
            evidence = conflict(existing, vote, src)
            if evidence is not None:
                self._evidence(evidence)
        self._record_finalize(vote)
        self._check_final()

    def _check_final(self) -> None:
        quorum = self.validators.quorum
        for block_hash, signed in self._finalize_votes.items():
            if block_hash is None or len(signed) < quorum:
                continue
            candidate = self.blocks.get(block_hash)
            if candidate is None:
                continue  # the header arrives with the peers' final block
            votes = tuple(signed[name] for name in sorted(signed))
            qc = QuorumCertificate(
                "supernode", "finalize", self.height, FINALIZE_ROUND, block_hash, votes
            )
            final = FinalBlock(candidate.block, qc)
            if self._relays():
                # Every supernode assembles the same certificate from the
                # finalize votes; f + 1 of them pass it on, one honest at least.
                self._send(WITNESSES, final)
                self._send(SUPERNODES, final)
            self._adopt_final(final)
            return

    def _resend_extra(self) -> None:
        committed = self.committed
        if committed is not None:
            self._send(SUPERNODES, committed)
        if self._own_finalize is not None:
            self._send(SUPERNODES, self._own_finalize)
        for nonce in sorted(self._challenges):
            citizen, challenge, _, _ = self._challenges[nonce]
            self._send(citizen, challenge)
        latest = self.finals.get(self.last_final)
        if latest is not None:
            # Citizens whose request (or cosignature) was lost.
            self._request_cosignatures(latest)

    def _relays(self) -> bool:
        """True when this supernode is one of the f + 1 that pass on this height's decisions."""
        return self.name in self.validators.relays(self.height)

    def _after_final(self, final: FinalBlock) -> None:
        takeover = final.block.proposer in self.membership.validator_set("supernode", final.height)
        self._witnesses_stalled = (
            takeover and final.height == self.height and not self._witness_commits
        )
        if self.name in self.membership.validator_set("supernode", final.height).relays(
            final.height
        ):
            # One cosignature per citizen is all a block needs: f + 1 ask at
            # once; every supernode asks again from its resend timer a citizen
            # it has not heard from.
            self._request_cosignatures(final)
        self._challenge(final)
        super()._after_final(final)

    # -- citizens --

    def _citizens(self, height: int) -> tuple[str, ...]:
        return self.membership.validator_set("citizen", height).names

    def _request_cosignatures(self, final: FinalBlock) -> None:
        if self.log_source is None:
            return
        try:
            logs = final.block.logs()
        except MessageFormatError:
            return
        for citizen in self._citizens(final.height):
            since = self._citizen_heights.get(citizen, 0)
            if since >= final.height:
                continue
            old = self.finals.get(since)
            old_logs = old.block.logs() if old is not None else {}
            self._send(
                citizen, self._cosign_request(final, logs, {r: s for r, (s, _) in old_logs.items()})
            )

    def _cosign_request(
        self, final: FinalBlock, logs: Mapping[str, tuple[int, bytes]], old_sizes: Mapping[str, int]
    ) -> CosignRequest:
        assert self.log_source is not None
        proofs = {}
        for registry, (size, _) in logs.items():
            old_size = min(old_sizes.get(registry, 0), size)
            # A log with nothing new has the empty proof: no question to the source.
            proofs[registry] = (
                tuple(self.log_source.consistency_proof(registry, old_size, size))
                if old_size < size
                else ()
            )
        return CosignRequest(final, dict(old_sizes), proofs)

    def _on_cosign_conflict(self, src: str, answer: CosignConflict) -> None:
        if src not in self._citizens(self.last_final) or self.log_source is None:
            return
        self._citizen_heights[src] = answer.height
        final = self.finals.get(self.last_final)
        if final is None or answer.height >= final.height:
            return
        logs = final.block.logs()
        if any(answer.sizes.get(r, 0) > size for r, (size, _) in logs.items()):
            return  # claims more than the chain has: nothing we can prove
        self._send(src, self._cosign_request(final, logs, answer.sizes))

    def _on_cosign(self, src: str, vote: Vote) -> None:
        height = vote.height
        final = self.finals.get(height)
        if final is None or vote.block_hash != final.block.hash:
            return  # a cosignature of a block that is not final here counts for nothing
        votes = self._cosigns.setdefault(height, {})
        existing = votes.get(vote.signer)
        if existing is not None and existing.block_hash == vote.block_hash:
            return
        result = self.membership.check_vote(vote, "citizen")
        if result is not VoteCheck.OK:
            self._evidence(refusal(result, vote, src))
            return
        if existing is not None:
            evidence = conflict(existing, vote, src)
            if evidence is not None:
                self._evidence(evidence)
            return
        votes[vote.signer] = vote
        self._citizen_heights[vote.signer] = max(self._citizen_heights.get(vote.signer, 0), height)
        threshold = self.membership.validator_set("citizen", height).quorum
        if len(votes) >= threshold and height not in self.witnessed:
            qc = QuorumCertificate(
                "citizen",
                "cosign",
                height,
                FINALIZE_ROUND,
                vote.block_hash,
                tuple(sorted(votes.values(), key=lambda v: v.signer)),
            )
            witnessed = Witnessed(height, final.block.hash, qc)
            self.witnessed[height] = witnessed
            self._decide(witnessed)

    def _challenge(self, final: FinalBlock) -> None:
        if self.challenge_every <= 0 or final.height % self.challenge_every:
            return
        citizens = self._citizens(final.height)
        if not citizens:
            return
        # A fresh RNG per challenge, seeded from (seed, node, height): the
        # same inputs give the same challenge, and no RNG state to persist.
        digest = hashlib.sha256(
            self.challenge_seed
            + b"\x00"
            + self.name.encode()
            + b"\x00"
            + str(final.height).encode()
        ).digest()
        rng = random.Random(int.from_bytes(digest, "big"))
        citizen = rng.choice(citizens)
        challenge = new_challenge(rng, final.block.logs())
        if challenge is None:
            return
        self._challenges[challenge.nonce] = (
            citizen,
            challenge,
            self._challenge_ticks,
            final.height,
        )
        self._send(citizen, challenge)

    def _on_storage_proof(self, src: str, answer: StorageProof) -> None:
        pending = self._challenges.get(answer.nonce)
        if pending is None or pending[0] != src:
            return
        del self._challenges[answer.nonce]
        _, challenge, _, height = pending
        ok = verify_storage_proof(challenge, answer)
        self._decide(
            StorageChecked(
                src,
                challenge.registry,
                challenge.seq,
                ok,
                "" if ok else "bad proof",
                height=height,
                challenge=challenge,
                answer=answer,
            )
        )

    @property
    def open_challenges(self) -> int:
        """Storage challenges sent and not yet answered or given up."""
        return len(self._challenges)

    def tick_challenges(self) -> Output:
        """Advance only the storage challenges' clock, for a node idle at its height.

        An idle chain does not tick its BFT clock (no round inflation), but a
        citizen that does not answer must still be found out: the challenges
        are sent again every resend period and given up after eight.
        """
        self._out = Output()
        self._challenge_tick(resend=True)
        return self._take()

    def _on_tick(self) -> None:
        super()._on_tick()
        self._challenge_tick(resend=False)  # resent with the rest when stuck

    def _challenge_tick(self, *, resend: bool) -> None:
        self._challenge_ticks += 1
        expiry = 8 * self.timeouts.resend
        for nonce in sorted(self._challenges):
            citizen, challenge, issued, height = self._challenges[nonce]
            age = self._challenge_ticks - issued
            if age > expiry:
                del self._challenges[nonce]
                self._decide(
                    StorageChecked(
                        citizen,
                        challenge.registry,
                        challenge.seq,
                        False,
                        "no answer",
                        height=height,
                        challenge=challenge,
                    )
                )
            elif resend and age % self.timeouts.resend == 0:
                self._send(citizen, challenge)

    # -- persistence --

    def snapshot(self, finals: bool = True) -> dict[str, Any]:
        """JSON-native state to persist: final chain, BFT state, and the last signature."""
        return {
            **self._base_snapshot(finals),
            "bft": self._bft_snapshot(),
            "last_signed": None
            if self.last_signed is None
            else [self.last_signed[0], self.last_signed[1].hex()],
            "own_finalize": None if self._own_finalize is None else self._own_finalize.to_record(),
        }

    @staticmethod
    def signed_state(state: Mapping[str, Any]) -> tuple[int, bytes] | None:
        """The ``last_signed`` of a snapshot: what a restart keeps even when all else is lost."""
        value = state.get("last_signed")
        if value is None:
            return None
        return int(value[0]), bytes.fromhex(value[1])

    @classmethod
    def restore(cls, state: Mapping[str, Any], **options: Any) -> SupernodeNode:
        """A supernode from :meth:`snapshot` output (``options``: the constructor's other
        arguments); call :meth:`start` next."""
        node = cls(name=str(state["name"]), last_signed=cls.signed_state(state), **options)
        node._restore_base(state)
        if state.get("own_finalize") is not None:
            node._own_finalize = Vote.from_record(state["own_finalize"])
        node._restore_bft(state["bft"])
        return node
