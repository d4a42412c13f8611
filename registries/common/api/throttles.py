"""DRF's rate throttles, keyed by :func:`~registries.common.clients.client_ip`.

DRF's own throttles key anonymous callers by the whole ``X-Forwarded-For``
header when ``NUM_PROXIES`` is unset, so a client that sends a new header
with each request is never throttled; these trust only ``RIIK_TRUSTED_PROXIES``.
"""

from __future__ import annotations

from rest_framework import throttling
from rest_framework.request import Request

from registries.common.clients import client_ip


class _ByClientIP(throttling.BaseThrottle):
    def get_ident(self, request: Request) -> str:
        """The client's address, as far as the trusted proxies vouch for it."""
        return client_ip(request)


class AnonRateThrottle(_ByClientIP, throttling.AnonRateThrottle):
    """Anonymous callers, per client address."""


class UserRateThrottle(_ByClientIP, throttling.UserRateThrottle):
    """Signed-in callers per user; anonymous ones per client address."""


class ScopedRateThrottle(_ByClientIP, throttling.ScopedRateThrottle):
    """A view's ``throttle_scope``, per user or client address."""
