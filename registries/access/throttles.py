"""The API's rate limits, keyed on :func:`registries.access.addresses.client_address`.

DRF's own throttles identify an anonymous client by whatever ``X-Forwarded-For``
says (unless ``NUM_PROXIES`` is set), so changing the header escapes them. These
take the address only as far as our configured proxies vouch for it.
"""

from __future__ import annotations

from rest_framework.request import Request
from rest_framework.throttling import AnonRateThrottle, ScopedRateThrottle, UserRateThrottle

from registries.access.addresses import client_address


class AnonymousRateThrottle(AnonRateThrottle):
    """``anon`` rate, per client address."""

    def get_ident(self, request: Request) -> str:
        """The client's address, forwarded headers trusted only from our proxies."""
        return client_address(request._request)


class UserOrAddressRateThrottle(UserRateThrottle):
    """``user`` rate, per signed-in user or else per client address."""

    def get_ident(self, request: Request) -> str:
        """The client's address, forwarded headers trusted only from our proxies."""
        return client_address(request._request)


class ScopeRateThrottle(ScopedRateThrottle):
    """A view's ``throttle_scope`` rate, per signed-in user or else per client address."""

    def get_ident(self, request: Request) -> str:
        """The client's address, forwarded headers trusted only from our proxies."""
        return client_address(request._request)
