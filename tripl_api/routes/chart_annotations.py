"""Chart annotations: read by every role and key, created and deleted by editors."""

from __future__ import annotations

import uuid
from datetime import datetime

from fastapi import Response

from tripl_api.deps import CurrentPrincipal, DbSession, ProjectReader, ProjectWriter
from tripl_api.routing import api_router
from tripl_core.metrics import chart_annotations
from tripl_core.metrics.schemas import AnnotationCreate, AnnotationOut

router = api_router("chart-annotations", "/projects/{slug}/annotations")


@router.get("", response_model=list[AnnotationOut])
def list_chart_annotations(project: ProjectReader, session: DbSession, scope_type: str | None = None,
                           scope_ref: str | None = None, time_from: datetime | None = None,
                           time_to: datetime | None = None) -> list[AnnotationOut]:
    rows = chart_annotations.list_annotations(session, project, scope_type, scope_ref, time_from, time_to)
    return [AnnotationOut.model_validate(r) for r in rows]


@router.post("", response_model=AnnotationOut, status_code=201)
def create_chart_annotation(body: AnnotationCreate, project: ProjectWriter, principal: CurrentPrincipal,
                            session: DbSession) -> AnnotationOut:
    return AnnotationOut.model_validate(chart_annotations.create(session, project, principal, body))


@router.delete("/{annotation_id}", status_code=204, response_class=Response)
def delete_chart_annotation(annotation_id: uuid.UUID, project: ProjectWriter, session: DbSession) -> Response:
    chart_annotations.delete(session, project, annotation_id)
    return Response(status_code=204)
