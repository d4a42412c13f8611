"""The consensus state machines as a real cluster: one Celery worker per node.

Each node (supernode, witness or citizen) is a Celery worker consuming its
own queue ``<RIIK_CLUSTER_PREFIX>.<name>``, with its own key
(``RIIK_KEYS_DIR``) and its own database, where it keeps its consensus state
(:class:`~chain.blocks.models.NodeState`, :class:`SignedHeight`), its replica
of the chain (:class:`NodeFinal`) and of the registry logs' leaves
(:class:`ReplicaLeaf`). This module is the thin adapter between Celery and
the pure nodes of :mod:`chain.consensus`:

* a message between nodes is the task ``chain.tasks.cluster_deliver`` sent
  to the receiver's queue; a node's clock is a timer in its worker's event
  loop (:mod:`chain.blocks.clock`) calling ``chain.tasks.cluster_tick``;
* every input is handled in one database transaction that stores the node's
  decisions and new state, and only after it commits do the node's messages
  leave (a supernode's "I signed block X at height h" is on disk before its
  vote is). Tasks are acknowledged late: a node killed with ``kill -9``
  gets the input again after its restart, and the state machines ignore
  what they have already seen;
* the registry host (the application's own database, with the ledger) sends
  new ledger leaves to every node (``cluster_ledger``); a witness proposer
  builds the block from its replica, the other nodes check the header's log
  roots against theirs. The certificates come back to the host
  (``cluster_report``), which stores the blocks, their signatures and levels
  (:func:`record_report`).

An idle chain (no entry since the last final block) makes no empty blocks:
a BFT node with nothing new does not advance its clock, and enters the
height again when new leaves arrive so its proposer proposes at once.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from celery import current_app
from django.conf import settings
from django.db import transaction

from chain import merkle, notes
from chain.blocks.genesis import members
from chain.blocks.members import entries, record_cluster_genesis, serialize_with_sealing
from chain.blocks.models import (
    COMMITTED,
    FINAL,
    LEVEL_ORDER,
    WITNESSED,
    Block,
    BlockLog,
    BlockSignature,
    Checkpoint,
    ConsensusEvidence,
    NodeFinal,
    NodeMemberEntry,
    NodeState,
    ReplicaLeaf,
    SignedHeight,
    Supernode,
    Validator,
)
from chain.blocks.quorum import host_membership, node_view, push_entries, reply
from chain.blocks.storage import challenge_seed, record_storage_check, storage_report
from chain.consensus.bft import BftNode
from chain.consensus.citizen import CitizenNode, Replica
from chain.consensus.crypto import KeyRing, Signer
from chain.consensus.membership import VoteCheck
from chain.consensus.memberview import MemberProposal, MemberViewError, VoteAnswer
from chain.consensus.messages import (
    FINALIZE_ROUND,
    BlockRequest,
    FinalBlock,
    MessageFormatError,
    QuorumCertificate,
    Vote,
    message_from_record,
    message_to_record,
)
from chain.consensus.messages import Block as HeaderBlock
from chain.consensus.node import (
    ALL,
    CITIZENS,
    SUPERNODES,
    WITNESSES,
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
from chain.encoding import canonical, timestamp
from chain.keys import NodeKey, load_next_key, load_or_create_node_key
from chain.ledger import chainlog
from chain.ledger.models import LedgerEntry, LedgerHead
from chain.memberlog import change_digest
from chain.protocol import EVIDENCE_TOPIC

__all__ = [
    "HOST",
    "NodeRuntime",
    "announce",
    "answer_need",
    "queue_of",
    "record_report",
    "runtime",
]

log = logging.getLogger(__name__)

HOST = "host"
"""The registry host's name in queue names and reports."""

LEAF_BATCH = 2000
"""Leaves sent in one ledger message."""

NEED_EVERY = 2.0
"""Seconds between two requests of a node for leaves it missed."""

CLUSTER_TIMEOUTS = Timeouts(resend=15)
"""Own messages are sent again every 15 ticks (3 s), not 6: a broker loses
nothing it acknowledged, so resends only cover a crashed receiver, and on a
small machine every extra message delays the useful ones."""

HOLD_GRACE = 5.0
"""Seconds a supernode waits for a voted change beyond the proposal's expiry
(the host's and the node's clocks may differ by that much)."""

TIER_GROUP = {"supernode": SUPERNODES, "witness": WITNESSES, "citizen": CITIZENS}


def queue_of(name: str) -> str:
    """The queue a node (or ``host``) consumes."""
    return f"{settings.RIIK_CLUSTER_PREFIX}.{name}"


_PRODUCER: list[Any] = []
"""The broker producer of the batch being sent (:func:`_sending`), if any."""


@contextmanager
def _sending() -> Iterator[None]:
    """Send a step's messages through one producer taken from the pool once."""
    if _PRODUCER:
        yield
        return
    with current_app.producer_or_acquire() as producer:
        _PRODUCER.append(producer)
        try:
            yield
        finally:
            _PRODUCER.clear()


def _send(task: str, name: str, *args: Any, expires: float | None = None) -> None:
    # No argsrepr: Celery would otherwise render every vote and leaf list
    # into the message headers, the largest cost of a send in a profile.
    current_app.send_task(
        f"chain.tasks.{task}",
        args=list(args),
        queue=queue_of(name),
        expires=expires,
        producer=_PRODUCER[0] if _PRODUCER else None,
        argsrepr="",
        kwargsrepr="",
        ignore_result=True,
    )


def send_batch(task: str, names: Iterable[str], *args: Any, expires: float | None = None) -> None:
    """Send the task ``chain.tasks.<task>`` with ``args`` to each of ``names``' queues."""
    with _sending():
        for name in names:
            _send(task, name, *args, expires=expires)


def _genesis() -> str:
    path = settings.RIIK_GENESIS_FILE
    if not path:
        raise RuntimeError("RIIK_GENESIS_FILE names no genesis file")
    return str(path)


def groups() -> dict[str, list[str]]:
    """Member names by group destination (``witnesses``, ``supernodes``, ``citizens``, ``all``)."""
    by_tier = members(_genesis())
    result = {TIER_GROUP[tier]: [m.name for m in keys] for tier, keys in by_tier.items()}
    result[ALL] = [n for group in (WITNESSES, SUPERNODES, CITIZENS) for n in result[group]]
    return result


class _Leaves:
    """This node's copy of the registry logs' leaves: a table, cached in memory."""

    def __init__(self) -> None:
        self.leaves: dict[str, list[bytes]] = {r: [] for r in settings.RIIK_REGISTRIES}
        for leaf in ReplicaLeaf.objects.order_by("registry", "seq"):
            self.leaves.setdefault(leaf.registry, []).append(bytes(leaf.data))
        self._roots: dict[tuple[str, int], bytes] = {}

    def size(self, registry: str) -> int:
        return len(self.leaves.get(registry, ()))

    def add(self, registry: str, start: int, data: list[bytes]) -> bool:
        """Store leaves ``start + 1 ..``; False when they leave a gap after ours."""
        held = self.leaves.setdefault(registry, [])
        if start > len(held):
            return False
        new = data[len(held) - start :]
        if new:
            ReplicaLeaf.objects.bulk_create(
                ReplicaLeaf(registry=registry, seq=len(held) + i + 1, data=leaf)
                for i, leaf in enumerate(new)
            )
            held.extend(new)
        return True

    def root(self, registry: str, size: int) -> bytes | None:
        """Merkle root of the first ``size`` leaves (None when not all held)."""
        if size > self.size(registry):
            return None
        key = (registry, size)
        if key not in self._roots:
            self._roots[key] = merkle.root_hash(self.leaves[registry][:size])
        return self._roots[key]

    # LogSource, for supernodes' cosign requests and citizens' replicas.

    def consistency_proof(self, registry: str, old_size: int, new_size: int) -> list[bytes]:
        return merkle.consistency_proof(self.leaves[registry][:new_size], old_size)

    def leaves_of(self, registry: str, start: int, end: int) -> list[bytes]:
        return self.leaves[registry][start:end]


class _Source:
    """:class:`chain.consensus.citizen.LogSource` over a node's leaf table."""

    def __init__(self, leaves: _Leaves) -> None:
        self._leaves = leaves

    def leaves(self, registry: str, start: int, end: int) -> list[bytes]:
        return self._leaves.leaves_of(registry, start, end)

    def consistency_proof(self, registry: str, old_size: int, new_size: int) -> list[bytes]:
        return self._leaves.consistency_proof(registry, old_size, new_size)


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
        stored = [json.loads(row.record) for row in NodeMemberEntry.objects.order_by("position")]
        self.view = node_view(_genesis(), stored)
        self.membership = self.view.membership
        self.chain_id = self.membership.chain_id
        self.keys = self._keys()
        self.signer: Signer = self._key_ring()
        self.groups = groups()
        self.leaves = _Leaves()
        self._last_need = 0.0
        self._last_vote = ""
        self._promises: dict[bytes, tuple[int, float]] = {}
        """Changes this supernode voted for: their first block and how long it holds it."""
        self._deferred: list[tuple[str, Mapping[str, Any]]] = []
        self.node = self._restore()

    # -- membership --

    def _keys(self) -> list[tuple[int, NodeKey]]:
        """This node's keys, each from the first block it signs (rotations certified)."""
        keys = [(1, self.key)]
        for start, public in self.view.key_starts(self.tier, self.name):
            key_id = notes.key_id(self.name, public)
            if key_id == keys[-1][1].key_id:
                continue
            key = load_next_key(Path(settings.RIIK_KEYS_DIR), self.name, key_id)
            if key is None:
                log.error(
                    "%s: no private key %s for blocks from %d (RIIK_KEYS_DIR/%s.%s.pem)",
                    self.name,
                    key_id.hex(),
                    start,
                    self.name,
                    key_id.hex(),
                )
                continue
            keys.append((start, key))
        return keys

    def _key_ring(self) -> Signer:
        if len(self.keys) == 1:
            return Signer.from_node_key(self.key)
        return KeyRing([(start, Signer.from_node_key(key)) for start, key in self.keys])

    def _key_at(self, height: int) -> NodeKey:
        chosen = self.keys[0][1]
        for start, key in self.keys:
            if start <= height:
                chosen = key
        return chosen

    def _started(self) -> int:
        """The highest block height this node has begun to vote on."""
        node = self.node
        if isinstance(node, CitizenNode):
            return node.last.height
        return max(getattr(node, "height", 0), node.last_final)

    def membership_entries(self, records: list[dict[str, Any]]) -> None:
        """The host's membership entries: verify and apply those this node lacks."""
        held = len(self.view.entries)
        try:
            self.view.apply(records)
        except MemberViewError as error:
            # Never sign on lists this node cannot verify; what came before stays.
            log.error("%s: membership entry refused: %s", self.name, error)
        with transaction.atomic():
            NodeMemberEntry.objects.bulk_create(
                (
                    NodeMemberEntry(position=i, record=canonical(record).decode())
                    for i, record in enumerate(self.view.entries)
                    if i >= held
                ),
                ignore_conflicts=True,
            )
        if len(self.view.entries) == held:
            return
        started = self._started()
        for record in self.view.entries[held:]:
            if int(record["from_height"]) <= started:
                log.error(
                    "%s: a membership change applies from block %s, this node is at %d",
                    self.name,
                    record["from_height"],
                    started,
                )
        self.keys = self._keys()
        self.signer = self._key_ring()
        self.node.signer = self.signer
        self._resolve(self.view.entries[held:])
        self._held()  # what waited for these entries is handled now

    def member_proposal(self, record: Mapping[str, Any], reply_to: str) -> None:
        """The host proposes a membership change: answer with this supernode's vote."""
        try:
            proposal = MemberProposal.from_record(record)
        except (KeyError, TypeError, ValueError) as exc:
            log.warning("%s: malformed membership proposal: %s", self.name, exc)
            return
        if proposal.expires_at and proposal.expires_at < time.time():
            return  # the host stopped waiting: no vote, no hold, no reply queue left behind
        if self.tier != "supernode":
            answer = VoteAnswer(self.name, None, f"{self.name} is no supernode")
        else:
            answer = self.view.answer(proposal, self.signer, self._started())
        if answer.vote is not None:
            # Until the entry arrives (or the host can no longer record it),
            # this node takes no step at or after its first block.
            self._promises[answer.vote.block_hash or b""] = (
                proposal.from_height,
                proposal.expires_at + HOLD_GRACE,
            )
        reply(reply_to, answer.to_record())

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
        if hold is None and self._deferred:
            deferred, self._deferred = self._deferred, []
            for src, record in deferred:
                self.deliver(src, record)
        return hold is not None and self._started() >= hold

    def _resolve(self, records: Iterable[Mapping[str, Any]]) -> None:
        for record in records:
            change = record.get("change")
            if isinstance(change, Mapping):
                self._promises.pop(change_digest(change), None)

    # -- building the state machine --

    def _build_header(self, request: BlockRequest) -> dict[str, Any]:
        """The proposer's block: every registry log as this node's replica holds it."""
        logs = {}
        for registry in sorted(settings.RIIK_REGISTRIES):
            size = self.leaves.size(registry)
            root = self.leaves.root(registry, size)
            assert root is not None
            logs[registry] = {"size": size, "root": root.hex()}
        if not self._has_news():
            # Nothing to seal: no proposal (an idle chain makes no empty blocks).
            raise MessageFormatError("no new ledger entries to propose")
        return {
            "chain_id": request.chain_id,
            "height": request.height,
            "prev_hash": request.prev_hash.hex(),
            "sealed_at": timestamp(datetime.now(UTC)),
            "proposer": request.proposer,
            "logs": logs,
        }

    def _check_header(self, header: Mapping[str, Any]) -> bool:
        """A header is valid when its logs are prefixes of this node's replica."""
        if set(header) != {"chain_id", "height", "prev_hash", "sealed_at", "proposer", "logs"}:
            return False
        if not isinstance(header["sealed_at"], str):
            return False
        try:
            logs = HeaderBlock.from_header(header).logs()
        except MessageFormatError:
            return False
        if set(logs) != set(settings.RIIK_REGISTRIES):
            return False
        for registry, (size, _) in logs.items():
            if size > self.leaves.size(registry):
                self._need(registry)  # the host's leaves are late or were lost
        return all(self.leaves.root(r, size) == root for r, (size, root) in logs.items())

    def _supernode_options(self) -> dict[str, Any]:
        return {
            "propose_block": self._build_header,
            "check_header": self._check_header,
            "log_source": _Source(self.leaves),
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
            citizen = CitizenNode.restore(state, source=_Source(self.leaves), **common)
            citizen._restore_base(state)
            citizen.replica = Replica(
                {r: self.leaves.leaves_of(r, 0, size) for r, (size, _) in citizen.last.logs.items()}
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
        return CitizenNode(name=self.name, source=_Source(self.leaves), **common)

    # -- inputs --

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

    def tick(self) -> None:
        """One step of this node's clock (skipped while a BFT node has nothing to do,
        or while it waits for a membership entry it voted for)."""
        if self._held():
            return
        if self._idle() and not self._has_news():
            node = self.node
            if isinstance(node, SupernodeNode) and node.open_challenges:
                self._run(lambda _: node.tick_challenges())
            return
        self._run(lambda node: node.tick())

    def ledger(self, registry: str, start: int, data: list[bytes]) -> None:
        """New leaves of ``registry`` from the host, after entry ``start``."""
        if registry not in settings.RIIK_REGISTRIES:
            return
        had_news = self._has_news()
        with transaction.atomic():
            complete = self.leaves.add(registry, start, data)
        if not complete:
            self._need(registry)
            return
        if not had_news and self._has_news() and self._idle():
            # Enter the height again so the proposer proposes what arrived.
            def reenter(node: ChainNode) -> Output:
                if isinstance(node, BftNode):
                    node.height = 0
                return node.start()

            self._run(reenter)

    def _need(self, registry: str) -> None:
        now = time.monotonic()
        if now - self._last_need >= NEED_EVERY:
            self._last_need = now
            _send("cluster_need", HOST, self.name, registry, self.leaves.size(registry))

    # -- one step: persist, then send --

    def _run(self, step: Callable[[ChainNode], Output]) -> None:
        try:
            with transaction.atomic():
                out = step(self.node)
                # Nothing said, nothing to keep: what the node only heard is
                # heard again from the sender's resend timer after a crash.
                reports = self._persist(out) if out else []
        except BaseException:
            # Whatever the step changed in memory is rolled back in the database.
            self.node = self._restore()
            raise
        if not reports and not out.sends:
            return
        with _sending():
            for report in reports:
                _send("cluster_report", HOST, self.name, *report)
            for send in out.sends:
                targets = self.groups.get(send.to, [send.to])
                record = message_to_record(send.message)
                for target in targets:
                    if target != self.name:
                        _send("cluster_deliver", target, self.name, record)

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
                NodeFinal.objects.get_or_create(
                    height=final.height,
                    defaults={
                        "block_hash": final.block.hash,
                        "record": canonical(final.to_record()).decode(),
                    },
                )
                if self.tier == "supernode":
                    reports.append(("final", self._final_report(final)))
            elif isinstance(decision, Committed) and self.tier == "witness":
                reports.append(
                    (
                        "committed",
                        {"block": decision.block.to_record(), "qc": decision.qc.to_record()},
                    )
                )
            elif isinstance(decision, Witnessed):
                reports.append(
                    ("witnessed", {"height": decision.height, "qc": decision.qc.to_record()})
                )
            elif isinstance(decision, StorageChecked) and decision.challenge is not None:
                reports.append(("storage", storage_report(decision)))
            elif isinstance(decision, Alarm):
                log.error(
                    "%s: %s at %d: %s", self.name, decision.kind, decision.height, decision.detail
                )
        for evidence in out.evidence:
            log.warning("%s: evidence %s", self.name, evidence.kind)
            if evidence.attributable:
                reports.append(("evidence", evidence.to_record()))
        self._save()
        return reports

    def _final_report(self, final: FinalBlock) -> dict[str, Any]:
        """The final block and this supernode's signed checkpoints of its logs."""
        key = self._key_at(final.height)
        checkpoints = {
            registry: key.sign_note(
                notes.checkpoint_body(f"{settings.RIIK_ORIGIN_PREFIX}/{registry}", size, root)
            )
            for registry, (size, root) in final.block.logs().items()
        }
        return {"final": final.to_record(), "checkpoints": checkpoints}

    def _save(self) -> None:
        node = self.node
        state = node.snapshot()
        state.pop("finals", None)  # kept block by block in NodeFinal
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


# -- the registry host --

_ANNOUNCED: dict[str, int] = {}
"""Per registry, the ledger size this host process already sent to every node."""


def _leaf_data(registry: str, start: int, end: int) -> list[str]:
    from chain.encoding import entry_leaf

    rows = LedgerEntry.objects.filter(registry=registry, seq__gt=start, seq__lte=end).order_by(
        "seq"
    )
    return [
        entry_leaf(
            registry=row.registry,
            seq=row.seq,
            originator_id=str(row.originator_id),
            originator_version=row.originator_version,
            topic=row.topic,
            recorded_at=row.recorded_at,
            payload_hash=bytes(row.payload_hash),
        ).hex()
        for row in rows
    ]


_ANNOUNCED_MEMBERS: list[int] = [0]
"""How many membership entries this host process already sent to every node."""


def announce() -> int:
    """Send every node the ledger leaves written since the last announcement,
    and the membership entries when new ones were recorded."""
    names = groups()[ALL]
    recorded = [entry.record for entry in entries()]
    if len(recorded) > _ANNOUNCED_MEMBERS[0]:
        push_entries(names, recorded)
        _ANNOUNCED_MEMBERS[0] = len(recorded)
    sent = 0
    for head in LedgerHead.objects.all():
        start = _ANNOUNCED.get(head.registry)
        if start is None:
            final = BlockLog.objects.filter(
                registry=head.registry, block__level__in=[FINAL, WITNESSED]
            )
            start = max(final.values_list("size", flat=True), default=0)
        while start < head.size:
            end = min(head.size, start + LEAF_BATCH)
            data = _leaf_data(head.registry, start, end)
            with _sending():
                for name in names:
                    _send("cluster_ledger", name, head.registry, start, data)
            sent += len(data)
            start = end
        _ANNOUNCED[head.registry] = start
    return sent


def answer_need(node: str, registry: str, start: int) -> None:
    """Send ``node`` the leaves of ``registry`` after ``start`` that it missed."""
    if node not in groups()[ALL] or registry not in settings.RIIK_REGISTRIES:
        return
    head = LedgerHead.objects.filter(registry=registry).first()
    if head is None or start >= head.size:
        return
    end = min(head.size, start + LEAF_BATCH)
    _send("cluster_ledger", node, registry, start, _leaf_data(registry, start, end))


def register_members() -> None:
    """Record the genesis members' keys beside the blocks and the genesis in the
    chain log (idempotent)."""
    listed = members(_genesis())
    record_cluster_genesis(_genesis())
    # Recorded changes only add rows (or close them): once every genesis key
    # has its row there are at least as many.
    if Validator.objects.count() >= sum(len(keys) for keys in listed.values()):
        return
    for tier, keys in listed.items():
        for key in keys:
            key_id = notes.key_id(key.name, key.public_key).hex()
            Validator.objects.get_or_create(
                tier=tier,
                name=key.name,
                key_id=key_id,
                defaults={"public_key": key.public_key, "added_at_height": 1},
            )
            if tier == "supernode":
                Supernode.objects.get_or_create(
                    name=key.name,
                    key_id=key_id,
                    defaults={"public_key": key.public_key, "added_at_height": 1},
                )


def _store_votes(block: Block, qc: QuorumCertificate) -> None:
    # One INSERT; a vote stored already (another node's report) is skipped
    # by the one_vote_per_node constraint.
    BlockSignature.objects.bulk_create(
        (
            BlockSignature(
                block=block,
                tier=vote.tier,
                kind=vote.kind,
                round=vote.round,
                signer=vote.signer,
                key_id=vote.key_id.hex(),
                alg=vote.alg,
                signature=vote.signature,
            )
            for vote in qc.votes
        ),
        ignore_conflicts=True,
    )


def _store_block(header_block: HeaderBlock) -> Block:
    """A block as the nodes agreed on it.

    ``Block.round`` is the round its supernode and citizen signatures name
    (:data:`FINALIZE_ROUND`); the witnesses' precommits keep their own BFT
    round in :class:`BlockSignature`.
    """
    header = dict(header_block.header)
    block = Block.objects.create(
        height=header_block.height,
        block_hash=header_block.hash,
        prev_hash=bytes.fromhex(header["prev_hash"]),
        proposer=header_block.proposer,
        sealed_at=header["sealed_at"],
        header=canonical(header).decode(),
        round=FINALIZE_ROUND,
    )
    BlockLog.objects.bulk_create(
        BlockLog(block=block, registry=r, size=size, root=root)
        for r, (size, root) in header_block.logs().items()
    )
    return block


def _raise(block: Block, level: str) -> None:
    if LEVEL_ORDER.index(block.level) < LEVEL_ORDER.index(level):
        block.level = level
        block.save(update_fields=["level"])


def record_report(sender: str, kind: str, payload: Mapping[str, Any]) -> None:
    """Store what a node reported: a committed, final or witnessed block (idempotent).

    Every certificate is checked against the genesis membership before
    anything is stored: a forged report changes nothing.
    """
    membership = host_membership(_genesis())
    if sender not in groups()[ALL]:
        log.warning("report from unknown node %r dropped", sender)
        return
    with transaction.atomic():
        if kind in ("committed", "final"):
            serialize_with_sealing()  # a block stored here is ordered with membership changes
        if kind == "committed":
            _record_committed(membership, payload)
        elif kind == "final":
            _record_final(membership, payload)
        elif kind == "witnessed":
            _record_witnessed(membership, payload)
        elif kind == "evidence":
            _record_evidence(membership, sender, payload)
        elif kind == "storage":
            record_storage_check(membership, sender, payload)


def _record_committed(membership: Any, payload: Mapping[str, Any]) -> None:
    from chain.consensus.evidence import check_certificate

    header_block = HeaderBlock.from_record(payload["block"])
    height = header_block.height
    if Block.objects.filter(height=height, block_hash=header_block.hash).exists():
        return  # another witness reported it first (or it is final already)
    register_members()
    qc = QuorumCertificate.from_record(payload["qc"])
    result = check_certificate(
        qc,
        membership.validator_set("witness", height),
        tier="witness",
        kind="precommit",
        height=height,
        block_hash=header_block.hash,
    )
    if not result.valid:
        log.warning("invalid commit certificate for height %d dropped", height)
        return
    block = Block.objects.select_for_update().filter(height=height).first()
    if block is None:
        block = _store_block(header_block)
    elif bytes(block.block_hash) != header_block.hash:
        return  # the supernodes made another block final at this height
    _store_votes(block, qc)
    _raise(block, COMMITTED)


def _record_final(membership: Any, payload: Mapping[str, Any]) -> None:
    from chain.consensus.evidence import check_certificate

    final = FinalBlock.from_record(payload["final"])
    height = final.height
    if Block.objects.filter(
        height=height, block_hash=final.block.hash, level__in=[FINAL, WITNESSED]
    ).exists():
        return  # another supernode reported it first
    register_members()
    result = check_certificate(
        final.qc,
        membership.validator_set("supernode", height),
        tier="supernode",
        kind="finalize",
        height=height,
        round=FINALIZE_ROUND,
        block_hash=final.block.hash,
    )
    if not result.valid or final.block.height != height:
        log.warning("invalid final certificate for height %d dropped", height)
        return
    block = Block.objects.select_for_update().filter(height=height).first()
    if block is not None and bytes(block.block_hash) != final.block.hash:
        if LEVEL_ORDER.index(block.level) >= LEVEL_ORDER.index(FINAL):
            log.error("two final blocks at height %d", height)
            return
        # A committed witness block the supernodes did not make final (takeover).
        block.signatures.all().delete()
        block.logs.all().delete()
        block.checkpoints.all().delete()
        block.delete()
        block = None
    if block is None:
        block = _store_block(final.block)
    _store_votes(block, final.qc)
    origins = {r: (size, root) for r, (size, root) in final.block.logs().items()}
    held = set(Checkpoint.objects.filter(block=block).values_list("registry", flat=True))
    checkpoints = []
    for registry, note in dict(payload.get("checkpoints", {})).items():
        if registry in origins and registry not in held:
            size, root = origins[registry]
            body = notes.checkpoint_body(f"{settings.RIIK_ORIGIN_PREFIX}/{registry}", size, root)
            if str(note).startswith(body):
                checkpoints.append(Checkpoint(block=block, registry=registry, note=str(note)))
    Checkpoint.objects.bulk_create(checkpoints)
    _raise(block, FINAL)


def _record_evidence(membership: Any, sender: str, payload: Mapping[str, Any]) -> None:
    """Store an equivocation once both of its votes verify and really conflict.

    It becomes an entry of the chain's own log (:mod:`chain.ledger.chainlog`)
    and a :class:`ConsensusEvidence` row for the admin, in one transaction.
    """
    if payload.get("kind") != "equivocation" or payload.get("conflicting") is None:
        return
    vote = Vote.from_record(payload["vote"])
    other = Vote.from_record(payload["conflicting"])
    if (
        vote.slot != other.slot
        or vote.block_hash == other.block_hash
        or membership.check_vote(vote, vote.tier) is not VoteCheck.OK
        or membership.check_vote(other, other.tier) is not VoteCheck.OK
    ):
        log.warning("unproven evidence from %s dropped", sender)
        return
    record = {
        "kind": "equivocation",
        "vote": vote.to_record(),
        "conflicting": other.to_record(),
        "reported_by": sender,
    }
    slot = (vote.signer, vote.tier, vote.kind, vote.height, vote.round)
    if ConsensusEvidence.objects.filter(
        kind="equivocation",
        signer=vote.signer,
        tier=vote.tier,
        vote_kind=vote.kind,
        height=vote.height,
        round=vote.round,
    ).exists():
        return  # another node reported it first
    register_members()  # the bundle header must list the keys that check it
    # On the chain first (hash-chained, sealed, exported), then the admin's row.
    entry = chainlog.append(chainlog.event_id("equivocation", *slot), EVIDENCE_TOPIC, record)
    ConsensusEvidence.objects.create(
        kind="equivocation",
        signer=vote.signer,
        tier=vote.tier,
        vote_kind=vote.kind,
        height=vote.height,
        round=vote.round,
        reported_by=sender,
        record=canonical(record).decode(),
        recorded_at=entry.recorded_at,
        entry_seq=entry.seq,
    )


def _record_witnessed(membership: Any, payload: Mapping[str, Any]) -> None:
    from chain.consensus.evidence import check_certificate

    qc = QuorumCertificate.from_record(payload["qc"])
    height = int(payload["height"])
    block = Block.objects.select_for_update().filter(height=height).first()
    if block is None or block.level != FINAL:
        return  # not final here yet (reported again later), or witnessed already
    result = check_certificate(
        qc,
        membership.validator_set("citizen", height),
        tier="citizen",
        kind="cosign",
        height=height,
        round=FINALIZE_ROUND,
        block_hash=bytes(block.block_hash),
    )
    if not result.valid:
        return
    _store_votes(block, qc)
    _raise(block, WITNESSED)


def node_summaries(urls: Iterable[str]) -> list[dict[str, Any]]:
    """Status rows read from nodes' own databases (for ``manage.py cluster``)."""
    from chain.blocks.nodedb import read_rows

    keys = ("name", "tier", "height", "last_final", "last_vote", "updated_at")
    rows = []
    for url in urls:
        found = read_rows(
            url,
            "SELECT name, tier, height, last_final, last_vote, updated_at FROM chain_nodestate",
        )
        if found:
            rows.append(dict(zip(keys, found[0], strict=True)))
    return rows
