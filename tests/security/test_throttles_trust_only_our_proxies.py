"""The rate limits identify a client by the address our own proxies vouch for: an
``X-Forwarded-For`` from anyone else is ignored, so changing it escapes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings as project_settings
from django.test import RequestFactory
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle

from registries.access.addresses import client_address

THROTTLES: list[type[BaseThrottle]] = list(api_settings.DEFAULT_THROTTLE_CLASSES)  # type: ignore[arg-type]  # imported by DRF


def request(remote: str, forwarded: str = "") -> Any:
    made = RequestFactory().get("/api/v1/", REMOTE_ADDR=remote)
    if forwarded:
        made.META["HTTP_X_FORWARDED_FOR"] = forwarded
    return made


@pytest.mark.parametrize("throttle_class", THROTTLES)
def test_every_throttle_ignores_a_forwarded_for_from_a_stranger(
    throttle_class: type[BaseThrottle],
) -> None:
    throttle = throttle_class()
    idents = {throttle.get_ident(Request(request("203.0.113.9", f"10.0.0.{n}"))) for n in range(5)}
    assert idents == {"203.0.113.9"}


@pytest.mark.parametrize("throttle_class", THROTTLES)
def test_every_throttle_believes_our_proxy(
    throttle_class: type[BaseThrottle], settings: pytest.FixtureRequest
) -> None:
    settings.RIIK_TRUSTED_PROXIES = ["10.1.0.0/16"]  # type: ignore[attr-defined]
    throttle = throttle_class()
    assert throttle.get_ident(Request(request("10.1.2.3", "198.51.100.7"))) == "198.51.100.7"


def test_there_are_no_trusted_proxies_by_default() -> None:
    assert project_settings.RIIK_TRUSTED_PROXIES == []


def test_the_client_is_the_first_hop_from_the_right_that_is_not_ours(
    settings: pytest.FixtureRequest,
) -> None:
    settings.RIIK_TRUSTED_PROXIES = ["10.1.0.0/16", "192.0.2.1"]  # type: ignore[attr-defined]
    forged_then_real = "6.6.6.6, 198.51.100.7, 192.0.2.1"
    assert client_address(request("10.1.2.3", forged_then_real)) == "198.51.100.7"
    assert client_address(request("10.1.2.3", "not-an-address")) == "10.1.2.3"
    assert client_address(request("10.1.2.3")) == "10.1.2.3"
    assert client_address(request("203.0.113.9", "198.51.100.7")) == "203.0.113.9"
