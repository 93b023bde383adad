"""Request and response shapes of relations between event types."""

from __future__ import annotations

import uuid

from tripl_core.plan.models import RelationType
from tripl_core.plan.type_schemas import Description
from tripl_core.schemas import RequestModel, ResponseModel


class RelationCreate(RequestModel):
    source_event_type_id: uuid.UUID
    target_event_type_id: uuid.UUID
    source_field_id: uuid.UUID
    target_field_id: uuid.UUID
    relation_type: RelationType = RelationType.belongs_to
    description: Description = ""


class RelationOut(ResponseModel):
    id: uuid.UUID
    project_id: uuid.UUID
    source_event_type_id: uuid.UUID
    target_event_type_id: uuid.UUID
    source_field_id: uuid.UUID
    target_field_id: uuid.UUID
    relation_type: str
    description: str
