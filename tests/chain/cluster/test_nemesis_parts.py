"""The nemesis's own parts: a schedule repeats from its seed, a cut proxy cuts."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from itertools import pairwise

import pytest

from tests.chain.cluster.nemesis import BrokerProxies, plan

TIERS = {"witness": ["witness-1", "witness-2"], "host": ["host"]}


def test_a_schedule_is_repeated_from_its_seed_and_bounded() -> None:
    schedule = plan(7, 30, TIERS)
    assert str(schedule) == str(plan(7, 30, TIERS))
    assert str(schedule) != str(plan(8, 30, TIERS))
    assert str(schedule).startswith("nemesis seed 7\n")
    assert 9 <= schedule.membership_at <= 15
    for tier, names in TIERS.items():
        faults = [f for f in schedule.faults if f.node in names]
        assert faults, tier
        # One fault at a time per tier, each healed before the schedule ends.
        for earlier, later in pairwise(faults):
            assert earlier.end < later.start
        assert all(0 < f.start < f.end <= 30 for f in faults)


@pytest.fixture
def echo() -> Iterator[int]:
    """A TCP echo server on 127.0.0.1 standing in for the broker; yields its port."""
    server = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        while True:
            try:
                connection, _ = server.accept()
            except OSError:
                return
            threading.Thread(target=_echo, args=(connection,), daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    yield server.getsockname()[1]
    server.close()


def _echo(connection: socket.socket) -> None:
    with connection:
        while data := connection.recv(1024):
            connection.sendall(data)


def _roundtrip(port: int) -> socket.socket:
    client = socket.create_connection(("127.0.0.1", port), timeout=5)
    client.sendall(b"ping")
    assert client.recv(4) == b"ping"
    return client


def test_a_cut_proxy_resets_its_links_and_refuses_new_ones_until_healed(echo: int) -> None:
    proxies = BrokerProxies(f"redis://127.0.0.1:{echo}/6", ["witness-1"])
    try:
        url = proxies.url("witness-1")
        port = proxies.proxies["witness-1"].port
        assert url == f"redis://127.0.0.1:{port}/6"
        client = _roundtrip(port)
        proxies.proxies["witness-1"].cut()
        assert client.recv(4) == b""  # the link was dropped
        client.close()
        with socket.create_connection(("127.0.0.1", port), timeout=5) as refused:
            assert refused.recv(4) == b""
        proxies.proxies["witness-1"].heal()
        _roundtrip(port).close()
    finally:
        proxies.close()


def test_a_proxied_url_keeps_the_credentials_and_the_virtual_host() -> None:
    proxies = BrokerProxies("amqp://guest:secret@10.0.0.5:5672//", ["supernode-1"])
    try:
        port = proxies.proxies["supernode-1"].port
        assert proxies.url("supernode-1") == f"amqp://guest:secret@127.0.0.1:{port}//"
    finally:
        proxies.close()
