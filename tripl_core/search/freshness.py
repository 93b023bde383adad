"""The index follows every plan write, whoever writes (API, scans, demo, CLI): `attach(db, engine)` — called
where the app or a pipeline composes its database — listens to that database's write sessions.

- after each flush: which plan rows the ORM inserted, changed or deleted, by branch;
- on bulk UPDATE/DELETE statements against plan tables: which branches they touch (queried before they run);
- before commit: those documents rebuilt (and documents of vanished rows swept) in the same transaction;
- after commit: the branches queued for embedding; after rollback: forgotten."""

from __future__ import annotations

import uuid
from collections import defaultdict
from typing import Any

from sqlalchemy import Delete, Update, event, select
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

from tripl_core.db.engine import Database
from tripl_core.plan.models import (
    Event,
    EventFieldValue,
    EventHistoryEntry,
    EventMetaValue,
    EventTag,
    EventType,
    FieldDefinition,
    MetaField,
    Variable,
)
from tripl_core.search import index
from tripl_core.search.documents import Wanted
from tripl_core.search.engine import PENDING_KEY, SearchEngine, pending_embeddings

TOUCHED_KEY = "search_touched"
SWEEP_KEY = "search_sweep"
BUSY_KEY = "search_refreshing"
PLAN_TABLES = {m.__tablename__ for m in (Event, EventFieldValue, EventMetaValue, EventTag, EventType,
                                         FieldDefinition, MetaField, Variable)}


def attach(db: Database, engine: SearchEngine, *, embed_after_commit: bool = True) -> None:
    factory = db.write_sessions
    event.listen(factory, "after_flush", _after_flush)
    event.listen(factory, "do_orm_execute", _before_bulk_statement)
    event.listen(factory, "before_commit", _before_commit)
    if embed_after_commit:
        event.listen(factory, "after_commit", lambda session: _after_commit(session, engine))
    else:
        event.listen(factory, "after_commit", lambda session: session.info.pop(PENDING_KEY, None))
    event.listen(factory, "after_rollback", _forget)


def _touched(session: Session) -> dict[uuid.UUID, Wanted]:
    touched: dict[uuid.UUID, Wanted] = session.info.setdefault(TOUCHED_KEY, defaultdict(Wanted))
    return touched


def _sweeps(session: Session) -> set[uuid.UUID]:
    sweeps: set[uuid.UUID] = session.info.setdefault(SWEEP_KEY, set())
    return sweeps


def _after_flush(session: Session, _flush: UOWTransaction) -> None:
    if session.info.get(BUSY_KEY):
        return
    touched = _touched(session)
    for row in (*session.new, *session.dirty):
        note(touched, row)
    for row in session.deleted:
        if note(touched, row):
            _sweeps(session).add(row.branch_id)


def note(touched: dict[uuid.UUID, Wanted], row: Any) -> bool:
    """Record which document(s) `row` changes; False for rows search does not index."""
    branch_id = getattr(row, "branch_id", None)
    if branch_id is None:
        return False
    wanted = touched[branch_id]
    if isinstance(row, EventType):
        wanted.event_types.add(row.id)
        wanted.type_members.add(row.id)
    elif isinstance(row, Event):
        wanted.events.add(row.id)
    elif isinstance(row, EventTag | EventFieldValue | EventMetaValue | EventHistoryEntry):
        wanted.events.add(row.event_id)
    elif isinstance(row, FieldDefinition):
        wanted.fields.add(row.id)
        wanted.event_types.add(row.event_type_id)
    elif isinstance(row, MetaField):
        wanted.meta_fields.add(row.id)
    elif isinstance(row, Variable):
        wanted.variables.add(row.id)
    else:
        return False
    return True


def _before_bulk_statement(state: ORMExecuteState) -> None:
    statement = state.statement
    if not isinstance(statement, Update | Delete) or state.session.info.get(BUSY_KEY):
        return
    table = statement.table
    if getattr(table, "name", None) not in PLAN_TABLES or "branch_id" not in table.c:
        return
    query = select(table.c.branch_id).distinct()
    if statement.whereclause is not None:
        query = query.where(statement.whereclause)
    branches = set(state.session.execute(query).scalars())
    touched = _touched(state.session)
    for branch_id in branches:
        _sweeps(state.session).add(branch_id)
        if isinstance(statement, Update):  # rows changed in bulk: rebuild the branch
            touched[branch_id].everything = True


def _before_commit(session: Session) -> None:
    if session.info.get(BUSY_KEY):
        return
    session.flush()
    touched = session.info.pop(TOUCHED_KEY, {})
    sweeps = session.info.pop(SWEEP_KEY, set())
    if not touched and not sweeps:
        return
    session.info[BUSY_KEY] = True
    try:
        for branch_id in set(touched) | sweeps:
            wanted = touched.get(branch_id, Wanted())
            _widen_to_type_members(session, branch_id, wanted)
            written = index.refresh(session, branch_id, wanted, sweep=branch_id in sweeps)
            if written:
                pending_embeddings(session).add(branch_id)
    finally:
        session.info.pop(BUSY_KEY, None)


def _widen_to_type_members(session: Session, branch_id: uuid.UUID, wanted: Wanted) -> None:
    type_ids = wanted.type_members
    if not type_ids or wanted.everything:
        return
    for chunk in _chunked(sorted(type_ids)):
        wanted.events.update(session.scalars(select(Event.id).where(Event.branch_id == branch_id,
                                                                    Event.event_type_id.in_(chunk))))
        wanted.fields.update(session.scalars(select(FieldDefinition.id)
                                             .where(FieldDefinition.event_type_id.in_(chunk))))


def _chunked(ids: list[uuid.UUID], size: int = 500) -> list[list[uuid.UUID]]:
    return [ids[i:i + size] for i in range(0, len(ids), size)]


def _after_commit(session: Session, engine: SearchEngine) -> None:
    branches: set[uuid.UUID] = session.info.pop(PENDING_KEY, set())
    engine.queue.schedule(branches)


def _forget(session: Session) -> None:
    for key in (TOUCHED_KEY, SWEEP_KEY, PENDING_KEY, BUSY_KEY):
        session.info.pop(key, None)
