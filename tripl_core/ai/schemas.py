"""Request and answer shapes of the AI operations, and the JSON the model must answer."""

from __future__ import annotations

import uuid

from pydantic import BaseModel, Field

from tripl_core.plan.models import FieldType


class AiStatusOut(BaseModel):
    enabled: bool


class DescribeEventIn(BaseModel):
    event_id: uuid.UUID


class DescribeEventTypeIn(BaseModel):
    event_type_id: uuid.UUID


class FieldSuggestion(BaseModel):
    field: str = Field(min_length=1, max_length=100)
    description: str = Field("", max_length=2000)
    field_type: FieldType | None = None
    enum_options: list[str] | None = Field(None, max_length=200)


class DescribeOut(BaseModel):
    """Also the JSON the model answers (validated; suggestions are never written to the plan here)."""

    description: str = Field(min_length=1, max_length=4000)
    field_suggestions: list[FieldSuggestion] = Field(default_factory=list, max_length=100)


class AskIn(BaseModel):
    question: str = Field(min_length=3, max_length=500)


class AskSource(BaseModel):
    type: str
    id: uuid.UUID
    title: str


class AskOut(BaseModel):
    answer: str
    sources: list[AskSource]
    semantic_used: bool


class ModelAnswer(BaseModel):
    """What the model answers to a question: text and the labels (S1, S2…) of the documents it used."""

    answer: str = Field(min_length=1, max_length=8000)
    sources: list[str] = Field(default_factory=list, max_length=50)
