"""Two ways to run a `tripl` command in the tests.

`run` starts the console script as a user does: a real process, its own environment, exit status, stdout
and stderr. Each costs a Python start and the imports of its command, so every command group keeps at
least one test through it (and every test about processes, signals or the environment uses it).

`invoke` runs the same command in this process through the app object the console script calls
(`tripl_cli.app`), with the given environment variables set for the call, stdin fed from a string and
stdout/stderr captured apart: for tests of what a command does with its arguments and the database, where
a fresh interpreter proves nothing more."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from typer.testing import CliRunner

import tripl_cli
from tripl_core.settings import Settings

TRIPL = str(Path(sys.executable).parent / "tripl")


def run(*args: str, env: dict[str, str] | None = None, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """The `tripl` console script in a process of its own."""
    return subprocess.run([TRIPL, *args], capture_output=True, text=True, input=stdin,
                          env={**os.environ, **(env or {})}, timeout=120)


@dataclass(frozen=True)
class Outcome:
    """What a command left behind, named like subprocess.CompletedProcess so tests read the same."""

    returncode: int
    stdout: str
    stderr: str


def invoke(*args: str, env: dict[str, str] | None = None, stdin: str | None = None) -> Outcome:
    """The same command in this process (exceptions other than the CLI's own exits propagate)."""
    result = CliRunner().invoke(tripl_cli.app, list(args), input=stdin, env=env, catch_exceptions=False)
    return Outcome(result.exit_code, result.stdout, result.stderr)


def app_env(settings: Settings, **extra: str) -> dict[str, str]:
    """The environment that points a command at the test's app database and state dir."""
    return {"TRIPL_DATABASE_URL": settings.resolved_database_url, "TRIPL_SECRET_KEY": settings.resolved_secret_key,
            "TRIPL_STATE_DIR": str(settings.state_dir), **extra}
