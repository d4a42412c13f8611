"""Ledger leaves for cluster-node tests: the entry envelopes a host really sends."""

from __future__ import annotations

from typing import Any

from chain.encoding import entry_leaf


def entry_leaves(registry: str, count: int, start: int = 0, tag: str = "") -> list[bytes]:
    """Leaves ``start + 1 .. start + count`` of ``registry``'s log (``tag`` varies the payload)."""
    return [
        entry_leaf(
            registry=registry,
            seq=seq,
            originator_id=f"00000000-0000-4000-8000-{seq:012d}",
            originator_version=1,
            topic=f"test.Entry{tag}",
            recorded_at="2026-12-08T00:00:00.000000Z",
            payload_hash=bytes([seq % 256]) * 32,
        )
        for seq in range(start + 1, start + count + 1)
    ]


def delivered(sent: list[tuple[str, str, tuple[Any, ...]]]) -> list[tuple[str, dict[str, Any]]]:
    """(receiver, message record) of every consensus message a node sent, one by one
    or in a list (``cluster_deliver`` / ``cluster_deliver_many``)."""
    out: list[tuple[str, dict[str, Any]]] = []
    for task, to, args in sent:
        if task == "cluster_deliver":
            out.append((to, args[1]))
        elif task == "cluster_deliver_many":
            out.extend((to, record) for record in args[1])
    return out
