"""The simulated network and its schedule: delays, drops, duplicates, partitions.

Pure: no I/O; the only randomness is the run's seeded ``random.Random``.
Time is global ticks. Before the global stabilisation time (GST) messages
are dropped, duplicated and delayed up to ``max_delay`` ticks and a
partition may cut the network; after it every message between running nodes
arrives within ``max_delay_after_gst`` ticks. Within those bounds the delay
of a message is the network's draw, or the adversary's choice
(:meth:`Network.transmit`'s ``delay``): that is the timing model.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Iterator
from typing import Any

from chain.consensus.messages import Message, message_type
from chain.consensus.simulator.faults import FaultPlan

__all__ = ["Network"]


class Network:
    """Messages in flight, delivered in (tick, send order)."""

    def __init__(self, plan: FaultPlan, rng: random.Random) -> None:
        self.plan = plan
        self.rng = rng
        self.time = 0
        self._queue: list[tuple[int, int, str, str, Message]] = []
        self._seq = 0
        self.stats: dict[str, Any] = {"sent": 0, "delivered": 0, "dropped": 0, "duplicated": 0}
        self.by_type: dict[str, int] = {}

    def limit(self) -> int:
        """The longest delay the timing model allows for a message sent now."""
        before_gst = self.time < self.plan.gst
        return max(self.plan.max_delay if before_gst else self.plan.max_delay_after_gst, 1)

    def partitioned(self, a: str, b: str) -> bool:
        """True when a partition separates ``a`` and ``b`` now."""
        for partition in self.plan.partitions:
            if partition.start <= self.time < partition.end and (
                (a in partition.side) != (b in partition.side)
            ):
                return True
        return False

    def transmit(self, src: str, dst: str, message: Message, delay: int | None = None) -> None:
        """Send one message; ``delay`` (clamped to the timing model) overrides the draw."""
        self.stats["sent"] += 1
        kind = message_type(message)
        self.by_type[kind] = self.by_type.get(kind, 0) + 1
        before_gst = self.time < self.plan.gst
        if before_gst and self.plan.drop and self.rng.random() < self.plan.drop:
            self.stats["dropped"] += 1
            return
        limit = self.limit()
        chosen = self.rng.randint(1, limit) if delay is None else min(max(delay, 1), limit)
        self._push(self.time + chosen, src, dst, message)
        if before_gst and self.plan.duplicate and self.rng.random() < self.plan.duplicate:
            self.stats["duplicated"] += 1
            self._push(self.time + self.rng.randint(1, limit), src, dst, message)

    def _push(self, at: int, src: str, dst: str, message: Message) -> None:
        self._seq += 1
        heapq.heappush(self._queue, (at, self._seq, src, dst, message))

    def due(self) -> Iterator[tuple[str, str, Message]]:
        """Pop the messages due by now, as (src, dst, message), partitions applied."""
        while self._queue and self._queue[0][0] <= self.time:
            _, _, src, dst, message = heapq.heappop(self._queue)
            if self.partitioned(src, dst):
                self.stats["dropped"] += 1
                continue
            yield src, dst, message
