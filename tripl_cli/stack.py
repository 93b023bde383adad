"""Where a running `tripl up` can be found: `$TRIPL_STATE_DIR/stack.json` (its pid, API and Dagster URLs),
written once the stack is up and removed when it stops. `tripl scans run` reads it to launch on the running
Dagster instead of a throwaway one of its own; TRIPL_DAGSTER_URL, when set, wins."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # only annotations: every `tripl` start imports this module (through `tripl up`)
    from tripl_core.settings import Settings

STACK_FILE = "stack.json"


@dataclass(frozen=True)
class Stack:
    pid: int
    api_url: str
    dagster_url: str


def write(state_dir: Path, stack: Stack) -> Path:
    file = state_dir / STACK_FILE
    temporary = file.with_suffix(".tmp")
    temporary.write_text(json.dumps(asdict(stack)))
    temporary.replace(file)
    return file


def remove(state_dir: Path, pid: int) -> None:
    """Remove the file if it is this stack's (a newer `tripl up` may own it)."""
    found = read(state_dir)
    if found is not None and found.pid == pid:
        (state_dir / STACK_FILE).unlink(missing_ok=True)


def read(state_dir: Path) -> Stack | None:
    """The stack recorded in the state dir, if its process still runs."""
    try:
        raw = json.loads((state_dir / STACK_FILE).read_text())
        stack = Stack(int(raw["pid"]), str(raw["api_url"]), str(raw["dagster_url"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return stack if _running(stack.pid) else None


def dagster_url(settings: Settings) -> str | None:
    """TRIPL_DAGSTER_URL, else the running stack's Dagster webserver, else None."""
    if settings.dagster_url:
        return settings.dagster_url
    stack = read(settings.state_dir)
    return stack.dagster_url if stack is not None else None


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
