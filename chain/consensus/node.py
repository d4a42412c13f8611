"""What every consensus node shares: outputs, the final chain, catching up.

Pure: no Django, no I/O, no wall clock, no randomness. A node is driven by
two inputs, ``handle(src, message)`` and ``tick()`` (one step of its own
clock), and answers each with an :class:`Output`: messages to send,
decisions to persist and evidence to record. The caller must persist the
decisions **before** sending the messages (a supernode's "I signed block X
at height h" must survive a crash that happens right after the vote left),
which is what a Celery task will do in one database transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeAlias

from chain.consensus.crypto import Signer
from chain.consensus.evidence import Evidence, check_certificate, conflict
from chain.consensus.membership import Membership
from chain.consensus.messages import (
    FINALIZE_ROUND,
    Block,
    FinalBlock,
    Message,
    QuorumCertificate,
    StorageChallenge,
    StorageProof,
    SyncRequest,
)
from chain.encoding import ZERO_HASH

__all__ = [
    "ALL",
    "CITIZENS",
    "SUPERNODES",
    "WITNESSES",
    "Alarm",
    "ChainNode",
    "Committed",
    "Cosigned",
    "Decision",
    "Finalized",
    "Output",
    "Send",
    "SignedFinalize",
    "StorageChecked",
    "Timeouts",
    "Witnessed",
]

WITNESSES = "witnesses"
SUPERNODES = "supernodes"
CITIZENS = "citizens"
ALL = "all"
"""Group destinations; any other destination is a node name."""

SYNC_BATCH = 8
"""Final blocks sent in answer to one sync request."""

FUTURE_BUFFER = 512
"""Messages for later heights kept until the node gets there (final blocks, and in all)."""

FUTURE_SHARE = 64
"""Of those, the most one sender may fill (so a flood evicts nobody else's)."""


@dataclass(frozen=True, slots=True)
class Send:
    """Send ``message`` to a node name or a group (``witnesses``, ``supernodes``, ...)."""

    to: str
    message: Message


@dataclass(frozen=True, slots=True)
class Committed:
    """Witness: the board committed ``block`` at ``height`` (2f+1 witness precommits)."""

    height: int
    block: Block
    qc: QuorumCertificate


@dataclass(frozen=True, slots=True)
class SignedFinalize:
    """Supernode: persist "I signed ``block_hash`` at ``height``" before the vote is sent."""

    height: int
    block_hash: bytes


@dataclass(frozen=True, slots=True)
class Finalized:
    """``final`` is final (2F+1 supernode finalize votes); ``takeover`` when supernodes built it."""

    final: FinalBlock
    takeover: bool

    @property
    def height(self) -> int:
        """The final block's height."""
        return self.final.height


@dataclass(frozen=True, slots=True)
class Witnessed:
    """``w`` citizens cosigned the final block at ``height``."""

    height: int
    block_hash: bytes
    qc: QuorumCertificate


@dataclass(frozen=True, slots=True)
class Cosigned:
    """Citizen: persist "I cosigned this checkpoint" before the cosignature is sent."""

    height: int
    block_hash: bytes
    logs: Mapping[str, tuple[int, bytes]]


@dataclass(frozen=True, slots=True)
class StorageChecked:
    """Supernode: a citizen answered a storage challenge (``ok``) or failed it."""

    citizen: str
    registry: str
    seq: int
    ok: bool
    reason: str = ""
    height: int = 0
    """The final block whose logs the challenge was drawn from."""
    challenge: StorageChallenge | None = None
    answer: StorageProof | None = None
    """The citizen's answer (None when it did not answer): anyone can check it again."""


@dataclass(frozen=True, slots=True)
class Alarm:
    """Something only a safety violation elsewhere can cause (a conflicting final block...)."""

    kind: str
    height: int
    detail: str


Decision: TypeAlias = (
    Committed | SignedFinalize | Finalized | Witnessed | Cosigned | StorageChecked | Alarm
)


@dataclass(slots=True)
class Output:
    """What one input made a node do."""

    sends: list[Send] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.sends or self.decisions or self.evidence)


@dataclass(frozen=True, slots=True)
class Timeouts:
    """Timeouts in ticks of the node's own clock.

    Each BFT timeout grows by ``delta`` per round, so that after the network
    becomes synchronous (GST) some round is long enough for every honest
    node, whatever the unknown message delay (Tendermint's liveness argument).
    """

    propose: int = 6
    prevote: int = 4
    precommit: int = 4
    delta: int = 2
    first_propose: int | None = None
    """Round 0 propose timeout when it differs (supernodes: how long to wait for the witnesses)."""
    resend: int = 6
    """Own messages of the current height are sent again this often (lost messages)."""
    sync: int = 6
    """At most one sync request per this many ticks."""

    def propose_timeout(self, round: int) -> int:
        """Ticks to wait for the proposal of ``round``."""
        if round == 0 and self.first_propose is not None:
            return self.first_propose
        return self.propose + self.delta * round

    def prevote_timeout(self, round: int) -> int:
        """Ticks to wait for more prevotes once 2f+1 arrived."""
        return self.prevote + self.delta * round

    def precommit_timeout(self, round: int) -> int:
        """Ticks to wait for more precommits once 2f+1 arrived."""
        return self.precommit + self.delta * round


class ChainNode:
    """Base of witness and supernode: the chain of final blocks and catching up.

    Final blocks arrive as :class:`FinalBlock` certificates; each one is
    checked (2F+1 valid supernode finalize votes, hash of the header) and
    adopted in height order, linked by ``prev_hash``. A node that sees
    others ahead asks one of them (:class:`SyncRequest`) for the final blocks
    it missed.
    """

    tier: str = ""

    def __init__(
        self,
        *,
        name: str,
        chain_id: str,
        membership: Membership,
        signer: Signer | None,
        timeouts: Timeouts | None = None,
    ) -> None:
        self.name = name
        self.chain_id = chain_id
        self.membership = membership
        self.signer = signer
        self.timeouts = timeouts or Timeouts()
        self.now = 0
        self.finals: dict[int, FinalBlock] = {}
        self.last_final = 0
        self.last_final_hash = ZERO_HASH
        self._pending_finals: dict[int, FinalBlock] = {}
        self._last_sync = -(10**9)
        self._helped: dict[str, int] = {}
        self._out = Output()

    def snapshot(self, finals: bool = True) -> dict[str, Any]:
        """The node's state as plain data, to keep across restarts (each tier's own).

        ``finals=False`` leaves out the final blocks (an empty list): a
        runtime that stores them block by block as they come saves per step
        only what the step can change, not the whole chain again.
        """
        raise NotImplementedError

    # -- driving the node --

    def start(self) -> Output:
        """First input after creation or restart."""
        self._out = Output()
        self._on_start()
        return self._take()

    def handle(self, src: str, message: Message) -> Output:
        """Process one message from ``src``."""
        self._out = Output()
        if isinstance(message, FinalBlock):
            self._receive_final(src, message)
        elif isinstance(message, SyncRequest):
            self._on_sync_request(src, message)
        else:
            self._on_message(src, message)
        return self._take()

    def tick(self) -> Output:
        """Advance this node's clock by one tick and fire what is due."""
        self._out = Output()
        self.now += 1
        self._on_tick()
        return self._take()

    def _take(self) -> Output:
        out, self._out = self._out, Output()
        return out

    # -- hooks --

    def _on_start(self) -> None:
        pass

    def _on_message(self, src: str, message: Message) -> None:
        pass

    def _on_tick(self) -> None:
        pass

    def _after_final(self, final: FinalBlock) -> None:
        pass

    # -- output helpers --

    def _send(self, to: str, message: Message) -> None:
        self._out.sends.append(Send(to, message))

    def _decide(self, decision: Decision) -> None:
        self._out.decisions.append(decision)

    def _evidence(self, evidence: Evidence) -> None:
        self._out.evidence.append(evidence)

    # -- final blocks --

    def final_chain(self) -> list[bytes]:
        """Hashes of the final blocks 1..last_final, in height order."""
        return [self.finals[h].block.hash for h in range(1, self.last_final + 1)]

    def check_final(self, final: FinalBlock, src: str | None = None) -> bool:
        """True when ``final`` has a valid 2F+1 supernode finalize certificate for its header."""
        block = final.block
        height = final.qc.height
        if block.height != height or block.chain_id != self.chain_id or height < 1:
            return False
        result = check_certificate(
            final.qc,
            self.membership.validator_set("supernode", height),
            tier="supernode",
            kind="finalize",
            height=height,
            round=FINALIZE_ROUND,
            block_hash=block.hash,
            sender=src,
        )
        for refused in result.refused:
            self._evidence(refused)
        return result.valid

    def _conflicting_final(self, known: FinalBlock, other: FinalBlock, src: str) -> None:
        """Two certified final blocks at one height: evidence against who signed both, an alarm.

        Two 2F+1 certificates share at least F+1 signers, so at least one of
        them is proven to have signed two blocks at the height.
        """
        mine = {vote.signer: vote for vote in known.qc.votes}
        for vote in other.qc.votes:
            held = mine.get(vote.signer)
            evidence = None if held is None else conflict(held, vote, src)
            if evidence is not None:
                self._evidence(evidence)
        height = known.height
        self._decide(
            Alarm(
                "conflicting-final",
                height,
                f"split view: {src} sent final block {other.block.hash.hex()[:16]} at {height}, "
                f"the final block held there is {known.block.hash.hex()[:16]}",
            )
        )

    def _receive_final(self, src: str, final: FinalBlock) -> None:
        height = final.qc.height
        if height <= self.last_final:
            known = self.finals.get(height)
            if (
                known is not None
                and known.block.hash != final.block.hash
                and self.check_final(final, src)
            ):
                self._conflicting_final(known, final, src)
            return
        if height in self._pending_finals or not self.check_final(final, src):
            return
        if height > self.last_final + 1:
            if len(self._pending_finals) < FUTURE_BUFFER:
                self._pending_finals[height] = final
            self._request_sync(src)
            return
        self._adopt_final(final)

    def _adopt_final(self, final: FinalBlock, takeover: bool | None = None) -> None:
        """Append a checked final block at ``last_final + 1`` and any buffered successors."""
        adopted = False
        while True:
            if final.block.prev_hash != self.last_final_hash:
                self._decide(
                    Alarm(
                        "broken-final-chain",
                        final.height,
                        f"final block {final.height} does not extend final block {self.last_final}",
                    )
                )
                break
            self.finals[final.height] = final
            self.last_final = final.height
            self.last_final_hash = final.block.hash
            adopted = True
            if takeover is None:
                takeover = final.block.proposer in self.membership.validator_set(
                    "supernode", final.height
                )
            self._decide(Finalized(final, takeover))
            self._pending_finals = {
                h: f for h, f in self._pending_finals.items() if h > self.last_final
            }
            following = self._pending_finals.pop(self.last_final + 1, None)
            if following is None:
                break
            final, takeover = following, None
        if adopted:
            self._after_final(self.finals[self.last_final])

    def _on_sync_request(self, src: str, request: SyncRequest) -> None:
        first = max(1, request.from_height)
        last = min(self.last_final, first + SYNC_BATCH - 1)
        for height in range(first, last + 1):
            self._send(src, self.finals[height])

    def _help_lagging(self, src: str, height: int) -> None:
        """Send the final blocks from ``height`` on to a peer still voting at ``height``."""
        if height < 1 or height > self.last_final:
            return
        if self.now - self._helped.get(src, -(10**9)) < self.timeouts.sync:
            return
        self._helped[src] = self.now
        self._on_sync_request(src, SyncRequest(height))

    def _request_sync(self, src: str) -> None:
        if self.now - self._last_sync < self.timeouts.sync:
            return
        self._last_sync = self.now
        self._send(src, SyncRequest(self.last_final + 1))

    # -- persistence --

    def _base_snapshot(self, finals: bool = True) -> dict[str, Any]:
        return {
            "name": self.name,
            "now": self.now,
            "finals": [self.finals[h].to_record() for h in range(1, self.last_final + 1)]
            if finals
            else [],
        }

    def _restore_base(self, state: Mapping[str, Any]) -> None:
        self.now = int(state["now"])
        for record in state["finals"]:
            final = FinalBlock.from_record(record)
            # Our own persisted chain: re-linked, not re-verified.
            self.finals[final.height] = final
            self.last_final = final.height
            self.last_final_hash = final.block.hash
