"""The cluster's transport: Celery tasks on one broker queue per node.

A message between nodes, a report to the registry host and a ledger push
are each the task ``chain.tasks.<task>`` sent to the receiver's queue
``<RIIK_CLUSTER_PREFIX>.<name>``; the members a group destination names
(``witnesses``, ``supernodes``, ``citizens``, ``all``) are the genesis
file's. A supernode's answer to a membership proposal goes to the
proposal's own reply queue instead (:func:`reply`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from celery import current_app
from django.conf import settings

from chain.blocks.cluster.genesis import host_key_path, members
from chain.consensus.node import ALL, CITIZENS, SUPERNODES, WITNESSES

__all__ = [
    "HOST",
    "TIER_GROUP",
    "Answers",
    "ask",
    "genesis_path",
    "groups",
    "host_key",
    "queue_of",
    "reply",
    "send",
    "send_batch",
    "sending",
]

log = logging.getLogger(__name__)

HOST = "host"
"""The registry host's name in queue names and reports."""

TIER_GROUP = {"supernode": SUPERNODES, "witness": WITNESSES, "citizen": CITIZENS}


def queue_of(name: str) -> str:
    """The queue a node (or ``host``) consumes."""
    return f"{settings.RIIK_CLUSTER_PREFIX}.{name}"


_PRODUCER: list[Any] = []
"""The broker producer of the batch being sent (:func:`sending`), if any."""


@contextmanager
def sending() -> Iterator[None]:
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


def send(task: str, name: str, *args: Any, expires: float | None = None) -> None:
    """Send the task ``chain.tasks.<task>`` with ``args`` to ``name``'s queue."""
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
    with sending():
        for name in names:
            send(task, name, *args, expires=expires)


def genesis_path() -> str:
    """The cluster's genesis file (``RIIK_GENESIS_FILE``)."""
    path = settings.RIIK_GENESIS_FILE
    if not path:
        raise RuntimeError("RIIK_GENESIS_FILE names no genesis file")
    return str(path)


def host_key() -> bytes | None:
    """The registry host's public key this node trusts, for its act proposals and its
    ledger messages: ``RIIK_CLUSTER_HOST_KEY`` (hex), else the ``host.pub`` beside the
    genesis file; None when neither is there (the node then answers and stores nothing)."""
    configured = str(settings.RIIK_CLUSTER_HOST_KEY).strip()
    path = host_key_path(Path(genesis_path()))
    if not configured and path.exists():
        configured = path.read_text().strip()
    try:
        return bytes.fromhex(configured) if configured else None
    except ValueError:
        log.error("the registry host's public key is not hex: nothing of the host is accepted")
        return None


def groups() -> dict[str, list[str]]:
    """Member names by group destination (``witnesses``, ``supernodes``, ``citizens``, ``all``)."""
    by_tier = members(genesis_path())
    result = {TIER_GROUP[tier]: [m.name for m in keys] for tier, keys in by_tier.items()}
    result[ALL] = [n for group in (WITNESSES, SUPERNODES, CITIZENS) for n in result[group]]
    return result


def reply(queue: str, answer: Mapping[str, Any]) -> None:
    """A node's answer to a proposal, on the proposal's own reply queue."""
    # Published to the default exchange without declaring the queue: an answer
    # that comes after the host gave up finds no queue and is dropped, rather
    # than re-creating a queue nobody will read.
    with current_app.connection_for_write() as connection:
        connection.Producer(serializer="json").publish(
            dict(answer), exchange="", routing_key=queue, retry=True
        )


@dataclass
class Answers:
    """What the asked nodes answered a proposal: counted votes and refusals by signer."""

    votes: dict[str, dict[str, Any]] = field(default_factory=dict)
    refusals: dict[str, str] = field(default_factory=dict)

    def silent(self, asked: Iterable[str]) -> list[str]:
        """The asked nodes that neither voted nor refused."""
        return [name for name in asked if name not in self.votes and name not in self.refusals]


def ask(
    task: str,
    names: Sequence[str],
    queue: str,
    args: Sequence[Any],
    needed: int,
    timeout: float,
    judge: Callable[[str, Mapping[str, Any], Answers], None],
) -> Answers:
    """Send ``chain.tasks.<task>`` with ``args`` to each of ``names`` and gather their
    answers on the reply ``queue`` until ``needed`` votes, an answer from every node
    or ``timeout`` seconds: ``judge(signer, answer, answers)`` counts each answer of
    a node asked and not yet counted (a vote only if it checks, else a refusal).

    The host's one way of asking the supernodes (membership changes, acts); no
    lock is held while they answer, so call it outside any transaction.
    """
    answers = Answers()
    deadline = time.monotonic() + timeout
    with current_app.connection_for_write() as connection:
        replies = connection.SimpleQueue(queue)
        try:
            send_batch(task, names, *args, expires=timeout)
            while len(answers.votes) < needed and len(answers.votes) + len(answers.refusals) < len(
                names
            ):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                try:
                    message = replies.get(block=True, timeout=remaining)
                except replies.Empty:
                    break
                message.ack()
                answer = message.payload if isinstance(message.payload, Mapping) else {}
                signer = str(answer.get("signer"))
                if signer in names and signer not in answers.votes:
                    judge(signer, answer, answers)
        finally:
            # Stop consuming before deleting the queue: RabbitMQ cancels the
            # consumers of a deleted queue, and a cancel arriving while the
            # client cancels too is an error (ConsumerCancelled).
            replies.close()
            replies.queue.delete()
    return answers
