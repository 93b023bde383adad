"""`tripl branches list|create|diff|merge`: plan branches for scripts and CI, through the same services as
the API (and with the same activity and audit entries). Writes act as the user named by `--as`.

The services and models are imported inside the commands: `tripl` loads only what the command it runs needs."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

import typer

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from tripl_core.access.principal import Need, Principal
    from tripl_core.plan.models import Project

app = typer.Typer(help="Working branches of a project's plan.", no_args_is_help=True)
T = TypeVar("T")
AS_USER = typer.Option(..., "--as", envvar="TRIPL_USER", help="Email of the user the change is made as")


@contextmanager
def _session() -> Iterator[Session]:
    from tripl_core.db.engine import Database
    from tripl_core.errors import DomainError
    from tripl_core.settings import Settings

    settings = Settings()
    db = Database(settings.resolved_database_url, sqlite_busy_timeout_ms=settings.sqlite_busy_timeout_ms)
    try:
        with db.unit_of_work() as session:
            yield session
    except DomainError as error:
        typer.echo(f"error: {error.message}", err=True)
        for detail in error.details:
            typer.echo(f"  {json.dumps(detail)}", err=True)
        raise typer.Exit(2) from None
    finally:
        db.dispose()


def _print(payload: Any) -> None:
    typer.echo(json.dumps(payload, indent=2, default=str))


def _acting(session: Session, email: str, need: Need) -> Principal:
    from sqlalchemy import select

    from tripl_core.access.models import User
    from tripl_core.access.principal import Principal
    from tripl_core.errors import NotFound

    user = session.scalar(select(User).where(User.email == email))
    if user is None:
        raise NotFound(f"No user with email {email}")
    principal = Principal(user=user)
    principal.require(need)
    return principal


def _audited(session: Session, principal: Principal, project: Project, action: str, target_id: str,
             details: dict[str, Any], run: Callable[[], T]) -> T:
    from tripl_core.access import audit

    result = run()
    audit.record(session, principal=principal, action=f"plan-branches.{action}", method="CLI",
                 path=f"tripl branches {action}", status_code=200, project_id=project.id, project_slug=project.slug,
                 target_type="branch", target_id=target_id, ip_address=None, details=details)
    return result


@app.command("list")
def list_branches(project_slug: str = typer.Argument(..., help="The project's slug")) -> None:
    """Print the project's branches as JSON."""
    from tripl_core.branching import branches
    from tripl_core.pagination import PageRequest
    from tripl_core.plan import projects

    with _session() as session:
        project = projects.get_by_slug(session, project_slug)
        items, _ = branches.list_branches(session, project, PageRequest(0, 10_000))
        _print([branches.describe(b).model_dump(mode="json") for b in items])


@app.command("create")
def create(project_slug: str = typer.Argument(..., help="The project's slug"),
           name: str = typer.Argument(..., help="The new branch's name"),
           description: str = typer.Option("", help="What the branch is for"),
           as_user: str = AS_USER) -> None:
    """Copy main's plan onto a new branch; print it as JSON."""
    from pydantic import ValidationError

    from tripl_core.access.principal import Need
    from tripl_core.branching import branches
    from tripl_core.branching.schemas import BranchCreate
    from tripl_core.errors import InvalidInput
    from tripl_core.plan import projects

    with _session() as session:
        project = projects.get_by_slug(session, project_slug)
        principal = _acting(session, as_user, Need.WRITE)
        try:
            data = BranchCreate(name=name, description=description)
        except ValidationError as error:
            raise InvalidInput(f"Branch name '{name}': {error.errors()[0]['msg']}") from None
        branch = _audited(session, principal, project, "create_branch", name, {"name": name},
                          lambda: branches.create(session, principal, project, data))
        _print(branches.describe(branch).model_dump(mode="json"))


@app.command("diff")
def diff(project_slug: str = typer.Argument(..., help="The project's slug"),
         branch: str = typer.Argument(..., help="The branch's id or name"),
         fail_on_conflicts: bool = typer.Option(False, "--fail-on-conflicts",
                                                help="Exit 1 when a conflict with main is unresolved")) -> None:
    """Print the branch's changes since its cut and its conflicts with main as JSON."""
    from tripl_core.branching import branches, conflicts, diffs
    from tripl_core.plan import projects

    with _session() as session:
        project = projects.get_by_slug(session, project_slug)
        found = branches.find(session, project, branch)
        changes = diffs.branch_diff(session, found).model_dump(mode="json")
        open_conflicts = conflicts.current(session, found).model_dump(mode="json")
        _print({**changes, "conflicts": open_conflicts})
    if fail_on_conflicts and open_conflicts["unresolved_count"]:
        raise typer.Exit(1)


@app.command("merge")
def merge(project_slug: str = typer.Argument(..., help="The project's slug"),
          branch: str = typer.Argument(..., help="The branch's id or name"),
          force: bool = typer.Option(False, "--force", help="Owners only: merge without a fresh approval"),
          as_user: str = AS_USER) -> None:
    """Merge the branch into main (exit 2 with the reason when refused); print the merged branch as JSON."""
    from tripl_core.access.principal import Need
    from tripl_core.branching import branches, merging
    from tripl_core.plan import projects

    with _session() as session:
        project = projects.get_by_slug(session, project_slug)
        principal = _acting(session, as_user, Need.WRITE)
        found = branches.find(session, project, branch)
        merged = _audited(session, principal, project, "merge_branch", str(found.id), {"force": force},
                          lambda: merging.merge(session, principal, project, found, force=force))
        _print(branches.describe(merged).model_dump(mode="json"))
