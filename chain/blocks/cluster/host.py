"""The registry host's side of a cluster: what it sends the nodes and the members it knows.

The host (the application's own database, with the ledger) sends every node
the new ledger leaves (``cluster_ledger``, every
``RIIK_CLUSTER_ANNOUNCE_EVERY`` seconds, the new leaves of every log in one
message per node) and the certified membership
entries (``cluster_membership``), answers a node that missed leaves
(``cluster_need``), records the genesis file's members beside the blocks,
and keeps the member lists it checks the nodes' reports against
(:mod:`chain.blocks.cluster.reports`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction

from chain import notes
from chain.blocks import memberstore
from chain.blocks.cluster import transport
from chain.blocks.cluster.genesis import load_membership, members, read_genesis
from chain.blocks.cluster.ledgermessage import signed_for
from chain.blocks.models import FINAL, WITNESSED, BlockLog, Supernode, Validator
from chain.blocks.nodekeys import node_key
from chain.consensus.membership import Membership
from chain.consensus.memberview import MemberView
from chain.consensus.node import ALL
from chain.ledger.heads import ledger_heads
from chain.ledger.models import LedgerHead
from chain.ledger.proofs import read_leaves
from chain.memberlog import MemberLog
from chain.protocol import CHAIN_LOG

__all__ = [
    "announce",
    "answer_need",
    "entry_records",
    "host_membership",
    "push_entries",
    "record_cluster_genesis",
    "register_members",
]

log = logging.getLogger(__name__)

LEAF_BATCH = 2000
"""Leaves sent in one ledger message, over all its logs."""


def entry_records() -> list[dict[str, Any]]:
    """The recorded membership entries, in log order (what every node replays)."""
    return [entry.record for entry in memberstore.entries()]


_ANNOUNCED: dict[str, int] = {}
"""Per registry, the ledger size this host process already sent to every node."""


_ANNOUNCED_MEMBERS: list[int] = [0]
"""How many membership entries this host process already sent to every node."""

_FOLLOWED: list[tuple[int, int]] = [(-1, -1)]
"""(last block, membership entries) when this host process last made the member
rows follow late sealing: they can change only when either does."""


_MOVED: list[tuple[int, tuple[tuple[str, int], ...]]] = [(-1, ())]
"""(last block, every log's size) at this host process's last complete announcement."""


def announce() -> int:
    """Send every node the ledger leaves written since the last announcement, every
    log with news in one message per node (signed for it), and the membership
    entries when new ones were recorded; nothing, after two queries, when no
    ledger head moved and no block came since."""
    heads = ledger_heads()
    last_block = memberstore.last_block()
    moved = (last_block, tuple(sorted((head.registry, head.size) for head in heads)))
    if moved == _MOVED[0]:
        # No head moved and no block came: no leaf, no membership entry (they
        # are chain-log entries) and no late sealing to follow. At 20 ticks a
        # second most ticks of a quiet moment stop here, two queries in.
        return 0
    names = transport.groups()[ALL]
    recorded = entry_records()
    mark = (last_block, len(recorded))
    if mark != _FOLLOWED[0]:
        with transaction.atomic():
            # The header's member history follows entries that final blocks sealed late.
            memberstore.follow_sealing()
        _FOLLOWED[0] = mark
    if len(recorded) > _ANNOUNCED_MEMBERS[0]:
        push_entries(names, recorded)
        _ANNOUNCED_MEMBERS[0] = len(recorded)
    pending: dict[str, tuple[int, int]] = {}
    for head in heads:
        start = _ANNOUNCED.get(head.registry)
        if start is None:
            final = BlockLog.objects.filter(
                registry=head.registry, block__level__in=[FINAL, WITNESSED]
            )
            start = max(final.values_list("size", flat=True), default=0)
            _ANNOUNCED[head.registry] = start
        if start < head.size:  # a log with nothing new is not sent
            pending[head.registry] = (start, head.size)
    sent = 0
    while pending:
        batch: dict[str, tuple[int, list[bytes]]] = {}
        advanced: dict[str, int] = {}
        room = LEAF_BATCH
        for registry, (start, size) in list(pending.items()):
            if room <= 0:
                break
            end = min(size, start + room)
            data = read_leaves(registry, start, end)
            batch[registry] = (start, data)
            room -= len(data)
            advanced[registry] = end
            if end < size:
                pending[registry] = (end, size)
            else:
                del pending[registry]
        _send_ledger(names, batch)
        _ANNOUNCED.update(advanced)  # only once sent: a failed send is tried again
        sent += sum(len(data) for _, data in batch.values())
    _MOVED[0] = moved  # only once all was sent: a failed tick is taken again
    return sent


def answer_need(node: str, registry: str, start: int) -> None:
    """Send ``node`` the leaves of ``registry`` after ``start`` that it missed
    (and, for the chain log, every membership entry: a restarted node may
    wait for the record of one its final blocks seal)."""
    if node not in transport.groups()[ALL] or registry not in settings.RIIK_REGISTRIES:
        return
    if registry == CHAIN_LOG:
        push_entries([node])
    head = LedgerHead.objects.filter(registry=registry).first()
    if head is None or start >= head.size:
        return
    end = min(head.size, start + LEAF_BATCH)
    _send_ledger([node], {registry: (start, read_leaves(registry, start, end))})


def _send_ledger(names: Sequence[str], logs: Mapping[str, tuple[int, list[bytes]]]) -> None:
    """Send each of ``names`` the leaves ``logs``, in a message signed for it by this
    host's key (:mod:`chain.blocks.cluster.ledgermessage`)."""
    chain_id = load_membership(transport.genesis_path()).chain_id
    with transport.sending():
        for name, record in signed_for(names, chain_id, logs, node_key().sign):
            transport.send("cluster_ledger", name, record)


def register_members() -> None:
    """Record the genesis members' keys beside the blocks and the genesis in the
    chain log (idempotent)."""
    listed = members(transport.genesis_path())
    record_cluster_genesis(transport.genesis_path())
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


def record_cluster_genesis(path: str) -> memberstore.Recorded | None:
    """Record a cluster's genesis file (its supernodes' votes included), once.

    Called where the genesis members' rows are registered
    (:func:`register_members`), in that transaction.
    """
    if memberstore.is_recorded():
        return None
    chain_id, certificate = read_genesis(Path(path))
    if chain_id != settings.RIIK_CHAIN_ID:
        # Its votes would not verify in this chain's bundles; the blocks the
        # nodes sign name the genesis's chain too, which the verifier reports.
        log.warning(
            "genesis file is for chain %r, not RIIK_CHAIN_ID %r: not recorded",
            chain_id,
            settings.RIIK_CHAIN_ID,
        )
        return None
    return memberstore.append_change(
        MemberLog(chain_id),
        certificate.change.record(),
        certificate.height,
        certificate.height + 1,
        [vote.to_record() for vote in certificate.votes],
        sync=False,
    )


_HOST_VIEW: dict[str, tuple[str, Membership]] = {}


def host_membership(genesis: str) -> Membership:
    """The member lists the host checks reports against: the genesis file's
    and every membership change recorded since (verified again on replay),
    each applied as the block sealing it makes it."""
    found = memberstore.entries()
    if not found:
        return load_membership(genesis)
    last = memberstore.last_block()
    sealing = {
        str(memberstore.entry_originator(entry.record)): memberstore.sealed_at(entry.seq, last)
        for entry in found
    }
    key = json.dumps([[entry.record for entry in found], sealing], sort_keys=True)
    cached = _HOST_VIEW.get(genesis)
    if cached is not None and cached[0] == key:
        return cached[1]
    view = MemberView(found[0].record)
    view.apply(
        [entry.record for entry in found],
        lambda record: sealing[str(memberstore.entry_originator(record))],
    )
    _HOST_VIEW[genesis] = (key, view.membership)
    return view.membership


def push_entries(names: Sequence[str], records: Sequence[Mapping[str, Any]] | None = None) -> None:
    """Send every recorded membership entry to ``names`` (each applies those it lacks)."""
    records = entry_records() if records is None else records
    if records:
        transport.send_batch("cluster_membership", names, [dict(record) for record in records])
