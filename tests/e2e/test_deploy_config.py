"""The production deployment as far as this machine checks it: compose.yaml has the API, the Dagster
webserver, daemon and code server, PostgreSQL and the one-off migration; every command is a real command
of the installed image (its installed console script answers `--help` with every option the file uses);
every TRIPL_* variable is a setting tripl reads; the Dockerfile copies what the commands need; the webserver
and daemon load the code server's location; and `docker compose config` (or `docker-compose config`) accepts
the file where one is installed."""

from __future__ import annotations

import contextlib
import io
import shutil
import subprocess
import sys
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
import yaml

from tripl_core.settings import Settings
from tripl_pipelines.instance import POSTGRES_URL_ENV

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SERVICES = {"postgres", "migrate", "code", "dagster-webserver", "dagster-daemon", "api"}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text())
    return loaded


def _commands(service: dict[str, Any]) -> list[list[str]]:
    command = service["command"]
    if command[:2] == ["sh", "-c"]:  # a chain of commands: each one checked
        return [part.split() for part in command[2].split("&&")]
    return [list(command)]


@dataclass(frozen=True)
class Helped:
    returncode: int
    stdout: str
    stderr: str


def _help(command: list[str]) -> Helped:
    """`--help` of the command's program and subcommands (the options are checked by name below), answered
    by the program's installed console script — the entry point its `bin/` file calls — run in this
    process: a subprocess per command would import Dagster or tripl again each time (~2 s of CPU apiece)
    to print the same text."""
    leading = []
    for word in command:
        if word.startswith("-"):
            break
        leading.append(word)
    [script] = [point for point in entry_points(group="console_scripts") if point.name == leading[0]]
    assert (BIN / leading[0]).exists(), leading[0]  # installed as a program, not only as an entry point
    out, err = io.StringIO(), io.StringIO()
    code: int | str | None = 0
    with mock.patch.object(sys, "argv", [str(BIN / leading[0]), *leading[1:], "--help"]), \
            contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            script.load()()
        except SystemExit as exit_:  # click ends `--help` with SystemExit(0)
            code = exit_.code
    return Helped(code if isinstance(code, int) else 1, out.getvalue(), err.getvalue())


def test_every_service_is_there_with_real_commands(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert set(services) == SERVICES
    for name, service in services.items():
        if name == "postgres":
            continue
        for command in _commands(service):
            helped = _help(command)
            assert helped.returncode == 0, (name, command, helped.stderr[-2000:])
            for option in (word.split("=")[0] for word in command if word.startswith("--")):
                assert option in helped.stdout, (name, option, helped.stdout[-3000:])


def test_the_environment_is_what_tripl_reads(compose: dict[str, Any]) -> None:
    known = {f"TRIPL_{field.upper()}" for field in Settings.model_fields} | {POSTGRES_URL_ENV}
    for name, service in compose["services"].items():
        if name == "postgres":
            continue
        env = service["environment"]
        unknown = {key for key in env if key.startswith("TRIPL_")} - known
        assert not unknown, (name, unknown)
        assert env["TRIPL_DATABASE_URL"].startswith("postgresql://")
        assert env[POSTGRES_URL_ENV].startswith("postgresql+psycopg2://")  # dagster-postgres with SQLAlchemy 2
        assert env["DAGSTER_HOME"].startswith(env["TRIPL_STATE_DIR"])
    api = compose["services"]["api"]["environment"]
    assert api["TRIPL_DAGSTER_URL"] == "http://dagster-webserver:3000"
    assert {"migrate": {"condition": "service_completed_successfully"}}.items() <= \
        compose["services"]["code"]["depends_on"].items()


def test_dagster_loads_the_code_server_and_the_image_holds_what_commands_use(compose: dict[str, Any]) -> None:
    workspace = yaml.safe_load((ROOT / "deploy" / "workspace.yaml").read_text())
    [location] = workspace["load_from"]
    code = compose["services"]["code"]["command"]
    assert location["grpc_server"]["host"] == "code"
    assert str(location["grpc_server"]["port"]) == code[code.index("-p") + 1]
    assert location["grpc_server"]["location_name"] == code[code.index("--location-name") + 1]
    dockerfile = (ROOT / "Dockerfile").read_text()
    for needed in ("tripl_core", "tripl_api", "tripl_pipelines", "tripl_cli", "dagster.yaml", "deploy",
                   "pip install ."):
        assert needed in dockerfile, needed
    init = (ROOT / "deploy" / "postgres-init.sql").read_text()
    assert "CREATE DATABASE dagster" in init
    assert compose["services"]["api"]["environment"][POSTGRES_URL_ENV].endswith("/dagster")


def _compose_command() -> list[str] | None:
    if shutil.which("docker") and subprocess.run(["docker", "compose", "version"], capture_output=True,
                                                 timeout=60).returncode == 0:
        return ["docker", "compose"]
    return ["docker-compose"] if shutil.which("docker-compose") else None


@pytest.mark.skipif(_compose_command() is None, reason="neither `docker compose` nor docker-compose is installed")
def test_docker_compose_accepts_the_file() -> None:
    command = _compose_command()
    assert command is not None
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "TRIPL_SECRET_KEY": "a-secret"}
    checked = subprocess.run([*command, "-f", str(ROOT / "compose.yaml"), "config", "--quiet"], capture_output=True,
                             text=True, env=env, timeout=120, cwd=ROOT)
    assert checked.returncode == 0, checked.stderr
    unset = subprocess.run([*command, "-f", str(ROOT / "compose.yaml"), "config", "--quiet"], capture_output=True,
                           text=True, env={"PATH": env["PATH"]}, timeout=120, cwd=ROOT)
    assert unset.returncode != 0
    assert "TRIPL_SECRET_KEY" in unset.stderr  # a deployment without its key refuses to start
