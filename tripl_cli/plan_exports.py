"""`tripl codegen`, `tripl export` and `tripl validate`: the plan's typed code, JSON Schema and payload
check from the command line, for CI (reads the app database as the API does). The plan reader, code
generators and validator are imported when a command runs, so `tripl` loads them only for these commands."""

from __future__ import annotations

import json
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import typer

if TYPE_CHECKING:
    from tripl_core.plan.plan_reader import PlanSnapshot
    from tripl_core.validation.payloads import Verdict

BRANCH = typer.Option(None, "--branch", help="Plan branch id; the main branch without it")
OUTPUT = typer.Option(None, "--output", "-o", help="Write to this file instead of standard output")


def codegen(project_slug: str = typer.Argument(..., help="The project's slug"),
            language: Literal["typescript", "python", "go"] = typer.Argument(..., help="typescript, python or go"),
            branch: uuid.UUID | None = BRANCH, output: Path | None = OUTPUT) -> None:
    """Write typed tracking code for the plan's events."""
    from tripl_core.codegen.generate import Language, generate

    _write(generate(_plan(project_slug, branch), Language(language)), output)


def export(project_slug: str = typer.Argument(..., help="The project's slug"),
           branch: uuid.UUID | None = BRANCH, output: Path | None = OUTPUT) -> None:
    """Write the plan as JSON Schema 2020-12."""
    from tripl_core.codegen import json_schema

    _write(json.dumps(json_schema.export(_plan(project_slug, branch)), indent=2, ensure_ascii=False) + "\n", output)


def validate(project_slug: str = typer.Argument(..., help="The project's slug"),
             file: str = typer.Argument(..., help="JSON lines, one {\"event\", \"properties\"} payload a line; "
                                                  "`-` reads standard input"),
             branch: uuid.UUID | None = BRANCH,
             as_json: bool = typer.Option(False, "--json", help="Print the full report as JSON")) -> None:
    """Check tracking payloads against the plan; exit 1 when any payload breaks it."""
    from tripl_core.validation.payloads import PayloadValidator, Verdict

    validator = PayloadValidator(_plan(project_slug, branch))
    try:
        handle = sys.stdin if file == "-" else open(file, encoding="utf-8")  # noqa: SIM115 — closed below
    except OSError as exc:
        typer.echo(f"error: cannot read {file}: {exc.strerror}", err=True)
        raise typer.Exit(2) from None
    verdicts: list[Verdict] = []
    total = invalid = 0
    with handle:
        for line_number, payload in _payloads(handle):
            verdict = payload if isinstance(payload, Verdict) else validator.check(line_number, payload)
            total += 1
            invalid += not verdict.valid
            if as_json:
                verdicts.append(verdict)
            elif not verdict.valid:
                for violation in verdict.violations:
                    typer.echo(f"{file}:{line_number}: {violation.kind}: {violation.message}")
    if as_json:
        typer.echo(json.dumps({"items": [_item(v) for v in verdicts], "valid_count": total - invalid,
                               "invalid_count": invalid}, ensure_ascii=False))
    else:
        typer.echo(f"{total} payloads, {invalid} invalid", err=True)
    if invalid:
        raise typer.Exit(1)


def _payloads(lines: Any) -> Iterator[tuple[int, Any]]:
    """(line number, payload) for every non-blank line; a line that is not JSON is an invalid payload."""
    from tripl_core.validation.payloads import Verdict
    from tripl_core.validation.rules import WRONG_TYPE, Violation

    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            yield number, json.loads(line)
        except ValueError as exc:
            yield number, Verdict(number, None, (Violation(None, WRONG_TYPE, f"not JSON: {exc}"),))


def _item(verdict: Verdict) -> dict[str, Any]:
    return {"line": verdict.index, "event": verdict.event, "valid": verdict.valid,
            "violations": [{"field": v.field, "kind": v.kind, "message": v.message} for v in verdict.violations]}


def _plan(project_slug: str, branch: uuid.UUID | None) -> PlanSnapshot:
    from tripl_core.db.engine import Database
    from tripl_core.errors import DomainError
    from tripl_core.plan import branch_scope, projects
    from tripl_core.plan.plan_reader import read_plan
    from tripl_core.settings import Settings

    settings = Settings()
    db = Database(settings.resolved_database_url, sqlite_busy_timeout_ms=settings.sqlite_busy_timeout_ms)
    try:
        with db.unit_of_work() as session:
            project = projects.get_by_slug(session, project_slug)
            return read_plan(session, branch_scope.resolve(session, project, branch, write=False))
    except DomainError as error:
        typer.echo(f"error: {error.message}", err=True)
        raise typer.Exit(2) from None
    finally:
        db.dispose()


def _write(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
