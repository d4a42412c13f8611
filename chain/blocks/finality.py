"""Making a sealed block final.

The consensus of DESIGN.md section 4 will take this over; until then one local
supernode signs every block, which makes it final with a quorum of one, or
the devnet runs the consensus state machines of every member in this process
(:class:`DevnetFinalizer`). The rest of the code only talks to
:class:`Finalizer`, so swapping the implementation changes nothing else.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Protocol

from django.conf import settings
from django.db import connection

from chain.blocks import memberstore
from chain.blocks.checkpoints import sign_checkpoints
from chain.blocks.devnet import DevnetNetwork, RunResult
from chain.blocks.ledgerreplica import LedgerSource, ledger_replica_store
from chain.blocks.mode import ConsensusMode, consensus_mode
from chain.blocks.models import (
    COMMITTED,
    FINAL,
    LEVEL_ORDER,
    PROPOSED,
    WITNESSED,
    Block,
    BlockSignature,
    SignedHeight,
    Supernode,
    Validator,
)
from chain.blocks.nodekeys import held_tiers, node_key, tier_keys
from chain.blocks.signstate import durable_atomic
from chain.blocks.storage import challenge_seed, record_storage_check, storage_report
from chain.consensus.node import SignedFinalize
from chain.encoding import vote_message
from chain.keys import NodeKey
from chain.memberlog import MemberLog
from chain.protocol import (
    CITIZEN_TIER,
    FINALIZE_KIND,
    SUPERNODE_TIER,
    TIER_KINDS,
    WITNESS_TIER,
    quorum,
)

NEXT_TIER = {PROPOSED: WITNESS_TIER, COMMITTED: SUPERNODE_TIER, FINAL: CITIZEN_TIER}
"""The tier whose certificate raises a block from each level to the next."""


class Finalizer(Protocol):
    """Brings a sealed block to finality (idempotent)."""

    target_level: str
    """The level at which a block needs nothing more from this finalizer."""

    stepwise: bool
    """True when one :meth:`finalize` raises a block by at most one level."""

    def register(self, height: int) -> MemberLog | None:
        """Check (or, on a new chain, record) the members that sign block ``height``;
        the recorded membership, or None when it is not recorded yet."""

    def finalize(self, block: Block) -> None: ...


class LocalSupernodeFinalizer:
    """This node as the only supernode: signs the block and its checkpoints."""

    target_level = FINAL
    stepwise = False

    def __init__(self, key: NodeKey) -> None:
        self.key = key

    def register(self, height: int) -> MemberLog | None:
        """Check this node's key is a member at ``height``; on a chain with no recorded
        membership, record its key and the genesis of it as the single supernode."""
        tiers = {SUPERNODE_TIER: [self.key]}
        log = memberstore.adopt(tiers, 1, height)
        if log is None:
            self.create_row(height)
            memberstore.record_genesis(tiers, 1)
            return None
        if (self.key.name, self.key.key_id) not in log.keys_at(SUPERNODE_TIER, height):
            msg = (
                f"supernode {self.key.name} key {self.key.key_id.hex()} is not a recorded "
                f"member at height {height}"
            )
            raise RuntimeError(msg)
        return log

    def create_row(self, height: int) -> Supernode:
        """Record this node's public key the first time it signs."""
        supernode = Supernode.objects.filter(name=self.key.name, until_height__isnull=True).first()
        if supernode is None:
            supernode = Supernode.objects.create(
                name=self.key.name,
                public_key=self.key.public_bytes,
                key_id=self.key.key_id.hex(),
                added_at_height=height,
            )
        if bytes(supernode.public_key) != self.key.public_bytes:
            msg = f"supernode {self.key.name} is registered with another key"
            raise RuntimeError(msg)
        return supernode

    def finalize(self, block: Block) -> None:
        """Sign ``block`` and its checkpoints; mark it final once a quorum signed."""
        with durable_atomic():
            block = Block.objects.select_for_update().get(height=block.height)
            if LEVEL_ORDER.index(block.level) >= LEVEL_ORDER.index(FINAL):
                return
            self.register(block.height)
            message = vote_message(
                chain_id=settings.RIIK_CHAIN_ID,
                tier=SUPERNODE_TIER,
                kind=FINALIZE_KIND,
                height=block.height,
                round=block.round,
                block_hash=bytes(block.block_hash),
            )
            BlockSignature.objects.get_or_create(
                block=block,
                tier=SUPERNODE_TIER,
                kind=FINALIZE_KIND,
                round=block.round,
                signer=self.key.name,
                defaults={
                    "key_id": self.key.key_id.hex(),
                    "alg": "ed25519",
                    "signature": self.key.sign(message),
                },
            )
            sign_checkpoints(block, [self.key])
            signed = block.signatures.filter(tier=SUPERNODE_TIER, kind=FINALIZE_KIND).count()
            if signed >= quorum(Supernode.objects.filter(until_height__isnull=True).count()):
                block.level = FINAL
                block.save(update_fields=["level"])


class DevnetFinalizer:
    """A development network: the consensus state machines, run in this one process.

    Each member of ``RIIK_WITNESSES``, ``RIIK_SUPERNODES`` and
    ``RIIK_CITIZENS`` has its own key in ``RIIK_KEYS_DIR``. :meth:`finalize`
    drives in-memory :mod:`chain.consensus` nodes of those members
    (:class:`chain.blocks.devnet.DevnetNetwork`, a genesis membership of
    them) over a fault-free in-memory network: the witnesses run BFT on the
    sealed header (2f+1 precommits: ``committed``), the supernodes finalize it
    (2F+1: ``final``; each persists its last signed height in
    :class:`SignedHeight` before its vote leaves and never signs a second
    block at one height) and the citizens cosign it (``w``: ``witnessed``)
    once their replicas, read from the ledger, hash to its roots. Every
    ``challenge_every``-th final height each supernode challenges a
    citizen's replica; the outcomes are recorded as a cluster host records
    them (:func:`chain.blocks.storage.record_storage_check`).
    The votes the nodes actually sent are stored as :class:`BlockSignature`
    rows, all in one transaction per block, so a crash leaves the block as it
    was and the next :func:`~chain.blocks.sealing.finalize_pending` completes
    it. The nodes are kept per process (per database and chain) and rebuilt
    at the block's height on the last final block when missing. Members named
    in ``down`` never run (tests of faults). With ``stepwise`` one
    :meth:`finalize` takes the block one tier only (committed, then final,
    then witnessed): the run stops once that tier's certificate is complete
    and the messages still in flight wait in the nodes' network until the
    next call, so each beat tick shows the next level. It does not run nodes as
    separate processes, through Celery or with a database each, so its
    certificates still prove only that this node holds every key. Never for
    production.
    """

    target_level = WITNESSED

    def __init__(
        self,
        *,
        witnesses: list[NodeKey],
        supernodes: list[NodeKey],
        citizens: list[NodeKey],
        citizen_threshold: int,
        down: frozenset[str] = frozenset(),
        stepwise: bool = False,
        challenge_every: int = 0,
    ) -> None:
        if not supernodes:
            raise ValueError("need at least one supernode")
        self.tiers = {WITNESS_TIER: witnesses, SUPERNODE_TIER: supernodes, CITIZEN_TIER: citizens}
        self.citizen_threshold = citizen_threshold
        self.sizes: dict[str, int] = {}
        self.down = frozenset(down)
        self.stepwise = stepwise
        self.challenge_every = challenge_every

    def thresholds(self) -> dict[str, int]:
        """Signatures each tier needs: 2f+1, 2F+1 and ``w``."""
        sizes = self.sizes or {tier: len(keys) for tier, keys in self.tiers.items()}
        return {
            WITNESS_TIER: quorum(sizes[WITNESS_TIER]),
            SUPERNODE_TIER: quorum(sizes[SUPERNODE_TIER]),
            CITIZEN_TIER: self.citizen_threshold,
        }

    def register(self, height: int) -> MemberLog | None:
        """The recorded membership at ``height``; on a chain without one, record every
        member's public key (supernodes also in :class:`Supernode`) and their genesis."""
        log = memberstore.adopt(self.tiers, self.citizen_threshold, height)
        if log is not None:
            return log
        known = {(v.tier, v.name): v for v in Validator.objects.filter(until_height__isnull=True)}
        for tier, keys in self.tiers.items():
            for key in keys:
                validator = known.get((tier, key.name))
                if validator is None:
                    validator = Validator.objects.create(
                        tier=tier,
                        name=key.name,
                        public_key=key.public_bytes,
                        key_id=key.key_id.hex(),
                        added_at_height=height,
                    )
                if bytes(validator.public_key) != key.public_bytes:
                    msg = f"{tier} {key.name} is registered with another key"
                    raise RuntimeError(msg)
        for key in self.tiers[SUPERNODE_TIER]:
            LocalSupernodeFinalizer(key).create_row(height)
        memberstore.record_genesis(self.tiers, self.citizen_threshold)
        return None

    def follow(self, log: MemberLog, height: int) -> None:
        """Run the recorded members of ``height`` whose keys this process holds
        (the witnesses are the elected board); quorums count every member."""
        self.tiers, self.sizes = held_tiers(log, height)

    def may_finalize(self, name: str, height: int, digest: bytes) -> bool:
        """Persist "``name`` signed ``digest`` at ``height``", or refuse a conflicting vote."""
        # The usual case, a vote at a new height, is one conditional UPDATE
        # (it locks the row as select_for_update did); the row is read only
        # when that changed nothing.
        if SignedHeight.objects.filter(node=name, height__lt=height).update(
            height=height, block_hash=digest
        ):
            return True
        state = SignedHeight.objects.select_for_update().filter(node=name).first()
        if state is None:
            SignedHeight.objects.create(node=name, height=height, block_hash=digest)
            return True
        return state.height == height and bytes(state.block_hash) == digest

    def network(self, block: Block) -> DevnetNetwork:
        """The nodes of this process for the database and chain, waiting at ``block``."""
        members = tuple(
            (tier, key.name, key.public_bytes) for tier, keys in self.tiers.items() for key in keys
        )
        cache_key = (
            connection.settings_dict["NAME"],
            settings.RIIK_CHAIN_ID,
            members,
            self.citizen_threshold,
            self.down,
            self.challenge_every,
        )
        net = _NETWORKS.get(cache_key)
        if net is None:
            net = DevnetNetwork(
                chain_id=settings.RIIK_CHAIN_ID,
                witnesses=self.tiers[WITNESS_TIER],
                supernodes=self.tiers[SUPERNODE_TIER],
                citizens=self.tiers[CITIZEN_TIER],
                citizen_threshold=self.citizen_threshold,
                log_source=LedgerSource(),
                replica_store=ledger_replica_store,
                down=self.down,
                challenge_every=self.challenge_every,
                challenge_seeds={k.name: challenge_seed(k) for k in self.tiers[SUPERNODE_TIER]},
            )
            _NETWORKS[cache_key] = net
        prev_hash = bytes(block.prev_hash)
        if not net.in_flight(bytes(block.block_hash)) and not net.ready_for(
            block.height, prev_hash
        ):
            last_signed = {
                s.node: (s.height, bytes(s.block_hash))
                for s in SignedHeight.objects.filter(
                    node__in=[k.name for k in self.tiers[SUPERNODE_TIER]]
                )
            }
            net.reset(block.height, prev_hash, last_signed)
        return net

    def finalize(self, block: Block) -> None:
        """Run the protocol on ``block``, store its votes and raise its level."""
        with durable_atomic():
            block = Block.objects.select_for_update().get(height=block.height)
            if block.level == WITNESSED:
                return
            log = self.register(block.height)
            if log is not None:
                if block.height < log.era_from:
                    return  # finalized by the members of an earlier consensus mode
                self.follow(log, block.height)
            needed = self.thresholds()
            digest = bytes(block.block_hash)
            net = self.network(block)

            def persist(name: str, decision: SignedFinalize) -> bool:
                return decision.block_hash == digest and self.may_finalize(
                    name, decision.height, decision.block_hash
                )

            # The tier this run must complete: citizens for a full run, the
            # next tier above the block's level for a stepwise one.
            tier = NEXT_TIER[block.level] if self.stepwise else CITIZEN_TIER

            def enough(result: RunResult) -> bool:
                votes = sum(1 for v in result.votes if v.tier == tier)
                return votes >= needed[tier]

            try:
                result = net.run(
                    json.loads(block.header),
                    digest,
                    persist=persist,
                    enough=enough,
                    stop_early=tier != CITIZEN_TIER,
                )
            except Exception:
                _NETWORKS.clear()
                raise
            if not result.final and not net.in_flight(digest):
                _NETWORKS.clear()  # rebuilt from the database next time
            # One multi-row INSERT per block; a vote already stored (a rerun
            # after a crash) is kept as it was, as get_or_create would.
            BlockSignature.objects.bulk_create(
                [
                    BlockSignature(
                        block=block,
                        tier=vote.tier,
                        kind=vote.kind,
                        round=vote.round,
                        signer=vote.signer,
                        key_id=vote.key_id.hex(),
                        alg="ed25519",
                        signature=vote.signature,
                    )
                    for vote in result.votes
                ],
                ignore_conflicts=True,
            )
            self._raise_level(block, needed)
            # Recorded as the cluster's host records a supernode's report: the
            # challenged block is final by now, and the answer is checked again.
            for challenger, checked in result.storage_checks:
                record_storage_check(net.membership, challenger, storage_report(checked))

    def _raise_level(self, block: Block, needed: dict[str, int]) -> None:
        """Raise ``block`` as far as its stored certificates reach (in the caller's transaction)."""
        # One read of the block's votes answers every tier's count (of vote
        # rows, as the certificates store them) and the supernodes that signed.
        votes = Counter[str]()
        finalized: set[str] = set()
        for tier, kind, signer in block.signatures.values_list("tier", "kind", "signer"):
            if TIER_KINDS.get(tier) == kind:
                votes[tier] += 1
                if tier == SUPERNODE_TIER:
                    finalized.add(signer)
        if LEVEL_ORDER.index(block.level) < LEVEL_ORDER.index(COMMITTED):
            if votes[WITNESS_TIER] < needed[WITNESS_TIER]:
                return
            block.level = COMMITTED
        # Every supernode whose finalize vote the block holds cosigns its
        # checkpoints: published with the same quorum that makes it final.
        sign_checkpoints(block, [k for k in self.tiers[SUPERNODE_TIER] if k.name in finalized])
        if LEVEL_ORDER.index(block.level) < LEVEL_ORDER.index(FINAL):
            if votes[SUPERNODE_TIER] < needed[SUPERNODE_TIER]:
                block.save(update_fields=["level"])
                return
            block.level = FINAL
        if votes[CITIZEN_TIER] >= needed[CITIZEN_TIER]:
            block.level = WITNESSED
        block.save(update_fields=["level"])


_NETWORKS: dict[tuple[object, ...], DevnetNetwork] = {}
"""The devnet nodes of this process, per (database, chain, members...)."""


def finalizer() -> Finalizer:
    """The finalizer this host runs in its consensus mode (:mod:`chain.blocks.mode`)."""
    mode = consensus_mode()
    if mode is ConsensusMode.DEVNET:
        return DevnetFinalizer(
            witnesses=tier_keys(WITNESS_TIER, settings.RIIK_WITNESSES),
            supernodes=tier_keys(SUPERNODE_TIER, settings.RIIK_SUPERNODES),
            citizens=tier_keys(CITIZEN_TIER, settings.RIIK_CITIZENS),
            citizen_threshold=settings.RIIK_CITIZEN_THRESHOLD,
            stepwise=settings.RIIK_DEVNET_STEPWISE,
            challenge_every=settings.RIIK_DEVNET_CHALLENGE_EVERY,
        )
    if not mode.host_seals:
        msg = "in a cluster the nodes finalize blocks (chain.blocks.cluster), not this host"
        raise RuntimeError(msg)
    return LocalSupernodeFinalizer(node_key())
