"""What `tripl up` prepares on a fresh workspace: the first owner account (printed once, kept in a 0600
file, usable to sign in) and the demo project, made only while the workspace has no project."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.support.demos import GeneratedDemos, demos_generated_once
from tests.support.workspace import Workspace
from tripl_cli import bootstrap
from tripl_core.access.models import User
from tripl_core.db.engine import Database
from tripl_core.plan.models import Project
from tripl_core.settings import Settings


def test_the_first_account_is_an_owner_whose_password_is_kept_privately(db: Database, settings: Settings) -> None:
    account = bootstrap.ensure_first_account(db, settings.state_dir)
    assert account is not None
    assert account.password
    assert account.file.stat().st_mode & 0o777 == 0o600
    assert account.file.read_text() == f"email: {account.email}\npassword: {account.password}\n"
    with db.unit_of_work() as session:
        assert session.scalars(select(User.role)).all() == ["owner"]

    again = bootstrap.ensure_first_account(db, settings.state_dir)
    assert again is not None
    assert (again.email, again.password) == (account.email, None)  # told where it is, not printed again
    with db.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(User)) == 1


def test_the_printed_account_signs_in(db: Database, settings: Settings, client: TestClient) -> None:
    account = bootstrap.ensure_first_account(db, settings.state_dir)
    assert account is not None
    response = client.post("/api/v1/auth/login", json={"email": account.email, "password": account.password})
    assert response.status_code == 200, response.text
    assert response.json()["role"] == "owner"


def test_no_account_is_made_in_a_workspace_with_users(ws: Workspace, db: Database, settings: Settings) -> None:
    assert bootstrap.ensure_first_account(db, settings.state_dir) is None
    assert not (settings.state_dir / bootstrap.FIRST_ACCOUNT_FILE).exists()


@pytest.fixture(scope="module")
def demos(tmp_path_factory: pytest.TempPathFactory) -> GeneratedDemos:
    return GeneratedDemos(tmp_path_factory.mktemp("demos"))  # shared by both engines (tests/support/demos.py)


def test_the_demo_project_is_made_only_in_an_empty_workspace(ws: Workspace, db: Database, settings: Settings,
                                                             demos: GeneratedDemos,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    demos_generated_once(monkeypatch, demos)
    demo = bootstrap.ensure_demo_project(db, settings)
    assert demo is not None
    assert demo.project.slug == "demo"
    assert demo.first_job is None  # launched later, through the Dagster webserver
    assert (settings.state_dir / "warehouses" / "demo" / "events.parquet").exists()
    assert bootstrap.ensure_demo_project(db, settings) is None
    with db.unit_of_work() as session:
        assert session.scalars(select(Project.slug)).all() == ["demo"]
