"""Request and response shapes for data sources, their checks, and preview jobs."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import Field, SecretStr

from tripl_core.schemas import RequestModel, ResponseModel
from tripl_core.secret_fields import DATA_SOURCE_SECRET_PARAMS
from tripl_core.sources.models import DEFAULT_PORT
from tripl_core.warehouse import DbType

MIN_TIMEOUT_SECONDS = 1
MAX_TIMEOUT_SECONDS = 600
# extra_params keys that are credentials (tripl_core.secret_fields, every type's and any key that looks like
# one): stored encrypted beside the password, never returned.
SECRET_PARAMS = DATA_SOURCE_SECRET_PARAMS



def _name(default: Any = ...) -> Any:
    return Field(default, min_length=1, max_length=255, pattern=r"\S")


def _timeout() -> Any:
    return Field(None, ge=MIN_TIMEOUT_SECONDS, le=MAX_TIMEOUT_SECONDS,
                 description="Seconds every warehouse query may run (default 30).")


def _extra_params() -> Any:
    return Field(None, description="Driver extras (e.g. `secure`, `sslmode`, BigQuery `project`). Credential "
                 f"keys ({', '.join(sorted(SECRET_PARAMS))}) are write-only like the password.")


def _path() -> Any:
    return Field(None, max_length=1000, description="`chdb` only: the folder of Parquet files on the server.")


class DataSourceCreate(RequestModel):
    name: str = _name()
    db_type: DbType
    host: str | None = Field(default=None, max_length=500,
                             description="Required except for `chdb`.")
    port: int = Field(default=DEFAULT_PORT, ge=1, le=65535)
    database_name: str | None = Field(default=None, max_length=255,
                                      description="Required except for `chdb` (BigQuery: the dataset).")
    username: str = Field(default="", max_length=255)
    password: SecretStr = Field(default=SecretStr(""), description="Write-only; stored encrypted.")
    timeout_seconds: int | None = _timeout()
    extra_params: dict[str, Any] | None = _extra_params()
    path: str | None = _path()


class DataSourceUpdate(RequestModel):
    """Absent or null fields are kept. `password: ""` clears the password; credential keys in
    `extra_params` are set (or cleared with "") one by one, the other extra params are replaced."""

    name: str | None = _name(None)
    db_type: DbType | None = None
    host: str | None = Field(default=None, max_length=500)
    port: int | None = Field(default=None, ge=1, le=65535)
    database_name: str | None = Field(default=None, max_length=255)
    username: str | None = Field(default=None, max_length=255)
    password: SecretStr | None = None
    timeout_seconds: int | None = _timeout()
    extra_params: dict[str, Any] | None = _extra_params()
    path: str | None = _path()


class DataSourceOut(ResponseModel):
    id: uuid.UUID
    name: str
    db_type: str
    host: str
    port: int
    database_name: str
    username: str
    password_set: bool
    password_configured: bool
    timeout_seconds: int
    extra_params: dict[str, Any]
    secret_params_configured: list[str]
    path: str
    last_test_at: datetime | None
    last_test_status: Literal["success", "failed"] | None
    last_test_message: str | None
    created_at: datetime
    updated_at: datetime


class ConnectionTestOut(ResponseModel):
    """`ok`/`error`/`latency_ms` and the reference's `success`/`message`/`tested_at` say the same."""

    ok: bool
    error: str | None
    latency_ms: float
    success: bool
    message: str
    tested_at: datetime
    data_source: DataSourceOut


class ColumnOut(ResponseModel):
    name: str
    type: str


class TableOut(ResponseModel):
    name: str
    columns: list[ColumnOut]


class SchemaOut(ResponseModel):
    tables: list[TableOut]


class HourCount(ResponseModel):
    hour: datetime
    count: int


class TableVolume(ResponseModel):
    name: str
    time_column: str
    volume_window: int


class StatsOut(ResponseModel):
    events_tracked: int = Field(description="How many tables were counted (each a stream of events).")
    volume_window: int = Field(description="Rows whose time falls in the window, over all counted tables.")
    window_hours: int
    throughput: list[HourCount] = Field(description="Rows per UTC hour, oldest first, zero-filled.")
    tables: list[TableVolume]
    complete: bool = Field(description="False when the time budget ran out before every table was counted.")


class PreviewRequest(RequestModel):
    data_source_id: uuid.UUID
    base_query: str = Field(min_length=1, pattern=r"\S")
    limit: int = Field(default=10, ge=1, le=50)
    json_value_paths: list[str] = Field(default_factory=list)
    time_column: str | None = Field(default=None, min_length=1, max_length=255)
    scan_lookback_hours: int | None = Field(default=None, ge=1)
    include_json_paths: bool = False


class JobOut(ResponseModel):
    # Any job (jobs.models.Job) as the API returns it: a preview as is, a scan run as ScanJobOut.
    id: uuid.UUID
    status: str
    started_at: datetime | None
    completed_at: datetime | None
    result_summary: dict[str, Any]
    error_message: str | None
    created_at: datetime
    updated_at: datetime
