"""Request and response shapes of payload validation (SEMANTICS §15)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

MAX_PAYLOADS = 10_000


class PayloadIn(BaseModel):
    model_config = ConfigDict(extra="allow")

    event: str = Field(description="The event's name in the plan")
    properties: dict[str, Any] | None = Field(default=None, description="Field values by field name; dotted "
                                              "field names as nested objects")


class ValidateEventsRequest(BaseModel):
    # Items are taken as they came (`Any`): a malformed payload is a violation of that item, not a 422 of
    # the batch, and ten thousand payloads are not copied into models before they are checked.
    events: list[Any] = Field(max_length=MAX_PAYLOADS, description=f"At most {MAX_PAYLOADS:,} payloads",
                              json_schema_extra={"items": PayloadIn.model_json_schema()})


class ViolationOut(BaseModel):
    field: str | None
    kind: str = Field(description="unknown_event, unknown_field, missing_field, wrong_type, enum_violation, "
                                  "regex_violation or range_violation")
    message: str


class PayloadVerdict(BaseModel):
    index: int
    event: str | None
    valid: bool
    violations: list[ViolationOut]


class ValidationReport(BaseModel):
    items: list[PayloadVerdict]
    valid_count: int
    invalid_count: int
