"""Request and response shapes of branches, their review and merge, and revisions."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import Field, StringConstraints

from tripl_core.branching.models import ResolutionChoice
from tripl_core.schemas import RequestModel, ResponseModel

BRANCH_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9/_.-]*$"
BranchName = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=BRANCH_NAME_PATTERN)]


class BranchCreate(RequestModel):
    name: BranchName
    description: Annotated[str, Field(max_length=10_000)] = ""


class TransitionAction(StrEnum):
    submit = "submit"
    request_changes = "request_changes"
    approve = "approve"
    reopen = "reopen"
    close = "close"


class BranchTransition(RequestModel):
    action: TransitionAction


class ReviewerAdd(RequestModel):
    user_id: uuid.UUID


class ReviewerOut(ResponseModel):
    id: uuid.UUID
    user_id: uuid.UUID
    created_at: datetime


class ApprovalOut(ResponseModel):
    id: uuid.UUID
    user_id: uuid.UUID | None
    change_hash: str
    stale: bool
    created_at: datetime


class BranchOut(ResponseModel):
    id: uuid.UUID
    project_id: uuid.UUID
    name: str
    kind: str
    status: str
    description: str
    base_revision_id: uuid.UUID | None
    created_by: uuid.UUID | None
    merged_at: datetime | None
    merged_by: uuid.UUID | None
    created_at: datetime
    updated_at: datetime


class BranchDetailOut(BranchOut):
    reviewers: list[ReviewerOut] = []
    approvals: list[ApprovalOut] = []


class CommentCreate(RequestModel):
    body: Annotated[str, StringConstraints(min_length=1, max_length=4000)]
    parent_id: uuid.UUID | None = None


class CommentOut(ResponseModel):
    id: uuid.UUID
    branch_id: uuid.UUID
    parent_id: uuid.UUID | None
    user_id: uuid.UUID | None
    body: str
    created_at: datetime
    updated_at: datetime


class FieldChange(ResponseModel):
    field: str
    before: Any = None
    after: Any = None


class DiffEntry(ResponseModel):
    entity_type: str
    kind: str
    name: str
    parent: str | None = None
    entity_key: str
    field_changes: list[FieldChange] = []


class BranchDiffOut(ResponseModel):
    entries: list[DiffEntry]
    summary: dict[str, Any]
    behind_base: bool


class ConflictFieldOut(ResponseModel):
    field_name: str
    kind: str
    base: Any = None
    ours: Any = None
    theirs: Any = None
    resolved: bool
    resolution_id: uuid.UUID | None = None
    choice: str | None = None
    stale_resolution_id: uuid.UUID | None = None


class ConflictEntityOut(ResponseModel):
    entity_type: str
    entity_key: str
    entity_name: str
    parent: str | None = None
    fields: list[ConflictFieldOut]


class ConflictsOut(ResponseModel):
    entities: list[ConflictEntityOut]
    unresolved_count: int
    behind_base: bool


class ResolutionCreate(RequestModel):
    entity_type: Annotated[str, StringConstraints(min_length=1, max_length=32)]
    entity_name: Annotated[str, StringConstraints(min_length=1, max_length=1000)]
    field_name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    choice: ResolutionChoice
    entity_key: Annotated[str | None, Field(description="The conflict's `entity_key` (its identity across "
                                                        "branches); needed only when a name is ambiguous.")] = None
    value: Annotated[Any, Field(description="The value chosen when `choice` is custom; validated like a "
                                            "normal write of that attribute.")] = None


class ResolutionOut(ResponseModel):
    id: uuid.UUID
    branch_id: uuid.UUID
    entity_type: str
    entity_name: str
    entity_key: str
    field_name: str
    choice: str
    value: Any = None
    resolved_by: uuid.UUID | None
    created_at: datetime


class RevisionCreate(RequestModel):
    summary: Annotated[str, Field(max_length=2000)] = ""


class RevisionBrief(ResponseModel):
    id: uuid.UUID
    project_id: uuid.UUID
    kind: str
    summary: str
    created_at: datetime
    created_by: uuid.UUID | None
    entity_counts: dict[str, Any]


class RevisionOut(RevisionBrief):
    payload: dict[str, Any]


class RevisionDiffOut(ResponseModel):
    revision_id: uuid.UUID
    compare_to: uuid.UUID
    entries: list[DiffEntry]
    summary: dict[str, Any]
