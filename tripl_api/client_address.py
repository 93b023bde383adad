"""The client address of a request (rate limits, audit entries, sessions): the socket's peer, unless that
peer is a configured trusted proxy (TRIPL_TRUSTED_PROXIES); only then is `X-Forwarded-For` read, from the
right, skipping the trusted proxies it lists, so a client cannot pick its own address by sending the header.

The servers tripl starts (tripl_cli) run uvicorn without its own proxy-header handling (SERVER_OPTIONS):
uvicorn would otherwise rewrite the peer from the header for any connection from 127.0.0.1."""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from typing import TypedDict

from starlette.requests import Request

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class ServerOptions(TypedDict):
    proxy_headers: bool


# Passed to uvicorn by every server tripl starts; this module alone decides which proxies are believed.
SERVER_OPTIONS: ServerOptions = {"proxy_headers": False}
UNKNOWN = "unknown"


@lru_cache(maxsize=16)
def trusted_networks(raw: str) -> tuple[Network, ...]:
    networks: list[Network] = []
    for entry in raw.replace(",", " ").split():
        networks.append(ipaddress.ip_network(entry, strict=False))
    return tuple(networks)


def client_address(request: Request, trusted_proxies: str) -> str:
    peer = request.client.host if request.client else UNKNOWN
    networks = trusted_networks(trusted_proxies)
    if not networks or not _trusted(peer, networks):
        return peer
    hops = [hop.strip() for header in request.headers.getlist("x-forwarded-for") for hop in header.split(",")]
    for hop in reversed([hop for hop in hops if hop]):
        if not _trusted(hop, networks):
            return hop if _address(hop) is not None else peer
    return peer


def _trusted(host: str, networks: tuple[Network, ...]) -> bool:
    address = _address(host)
    return address is not None and any(address in network for network in networks)


def _address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None
