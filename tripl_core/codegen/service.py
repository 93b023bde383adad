"""What the API and the CLI ask of the plan's exports: generated source, JSON Schema, payload checks."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from tripl_core.codegen import json_schema
from tripl_core.codegen.generate import FILE_NAMES, MEDIA_TYPES, Language, generate
from tripl_core.codegen.plan_reader import read_plan
from tripl_core.codegen.schemas import PayloadIn, PayloadVerdict, ValidationReport, ViolationOut
from tripl_core.plan.branch_scope import PlanScope
from tripl_core.validation.payloads import PayloadValidator, Verdict


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


def validate(session: Session, scope: PlanScope, payloads: Sequence[PayloadIn]) -> ValidationReport:
    validator = PayloadValidator(read_plan(session, scope))
    return report([validator.check(i, {"event": p.event, "properties": p.properties})
                   for i, p in enumerate(payloads)])


def report(verdicts: Sequence[Verdict]) -> ValidationReport:
    items = [PayloadVerdict(index=v.index, event=v.event, valid=v.valid,
                            violations=[ViolationOut(field=x.field, kind=x.kind, message=x.message)
                                        for x in v.violations]) for v in verdicts]
    valid = sum(1 for item in items if item.valid)
    return ValidationReport(items=items, valid_count=valid, invalid_count=len(items) - valid)
