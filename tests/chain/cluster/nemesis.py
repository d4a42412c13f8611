"""A nemesis for the real cluster: cut nodes from the broker, pause, skew, restart them.

Every node's worker reaches the broker through a :class:`BrokerProxy` of its
own (asyncio, on 127.0.0.1, all proxies in one event loop thread), so
cutting a node closes its broker connections and refuses new ones until it
is healed: its messages neither leave nor arrive, as in a partition. A pause
is ``SIGSTOP`` of the worker's process group (``SIGCONT`` heals it), a
restart ``kill -9`` with the node down until healed. A skew restarts the
node with its clock (:mod:`chain.blocks.cluster.clock`, test-only
``RIIK_CLUSTER_CLOCK_RATE``) ticking slower or faster than real time, and
healing restarts it at the right rate: the nodes count their timeouts in
ticks, and libfaketime, which would skew the wall clock instead, makes
Python's timed waits (``threading.Event.wait``) hang on this machine.

:func:`plan` draws a bounded schedule from a seed (printed with the schedule,
so a failing run can be repeated): per tier at most one fault at a time, so
the witnesses' and supernodes' quorums stay reachable and the chain keeps
growing while the faults run; every fault is healed before the schedule
ends; one membership change is made in the middle of it.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from chain.blocks.cluster.clock import CLOCK_RATE
from chain.blocks.cluster.launcher import LocalCluster

ACTIONS = ("cut", "pause", "skew", "restart")
SKEW_RATES = (0.4, 2.5)
"""How fast a skewed node's clock runs: slower and faster than real time."""


@dataclass(frozen=True)
class Fault:
    """One fault of one node, from ``start`` to ``end`` seconds into the schedule."""

    start: float
    end: float
    action: str
    node: str
    rate: float = 1.0
    """A skewed clock's rate (``skew`` only)."""

    def __str__(self) -> str:
        what = f"{self.action} x{self.rate}" if self.action == "skew" else self.action
        return f"{self.start:5.1f}-{self.end:5.1f}s {what} {self.node}"


@dataclass(frozen=True)
class Schedule:
    """The faults, and when the membership change is made, all drawn from ``seed``."""

    seed: int
    faults: list[Fault]
    membership_at: float

    def __str__(self) -> str:
        lines = [f"nemesis seed {self.seed}"]
        lines += [str(fault) for fault in self.faults]
        lines.append(f"{self.membership_at:5.1f}s membership change")
        return "\n".join(lines)


def plan(seed: int, seconds: float, tiers: dict[str, list[str]]) -> Schedule:
    """Faults for ``seconds``: per tier (name -> its nodes) one at a time, 2.5 to 6 s each."""
    rng = random.Random(seed)
    faults: list[Fault] = []
    for tier in sorted(tiers):
        at = rng.uniform(0.5, 3.0)
        while True:
            length = rng.uniform(2.5, 6.0)
            if at + length > seconds:
                break
            action = rng.choice(ACTIONS)
            rate = rng.choice(SKEW_RATES) if action == "skew" else 1.0
            faults.append(Fault(at, at + length, action, rng.choice(tiers[tier]), rate))
            at += length + rng.uniform(1.0, 3.0)
    faults.sort(key=lambda fault: (fault.start, fault.node))
    return Schedule(seed, faults, rng.uniform(0.3 * seconds, 0.5 * seconds))


class BrokerProxy:
    """A TCP proxy to the broker for one node, which can be cut and healed."""

    def __init__(self, loop: asyncio.AbstractEventLoop, upstream: tuple[str, int]) -> None:
        self.loop = loop
        self.upstream = upstream
        self.port = 0
        self.is_cut = False
        self._links: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._server: asyncio.Server | None = None

    async def open(self) -> None:
        """Listen on a free port of 127.0.0.1."""
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.is_cut:
            writer.transport.abort()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        except OSError:
            writer.transport.abort()
            return
        self._links.update((writer, up_writer))
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))
        self._links.difference_update((writer, up_writer))

    async def _cut(self) -> None:
        self.is_cut = True
        for writer in list(self._links):
            # An abort, not a close: the node sees its connection reset at once.
            writer.transport.abort()
        self._links.clear()

    async def _heal(self) -> None:
        self.is_cut = False

    async def close(self) -> None:
        """Stop listening and drop every connection."""
        await self._cut()
        # The aborted links' pipes end on their next read: let them, so no
        # task is left pending when the loop stops.
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    def cut(self) -> None:
        """Drop the node's broker connections and refuse new ones."""
        asyncio.run_coroutine_threadsafe(self._cut(), self.loop).result(timeout=10)

    def heal(self) -> None:
        """Let the node connect again."""
        asyncio.run_coroutine_threadsafe(self._heal(), self.loop).result(timeout=10)


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Copy ``reader`` to ``writer`` until either side closes."""
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass  # the other side was cut or closed: the link is over
    finally:
        writer.transport.abort()


class BrokerProxies:
    """One :class:`BrokerProxy` per node, served by one event loop thread."""

    def __init__(self, broker_url: str, names: Iterable[str]) -> None:
        self.broker_url = broker_url
        parts = urlsplit(broker_url)
        upstream = (parts.hostname or "127.0.0.1", parts.port or _DEFAULT_PORTS[parts.scheme])
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.proxies = {name: BrokerProxy(self.loop, upstream) for name in names}
        for proxy in self.proxies.values():
            asyncio.run_coroutine_threadsafe(proxy.open(), self.loop).result(timeout=10)

    def url(self, name: str) -> str:
        """The broker URL that reaches the broker through ``name``'s proxy."""
        parts = urlsplit(self.broker_url)
        credentials = parts.netloc.rpartition("@")[0]
        netloc = f"{credentials}@" if credentials else ""
        netloc += f"127.0.0.1:{self.proxies[name].port}"
        return urlunsplit(parts._replace(netloc=netloc))

    def close(self) -> None:
        """Close every proxy and stop the loop thread."""
        for proxy in self.proxies.values():
            asyncio.run_coroutine_threadsafe(proxy.close(), self.loop).result(timeout=10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()


_DEFAULT_PORTS = {"amqp": 5672, "pyamqp": 5672, "redis": 6379}


class Nemesis:
    """Applies and heals faults on a running :class:`LocalCluster` whose nodes use ``proxies``."""

    def __init__(self, cluster: LocalCluster, proxies: BrokerProxies) -> None:
        self.cluster = cluster
        self.proxies = proxies
        self.paused: set[str] = set()

    def begin(self, fault: Fault) -> None:
        """Start ``fault``."""
        name = fault.node
        if fault.action == "cut":
            self.proxies.proxies[name].cut()
        elif fault.action == "pause":
            self._signal(name, signal.SIGSTOP)
            self.paused.add(name)
        elif fault.action == "skew":
            self._restart(name, fault.rate)
        else:
            self.cluster.kill(name)

    def end(self, fault: Fault) -> None:
        """Heal ``fault``."""
        name = fault.node
        if fault.action == "cut":
            self.proxies.proxies[name].heal()
        elif fault.action == "pause":
            self._signal(name, signal.SIGCONT)
            self.paused.discard(name)
        elif fault.action == "skew":
            self._restart(name, 1.0)
        else:
            self.cluster.start(name)

    def heal_all(self) -> None:
        """Heal whatever is still broken (a failed run must not leave stopped workers)."""
        for name in list(self.paused):
            self._signal(name, signal.SIGCONT)
        self.paused.clear()
        for proxy in self.proxies.proxies.values():
            proxy.heal()

    def _signal(self, name: str, signum: signal.Signals) -> None:
        process = self.cluster.nodes[name].process
        if process is not None and process.poll() is None:
            os.killpg(process.pid, signum)

    def _restart(self, name: str, rate: float) -> None:
        self.cluster.kill(name)
        self.cluster.node_env.setdefault(name, {})[CLOCK_RATE] = str(rate)
        self.cluster.start(name)
