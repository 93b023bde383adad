"""Where a data source connects, checked like every outbound call (tripl_core.outbound): at save time a
host that is loopback, private, link-local or metadata is refused (422 naming the field), and at connect
time the host is resolved once, checked, and the driver is pinned to that address (ClickHouse: the
address as host with the name kept for TLS; PostgreSQL: `hostaddr`)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from tripl_core.errors import InvalidInput
from tripl_core.outbound import OutboundFailed, OutboundPolicy, OutboundRefused, check_host, check_url
from tripl_core.warehouse import WarehouseConfig
from tripl_core.warehouse.errors import WarehouseError

NETWORK_TYPES = frozenset({"clickhouse", "postgres"})
# Driver extras that would steer the connection elsewhere than the checked host: tripl sets them itself.
ROUTING_PARAMS = frozenset({"hostaddr", "host", "port", "server_host_name", "http_proxy", "https_proxy",
                            "proxy_path", "service", "servicefile", "passfile", "sslkeylogfile", "interface"})
URL_PARAMS = ("api_endpoint",)


def check_saved(db_type: str, host: str, port: int, params: dict[str, Any], policy: OutboundPolicy) -> None:
    """Raises InvalidInput (422) naming the field whose target is not allowed."""
    routing = sorted(ROUTING_PARAMS & params.keys())
    if routing:
        _refuse(f"extra_params.{routing[0]}", f"extra_params.{routing[0]} cannot be set: tripl connects to "
                "the checked `host` itself")
    try:
        if db_type in NETWORK_TYPES and host:
            check_host(host, port, policy, what="host", resolve=False)
        for name in URL_PARAMS:
            if isinstance(params.get(name), str) and params[name]:
                check_url(params[name], policy, what=f"extra_params.{name}", resolve=False)
    except OutboundRefused as refused:
        field = refused.message.split(":", 1)[0].split(" ", 1)[0]
        _refuse(field, refused.message)


def pinned(config: WarehouseConfig, policy: OutboundPolicy) -> WarehouseConfig:
    """The config the driver dials: the host resolved once and checked, the driver bound to that address."""
    try:
        if config.db_type in NETWORK_TYPES and config.host:
            address = str(check_host(config.host, config.port or 0, policy, what="host")[0])
            if config.db_type == "postgres":
                return replace(config, params={**config.params, "hostaddr": address})
            return replace(config, host=address, params={**config.params, "server_host_name": config.host})
        for name in URL_PARAMS:
            if isinstance(config.params.get(name), str) and config.params[name]:
                check_url(config.params[name], policy, what=f"extra_params.{name}")
    except (OutboundRefused, OutboundFailed) as failed:
        raise WarehouseError(failed.message) from failed
    return config


def _refuse(field: str, message: str) -> None:
    loc = ["body", *field.split(".")]
    raise InvalidInput(message, details=[{"loc": loc, "message": message, "type": "outbound_refused"}])
