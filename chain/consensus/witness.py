"""Tier 2: the enterprise witness board, committing blocks by Tendermint BFT.

Pure: no Django, no I/O.

The active board of the current epoch (:meth:`Membership.validator_set`,
tier ``witness``) runs :class:`chain.consensus.bft.BftNode` at each height:
the round-robin proposer builds a block on the last *final* block with the
``propose_block`` callback, the board prevotes and precommits, and 2f+1
precommits make the block **committed**. A witness then sends the block and
its commit certificate (:class:`CommittedBlock`) to the supernodes and waits
at its height until a final block for it arrives; that final block is
usually the one it committed, but when the supernodes took over it is
theirs, and the witness simply builds on it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from chain.consensus.bft import BftNode, BlockBuilder, Candidate
from chain.consensus.crypto import Signer
from chain.consensus.membership import Membership
from chain.consensus.messages import (
    Block,
    BlockRequest,
    CommittedBlock,
    MessageFormatError,
    QuorumCertificate,
)
from chain.consensus.node import SUPERNODES, WITNESSES, Committed, Timeouts

__all__ = ["HeaderCheck", "WitnessNode"]

HeaderCheck = Callable[[Mapping[str, Any]], bool]
"""Domain check of a proposed header (e.g. its log roots match this node's ledger)."""


class WitnessNode(BftNode):
    """One enterprise witness on the board."""

    tier = "witness"
    group = WITNESSES

    def __init__(
        self,
        *,
        name: str,
        chain_id: str,
        membership: Membership,
        signer: Signer | None,
        propose_block: BlockBuilder,
        check_header: HeaderCheck | None = None,
        timeouts: Timeouts | None = None,
    ) -> None:
        self.check_header = check_header
        super().__init__(
            name=name,
            chain_id=chain_id,
            membership=membership,
            signer=signer,
            timeouts=timeouts,
            propose_block=propose_block,
        )

    def _is_valid(self, candidate: Candidate) -> bool:
        block = candidate.block
        return (
            block.chain_id == self.chain_id
            and block.height == self.height
            and block.prev_hash == self.last_final_hash
            and block.proposer in self.validators
            and (self.check_header is None or self.check_header(block.header))
        )

    def _new_candidate(self, round: int) -> Candidate | None:
        assert self.propose_block is not None
        request = BlockRequest(
            chain_id=self.chain_id,
            height=self.height,
            round=round,
            prev_hash=self.last_final_hash,
            proposer=self.name,
            now=self.now,
        )
        try:
            candidate = Candidate(Block.from_header(self.propose_block(request)))
        except MessageFormatError:
            return None
        # A builder that ignores the request must not make us propose garbage.
        return candidate if self._is_valid(candidate) else None

    def _on_commit(self, candidate: Candidate, qc: QuorumCertificate) -> None:
        self._decide(Committed(self.height, candidate.block, qc))
        if self.name in self.validators.relays(self.height):
            # f + 1 relays, one honest at least, carry the certificate at
            # once; the others send theirs only if the final block is late.
            committed = CommittedBlock(candidate.block, qc)
            self._send(SUPERNODES, committed)
            self._send(WITNESSES, committed)

    def _resend_extra(self) -> None:
        committed = self.committed
        if committed is not None:
            # Until the final block arrives the supernodes may not have it.
            self._send(SUPERNODES, committed)
            self._send(WITNESSES, committed)

    def _commit_valid(self, candidate: Candidate) -> bool:
        return self._is_valid(candidate)

    # -- persistence --

    def snapshot(self, finals: bool = True) -> dict[str, Any]:
        """JSON-native state to persist (final chain, own votes, locks)."""
        return {**self._base_snapshot(finals), "bft": self._bft_snapshot()}

    @classmethod
    def restore(cls, state: Mapping[str, Any], **options: Any) -> WitnessNode:
        """A witness from :meth:`snapshot` output (``options``: the constructor's other
        arguments); call :meth:`start` next."""
        node = cls(name=str(state["name"]), **options)
        node._restore_base(state)
        node._restore_bft(state["bft"])
        return node
