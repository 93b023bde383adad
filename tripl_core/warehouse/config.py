"""How to reach one warehouse: the plain settings a data source row decrypts into."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from tripl_core.outbound import OutboundPolicy
from tripl_core.secret_fields import is_secret_key

DbType = Literal["clickhouse", "chdb", "postgres", "bigquery"]
DB_TYPES: tuple[DbType, ...] = ("clickhouse", "chdb", "postgres", "bigquery")


@dataclass(frozen=True)
class WarehouseConfig:
    """`params` holds driver extras (e.g. `secure` for ClickHouse, `sslmode` for PostgreSQL, `project`,
    `location`, `credentials_info` or `api_endpoint` for BigQuery). For `chdb`, `path` is the folder of
    Parquet files; for BigQuery, `database` is the dataset."""

    db_type: DbType
    host: str = ""
    port: int | None = None
    database: str = ""
    username: str = ""
    password: str = field(default="", repr=False)
    timeout_seconds: float = 30.0
    params: Mapping[str, Any] = field(default_factory=dict)
    path: str = ""
    # Which non-global hosts the connection may reach (tripl_core.warehouse.pinning); None: the process's
    # environment (TRIPL_OUTBOUND_*). The host is always resolved once, checked and pinned at connect time.
    outbound: OutboundPolicy | None = field(default=None, compare=False)
    # The address a URL-dialled endpoint (BigQuery's `api_endpoint`) was checked at; set by pinning, and the
    # client connects there only.
    endpoint_address: str | None = field(default=None, compare=False)

    def secrets(self) -> list[str]:
        """Values that must never appear in an error message or a log line."""
        found = [self.password] if self.password else []
        for key, value in self.params.items():  # every key tripl_core.secret_fields calls a secret
            if is_secret_key(key) and isinstance(value, str) and value:
                found.append(value)
        return found
