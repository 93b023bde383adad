"""Where a data source connects, checked like every outbound call (tripl_core.outbound): at save time a
host that is loopback, private, link-local or metadata is refused (422 naming the field); at connect
time every transport resolves the host once, checks it and pins the driver to that address
(tripl_core.warehouse.pinning), under the policy `checked_under` attaches."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from tripl_core.errors import InvalidInput
from tripl_core.outbound import OutboundPolicy, OutboundRefused, check_host, check_url, literal_address
from tripl_core.warehouse import WarehouseConfig
from tripl_core.warehouse.pinning import NETWORK_TYPES, URL_PARAMS

# Driver extras that would steer the connection elsewhere than the checked host: tripl sets them itself.
ROUTING_PARAMS = frozenset({"hostaddr", "host", "port", "server_host_name", "http_proxy", "https_proxy",
                            "proxy_path", "service", "servicefile", "passfile", "sslkeylogfile", "interface"})
# A DNS name as resolvers take it: dot-separated labels of ASCII letters, digits, `-` and `_` (used by
# some internal names), none empty or over 63 characters, at most 253 in all (IDNs in their xn-- form).
_LABEL = re.compile(r"^(?!-)[A-Za-z0-9_-]{1,63}(?<!-)$")


def host_problem(host: str) -> str | None:
    """Why `host` is neither an IP address nor a DNS name, or None. A string no resolver can look up would
    only fail later, at every query, as a warehouse error."""
    if literal_address(host) is not None:
        return None
    name = host[:-1] if host.endswith(".") else host
    if not name or len(name) > 253 or not all(_LABEL.match(label) for label in name.split(".")):
        shown = host if host.isascii() and host.isprintable() else ascii(host)
        return (f"host: {shown} is not a host name or an IP address (ASCII letters, digits, '-' and '.'; "
                "an internationalised name in its xn-- form)")
    return None


def check_saved(db_type: str, host: str, port: int, params: dict[str, Any], policy: OutboundPolicy) -> None:
    """Raises InvalidInput (422) naming the field whose target is not allowed."""
    routing = sorted(ROUTING_PARAMS & params.keys())
    if routing:
        _refuse(f"extra_params.{routing[0]}", f"extra_params.{routing[0]} cannot be set: tripl connects to "
                "the checked `host` itself")
    problem = host_problem(host) if db_type in NETWORK_TYPES and host else None
    if problem is not None:
        _refuse("host", problem)
    try:
        if db_type in NETWORK_TYPES and host:
            check_host(host, port, policy, what="host", resolve=False)
        for name in URL_PARAMS:
            if isinstance(params.get(name), str) and params[name]:
                check_url(params[name], policy, what=f"extra_params.{name}", resolve=False)
    except OutboundRefused as refused:
        field = refused.message.split(":", 1)[0].split(" ", 1)[0]
        _refuse(field, refused.message)


def checked_under(config: WarehouseConfig, policy: OutboundPolicy) -> WarehouseConfig:
    """`config` whose connections are checked and pinned under `policy` (the API's own settings)."""
    return replace(config, outbound=policy)


def _refuse(field: str, message: str) -> None:
    loc = ["body", *field.split(".")]
    raise InvalidInput(message, details=[{"loc": loc, "message": message, "type": "outbound_refused"}])
