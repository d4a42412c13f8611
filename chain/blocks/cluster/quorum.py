"""Membership changes in a cluster: a supernode quorum collected over the broker.

A cluster host holds no supernode key. An operator's change (``manage.py
consensus register-enterprise ...`` on a cluster host) is
proposed to the supernodes valid at its height (task
``chain.tasks.cluster_member_propose``); each checks it against its own
membership view and the replay's rules
(:meth:`chain.consensus.memberview.MemberView.answer`) and answers with its
signed ``membership`` vote, or why it refuses, on a reply queue of this
proposal. Once 2F+1 valid votes are in, the change is recorded exactly as in
``local`` or ``devnet`` mode (:func:`chain.blocks.memberstore.append_change`, which
checks the certificate again) and the entries are pushed to every node
(``chain.tasks.cluster_membership``), which verifies and applies them
(:meth:`chain.blocks.cluster.node.NodeRuntime.membership_entries`). A
supernode that voted holds the change's first block until the entry
arrives (:func:`answer_proposal`).

The votes are collected outside any transaction (no lock is held while
waiting); the recording transaction then takes the sealing lock and records
only when no entry and no block at or after the change's first block came
in meanwhile, otherwise it proposes again while time is left.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction

from chain.blocks import memberstore
from chain.blocks.cluster import transport
from chain.blocks.cluster.genesis import read_genesis
from chain.blocks.cluster.host import entry_records, push_entries, register_members
from chain.consensus.crypto import Signer
from chain.consensus.memberview import (
    MemberProposal,
    MemberView,
    MemberViewError,
    SealedAt,
    VoteAnswer,
)
from chain.consensus.node import ALL
from chain.memberlog import MemberLog, change_digest, entry_record

__all__ = [
    "BEHIND_RETRY",
    "DEFAULT_TIMEOUT",
    "HOLD_GRACE",
    "Build",
    "answer_proposal",
    "genesis_entry",
    "node_view",
    "record_by_quorum",
]

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 30.0
"""Seconds a cluster's supernodes have to certify an operator's change."""

HOLD_GRACE = 5.0
"""Seconds a supernode waits for a voted change beyond the proposal's expiry
(the host's and the node's clocks may differ by that much)."""

BEHIND_RETRY = 0.5
"""Seconds before proposing again to supernodes that had not yet applied every
recorded entry (they wait for the final block sealing it)."""

Build = Callable[[MemberLog], Mapping[str, object]]
"""Makes a change of the recorded lists (raising
:class:`~chain.blocks.memberstore.MembershipCommandError`)."""


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


def _collect(
    log: MemberLog, proposal: MemberProposal, supernodes: Sequence[str], timeout: float
) -> tuple[dict[str, dict[str, Any]], dict[str, str], set[str]]:
    """Propose to ``supernodes`` and gather their answers until a quorum, every
    answer or the timeout: (valid votes by signer, refusals by signer, the
    refusers still waiting to apply a recorded entry)."""
    behind: set[str] = set()

    def judge(signer: str, answer: Mapping[str, Any], answers: transport.Answers) -> None:
        vote = answer.get("vote")
        if vote is not None and signer in log.valid_signers(
            proposal.change, proposal.height, [vote]
        ):
            answers.votes[signer] = vote
            answers.refusals.pop(signer, None)
        else:
            answers.refusals[signer] = str(answer.get("reason") or "an invalid vote")
            if answer.get("behind") is True:
                behind.add(signer)

    queue = f"{settings.RIIK_CLUSTER_PREFIX}.host.reply.{uuid.uuid4().hex}"
    answers = transport.ask(
        "cluster_member_propose",
        supernodes,
        queue,
        (proposal.to_record(), queue),
        log.quorum_at(proposal.height),
        timeout,
        judge,
    )
    return answers.votes, answers.refusals, behind


def _pending(change: Mapping[str, Any], last: int) -> memberstore.Entry | None:
    """The entry of the same change recorded already and not applied yet, if any."""
    digest = change_digest(change)
    for entry in memberstore.entries():
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
    for entry in memberstore.entries():
        from_height = entry.record.get("from_height")
        if entry.kind == "genesis" or (isinstance(from_height, int) and from_height <= last):
            log.apply(entry.record, f"consensus seq {entry.seq}")
    return log


def record_by_quorum(build: Build, timeout: float = DEFAULT_TIMEOUT) -> memberstore.Recorded:
    """Record the change ``build`` makes of the recorded lists, certified by the
    cluster's supernodes; raises :class:`~chain.blocks.memberstore.MembershipCommandError`
    when they refuse it or no quorum answers within ``timeout`` seconds.

    Idempotent: the same change recorded already and not applied yet is
    returned as it is, not recorded twice.
    """
    deadline = time.monotonic() + timeout
    while True:
        with transaction.atomic():
            register_members()  # the genesis is the first entry
            log = memberstore.recorded_log()
            if not log.started:
                raise memberstore.MembershipCommandError(
                    "the cluster's genesis is not recorded (RIIK_GENESIS_FILE is for another chain)"
                )
            last = memberstore.last_block()
            try:
                change = dict(build(log))
            except memberstore.MembershipCommandError:
                # Refused on the lists with the pending changes: a re-proposal
                # of one of them (a registration, say) returns it instead.
                entry = _pending(build(_applied_log(last)), last)
                if entry is None:
                    raise
            else:
                entry = _pending(change, last)
            if entry is not None:
                return memberstore.Recorded(
                    entry.seq,
                    entry.kind,
                    int(entry.record["height"]),
                    int(entry.record["from_height"]),
                    entry.signers,
                    f"already recorded as consensus seq {entry.seq}: not recorded again",
                )
            height, start = log.next_height(last)
            records = entry_records()
        supernodes = sorted({name for name, _ in log.keys_at("supernode", height)})
        # Every node first gets the entries recorded so far: a supernode votes
        # only on the lists the host has.
        push_entries(transport.groups()[ALL], records)
        expires_at = time.time() + max(deadline - time.monotonic(), 0.1)
        proposal = MemberProposal(log.chain_id, change, height, start, len(records), expires_at)
        votes, refusals, behind = _collect(
            log, proposal, supernodes, max(deadline - time.monotonic(), 0.1)
        )
        needed = log.quorum_at(height)
        if len(votes) >= needed:
            with transaction.atomic():
                memberstore.serialize_with_sealing()
                current = memberstore.recorded_log()
                moved = [
                    entry.record for entry in memberstore.entries()
                ] != records or memberstore.last_block() >= start
                # After expires_at the supernodes that voted stop holding their
                # blocks from ``start`` for this entry: too late to record it.
                if not moved and time.time() < expires_at:
                    done = memberstore.append_change(
                        current, change, height, start, list(votes.values())
                    )
                    transaction.on_commit(lambda: push_entries(transport.groups()[ALL]))
                    return done
            if moved and time.monotonic() < deadline:
                continue  # a block or another change came first: propose at the new height
            raise memberstore.MembershipCommandError(
                f"no quorum recorded within {timeout:g} s (blocks or other changes came "
                "in while the votes were collected); run it again"
            )
        reasons = "; ".join(f"{name}: {why}" for name, why in sorted(refusals.items()))
        if (
            behind
            and len(supernodes) - len(refusals) + len(behind) >= needed
            and time.monotonic() + BEHIND_RETRY < deadline
        ):
            # A supernode applies an entry only once a final block seals it:
            # ask again when that block may have come.
            time.sleep(BEHIND_RETRY)
            continue
        if len(supernodes) - len(refusals) < needed:
            raise memberstore.MembershipCommandError(
                f"refused by the supernodes ({len(votes)} of {needed} votes): {reasons}"
            )
        silent = ", ".join(n for n in supernodes if n not in votes and n not in refusals)
        raise memberstore.MembershipCommandError(
            f"no supernode quorum within {timeout:g} s ({len(votes)} of {needed} votes; "
            f"no answer from {silent or 'nobody'}{'; ' + reasons if reasons else ''})"
        )


def node_view(genesis: str, stored: Sequence[Mapping[str, Any]], sealed_at: SealedAt) -> MemberView:
    """A node's view: its genesis file's entry, then the entries it stored (after
    it), each applied as the final block ``sealed_at`` names makes it."""
    view = MemberView(genesis_entry(genesis))
    try:
        view.apply([view.entries[0], *stored], sealed_at)
    except MemberViewError as error:
        # Its own database: only a tampered one gets here.
        raise RuntimeError(f"stored membership entries do not replay: {error}") from None
    return view


def answer_proposal(
    record: Mapping[str, Any],
    *,
    name: str,
    tier: str,
    view: MemberView,
    signer: Signer,
    started: int,
) -> tuple[VoteAnswer, tuple[int, float]] | None:
    """A node's answer to the host's proposal ``record`` and the hold its vote
    promises: the change's first block, and until when the node waits for the
    entry. None for a malformed or expired proposal (no vote, no hold, no reply).
    """
    try:
        proposal = MemberProposal.from_record(record)
    except (KeyError, TypeError, ValueError) as exc:
        log.warning("%s: malformed membership proposal: %s", name, exc)
        return None
    if proposal.expires_at and proposal.expires_at < time.time():
        return None  # the host stopped waiting: no vote, no hold, no reply queue left behind
    if tier != "supernode":
        answer = VoteAnswer(name, None, f"{name} is no supernode")
    else:
        answer = view.answer(proposal, signer, started)
    return answer, (proposal.from_height, proposal.expires_at + HOLD_GRACE)
