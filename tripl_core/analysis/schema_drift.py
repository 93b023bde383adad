"""Schema drift decisions (SEMANTICS §5) for one event type: declared fields against what a scan saw,
and the field contracts of §1 judged from the bad-value counts the warehouse computed. Pure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from tripl_core.analysis import field_types

REQUIRED_NULL, REGEX, RANGE, ENUM = "required_null", "regex", "range", "enum"
DRIFT_OF_CONTRACT = {REQUIRED_NULL: "required_null_violation", REGEX: "regex_violation", RANGE: "range_violation",
                     ENUM: "enum_violation"}


@dataclass(frozen=True)
class DeclaredField:
    name: str
    field_type: str
    is_required: bool = False
    enum_options: tuple[str, ...] = ()
    max_null_rate: float | None = None
    regex: str | None = None
    minimum: float | None = None
    maximum: float | None = None
    max_bad_rate: float = 0.0


@dataclass(frozen=True)
class ObservedField:
    present: int
    observed_type: str
    from_json_text: bool
    sample: str | None = None


@dataclass(frozen=True)
class Measure:
    """What the warehouse counted for one contract: bad rows (NULLs for required_null) and one bad value."""

    bad: int
    sample: str | None = None


@dataclass(frozen=True)
class Finding:
    field_name: str
    drift_type: str
    observed_type: str | None = None
    declared_type: str | None = None
    sample_value: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ContractOutcome:
    field_name: str
    kind: str
    passed: bool
    description: str
    metadata: dict[str, Any]


def contracts_of(declared: DeclaredField) -> list[str]:
    """The contracts a declared field carries, each measured by one warehouse probe."""
    kinds = []
    if declared.is_required and declared.max_null_rate is not None:
        kinds.append(REQUIRED_NULL)
    if declared.regex and declared.field_type in ("string", "url"):
        kinds.append(REGEX)
    if declared.field_type == "number" and (declared.minimum is not None or declared.maximum is not None):
        kinds.append(RANGE)
    if declared.field_type == "enum" and declared.enum_options:
        kinds.append(ENUM)
    return kinds


def judge_type(rows: int, declared: Sequence[DeclaredField], observed: Mapping[str, ObservedField],
               measures: Mapping[tuple[str, str], Measure], *,
               report_new: bool) -> tuple[list[Finding], list[ContractOutcome]]:
    """Drifts and contract outcomes of one event type that had `rows` rows in the scan. `report_new`:
    whether undeclared fields are drifts (False when the scan itself adds them to the plan)."""
    findings: list[Finding] = []
    outcomes: list[ContractOutcome] = []
    names = {d.name for d in declared}
    if report_new:
        findings += [Finding(label, "new_field", seen.observed_type, None, seen.sample)
                     for label, seen in observed.items() if label not in names and seen.present > 0]
    for field_def in declared:
        seen = observed.get(field_def.name)
        if seen is None or seen.present == 0:
            if field_def.is_required:
                findings.append(Finding(field_def.name, "missing_field", None, field_def.field_type))
            continue
        if not field_types.compatible(field_def.field_type, seen.observed_type, from_json_text=seen.from_json_text):
            findings.append(Finding(field_def.name, "type_changed", seen.observed_type, field_def.field_type,
                                    seen.sample))
        for kind in contracts_of(field_def):
            outcome, finding = _judge_contract(field_def, kind, rows, seen, measures.get((field_def.name, kind)))
            outcomes.append(outcome)
            if finding is not None:
                findings.append(finding)
    return findings, outcomes


def _judge_contract(declared: DeclaredField, kind: str, rows: int, seen: ObservedField,
                    measure: Measure | None) -> tuple[ContractOutcome, Finding | None]:
    measure = measure or Measure(0)
    if kind == REQUIRED_NULL:
        base, tolerance = rows, declared.max_null_rate or 0.0
        what = "NULL or missing"
    else:
        base, tolerance = seen.present, declared.max_bad_rate
        what = {REGEX: f"not matching /{declared.regex}/", RANGE: _range_text(declared),
                ENUM: f"outside {list(declared.enum_options)}"}[kind]
    rate = measure.bad / base if base else 0.0
    passed = rate <= tolerance
    metadata = {"bad_count": measure.bad, "checked": base, "rate": round(rate, 6), "tolerance": tolerance}
    description = f"{declared.name}: {measure.bad} of {base} values {what} ({rate:.2%}; tolerated {tolerance:.2%})"
    outcome = ContractOutcome(declared.name, kind, passed, description, metadata)
    if passed:
        return outcome, None
    return outcome, Finding(declared.name, DRIFT_OF_CONTRACT[kind], seen.observed_type, declared.field_type,
                            measure.sample, metadata)


def _range_text(declared: DeclaredField) -> str:
    low = "-inf" if declared.minimum is None else f"{declared.minimum:g}"
    high = "inf" if declared.maximum is None else f"{declared.maximum:g}"
    return f"non-numeric or outside [{low}, {high}]"
