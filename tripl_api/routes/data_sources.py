"""Data sources. Who may do what:

- list / get: any signed-in role, any key (no secret is ever returned, and choosing a source for a scan
  config needs to see them); a key bound to a project sees only the sources its scan configs use;
- schema / stats: editor and up (they run queries on the warehouse), read keys allowed;
- test: editor and up with a write key or session (it records the outcome on the data source);
- create / update / delete: owner only, never with a key bound to one project (data sources serve
  the whole workspace).

Warehouse calls run on the threadpool (these routes are sync) after the request's app-database
transaction has ended, so a slow warehouse holds neither a database connection nor SQLite's write lock;
each call is bounded by the data source's timeout."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import Depends, Query, Response

from tripl_api.deps import Allow, DbSession, Reader, State, WorkspaceOwner
from tripl_api.routing import api_router
from tripl_core.access.models import UserRole
from tripl_core.access.principal import Need, Principal
from tripl_core.db.base import utcnow
from tripl_core.db.units import commit_so_far
from tripl_core.outbound import outbound_policy
from tripl_core.sources import data_sources, inspection
from tripl_core.sources.schemas import (
    ConnectionTestOut,
    DataSourceCreate,
    DataSourceOut,
    DataSourceUpdate,
    SchemaOut,
    StatsOut,
)

router = api_router("data-sources", "/data-sources")
UPSTREAM: dict[int | str, dict[str, Any]] = {
    502: {"description": "The warehouse failed or refused; the message says why"}}

EditorReader = Annotated[Principal, Depends(Allow(Need(UserRole.editor, writes=False)))]
WorkspaceEditor = Annotated[Principal, Depends(Allow(Need.WRITE, workspace_wide=True))]


@router.get("", response_model=list[DataSourceOut])
def list_data_sources(principal: Reader, session: DbSession, state: State) -> list[DataSourceOut]:
    """A key bound to a project lists only the data sources its project's scan configs use."""
    return [data_sources.describe(s, state.secrets)
            for s in data_sources.list_all(session, visible_to=principal.bound_project_id)]


@router.post("", response_model=DataSourceOut, status_code=201)
def create_data_source(body: DataSourceCreate, _: WorkspaceOwner, session: DbSession,
                       state: State) -> DataSourceOut:
    """Names are unique (409). The password and credential params are encrypted and never returned."""
    made = data_sources.create(session, state.secrets, body, outbound_policy(state.settings))
    return data_sources.describe(made, state.secrets)


@router.get("/{ds_id}", response_model=DataSourceOut)
def get_data_source(ds_id: uuid.UUID, principal: Reader, session: DbSession, state: State) -> DataSourceOut:
    source = data_sources.get(session, ds_id, visible_to=principal.bound_project_id)
    return data_sources.describe(source, state.secrets)


@router.patch("/{ds_id}", response_model=DataSourceOut)
def update_data_source(ds_id: uuid.UUID, body: DataSourceUpdate, _: WorkspaceOwner, session: DbSession,
                       state: State) -> DataSourceOut:
    """Absent fields are kept; `password: ""` clears the password."""
    source = data_sources.update(session, state.secrets, data_sources.get(session, ds_id), body,
                                 outbound_policy(state.settings))
    return data_sources.describe(source, state.secrets)


@router.delete("/{ds_id}", status_code=204, response_class=Response)
def delete_data_source(ds_id: uuid.UUID, _: WorkspaceOwner, session: DbSession) -> Response:
    data_sources.delete(session, data_sources.get(session, ds_id))
    return Response(status_code=204)


@router.get("/{ds_id}/stats", response_model=StatsOut, responses=UPSTREAM)
def get_data_source_stats(ds_id: uuid.UUID, principal: EditorReader, session: DbSession, state: State,
                          window_hours: Annotated[int, Query(ge=1, le=720)] = 48) -> StatsOut:
    """Rows per UTC hour over the last `window_hours`, for every table with a timestamp column (see
    `inspection.hourly_volume`: until scan configs exist, the schema's tables are what is counted)."""
    config = data_sources.config_for(session, state.secrets, ds_id, visible_to=principal.bound_project_id)
    commit_so_far(session)  # nothing written yet: no transaction stays open while the warehouse answers
    return inspection.hourly_volume(config, window_hours, utcnow(), outbound_policy(state.settings))


@router.get("/{ds_id}/schema", response_model=SchemaOut, responses=UPSTREAM)
def get_data_source_schema(ds_id: uuid.UUID, principal: EditorReader, session: DbSession, state: State) -> SchemaOut:
    """Tables a base query can read, with their columns and warehouse types."""
    config = data_sources.config_for(session, state.secrets, ds_id, visible_to=principal.bound_project_id)
    commit_so_far(session)  # nothing written yet: no transaction stays open while the warehouse answers
    return inspection.read_schema(config, outbound_policy(state.settings))


@router.post("/{ds_id}/test", response_model=ConnectionTestOut)
def test_data_source_connection(ds_id: uuid.UUID, editor: WorkspaceEditor, session: DbSession,
                                state: State) -> ConnectionTestOut:
    """Always 200: `ok: false` carries the warehouse's reason (secrets scrubbed)."""
    config = data_sources.config_for(session, state.secrets, ds_id)
    commit_so_far(session)  # nothing written yet: no transaction stays open while the warehouse answers
    outcome, tested_at = inspection.check_connection(config, outbound_policy(state.settings)), utcnow()
    source = data_sources.record_test(session, ds_id, outcome, tested_at)
    return inspection.connection_report(outcome, tested_at, data_sources.describe(source, state.secrets))
