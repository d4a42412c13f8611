"""Who is on the other end of a request: the client's address behind trusted proxies."""

from __future__ import annotations

from ipaddress import IPv4Network, IPv6Network, ip_address, ip_network
from typing import Any

from django.conf import settings


def _trusted() -> list[IPv4Network | IPv6Network]:
    return [ip_network(proxy, strict=False) for proxy in settings.RIIK_TRUSTED_PROXIES]


def _is_trusted(address: str, proxies: list[IPv4Network | IPv6Network]) -> bool:
    try:
        parsed = ip_address(address)
    except ValueError:
        return False
    return any(parsed in network for network in proxies)


def client_ip(request: Any) -> str:
    """The client's IP address (a Django or DRF request).

    ``X-Forwarded-For`` is believed only when the peer is one of
    ``RIIK_TRUSTED_PROXIES``, and only as far as the proxies vouch for it:
    read from the right, the first address that is not a trusted proxy is the
    client (everything left of it was written by the client and may be forged).
    """
    remote = str(request.META.get("REMOTE_ADDR", ""))
    proxies = _trusted()
    if not _is_trusted(remote, proxies):
        return remote
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    hops = [hop.strip() for hop in str(forwarded).split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _is_trusted(hop, proxies):
            return hop
    return hops[0] if hops else remote
