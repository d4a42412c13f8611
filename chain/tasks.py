"""Celery tasks of the chain: thin pokes at idempotent services."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from chain.blocks.cluster.host import answer_need
from chain.blocks.cluster.node import runtime
from chain.blocks.cluster.reports import record_report
from chain.blocks.cluster.step import cluster_step
from chain.blocks.sealing import finalize_pending, seal_pending


@shared_task(name="chain.tasks.seal_pending_entries", ignore_result=True)
def seal_pending_entries() -> int | None:
    """Seal and finalize whatever is pending; returns the new height, if any."""
    block = seal_pending()
    return block.height if block else None


@shared_task(name="chain.tasks.finalize_blocks", ignore_result=True)
def finalize_blocks() -> int:
    """Finalize sealed blocks left unfinished (after a worker died, say)."""
    return finalize_pending()


# -- the cluster (chain.blocks.cluster): one worker per node, one queue each --


@shared_task(name="chain.tasks.cluster_deliver", ignore_result=True)
def cluster_deliver(src: str, record: dict[str, Any]) -> None:
    """A consensus message from node ``src`` to this worker's node."""
    runtime().deliver(src, record)


@shared_task(name="chain.tasks.cluster_deliver_many", ignore_result=True)
def cluster_deliver_many(src: str, records: list[dict[str, Any]]) -> None:
    """The consensus messages node ``src`` sent this worker's node in one step."""
    runtime().deliver_many(src, records)


@shared_task(name="chain.tasks.cluster_tick", ignore_result=True)
def cluster_tick() -> None:
    """One step of this worker's clock: a node's tick, or the host's ledger announcement."""
    cluster_step()


@shared_task(name="chain.tasks.cluster_ledger", ignore_result=True)
def cluster_ledger(message: dict[str, Any]) -> None:
    """New ledger leaves from the host, in a message it signed for this worker's node:
    by registry, ``[start, [leaf hex, ...]]`` (the leaves after entry ``start``),
    every log with news in one message (:mod:`chain.blocks.cluster.ledgermessage`)."""
    runtime().ledger_message(message)


@shared_task(name="chain.tasks.cluster_need", ignore_result=True)
def cluster_need(node: str, registry: str, start: int) -> None:
    """Host: node ``node`` misses the leaves of ``registry`` after ``start``."""
    answer_need(node, registry, start)


@shared_task(name="chain.tasks.cluster_report", ignore_result=True)
def cluster_report(sender: str, kind: str, payload: dict[str, Any]) -> None:
    """Host: a node reports a committed, final or witnessed block, or evidence."""
    record_report(sender, kind, payload)


@shared_task(name="chain.tasks.cluster_membership", ignore_result=True)
def cluster_membership(records: list[dict[str, Any]]) -> None:
    """The host's certified membership entries (genesis first): apply those not held."""
    runtime().membership_entries(records)


@shared_task(name="chain.tasks.cluster_member_propose", ignore_result=True)
def cluster_member_propose(proposal: dict[str, Any], reply_to: str) -> None:
    """The host proposes a membership change: a supernode answers with its vote."""
    runtime().member_proposal(proposal, reply_to)


@shared_task(name="chain.tasks.cluster_act_propose", ignore_result=True)
def cluster_act_propose(proposal: dict[str, Any]) -> None:
    """The host asks the supernodes to certify an act: a supernode answers with its vote."""
    runtime().act_proposal(proposal)
