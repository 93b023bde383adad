"""Chart annotations (SEMANTICS §4): labelled marks on a bucket of the project total or one scope."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tripl_core.access.principal import Principal
from tripl_core.errors import NotFound
from tripl_core.metrics.models import ChartAnnotation
from tripl_core.metrics.schemas import AnnotationCreate
from tripl_core.plan.models import Project


def list_annotations(session: Session, project: Project, scope_type: str | None, scope_ref: str | None,
                     time_from: datetime | None, time_to: datetime | None) -> list[ChartAnnotation]:
    query = select(ChartAnnotation).where(ChartAnnotation.project_id == project.id)
    if scope_type is not None:
        query = query.where(ChartAnnotation.scope_type == scope_type)
    if scope_ref is not None:
        query = query.where(ChartAnnotation.scope_ref == scope_ref)
    if time_from is not None:
        query = query.where(ChartAnnotation.bucket >= time_from)
    if time_to is not None:
        query = query.where(ChartAnnotation.bucket < time_to)
    return list(session.scalars(query.order_by(ChartAnnotation.bucket, ChartAnnotation.created_at)))


def create(session: Session, project: Project, principal: Principal, body: AnnotationCreate) -> ChartAnnotation:
    row = ChartAnnotation(project_id=project.id, created_by_user_id=principal.user.id, **body.model_dump())
    session.add(row)
    session.flush()
    return row


def delete(session: Session, project: Project, annotation_id: uuid.UUID) -> None:
    row = session.get(ChartAnnotation, annotation_id)
    if row is None or row.project_id != project.id:
        raise NotFound(f"Annotation {annotation_id} not found in project '{project.slug}'")
    session.delete(row)
    session.flush()
