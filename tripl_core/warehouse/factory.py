"""Builds the `Warehouse` for a data source's `db_type`."""

from __future__ import annotations

from tripl_core.warehouse.base import Dialect, Transport
from tripl_core.warehouse.config import WarehouseConfig
from tripl_core.warehouse.dialects.bigquery import BigQueryDialect
from tripl_core.warehouse.dialects.clickhouse import ClickHouseDialect
from tripl_core.warehouse.dialects.postgres import PostgresDialect
from tripl_core.warehouse.pinning import pin
from tripl_core.warehouse.warehouse import Warehouse


def dialect_for(db_type: str) -> Dialect:
    """The SQL family of a db_type; the guard and SQL generation only need this, not a connection."""
    if db_type in ("clickhouse", "chdb"):
        return ClickHouseDialect()
    if db_type == "postgres":
        return PostgresDialect()
    if db_type == "bigquery":
        return BigQueryDialect()
    raise ValueError(f"unknown db_type '{db_type}'; expected clickhouse, chdb, postgres or bigquery")


def transport_for(config: WarehouseConfig) -> Transport:
    """The driver for `config`, its host resolved once, checked and pinned (raises WarehouseError when the
    host is not allowed)."""
    config = pin(config)
    # Drivers are imported lazily so a process that never talks to BigQuery never loads its client.
    if config.db_type == "chdb":
        from tripl_core.warehouse.transports.chdb import ChdbTransport

        return ChdbTransport(config.path)
    if config.db_type == "clickhouse":
        from tripl_core.warehouse.transports.clickhouse_http import ClickHouseHttpTransport

        return ClickHouseHttpTransport(config)
    if config.db_type == "postgres":
        from tripl_core.warehouse.transports.postgres import PostgresTransport

        return PostgresTransport(config)
    if config.db_type == "bigquery":
        from tripl_core.warehouse.transports.bigquery import BigQueryTransport

        return BigQueryTransport(config)
    raise ValueError(f"unknown db_type '{config.db_type}'; expected clickhouse, chdb, postgres or bigquery")


def create_warehouse(config: WarehouseConfig) -> Warehouse:
    return Warehouse(config, dialect_for(config.db_type), transport_for(config))
