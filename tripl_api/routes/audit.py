from __future__ import annotations

import csv
import io
import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any

from fastapi import Depends, Query
from fastapi.responses import StreamingResponse

from tripl_api.deps import DbSession, Offset, OwnerReader, State
from tripl_api.routing import api_router
from tripl_core.access import audit
from tripl_core.access.schemas import AuditEntryOut, AuditPage
from tripl_core.pagination import PageRequest

router = api_router("audit", "/audit")
EXPORT_FIELDS = list(AuditEntryOut.model_fields)


class ExportFormat(StrEnum):
    csv = "csv"
    jsonl = "jsonl"


def audit_filter(
    principal: OwnerReader,
    project_slug: str | None = None,
    action: Annotated[str | None, Query(description="Exact action, or a prefix ending in '.'")] = None,
    user_id: uuid.UUID | None = None,
    user_email: str | None = None,
    since: Annotated[datetime | None, Query(description="Inclusive lower bound (ISO 8601)")] = None,
    until: Annotated[datetime | None, Query(description="Exclusive upper bound (ISO 8601)")] = None,
    target_type: Annotated[str | None, Query(max_length=50, description="e.g. project, event, scan")] = None,
    target_id: Annotated[str | None, Query(max_length=255)] = None,
) -> audit.AuditFilter:
    return audit.AuditFilter(project_slug=project_slug, action=action, user_id=user_id, user_email=user_email,
                             since=_utc(since), until=_utc(until), target_type=target_type, target_id=target_id,
                             project_id=principal.bound_project_id)


Filter = Annotated[audit.AuditFilter, Depends(audit_filter)]


@router.get("", response_model=AuditPage)
def list_audit(
    flt: Filter,
    session: DbSession,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Offset = 0,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page (instead of offset)")] = None,
) -> AuditPage:
    """Mutating requests, newest first (owner only)."""
    items, total, next_cursor = audit.list_entries(session, flt, PageRequest(offset, limit), cursor)
    return AuditPage(items=[AuditEntryOut.model_validate(e) for e in items], total=total, next_cursor=next_cursor)


@router.get("/export", response_class=StreamingResponse,
            responses={200: {"content": {"text/csv": {}, "application/x-ndjson": {}},
                             "description": "The filtered log, newest first"}})
def export_audit(flt: Filter, state: State, export_format: Annotated[ExportFormat, Query(alias="format")]
                 = ExportFormat.jsonl) -> StreamingResponse:
    """The filtered log streamed as CSV or JSON lines (owner only), read in batches."""
    entries = (AuditEntryOut.model_validate(e).model_dump(mode="json") for e in audit.export_entries(state.db, flt))
    body, media = (_csv(entries), "text/csv") if export_format is ExportFormat.csv else \
        (_jsonl(entries), "application/x-ndjson")
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return StreamingResponse(body, media_type=f"{media}; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="tripl-audit-{stamp}.{export_format.value}"'})


def _jsonl(entries: Iterator[dict[str, Any]]) -> Iterator[str]:
    for entry in entries:
        yield json.dumps(entry, ensure_ascii=False) + "\n"


def _csv(entries: Iterator[dict[str, Any]]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=EXPORT_FIELDS)
    writer.writeheader()
    for entry in entries:
        writer.writerow({**entry, "details": json.dumps(entry["details"], ensure_ascii=False)})
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()


def _utc(value: datetime | None) -> datetime | None:
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)  # a timestamp without offset is read as UTC, like everything here
