"""Data sources: read-only warehouse connections whose secrets are encrypted at rest and never returned."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from tripl_core.errors import Conflict, InvalidInput, NotFound
from tripl_core.outbound import OutboundPolicy
from tripl_core.scan_configs.models import ScanConfig
from tripl_core.secret_fields import is_secret_key
from tripl_core.security import SecretBox
from tripl_core.sources import endpoints, inspection
from tripl_core.sources.models import DEFAULT_TIMEOUT_SECONDS, DataSource
from tripl_core.sources.schemas import DataSourceCreate, DataSourceOut, DataSourceUpdate
from tripl_core.warehouse import ConnectionTest, WarehouseConfig, folder_problem

TEST_SUCCESS, TEST_FAILED = "success", "failed"
STRICT = OutboundPolicy()  # public hosts only, for callers without the workspace's settings


def list_all(session: Session, visible_to: uuid.UUID | None = None) -> list[DataSource]:
    """Every data source; with `visible_to` (a key bound to that project) only those its scan configs use."""
    query = select(DataSource).order_by(DataSource.name)
    if visible_to is not None:
        query = query.where(DataSource.id.in_(_used_by(visible_to)))
    return list(session.scalars(query))


def get(session: Session, ds_id: uuid.UUID, visible_to: uuid.UUID | None = None) -> DataSource:
    source = session.get(DataSource, ds_id)
    if source is None or (visible_to is not None
                          and session.scalar(select(func.count()).where(ScanConfig.data_source_id == ds_id,
                                                                        ScanConfig.project_id == visible_to)) == 0):
        raise NotFound(f"Data source {ds_id} not found")
    return source


def _used_by(project_id: uuid.UUID) -> Select[uuid.UUID]:
    return select(ScanConfig.data_source_id).where(ScanConfig.project_id == project_id)


def create(session: Session, box: SecretBox, data: DataSourceCreate, policy: OutboundPolicy = STRICT) -> DataSource:
    _ensure_name_free(session, data.name)
    source = DataSource(
        name=data.name, db_type=data.db_type, host=data.host or "", port=data.port,
        database_name=data.database_name or "", username=data.username, path=data.path or "",
        timeout_seconds=data.timeout_seconds or DEFAULT_TIMEOUT_SECONDS,
    )
    _set_password(source, box, data.password.get_secret_value())
    _set_params(source, box, data.extra_params or {}, replace_secrets=True)
    _validate(source, box, policy)
    session.add(source)
    session.flush()
    return source


def update(session: Session, box: SecretBox, source: DataSource, data: DataSourceUpdate,
           policy: OutboundPolicy = STRICT) -> DataSource:
    changes = data.model_dump(exclude_unset=True, exclude_none=True, exclude={"password", "extra_params"})
    if "name" in changes and changes["name"] != source.name:
        _ensure_name_free(session, changes["name"])
    for key, value in changes.items():
        setattr(source, key, value)
    if data.password is not None:
        _set_password(source, box, data.password.get_secret_value())
    if data.extra_params is not None:
        _set_params(source, box, data.extra_params, replace_secrets=False)
    _validate(source, box, policy)
    session.flush()
    return source


def delete(session: Session, source: DataSource) -> None:
    session.delete(source)
    session.flush()


def describe(source: DataSource, box: SecretBox) -> DataSourceOut:
    configured = source.password_encrypted is not None
    return DataSourceOut(
        id=source.id, name=source.name, db_type=source.db_type, host=source.host, port=source.port,
        database_name=source.database_name, username=source.username, password_set=configured,
        password_configured=configured, timeout_seconds=source.timeout_seconds,
        extra_params=plain_params(source), secret_params_configured=sorted(_secret_params(source, box)),
        path=source.path, last_test_at=source.last_test_at,
        last_test_status=source.last_test_status,
        last_test_message=source.last_test_message, created_at=source.created_at, updated_at=source.updated_at,
    )


def plain_params(source: DataSource) -> dict[str, Any]:
    """The extra params a response may show: never a secret, even one stored in clear by an older version."""
    return {key: value for key, value in source.extra_params.items() if not is_secret_key(key)}


def warehouse_config(source: DataSource, box: SecretBox, policy: OutboundPolicy | None = None) -> WarehouseConfig:
    """The decrypted connection settings; only ever handed to the warehouse layer, which resolves the host
    once, checks it and pins the driver to that address at connect time: under `policy` (the API's
    settings), or without one under the process's environment (a Dagster run's TRIPL_OUTBOUND_*)."""
    password = box.decrypt(source.password_encrypted) if source.password_encrypted else ""
    config = WarehouseConfig(
        db_type=source.db_type,  # type: ignore[arg-type]  # validated against DbType on the way in
        host=source.host, port=source.port,
        database="" if source.db_type == "chdb" else source.database_name,
        username=source.username, password=password, timeout_seconds=float(source.timeout_seconds),
        params={**source.extra_params, **_secret_params(source, box)}, path=source.path,
    )
    return endpoints.checked_under(config, policy) if policy is not None else config


def config_for(session: Session, box: SecretBox, ds_id: uuid.UUID,
               visible_to: uuid.UUID | None = None) -> WarehouseConfig:
    return warehouse_config(get(session, ds_id, visible_to=visible_to), box)


def record_test(session: Session, ds_id: uuid.UUID, outcome: ConnectionTest, tested_at: datetime) -> DataSource:
    source = get(session, ds_id)
    source.last_test_at = tested_at
    source.last_test_status = TEST_SUCCESS if outcome.ok else TEST_FAILED
    source.last_test_message = inspection.connection_message(outcome)
    session.flush()
    return source


def _ensure_name_free(session: Session, name: str) -> None:
    if session.scalar(select(DataSource.id).where(DataSource.name == name)) is not None:
        raise Conflict(f"A data source named '{name}' already exists")


def _validate(source: DataSource, box: SecretBox, policy: OutboundPolicy) -> None:
    """Rules that depend on db_type, checked on the merged row so an update cannot break them."""
    endpoints.check_saved(source.db_type, source.host, source.port,
                          {**source.extra_params, **_secret_params(source, box)}, policy)
    if source.db_type == "chdb":
        problem = folder_problem(source.path or "")
        if problem is not None:
            raise InvalidInput(f"path: {problem}")
        return
    missing = [name for name in ("host", "database_name") if not getattr(source, name)]
    if missing:
        raise InvalidInput(f"A {source.db_type} data source needs {' and '.join(missing)}")


def _set_password(source: DataSource, box: SecretBox, password: str) -> None:
    source.password_encrypted = box.encrypt(password) if password else None


def _set_params(source: DataSource, box: SecretBox, params: dict[str, Any], *, replace_secrets: bool) -> None:
    """Plain params replace the stored ones; credential keys are merged into the encrypted blob (a
    client that cannot read them back must not erase them by sending the plain params it sees)."""
    source.extra_params = {key: value for key, value in params.items() if not is_secret_key(key)}
    secrets = {} if replace_secrets else _secret_params(source, box)
    for key in (key for key in params if is_secret_key(key)):
        if params[key] in ("", None):
            secrets.pop(key, None)
        else:
            secrets[key] = params[key]
    source.secret_params_encrypted = box.encrypt(json.dumps(secrets)) if secrets else None


def _secret_params(source: DataSource, box: SecretBox) -> dict[str, Any]:
    if not source.secret_params_encrypted:
        return {}
    decoded: dict[str, Any] = json.loads(box.decrypt(source.secret_params_encrypted))
    return decoded
