"""Copying main's plan onto a new branch: one INSERT … SELECT per branch-row table.

Each copy gets a fresh id, the new branch id and `origin_id` = the row it was copied from; a foreign key to
another branch-row table is re-pointed at that table's copy by looking it up by `(branch_id, origin_id)`.
`BRANCH_ROW_TABLES` is the whole list, walked generically: a new branch-row table (event photos, say) is
copied by adding it here, parents first."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, FromClause, Insert, Table, func, insert, literal, null, select
from sqlalchemy.orm import Session

from tripl_core.photos.models import EventPhoto, PhotoComment
from tripl_core.plan.models import (
    Event,
    EventFieldValue,
    EventMetaValue,
    EventTag,
    EventType,
    EventTypeOwner,
    FieldDefinition,
    MetaField,
    Relation,
    Variable,
)


@dataclass(frozen=True)
class BranchRowTable:
    table: Table
    # foreign-key column → the branch-row table it points into (copied earlier in the list)
    parents: Mapping[str, Table] = field(default_factory=dict)
    # which of the source rows this pass copies: a table that points into itself (replies to comments) is
    # copied in two passes, the rows it points at first, since one INSERT … SELECT does not see its own rows
    rows: Callable[[FromClause], ColumnElement[bool]] | None = None


def _t(model: type) -> Table:
    table: Table = model.__table__  # type: ignore[attr-defined]
    return table


BRANCH_ROW_TABLES: tuple[BranchRowTable, ...] = (
    BranchRowTable(_t(EventType)),
    BranchRowTable(_t(EventTypeOwner), {"event_type_id": _t(EventType)}),
    BranchRowTable(_t(FieldDefinition), {"event_type_id": _t(EventType)}),
    BranchRowTable(_t(MetaField)),
    BranchRowTable(_t(Variable)),
    BranchRowTable(_t(Event), {"event_type_id": _t(EventType)}),
    BranchRowTable(_t(EventTag), {"event_id": _t(Event)}),
    BranchRowTable(_t(EventFieldValue), {"event_id": _t(Event), "field_id": _t(FieldDefinition)}),
    BranchRowTable(_t(EventMetaValue), {"event_id": _t(Event), "meta_field_id": _t(MetaField)}),
    BranchRowTable(_t(Relation), {"source_event_type_id": _t(EventType), "target_event_type_id": _t(EventType),
                                  "source_field_id": _t(FieldDefinition),
                                  "target_field_id": _t(FieldDefinition)}),
    # Photos point at the same stored files: a file is released only when no row on any branch names it.
    BranchRowTable(_t(EventPhoto), {"event_id": _t(Event)}),
    BranchRowTable(_t(PhotoComment), {"photo_id": _t(EventPhoto)}, rows=lambda src: src.c.parent_id.is_(None)),
    BranchRowTable(_t(PhotoComment), {"photo_id": _t(EventPhoto), "parent_id": _t(PhotoComment)},
                   rows=lambda src: src.c.parent_id.is_not(None)),
)


def copy_plan(session: Session, source_branch_id: uuid.UUID, target_branch_id: uuid.UUID) -> dict[str, int]:
    """Copy every branch-row table from one branch to another; returns rows copied per table."""
    copied: dict[str, int] = {}
    new_id = _new_id_expression(session)
    for spec in BRANCH_ROW_TABLES:
        result = session.execute(_copy_statement(spec, source_branch_id, target_branch_id, new_id))
        copied[spec.table.name] = copied.get(spec.table.name, 0) + int(getattr(result, "rowcount", 0) or 0)
    return copied


def _new_id_expression(session: Session) -> ColumnElement[uuid.UUID]:
    """A fresh uuid per row, made by the database: Uuid columns are 32 hex digits on SQLite."""
    if session.get_bind().dialect.name == "postgresql":
        return func.gen_random_uuid()
    return func.lower(func.hex(func.randomblob(16)))


def _copy_statement(spec: BranchRowTable, source: uuid.UUID, target: uuid.UUID,
                    new_id: ColumnElement[uuid.UUID]) -> Insert:
    src = spec.table.alias("src")
    # One correlated lookup per parent by (branch_id, origin_id): a join lets SQLite's planner (no statistics)
    # loop over every event x every field of the new branch, 5,000 x 1,000 probes on the benchmark plan.
    parent_ids: dict[str, ColumnElement[Any]] = {}
    for position, (column_name, parent) in enumerate(spec.parents.items()):
        copy = parent.alias(f"p{position}")
        parent_ids[column_name] = select(copy.c.id).where(copy.c.branch_id == target,
                                                          copy.c.origin_id == src.c[column_name]) \
            .scalar_subquery()
    has_id = "id" in spec.table.c
    values: list[ColumnElement[Any]] = []
    for column in spec.table.c:
        name = column.name
        if name == "id":
            values.append(new_id.label("id"))
        elif name == "branch_id":
            values.append(literal(target, spec.table.c.branch_id.type).label("branch_id"))
        elif name == "origin_id":
            values.append((src.c.id if has_id else null()).label("origin_id"))
        elif name in parent_ids:
            values.append(parent_ids[name].label(name))
        else:
            values.append(src.c[name])
    query = select(*values).select_from(src).where(src.c.branch_id == source)
    if spec.rows is not None:
        query = query.where(spec.rows(src))
    return insert(spec.table).from_select([c.name for c in spec.table.c], query)
