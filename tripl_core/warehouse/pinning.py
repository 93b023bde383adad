"""Where a warehouse connection goes, decided once per connection like every outbound call
(tripl_core.outbound): the host is resolved once, every address it resolves to must be global unless the
owner allowed it (TRIPL_OUTBOUND_ALLOW_PRIVATE / TRIPL_OUTBOUND_ALLOWED_HOSTS), and the driver is bound to
the checked address (ClickHouse: the address as host with the name kept for TLS; PostgreSQL: `hostaddr`;
BigQuery's `api_endpoint`: an HTTP session that dials only that address, transports/pinned_http.py).

`transport_for` pins every network transport it builds, so no process (the API, a Dagster run, the CLI)
can open a warehouse connection that skipped the check: a config carries the policy of whoever built it
(the API passes its own settings' switches), and without one the process's environment decides, which is
where a Dagster run reads the same TRIPL_* switches as the API."""

from __future__ import annotations

from dataclasses import replace

from tripl_core.outbound import OutboundFailed, OutboundPolicy, OutboundRefused, check_host, check_url, outbound_policy
from tripl_core.settings import Settings
from tripl_core.warehouse.config import WarehouseConfig
from tripl_core.warehouse.errors import WarehouseError

NETWORK_TYPES = frozenset({"clickhouse", "postgres"})
URL_PARAMS = ("api_endpoint",)


def environment_policy() -> OutboundPolicy:
    """The owner's switches as this process's environment sets them (TRIPL_OUTBOUND_*)."""
    return outbound_policy(Settings())


def pin(config: WarehouseConfig) -> WarehouseConfig:
    """The config the driver dials: the host resolved once and checked, the driver bound to that address.
    Raises WarehouseError naming the refused host (a data source's failure, answered as 502 or a failed
    run, never a crash)."""
    needs_check = (config.db_type in NETWORK_TYPES and config.host) or any(
        isinstance(config.params.get(name), str) and config.params[name] for name in URL_PARAMS)
    if not needs_check:
        return config
    policy = config.outbound if config.outbound is not None else environment_policy()
    try:
        if config.db_type in NETWORK_TYPES and config.host:
            address = str(check_host(config.host, config.port or 0, policy, what="host")[0])
            if config.db_type == "postgres":
                return replace(config, params={**config.params, "hostaddr": address})
            return replace(config, host=address, params={**config.params, "server_host_name": config.host})
        for name in URL_PARAMS:
            if isinstance(config.params.get(name), str) and config.params[name]:
                address = str(check_url(config.params[name], policy, what=f"extra_params.{name}")[0])
                config = replace(config, endpoint_address=address)
    except (OutboundRefused, OutboundFailed) as failed:
        raise WarehouseError(failed.message) from failed
    return config
