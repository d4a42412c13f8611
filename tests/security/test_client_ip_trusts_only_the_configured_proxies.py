"""Issue 14: X-Forwarded-For is believed only from RIIK_TRUSTED_PROXIES."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.http import HttpRequest
from django.test import RequestFactory, override_settings
from rest_framework.test import APIClient

from registries.common.api.throttles import AnonRateThrottle
from registries.common.clients import client_ip


def request(remote: str, forwarded: str | None = None) -> HttpRequest:
    made = RequestFactory().get("/")
    made.META["REMOTE_ADDR"] = remote
    if forwarded is not None:
        made.META["HTTP_X_FORWARDED_FOR"] = forwarded
    return made


def test_without_trusted_proxies_the_header_is_ignored() -> None:
    assert client_ip(request("203.0.113.9", "198.51.100.1")) == "203.0.113.9"


@override_settings(RIIK_TRUSTED_PROXIES=["10.0.0.0/8", "127.0.0.1"])
@pytest.mark.parametrize(
    ("remote", "forwarded", "client"),
    [
        ("127.0.0.1", "198.51.100.7", "198.51.100.7"),
        # The client wrote the left part itself: only the hop our proxy added counts.
        ("127.0.0.1", "6.6.6.6, 198.51.100.7", "198.51.100.7"),
        ("127.0.0.1", "198.51.100.7, 10.1.2.3", "198.51.100.7"),
        ("127.0.0.1", "not-an-address, 198.51.100.7", "198.51.100.7"),
        # A peer that is no proxy of ours is the client, whatever it says.
        ("203.0.113.9", "198.51.100.7", "203.0.113.9"),
        ("127.0.0.1", None, "127.0.0.1"),
        ("127.0.0.1", "10.1.2.3", "10.1.2.3"),
    ],
)
def test_a_trusted_proxy_vouches_for_the_hop_it_added(
    remote: str, forwarded: str | None, client: str
) -> None:
    assert client_ip(request(remote, forwarded)) == client


@pytest.mark.django_db
def test_a_forged_header_does_not_escape_the_anonymous_throttle(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(AnonRateThrottle, "rate", "3/minute", raising=False)
    cache.clear()
    client = APIClient()
    # A fresh forged header each time: DRF's own throttle saw four callers.
    statuses = [
        client.get("/api/v1/business/companies/", HTTP_X_FORWARDED_FOR=f"6.6.6.{n}").status_code
        for n in range(4)
    ]
    cache.clear()
    assert statuses == [200, 200, 200, 429]
