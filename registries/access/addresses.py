"""Which address a request came from, trusting ``X-Forwarded-For`` only from our proxies.

Anyone can send an ``X-Forwarded-For`` header, so a limit keyed on it is no
limit: a client changes the header and is someone new. The header is read only
when the connection itself comes from a proxy listed in
``RIIK_TRUSTED_PROXIES`` (addresses or CIDR networks; none by default), and
then only as far back as the chain of trusted proxies goes: the first address,
from the right, that is not one of our proxies is the client.
"""

from __future__ import annotations

from ipaddress import ip_address, ip_network

from django.conf import settings
from django.http import HttpRequest

FORWARDED_FOR = "HTTP_X_FORWARDED_FOR"


def trusted_proxy(address: str) -> bool:
    """Whether ``address`` is one of the proxies in ``RIIK_TRUSTED_PROXIES``."""
    try:
        parsed = ip_address(address.strip())
    except ValueError:
        return False
    return any(
        parsed in ip_network(entry.strip(), strict=False)
        for entry in settings.RIIK_TRUSTED_PROXIES
        if entry.strip()
    )


def client_address(request: HttpRequest) -> str:
    """The address of the client that sent ``request``: the connection's peer, or,
    behind trusted proxies, the nearest address they forwarded that is not theirs."""
    peer = str(request.META.get("REMOTE_ADDR", ""))
    if not trusted_proxy(peer):
        return peer
    forwarded = [hop.strip() for hop in str(request.META.get(FORWARDED_FOR, "")).split(",")]
    for hop in reversed([hop for hop in forwarded if hop]):
        if not trusted_proxy(hop):
            try:
                return str(ip_address(hop))
            except ValueError:
                # A proxy of ours forwarded garbage: the request is the proxy's own.
                return peer
    return peer
