"""BigQuery through google-cloud-bigquery: named query parameters and a job timeout."""

from __future__ import annotations

import concurrent.futures
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import requests
from google.api_core import exceptions as google_errors
from google.auth.credentials import AnonymousCredentials
from google.auth.transport.requests import AuthorizedSession
from google.cloud import bigquery
from google.oauth2 import service_account

from tripl_core.warehouse.base import Column, Param, ParamKind, QueryResult, SqlQuery
from tripl_core.warehouse.config import WarehouseConfig
from tripl_core.warehouse.errors import WarehouseError, WarehouseTimeout
from tripl_core.warehouse.transports.pinned_http import pin_session

_SCALAR_TYPES = {ParamKind.STRING: "STRING", ParamKind.INT: "INT64", ParamKind.FLOAT: "FLOAT64",
                 ParamKind.TIMESTAMP: "TIMESTAMP"}


def query_parameter(name: str, param: Param) -> bigquery.ScalarQueryParameter | bigquery.ArrayQueryParameter:
    if param.kind is ParamKind.STRING_ARRAY:
        return bigquery.ArrayQueryParameter(name, "STRING", list(param.value))
    value = param.value
    if param.kind is ParamKind.TIMESTAMP and isinstance(value, datetime) and value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return bigquery.ScalarQueryParameter(name, _SCALAR_TYPES[param.kind], value)


class BigQueryTransport:
    """`params`: `project` (defaults to `host`), `location`, `credentials_info` (a service account's
    JSON key as a dict or text), `api_endpoint` (an emulator) with anonymous credentials,
    `maximum_bytes_billed` (per-query cap, 100 GiB by default; every query is dry-run first and refused
    above it) and `dry_run` (false only for an emulator that cannot dry-run). `database`
    (`dataset` or `project.dataset`) is the default dataset, so a base query may name bare tables."""

    def __init__(self, config: WarehouseConfig) -> None:
        self._config = config
        self._client: bigquery.Client | None = None

    def _get_client(self) -> bigquery.Client:
        if self._client is None:
            self._client = _make_client(self._config)
        return self._client

    def _job_config(self, client: bigquery.Client, query: SqlQuery, timeout_seconds: float,
                    dry_run: bool = False) -> bigquery.QueryJobConfig:
        return bigquery.QueryJobConfig(
            query_parameters=[query_parameter(name, param) for name, param in query.params.items()],
            job_timeout_ms=int(timeout_seconds * 1000),
            use_legacy_sql=False,
            default_dataset=default_dataset(self._config.database, client.project),
            maximum_bytes_billed=maximum_bytes_billed(self._config),
            dry_run=dry_run,
            use_query_cache=not dry_run,
        )

    def execute(self, query: SqlQuery, timeout_seconds: float) -> QueryResult:
        client = self._get_client()
        # The client retries server errors and dropped connections for up to ten minutes by default;
        # here every retry ends with the data source's timeout, and a failed job is not re-run.
        deadline = time.monotonic() + timeout_seconds
        with _google_errors(timeout_seconds):
            self._dry_run(client, query, timeout_seconds)
            remaining = max(deadline - time.monotonic(), 0.001)
            job = client.query(
                query.sql,
                job_config=self._job_config(client, query, timeout_seconds),
                timeout=remaining,
                retry=bigquery.DEFAULT_RETRY.with_deadline(remaining),
                job_retry=None,
            )
            remaining = max(deadline - time.monotonic(), 0.001)
            rows = job.result(
                timeout=remaining, retry=bigquery.DEFAULT_RETRY.with_deadline(remaining), job_retry=None
            )
        columns = [Column(schema_field.name, schema_field.field_type) for schema_field in rows.schema]
        return QueryResult(columns, [tuple(row.values()) for row in rows])

    def _dry_run(self, client: bigquery.Client, query: SqlQuery, timeout_seconds: float) -> None:
        """Ask BigQuery what the query would read before running it: a query over the cap is refused
        with the figure, before any byte is billed. An emulator that cannot dry-run is skipped
        (`dry_run: false` in params) — the job's own maximum_bytes_billed still holds."""
        if not self._config.params.get("dry_run", True):
            return
        job = client.query(
            query.sql,
            job_config=self._job_config(client, query, timeout_seconds, dry_run=True),
            timeout=timeout_seconds,
            retry=bigquery.DEFAULT_RETRY.with_deadline(timeout_seconds),
            job_retry=None,
        )
        processed = job.total_bytes_processed or 0
        cap = maximum_bytes_billed(self._config)
        if processed > cap:
            raise WarehouseError(
                f"the query would read {processed:,} bytes, over this data source's cap of {cap:,} "
                "(maximum_bytes_billed in extra_params)"
            )

    def table_rows(self) -> list[tuple[str, str]]:
        """(dataset, table) for the default dataset's tables, or every dataset's without one."""
        client = self._get_client()
        dataset = default_dataset(self._config.database, client.project)
        timeout = self._config.timeout_seconds
        retry = bigquery.DEFAULT_RETRY.with_deadline(timeout)
        with _google_errors(timeout):
            datasets = [dataset] if dataset else [
                item.dataset_id for item in client.list_datasets(timeout=timeout, retry=retry)
            ]
            return [
                (table.dataset_id, table.table_id)
                for name in datasets
                for table in client.list_tables(name, timeout=timeout, retry=retry)
            ]

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None


DEFAULT_MAXIMUM_BYTES_BILLED = 100 * 1024**3  # 100 GiB per query unless the data source says otherwise


def maximum_bytes_billed(config: WarehouseConfig) -> int:
    """The per-query cap on bytes billed: `maximum_bytes_billed` in params, else 100 GiB."""
    value = config.params.get("maximum_bytes_billed")
    try:
        cap = int(value) if value is not None else DEFAULT_MAXIMUM_BYTES_BILLED
    except (TypeError, ValueError):
        raise WarehouseError(f"maximum_bytes_billed must be a whole number of bytes, not {value!r}") from None
    if cap <= 0:
        raise WarehouseError("maximum_bytes_billed must be positive")
    return cap


@contextmanager
def _google_errors(timeout_seconds: float) -> Iterator[None]:
    """The client's exceptions as WarehouseError/WarehouseTimeout with BigQuery's reason."""
    try:
        yield
    except concurrent.futures.TimeoutError as error:
        raise WarehouseTimeout(f"the query ran longer than {timeout_seconds:g} s") from error
    except google_errors.RetryError as error:
        cause = error.cause
        if isinstance(cause, requests.exceptions.Timeout | concurrent.futures.TimeoutError):
            # The HTTP call itself outlasted the timeout (a server that answers only when done).
            raise WarehouseTimeout(f"the query ran longer than {timeout_seconds:g} s") from error
        reason = cause.message if isinstance(cause, google_errors.GoogleAPICallError) else cause
        raise WarehouseError(f"no answer within {timeout_seconds:g} s: {reason or error}") from error
    except google_errors.GoogleAPICallError as error:
        message = str(error.message or error)
        if "timeout" in message.lower() or "timed out" in message.lower():
            raise WarehouseTimeout(message) from error
        raise WarehouseError(message) from error
    except google_errors.GoogleAPIError as error:
        raise WarehouseError(str(error)) from error


def default_dataset(database: str, project: str | None) -> str | None:
    """The data source's dataset as `project.dataset` (the client's project when not given)."""
    if not database or "." in database or not project:
        return database or None
    return f"{project}.{database}"


def _make_client(config: WarehouseConfig) -> bigquery.Client:
    params: dict[str, Any] = {key: value for key, value in config.params.items()
                              if key not in ("maximum_bytes_billed", "dry_run")}
    project = params.get("project") or config.host or None
    options: dict[str, Any] = {"project": project, "location": params.get("location")}
    if params.get("api_endpoint"):
        options["client_options"] = {"api_endpoint": params["api_endpoint"]}
        options["credentials"] = AnonymousCredentials()
        if config.endpoint_address is not None:
            # The client library expects an authorized session; anonymous credentials never refresh.
            session = AuthorizedSession(options["credentials"])
            options["_http"] = pin_session(session, params["api_endpoint"], config.endpoint_address)
    elif params.get("credentials_info"):
        info = params["credentials_info"]
        info = json.loads(info) if isinstance(info, str) else info
        options["credentials"] = service_account.Credentials.from_service_account_info(info)
    try:
        return bigquery.Client(**options)
    except google_errors.GoogleAPIError as error:
        raise WarehouseError(str(error)) from error
    except Exception as error:  # google.auth raises DefaultCredentialsError when nothing is configured
        raise WarehouseError(f"BigQuery credentials: {error}") from error
