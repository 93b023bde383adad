"""What the API and the CLI ask of the plan's exports: generated source, JSON Schema, payload checks."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from tripl_core.codegen import json_schema
from tripl_core.codegen.generate import FILE_NAMES, MEDIA_TYPES, Language, generate
from tripl_core.plan.branch_scope import PlanScope
from tripl_core.plan.plan_reader import read_plan
from tripl_core.validation.payloads import PayloadValidator, Verdict, without_cycle_collection


@dataclass(frozen=True)
class GeneratedFile:
    text: str
    file_name: str
    media_type: str
    plan_hash: str


def source(session: Session, scope: PlanScope, language: Language) -> GeneratedFile:
    plan = read_plan(session, scope)
    return GeneratedFile(generate(plan, language), FILE_NAMES[language], MEDIA_TYPES[language], plan.plan_hash)


def schema(session: Session, scope: PlanScope) -> dict[str, Any]:
    return json_schema.export(read_plan(session, scope))


def validate(session: Session, scope: PlanScope, payloads: Sequence[Any]) -> dict[str, Any]:
    """A `ValidationReport` as plain data: ten thousand items are serialised once, not built as models."""
    validator = PayloadValidator(read_plan(session, scope))
    with without_cycle_collection():
        return report(validator.check_all(payloads))


def report(verdicts: Sequence[Verdict]) -> dict[str, Any]:
    items = [{"index": v.index, "event": v.event, "valid": not v.violations,
              "violations": [{"field": x.field, "kind": x.kind, "message": x.message} for x in v.violations]}
             for v in verdicts]
    invalid = sum(1 for v in verdicts if v.violations)
    return {"items": items, "valid_count": len(items) - invalid, "invalid_count": invalid}
