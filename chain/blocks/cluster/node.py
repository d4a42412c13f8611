"""A cluster node's runtime: its state machine in a Celery worker, persist before send.

Each node (supernode, witness or citizen) is a Celery worker consuming its
own queue, with its own key (``RIIK_KEYS_DIR``) and its own database, where
it keeps its consensus state (:class:`~chain.blocks.models.NodeState`), its
last signed height (:class:`SignedHeight`: a supernode never signs two
blocks at one height, across restarts too), its replica of the chain
(:class:`NodeFinal`) and of the registry logs' leaves
(:mod:`chain.blocks.cluster.replica`). :class:`NodeRuntime` is the thin
adapter between the tasks of :mod:`chain.tasks` and the pure nodes of
:mod:`chain.consensus`:

* every input (a message, a tick of :mod:`chain.blocks.cluster.clock`, new
  leaves) is handled in one database transaction that stores the node's
  decisions and new state, and only after it commits do the node's messages
  and reports leave (:mod:`chain.blocks.cluster.transport`). Tasks are
  acknowledged late: a node killed with ``kill -9`` gets the input again
  after its restart, and the state machines ignore what they have seen;
* a witness proposer builds the block from its replica, the other nodes
  check the header's log roots against theirs;
* a supernode answers the host's membership proposals and holds the
  change's first block until the entry arrives
  (:mod:`chain.blocks.cluster.quorum`), and certifies the acts the host
  proposes (:mod:`chain.blocks.cluster.acts`).

An idle chain (no entry since the last final block) makes no empty blocks:
a BFT node with nothing new does not advance its clock, and enters the
height again when new leaves arrive so its proposer proposes at once. Nor
does it within ``RIIK_CLUSTER_MIN_BLOCK_INTERVAL`` of its last final block:
the proposer proposes only after it, so at saturation one block carries what
was written meanwhile (ADR 0083).

A step's messages leave as one broker message per receiver
(``cluster_deliver_many`` when there are several), handled there in one step;
each message in it is parsed and checked on its own, as if it came alone.
A final block whose log roots the replica does not reproduce takes that log
back to the size last proven and asks the host for it again.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction

from chain import notes
from chain.blocks.checkpoints import checkpoint_origin
from chain.blocks.cluster import acts, transport
from chain.blocks.cluster.ledgermessage import LedgerMessage
from chain.blocks.cluster.quorum import answer_proposal, node_view
from chain.blocks.cluster.replica import LeafSource, Leaves
from chain.blocks.cluster.transport import HOST, TIER_GROUP
from chain.blocks.memberstore import entry_originator
from chain.blocks.models import (
    NodeActVote,
    NodeFinal,
    NodeMemberEntry,
    NodeState,
    SignedHeight,
)
from chain.blocks.nodekeys import key_at, rotated_keys, signer_of
from chain.blocks.signstate import durable_atomic, make_durable
from chain.blocks.storage import challenge_seed, storage_report
from chain.consensus.bft import BftNode
from chain.consensus.citizen import CitizenNode
from chain.consensus.crypto import Signer
from chain.consensus.memberview import MemberViewError
from chain.consensus.messages import (
    BlockRequest,
    FinalBlock,
    MessageFormatError,
    Tier,
    message_from_record,
    message_to_record,
)
from chain.consensus.node import (
    ALL,
    Alarm,
    ChainNode,
    Committed,
    Finalized,
    Output,
    SignedFinalize,
    StorageChecked,
    Timeouts,
    Witnessed,
)
from chain.consensus.supernode import SupernodeNode, supernode_timeouts
from chain.consensus.witness import WitnessNode
from chain.encoding import canonical
from chain.keys import NodeKey, load_or_create_node_key
from chain.memberlog import change_digest, sealing_height
from chain.protocol import CHAIN_LOG, MEMBERSHIP_TOPIC, epoch_start

__all__ = ["CLUSTER_TIMEOUTS", "NodeRuntime", "runtime"]

log = logging.getLogger(__name__)

NEED_EVERY = 2.0
"""Seconds between two requests of a node for leaves it missed."""

DELIVER_BATCH = 64
"""The most messages one broker message to a node carries; a longer list is refused
whole (an honest step's messages to one node are sent in lists of at most this)."""

CLUSTER_TIMEOUTS = Timeouts(resend=15)
"""Own messages are sent again every 15 ticks (3 s), not 6: a broker loses
nothing it acknowledged, so resends only cover a crashed receiver, and on a
small machine every extra message delays the useful ones."""


def _chain_log_size(final: FinalBlock) -> int:
    """The size of the chain log a final block seals (0 when it does not name it)."""
    size, _ = final.block.logs().get(CHAIN_LOG, (0, b""))
    return size


def _final_logs(node: ChainNode) -> dict[str, int]:
    if node.last_final < 1:
        return {}
    return {r: size for r, (size, _) in node.finals[node.last_final].block.logs().items()}


class NodeRuntime:
    """One node of this worker: its state machine, restored from and saved to its database."""

    def __init__(self, key: NodeKey, tier: str) -> None:
        self.key = key
        self.name = key.name
        self.tier = tier
        self.leaves = Leaves()
        self._sealing: list[tuple[int, int]] = [
            (final.height, _chain_log_size(FinalBlock.from_record(json.loads(final.record))))
            for final in NodeFinal.objects.order_by("height")
        ]
        """(height, chain log size) of each final block: which one seals an entry."""
        self._seqs: dict[str, int] = {}
        """The seq of each membership entry among this node's chain-log leaves, by originator id."""
        self._scanned = 0
        stored = [json.loads(row.record) for row in NodeMemberEntry.objects.order_by("position")]
        self.view = node_view(transport.genesis_path(), stored, self._sealed_at)
        self._received: list[dict[str, Any]] = list(self.view.entries)
        """The host's latest membership entries; those no final block seals yet wait."""
        self.membership = self.view.membership
        self.chain_id = self.membership.chain_id
        self.keys = rotated_keys(key, self.view, tier)
        self.signer: Signer = signer_of(self.keys)
        self.groups = transport.groups()
        self._last_need = 0.0
        self._host_key = transport.host_key()
        """The registry host's public key, which signs the ledger messages."""
        self._last_vote = ""
        self._promises: dict[bytes, tuple[int, float]] = {}
        """Changes this supernode voted for: their first block and how long it holds it."""
        self._deferred: list[tuple[str, Mapping[str, Any]]] = []
        self._final_at = 0.0
        """When (monotonic) this node last adopted a final block: the minimum
        block interval runs from there (a restarted node may propose at once)."""
        self._interval_held = False
        """A proposal or a tick was held back by the minimum block interval."""
        self._matched: dict[tuple[str, int], bytes] = {}
        """(registry, size) -> root of the headers this replica was checked against."""
        self.node = self._restore()
        self._proven = _final_logs(self.node)
        """Per log, the size up to which a final block proved this replica right."""

    # -- membership --

    def _key_at(self, height: int) -> NodeKey:
        return key_at(self.keys, height)

    def _started(self) -> int:
        """The highest block height this node has begun to vote on."""
        node = self.node
        if isinstance(node, CitizenNode):
            return node.last.height
        return max(getattr(node, "height", 0), node.last_final)

    def membership_entries(self, records: list[dict[str, Any]]) -> None:
        """The host's membership entries: each applies once a final block seals it."""
        self._received = [dict(record) for record in records]
        self._apply_entries()
        self._held()  # what waited for these entries is handled now

    def _apply_entries(self) -> None:
        """Verify and apply the received entries that this node's final blocks seal,
        as their sealing makes them (deterministic activation, ADR 0057)."""
        held = len(self.view.entries)
        decided = self._sealing[-1][0] if self._sealing else 0
        try:
            self.view.apply(self._received, self._sealed_at, decided)
        except MemberViewError as error:
            # Never sign on lists this node cannot verify; what came before stays.
            log.error("%s: membership entry refused: %s", self.name, error)
        if len(self.view.entries) == held:
            return
        with transaction.atomic():
            NodeMemberEntry.objects.bulk_create(
                (
                    NodeMemberEntry(position=i, record=canonical(record).decode())
                    for i, record in enumerate(self.view.entries)
                    if i >= held
                ),
                ignore_conflicts=True,
            )
        self.keys = rotated_keys(self.key, self.view, self.tier)
        self.signer = signer_of(self.keys)
        self.node.signer = self.signer
        self._resolve(self.view.entries[held:])

    def _scan(self) -> None:
        """Index the membership entries among the chain-log leaves not read yet."""
        for leaf in self.leaves.leaves_of(CHAIN_LOG, self._scanned, self.leaves.size(CHAIN_LOG)):
            envelope = json.loads(leaf)
            if envelope.get("topic") == MEMBERSHIP_TOPIC:
                self._seqs[str(envelope["originator_id"])] = int(envelope["seq"])
            self._scanned += 1

    def _sealed_at(self, record: Mapping[str, Any]) -> int | None:
        """The height of this node's final block that seals the entry ``record``,
        None while none does (or its leaf has not arrived)."""
        self._scan()
        seq = self._seqs.get(str(entry_originator(record)))
        if seq is None or not self._sealing:
            return None
        sealing = sealing_height(seq, self._sealing)
        return sealing if sealing <= self._sealing[-1][0] else None

    def _awaiting_entries(self) -> bool:
        """True at an epoch start while a membership entry a final block sealed
        before it is not applied here: its lists may start there."""
        if not self._sealing:
            return False
        height, sealed = self._sealing[-1][0] + 1, self._sealing[-1][1]
        if epoch_start(height, self.membership.epoch_length) != height:
            return False
        self._scan()
        applied = {str(entry_originator(record)) for record in self.view.entries}
        return any(seq <= sealed and oid not in applied for oid, seq in self._seqs.items())

    def _sealable(self, height: int, size: int) -> int:
        """The chain-log size a block at ``height`` may seal, at most ``size``: it
        stops before a membership entry not sealed yet that applies from that
        very block (or whose record this node lacks), since the nodes judge a
        block with the lists of the entries its final predecessors seal."""
        self._scan()
        sealed = self._sealing[-1][1] if self._sealing else 0
        starts = {str(entry_originator(r)): int(r["from_height"]) for r in self._received}
        for oid, seq in sorted(self._seqs.items(), key=lambda item: item[1]):
            if sealed < seq <= size and starts.get(oid, height) == height:
                return seq - 1
        return size

    def member_proposal(self, record: Mapping[str, Any], reply_to: str) -> None:
        """The host proposes a membership change: answer with this supernode's vote."""
        answered = answer_proposal(
            record,
            name=self.name,
            tier=self.tier,
            view=self.view,
            signer=self.signer,
            started=self._started(),
        )
        if answered is None:
            return
        answer, hold = answered
        if answer.vote is not None:
            # Until the entry arrives (or the host can no longer record it),
            # this node takes no step at or after its first block.
            self._promises[answer.vote.block_hash or b""] = hold
        transport.reply(reply_to, answer.to_record())

    def act_proposal(self, record: Mapping[str, Any]) -> None:
        """The host asks the supernodes to certify an act: answer with this node's vote
        or refusal; a proposal that is not the host's live one gets no answer."""
        try:
            proposal = acts.ActProposal.from_record(record)
        except (KeyError, TypeError, ValueError) as exc:
            log.warning("%s: malformed act proposal: %s", self.name, exc)
            return
        why = acts.authentic(proposal, transport.host_key(), time.time())
        if why:
            log.warning("%s: act proposal dropped: %s", self.name, why)
            return
        # The act id's digest is on disk before the vote leaves (as a signed height).
        with durable_atomic() if connection.vendor == "sqlite" else transaction.atomic():
            answer = acts.answer(
                proposal,
                tier=self.tier,
                log=self.view.log,
                signer=self.signer,
                next_height=self.node.last_final + 1,
                memory=_ActsSigned(),
            )
        transport.reply(proposal.reply_to, answer.to_record())

    def _hold(self) -> int | None:
        """The first block of a change this node voted for and has not received yet."""
        now = time.time()
        for digest, (_, until) in list(self._promises.items()):
            if until < now:
                log.warning("%s: a change it voted for was not recorded in time", self.name)
                del self._promises[digest]
        held = [start for start, _ in self._promises.values()]
        return min(held) if held else None

    def _held(self) -> bool:
        hold = self._hold()
        awaiting = self._awaiting_entries()
        if awaiting:
            self._need(CHAIN_LOG)  # the host answers with the membership entries too
        waiting = (hold is not None and self._started() >= hold) or awaiting
        if not waiting and self._deferred:
            deferred, self._deferred = self._deferred, []
            for src, record in deferred:
                self.deliver(src, record)
        return waiting

    def _resolve(self, records: Iterable[Mapping[str, Any]]) -> None:
        for record in records:
            change = record.get("change")
            if isinstance(change, Mapping):
                self._promises.pop(change_digest(change), None)

    # -- building the state machine --

    def _build_header(self, request: BlockRequest) -> dict[str, Any]:
        """The proposer's block: every registry log as this node's replica holds it."""
        if not self._has_news():
            # Nothing to seal: no proposal (an idle chain makes no empty blocks).
            raise MessageFormatError("no new ledger entries to propose")
        if self._too_soon():
            # The node enters the height again once the interval has passed.
            self._interval_held = True
            raise MessageFormatError("the minimum block interval has not passed")
        header = self.leaves.header(request)
        size = header["logs"][CHAIN_LOG]["size"]
        sealable = self._sealable(request.height, size)
        if sealable < size:
            root = self.leaves.root(CHAIN_LOG, sealable)
            assert root is not None
            header["logs"][CHAIN_LOG] = {"size": sealable, "root": root.hex()}
        return header

    def _check_header(self, header: Mapping[str, Any]) -> bool:
        """A header is valid when its logs are prefixes of this node's replica and
        it seals no membership entry that would apply from its own block."""
        # The last final block's logs were agreed on already: unchanged ones
        # are not read again.
        node = getattr(self, "node", None)
        known = {}
        if node is not None and node.last_final in node.finals:
            known = node.finals[node.last_final].block.logs()
        if not self.leaves.check_header(header, self._need, known):
            return False
        for registry, entry in header["logs"].items():
            self._matched[registry, int(entry["size"])] = bytes.fromhex(entry["root"])
        size = int(header["logs"][CHAIN_LOG]["size"])
        return self._sealable(int(header["height"]), size) == size

    def _supernode_options(self) -> dict[str, Any]:
        return {
            "propose_block": self._build_header,
            "check_header": self._check_header,
            "log_source": LeafSource(self.leaves),
            "timeouts": supernode_timeouts(
                settings.RIIK_CLUSTER_TAKEOVER_TICKS, resend=CLUSTER_TIMEOUTS.resend
            ),
            "challenge_every": settings.RIIK_CLUSTER_CHALLENGE_EVERY,
            "challenge_seed": challenge_seed(self.key),
        }

    def _restore(self) -> ChainNode:
        finals = [json.loads(f.record) for f in NodeFinal.objects.order_by("height")]
        saved = NodeState.objects.filter(name=self.name).first()
        common: dict[str, Any] = {
            "chain_id": self.chain_id,
            "membership": self.membership,
            "signer": self.signer,
        }
        if saved is not None:
            state = {**json.loads(saved.state), "finals": finals}
            if self.tier == "witness":
                return WitnessNode.restore(
                    state,
                    propose_block=self._build_header,
                    check_header=self._check_header,
                    timeouts=CLUSTER_TIMEOUTS,
                    **common,
                )
            if self.tier == "supernode":
                node = SupernodeNode.restore(state, **self._supernode_options(), **common)
                signed = SignedHeight.objects.filter(node=self.name).first()
                if signed is not None and (
                    node.last_signed is None or node.last_signed[0] < signed.height
                ):
                    node.last_signed = (signed.height, bytes(signed.block_hash))
                return node
            citizen = CitizenNode.restore(state, source=LeafSource(self.leaves), **common)
            citizen._restore_base(state)
            citizen.replica = self.leaves.citizen_replica(
                {r: size for r, (size, _) in citizen.last.logs.items()}
            )
            return citizen
        if self.tier == "witness":
            return WitnessNode(
                name=self.name,
                propose_block=self._build_header,
                check_header=self._check_header,
                timeouts=CLUSTER_TIMEOUTS,
                **common,
            )
        if self.tier == "supernode":
            return SupernodeNode(name=self.name, **self._supernode_options(), **common)
        return CitizenNode(
            name=self.name,
            source=LeafSource(self.leaves),
            replica=self.leaves.citizen_replica({}),
            **common,
        )

    # -- inputs --

    def _too_soon(self) -> bool:
        """True within the minimum block interval after this node's last final block."""
        interval = float(settings.RIIK_CLUSTER_MIN_BLOCK_INTERVAL)
        return interval > 0 and time.monotonic() - self._final_at < interval

    def _has_news(self) -> bool:
        sealed = _final_logs(self.node) if hasattr(self, "node") else {}
        return any(self.leaves.size(r) > sealed.get(r, 0) for r in settings.RIIK_REGISTRIES)

    def _idle(self) -> bool:
        node = self.node
        return (
            isinstance(node, BftNode)
            and node.height == node.last_final + 1
            and node.decision is None
            and not node.sent_votes
            and not node.sent_proposals
            and node.round == 0
            and all(
                r.proposal is None and not r.prevotes and not r.precommits
                for r in node.rounds.values()
            )
            and not getattr(node, "_witness_commits", None)
        )

    def start(self) -> None:
        """The first input after the worker started (or restarted)."""
        self._run(lambda node: node.start())
        with transaction.atomic():
            self._save()  # the node shows in status tables from its start

    def deliver(self, src: str, record: Mapping[str, Any]) -> None:
        """A message from ``src``; malformed messages change nothing."""
        try:
            message = message_from_record(record)
        except (MessageFormatError, KeyError, TypeError, ValueError) as exc:
            log.warning("%s: malformed message from %s: %s", self.name, src, exc)
            return
        if src not in self.groups[ALL] or src == self.name:
            log.warning("%s: message from unknown sender %r dropped", self.name, src)
            return
        if self._held():
            self._deferred.append((src, record))
            return
        self._run(lambda node: node.handle(src, message))

    def deliver_many(self, src: str, records: Any) -> None:
        """Messages from ``src`` sent in one step, handled in one step here.

        The list is only an envelope, unsigned like the transport: each
        message in it is parsed and checked on its own, exactly as
        :meth:`deliver` does, and a malformed one is dropped alone. A list
        longer than an honest step sends (``DELIVER_BATCH``) is refused whole.
        """
        if not isinstance(records, list) or len(records) > DELIVER_BATCH:
            log.warning("%s: message list from %s refused", self.name, src)
            return
        if src not in self.groups[ALL] or src == self.name:
            log.warning("%s: message from unknown sender %r dropped", self.name, src)
            return
        messages = []
        for record in records:
            try:
                messages.append(message_from_record(record))
            except (MessageFormatError, KeyError, TypeError, ValueError) as exc:
                log.warning("%s: malformed message from %s: %s", self.name, src, exc)
        if not messages:
            return
        if self._held():
            self._deferred.extend((src, record) for record in records)
            return

        def handle_all(node: ChainNode) -> Output:
            merged = Output()
            for message in messages:
                out = node.handle(src, message)
                merged.sends += out.sends
                merged.decisions += out.decisions
                merged.evidence += out.evidence
            return merged

        self._run(handle_all)

    def tick(self) -> None:
        """One step of this node's clock (skipped while a BFT node has nothing to do,
        or while it waits for a membership entry it voted for)."""
        if self._held():
            return
        if self._idle():
            if not self._has_news():
                node = self.node
                if isinstance(node, SupernodeNode) and node.open_challenges:
                    self._run(lambda _: node.tick_challenges())
                return
            if self._too_soon():
                # The clock stands still within the interval, as on an idle chain.
                self._interval_held = True
                return
            if self._interval_held:
                self._interval_held = False
                self._reenter()
                return
        self._run(lambda node: node.tick())

    def _reenter(self) -> None:
        """Enter the height again, so the proposer proposes what arrived."""

        def reenter(node: ChainNode) -> Output:
            if isinstance(node, BftNode):
                node.height = 0
            return node.start()

        self._run(reenter)

    def ledger_message(self, record: Mapping[str, Any]) -> None:
        """The host's signed ledger message: its leaves are stored only when it is
        the host's, for this node and chain (:mod:`chain.blocks.cluster.ledgermessage`);
        anything else is dropped before a leaf is read."""
        try:
            message = LedgerMessage.from_record(record)
        except (KeyError, TypeError, ValueError) as exc:
            log.warning("%s: malformed ledger message dropped: %s", self.name, exc)
            return
        if self._host_key is None:
            self._host_key = transport.host_key()  # host.pub may be written after the start
        why = message.refusal(self._host_key, self.chain_id, self.name)
        if why:
            log.warning("%s: ledger message dropped: %s", self.name, why)
            return
        self.ledger_batch({r: (start, list(data)) for r, (start, data) in message.logs.items()})

    def ledger(self, registry: str, start: int, data: list[bytes]) -> None:
        """New leaves of ``registry`` from the host, after entry ``start``."""
        self.ledger_batch({registry: (start, data)})

    def ledger_batch(self, batch: Mapping[str, tuple[int, list[bytes]]]) -> None:
        """New leaves from the host, by registry (after entry ``start`` of each; the
        message that brought them checked already, :meth:`ledger_message`): one
        transaction and one insert per table for all of them."""
        known = {r: leaves for r, leaves in batch.items() if r in settings.RIIK_REGISTRIES}
        if not known:
            return
        had_news = self._has_news()
        try:
            with transaction.atomic():
                gaps = self.leaves.add_batch(known)
        except BaseException:
            self.leaves.forget()  # the frontiers moved past what was rolled back
            raise
        for registry in gaps:
            self._need(registry)
        if not had_news and self._has_news() and self._idle():
            self._reenter()

    def _need(self, registry: str) -> None:
        now = time.monotonic()
        if now - self._last_need >= NEED_EVERY:
            self._last_need = now
            transport.send("cluster_need", HOST, self.name, registry, self.leaves.size(registry))

    # -- one step: persist, then send --

    def _run(self, step: Callable[[ChainNode], Output]) -> None:
        try:
            # The signing state must be on disk before the signature leaves.
            # On PostgreSQL a step that says nothing (most ticks, most votes
            # heard) keeps nothing and pays no durable commit: the step's
            # transaction is made durable only once there is output to persist.
            with durable_atomic() if connection.vendor == "sqlite" else transaction.atomic():
                out = step(self.node)
                # Nothing said, nothing to keep: what the node only heard is
                # heard again from the sender's resend timer after a crash.
                reports: list[tuple[str, dict[str, Any]]] = []
                if out:
                    make_durable()
                    reports = self._persist(out)
        except BaseException:
            # Whatever the step changed in memory is rolled back in the database.
            self.node = self._restore()
            self.leaves.forget()
            self._proven = _final_logs(self.node)
            raise
        if not reports and not out.sends:
            return
        # One broker message per receiver and step, however many messages
        # the step has for it (a decision and a vote, a final block and a
        # cosign request...): each costs a publish here and a task there.
        by_target: dict[str, list[dict[str, Any]]] = {}
        for send in out.sends:
            record = message_to_record(send.message)
            for target in self.groups.get(send.to, [send.to]):
                if target != self.name:
                    by_target.setdefault(target, []).append(record)
        with transport.sending():
            for report in reports:
                transport.send("cluster_report", HOST, self.name, *report)
            for target, records in by_target.items():
                for first in range(0, len(records), DELIVER_BATCH):
                    chunk = records[first : first + DELIVER_BATCH]
                    if len(chunk) == 1:
                        transport.send("cluster_deliver", target, self.name, chunk[0])
                    else:
                        transport.send("cluster_deliver_many", target, self.name, chunk)

    def _persist(self, out: Output) -> list[tuple[str, dict[str, Any]]]:
        reports: list[tuple[str, dict[str, Any]]] = []
        for decision in out.decisions:
            if isinstance(decision, SignedFinalize):
                SignedHeight.objects.update_or_create(
                    node=self.name,
                    defaults={"height": decision.height, "block_hash": decision.block_hash},
                )
            elif isinstance(decision, Finalized):
                final = decision.final
                self._final_at = time.monotonic()
                self._prove_replica(final)
                if not self._sealing or final.height > self._sealing[-1][0]:
                    self._sealing.append((final.height, _chain_log_size(final)))
                NodeFinal.objects.get_or_create(
                    height=final.height,
                    defaults={
                        "block_hash": final.block.hash,
                        "record": canonical(final.to_record()).decode(),
                    },
                )
                if self.tier == "supernode":
                    reports.append(("final", self._final_report(final)))
            elif (
                isinstance(decision, Committed)
                and self.tier == "witness"
                and self._reports(decision.height)
            ):
                reports.append(
                    (
                        "committed",
                        {"block": decision.block.to_record(), "qc": decision.qc.to_record()},
                    )
                )
            elif isinstance(decision, Witnessed) and self._reports(decision.height):
                reports.append(
                    ("witnessed", {"height": decision.height, "qc": decision.qc.to_record()})
                )
            elif isinstance(decision, StorageChecked) and decision.challenge is not None:
                reports.append(("storage", storage_report(decision)))
            elif isinstance(decision, Alarm):
                log.error(
                    "%s: %s at %d: %s", self.name, decision.kind, decision.height, decision.detail
                )
        if any(isinstance(decision, Finalized) for decision in out.decisions):
            self._apply_entries()  # entries these blocks seal apply from now on
        for evidence in out.evidence:
            log.warning("%s: evidence %s", self.name, evidence.kind)
            if evidence.attributable:
                reports.append(("evidence", evidence.to_record()))
        self._save()
        return reports

    def _reports(self, height: int) -> bool:
        """True when this node is one of the f + 1 of its tier that report ``height``'s
        commit certificate or cosignatures to the host: one honest report is all
        the host needs (it checks the certificate), and every report costs it a
        transaction. Final reports come from every supernode: each carries that
        supernode's own checkpoint signatures."""
        tier: Tier = "witness" if self.tier == "witness" else "supernode"
        return self.name in self.node.membership.validator_set(tier, height).relays(height)

    def _prove_replica(self, final: FinalBlock) -> None:
        """Check this replica against a final block's log roots (step's transaction).

        A log that does not reproduce its root held leaves the host never
        sent (a relay rewrote them, well formed): it goes back to the size
        the last final block proved, and the host is asked for the rest.
        Roots this node already matched checking the header cost nothing.
        """
        for registry, (size, root) in final.block.logs().items():
            proven = self._proven.get(registry, 0)
            if size <= proven or self.leaves.size(registry) < size:
                continue  # proven already, or the leaves have not all arrived
            matched = self._matched.pop((registry, size), None)
            if matched == root or self.leaves.root(registry, size) == root:
                self._proven[registry] = size
                continue
            log.error(
                "%s: the replica of %s disagrees with final block %d: back to %d leaves",
                self.name,
                registry,
                final.height,
                proven,
            )
            self.leaves.truncate(registry, proven)
            self._need(registry)
        # What was matched for sizes now proven or passed is not needed again.
        self._matched = {
            key: root for key, root in self._matched.items() if key[1] > self._proven.get(key[0], 0)
        }

    def _final_report(self, final: FinalBlock) -> dict[str, Any]:
        """The final block and this supernode's signed checkpoints of its logs."""
        key = self._key_at(final.height)
        checkpoints = {
            registry: key.sign_note(notes.checkpoint_body(checkpoint_origin(registry), size, root))
            for registry, (size, root) in final.block.logs().items()
        }
        return {"final": final.to_record(), "checkpoints": checkpoints}

    def _save(self) -> None:
        node = self.node
        # The final blocks are kept block by block in NodeFinal (restored from
        # there): a step's row holds only what the step can change.
        state = node.snapshot(finals=False)
        del state["finals"]
        if isinstance(node, BftNode) and node.sent_votes:
            last = max(node.sent_votes.values(), key=lambda v: (v.height, v.round, v.kind))
            self._last_vote = f"{last.kind} h{last.height} r{last.round}"
        elif isinstance(node, CitizenNode) and node.last.height:
            self._last_vote = f"cosign h{node.last.height}"
        cosigned = node.last.height if isinstance(node, CitizenNode) else None
        values = {
            "tier": self.tier,
            "state": json.dumps(state, sort_keys=True),
            "height": getattr(node, "height", cosigned),
            "last_final": node.last_final if cosigned is None else cosigned,
            "last_vote": self._last_vote,
            "updated_at": time.time(),
        }
        # One UPDATE per step (the row exists from the node's start), not a
        # SELECT, a row lock and an UPDATE.
        if not NodeState.objects.filter(name=self.name).update(**values):
            NodeState.objects.create(name=self.name, **values)


class _ActsSigned:
    """The acts this node certified, in its database (:class:`acts.ActMemory`)."""

    def signed(self, kind: str, act_id: str) -> bytes | None:
        row = NodeActVote.objects.filter(kind=kind, act_id=act_id).first()
        return None if row is None else bytes(row.digest)

    def remember(self, kind: str, act_id: str, digest: bytes, height: int) -> None:
        NodeActVote.objects.create(kind=kind, act_id=act_id, digest=digest, height=height)


_RUNTIME: NodeRuntime | None = None


def runtime() -> NodeRuntime:
    """This worker's node, restored from its database and started on first use."""
    global _RUNTIME
    if _RUNTIME is None:
        tier = settings.RIIK_CLUSTER_ROLE
        if tier not in TIER_GROUP:
            raise RuntimeError(f"RIIK_CLUSTER_ROLE {tier!r} is not a node tier")
        key = load_or_create_node_key(Path(settings.RIIK_KEYS_DIR), settings.RIIK_NODE_NAME)
        _RUNTIME = NodeRuntime(key, tier)
        _RUNTIME.start()
    return _RUNTIME
