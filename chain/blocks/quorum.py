"""Membership changes in a cluster: a supernode quorum collected over the broker.

A cluster host holds no supernode key. An operator's change (``manage.py
consensus register-enterprise ...`` with ``RIIK_CONSENSUS=cluster``) is
proposed to the supernodes valid at its height (task
``chain.tasks.cluster_member_propose``); each checks it against its own
membership view and the replay's rules
(:meth:`chain.consensus.memberview.MemberView.answer`) and answers with its
signed ``membership`` vote, or why it refuses, on a reply queue of this
proposal. Once 2F+1 valid votes are in, the change is recorded exactly as in
``local`` or ``devnet`` mode (:func:`chain.blocks.members._append`, which
checks the certificate again) and the entries are pushed to every node
(``chain.tasks.cluster_membership``), which verifies and applies them
(:meth:`chain.blocks.cluster.NodeRuntime.membership_entries`).

The votes are collected outside any transaction (no lock is held while
waiting); the recording transaction then takes the sealing lock and records
only when no entry and no block at or after the change's first block came
in meanwhile, otherwise it proposes again while time is left.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from celery import current_app
from django.conf import settings
from django.db import transaction

from chain.blocks import members
from chain.blocks.genesis import load_membership, read_genesis
from chain.consensus.membership import Membership
from chain.consensus.memberview import MemberProposal, MemberView, MemberViewError
from chain.consensus.node import ALL
from chain.memberlog import MemberLog, change_digest, entry_record

__all__ = [
    "genesis_entry",
    "host_membership",
    "node_view",
    "push_entries",
    "record_by_quorum",
    "reply",
]


def genesis_entry(path: str) -> dict[str, Any]:
    """The chain-log entry of a cluster's genesis file (what the host records first)."""
    chain_id, certificate = read_genesis(Path(path))
    return entry_record(
        chain_id=chain_id,
        change=certificate.change.record(),
        height=certificate.height,
        from_height=certificate.height + 1,
        certificate=[vote.to_record() for vote in certificate.votes],
    )


def _records() -> list[dict[str, Any]]:
    return [entry.record for entry in members.entries()]


_HOST_VIEW: dict[str, tuple[str, Membership]] = {}


def host_membership(genesis: str) -> Membership:
    """The member lists the host checks reports against: the genesis file's
    and every membership change recorded since (verified again on replay)."""
    records = _records()
    if not records:
        return load_membership(genesis)
    key = json.dumps(records, sort_keys=True)
    cached = _HOST_VIEW.get(genesis)
    if cached is not None and cached[0] == key:
        return cached[1]
    view = MemberView(records[0])
    view.apply(records)
    _HOST_VIEW[genesis] = (key, view.membership)
    return view.membership


def push_entries(names: Sequence[str], records: Sequence[Mapping[str, Any]] | None = None) -> None:
    """Send every recorded membership entry to ``names`` (each applies those it lacks)."""
    from chain.blocks.cluster import send_batch

    records = _records() if records is None else records
    if records:
        send_batch("cluster_membership", names, [dict(record) for record in records])


def reply(queue: str, answer: Mapping[str, Any]) -> None:
    """A node's answer to a proposal, on the proposal's own reply queue."""
    # Published to the default exchange without declaring the queue: an answer
    # that comes after the host gave up finds no queue and is dropped, rather
    # than re-creating a queue nobody will read.
    with current_app.connection_for_write() as connection:
        connection.Producer(serializer="json").publish(
            dict(answer), exchange="", routing_key=queue, retry=True
        )


def _collect(
    log: MemberLog, proposal: MemberProposal, supernodes: Sequence[str], timeout: float
) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    """Propose to ``supernodes`` and gather their answers until a quorum, every
    answer or the timeout: (valid votes by signer, refusals by signer)."""
    from chain.blocks.cluster import send_batch

    needed = log.quorum_at(proposal.height)
    votes: dict[str, dict[str, Any]] = {}
    refusals: dict[str, str] = {}
    queue = f"{settings.RIIK_CLUSTER_PREFIX}.host.reply.{uuid.uuid4().hex}"
    deadline = time.monotonic() + timeout
    with current_app.connection_for_write() as connection:
        replies = connection.SimpleQueue(queue)
        try:
            send_batch(
                "cluster_member_propose",
                supernodes,
                proposal.to_record(),
                queue,
                expires=timeout,
            )
            while len(votes) < needed and len(votes) + len(refusals) < len(supernodes):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                try:
                    message = replies.get(block=True, timeout=remaining)
                except replies.Empty:
                    break
                message.ack()
                answer = message.payload
                signer = str(answer.get("signer"))
                if signer not in supernodes or signer in votes:
                    continue
                vote = answer.get("vote")
                if vote is not None and signer in log.valid_signers(
                    proposal.change, proposal.height, [vote]
                ):
                    votes[signer] = vote
                    refusals.pop(signer, None)
                else:
                    refusals[signer] = str(answer.get("reason") or "an invalid vote")
        finally:
            # Stop consuming before deleting the queue: RabbitMQ cancels the
            # consumers of a deleted queue, and a cancel arriving while the
            # client cancels too is an error (ConsumerCancelled).
            replies.close()
            replies.queue.delete()
    return votes, refusals


def _pending(change: Mapping[str, Any], last: int) -> members.Entry | None:
    """The entry of the same change recorded already and not applied yet, if any."""
    digest = change_digest(change)
    for entry in members.entries():
        from_height = entry.record.get("from_height")
        if (
            entry.kind != "genesis"
            and isinstance(from_height, int)
            and from_height > last
            and change_digest(entry.change) == digest
        ):
            return entry
    return None


def _applied_log(last: int) -> MemberLog:
    """The lists the entries applied up to block ``last + 1`` give (pending ones left out)."""
    log = MemberLog(settings.RIIK_CHAIN_ID)
    for entry in members.entries():
        from_height = entry.record.get("from_height")
        if entry.kind == "genesis" or (isinstance(from_height, int) and from_height <= last):
            log.apply(entry.record, f"consensus seq {entry.seq}")
    return log


def record_by_quorum(
    build: Callable[[MemberLog], Mapping[str, object]], timeout: float = members.DEFAULT_TIMEOUT
) -> members.Recorded:
    """Record the change ``build`` makes of the recorded lists, certified by the
    cluster's supernodes; raises :class:`~chain.blocks.members.MembershipCommandError`
    when they refuse it or no quorum answers within ``timeout`` seconds.

    Idempotent: the same change recorded already and not applied yet is
    returned as it is, not recorded twice.
    """
    from chain.blocks.cluster import groups, register_members

    deadline = time.monotonic() + timeout
    while True:
        with transaction.atomic():
            register_members()  # the genesis is the first entry
            log = members.recorded_log()
            if not log.started:
                raise members.MembershipCommandError(
                    "the cluster's genesis is not recorded (RIIK_GENESIS_FILE is for another chain)"
                )
            last = members.last_block()
            try:
                change = dict(build(log))
            except members.MembershipCommandError:
                # Refused on the lists with the pending changes: a re-proposal
                # of one of them (a registration, say) returns it instead.
                entry = _pending(build(_applied_log(last)), last)
                if entry is None:
                    raise
            else:
                entry = _pending(change, last)
            if entry is not None:
                return members.Recorded(
                    entry.seq,
                    entry.kind,
                    int(entry.record["height"]),
                    int(entry.record["from_height"]),
                    entry.signers,
                    f"already recorded as consensus seq {entry.seq}: not recorded again",
                )
            height, start = log.next_height(last)
            records = _records()
        supernodes = sorted({name for name, _ in log.keys_at("supernode", height)})
        # Every node first gets the entries recorded so far: a supernode votes
        # only on the lists the host has.
        push_entries(groups()[ALL], records)
        expires_at = time.time() + max(deadline - time.monotonic(), 0.1)
        proposal = MemberProposal(log.chain_id, change, height, start, len(records), expires_at)
        votes, refusals = _collect(log, proposal, supernodes, max(deadline - time.monotonic(), 0.1))
        needed = log.quorum_at(height)
        if len(votes) >= needed:
            with transaction.atomic():
                members.serialize_with_sealing()
                current = members.recorded_log()
                moved = _records() != records or members.last_block() >= start
                # After expires_at the supernodes that voted stop holding their
                # blocks from ``start`` for this entry: too late to record it.
                if not moved and time.time() < expires_at:
                    done = members._append(current, change, height, start, list(votes.values()))
                    transaction.on_commit(lambda: push_entries(groups()[ALL]))
                    return done
            if moved and time.monotonic() < deadline:
                continue  # a block or another change came first: propose at the new height
            raise members.MembershipCommandError(
                f"no quorum recorded within {timeout:g} s (blocks or other changes came "
                "in while the votes were collected); run it again"
            )
        reasons = "; ".join(f"{name}: {why}" for name, why in sorted(refusals.items()))
        if len(supernodes) - len(refusals) < needed:
            raise members.MembershipCommandError(
                f"refused by the supernodes ({len(votes)} of {needed} votes): {reasons}"
            )
        silent = ", ".join(n for n in supernodes if n not in votes and n not in refusals)
        raise members.MembershipCommandError(
            f"no supernode quorum within {timeout:g} s ({len(votes)} of {needed} votes; "
            f"no answer from {silent or 'nobody'}{'; ' + reasons if reasons else ''})"
        )


def node_view(genesis: str, stored: Sequence[Mapping[str, Any]]) -> MemberView:
    """A node's view: its genesis file's entry, then the entries it stored (after it)."""
    view = MemberView(genesis_entry(genesis))
    try:
        view.apply([view.entries[0], *stored])
    except MemberViewError as error:
        # Its own database: only a tampered one gets here.
        raise RuntimeError(f"stored membership entries do not replay: {error}") from None
    return view
