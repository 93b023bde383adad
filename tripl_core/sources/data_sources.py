"""Data sources: read-only warehouse connections whose secrets are encrypted at rest and never returned."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tripl_core.errors import Conflict, InvalidInput, NotFound
from tripl_core.security import SecretBox
from tripl_core.sources import inspection
from tripl_core.sources.models import DEFAULT_TIMEOUT_SECONDS, DataSource
from tripl_core.sources.schemas import SECRET_PARAMS, DataSourceCreate, DataSourceOut, DataSourceUpdate
from tripl_core.warehouse import ConnectionTest, WarehouseConfig, folder_problem

TEST_SUCCESS, TEST_FAILED = "success", "failed"


def list_all(session: Session) -> list[DataSource]:
    return list(session.scalars(select(DataSource).order_by(DataSource.name)))


def get(session: Session, ds_id: uuid.UUID) -> DataSource:
    source = session.get(DataSource, ds_id)
    if source is None:
        raise NotFound(f"Data source {ds_id} not found")
    return source


def create(session: Session, box: SecretBox, data: DataSourceCreate) -> DataSource:
    _ensure_name_free(session, data.name)
    source = DataSource(
        name=data.name, db_type=data.db_type, host=data.host or "", port=data.port,
        database_name=data.database_name or "", username=data.username, path=data.path or "",
        timeout_seconds=data.timeout_seconds or DEFAULT_TIMEOUT_SECONDS,
    )
    _set_password(source, box, data.password.get_secret_value())
    _set_params(source, box, data.extra_params or {}, replace_secrets=True)
    _validate(source)
    session.add(source)
    session.flush()
    return source


def update(session: Session, box: SecretBox, source: DataSource, data: DataSourceUpdate) -> DataSource:
    changes = data.model_dump(exclude_unset=True, exclude_none=True, exclude={"password", "extra_params"})
    if "name" in changes and changes["name"] != source.name:
        _ensure_name_free(session, changes["name"])
    for key, value in changes.items():
        setattr(source, key, value)
    if data.password is not None:
        _set_password(source, box, data.password.get_secret_value())
    if data.extra_params is not None:
        _set_params(source, box, data.extra_params, replace_secrets=False)
    _validate(source)
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
        extra_params=dict(source.extra_params), secret_params_configured=sorted(_secret_params(source, box)),
        path=source.path, last_test_at=source.last_test_at,
        last_test_status=source.last_test_status,
        last_test_message=source.last_test_message, created_at=source.created_at, updated_at=source.updated_at,
    )


def warehouse_config(source: DataSource, box: SecretBox) -> WarehouseConfig:
    """The decrypted connection settings; only ever handed to the warehouse layer."""
    password = box.decrypt(source.password_encrypted) if source.password_encrypted else ""
    return WarehouseConfig(
        db_type=source.db_type,  # type: ignore[arg-type]  # validated against DbType on the way in
        host=source.host, port=source.port,
        database="" if source.db_type == "chdb" else source.database_name,
        username=source.username, password=password, timeout_seconds=float(source.timeout_seconds),
        params={**source.extra_params, **_secret_params(source, box)}, path=source.path,
    )


def config_for(session: Session, box: SecretBox, ds_id: uuid.UUID) -> WarehouseConfig:
    return warehouse_config(get(session, ds_id), box)


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


def _validate(source: DataSource) -> None:
    """Rules that depend on db_type, checked on the merged row so an update cannot break them."""
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
    source.extra_params = {key: value for key, value in params.items() if key not in SECRET_PARAMS}
    secrets = {} if replace_secrets else _secret_params(source, box)
    for key in SECRET_PARAMS & params.keys():
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
