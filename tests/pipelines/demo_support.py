"""One demo warehouse per test module instead of one per test and engine.

Create Demo Project writes its warehouse in a child process (tripl_core/demo/offprocess.py): 35 days of
events, ~840k rows, several seconds of CPU. Modules that create demo projects to test what happens around
them (`tripl up`'s bootstrap, late-data judgements on a fresh demo) generate it once, for the moment the
module starts, and each demo project they create gets a copy of those files in its own folder. The rest of
Create Demo Project (slug and folder reservation, checks of the scan settings against the files, the rows
of the plan, source and scan config) runs for real. The generator itself — same arguments, same rows — is
tested in tests/demo."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tripl_core.demo import project
from tripl_core.demo.cases import DemoCases
from tripl_core.demo.offprocess import generate_in_child


@dataclass(frozen=True)
class GeneratedDemo:
    folder: Path
    cases: DemoCases
    end: datetime
    """Where the rows end: the `now` a demo project created from this copy stands for."""


def generate_once(folder: Path) -> GeneratedDemo:
    end = datetime.now(UTC)
    return GeneratedDemo(folder, generate_in_child(folder, end=end), end)


def reuse(monkeypatch: pytest.MonkeyPatch, demo: GeneratedDemo) -> None:
    """Demo projects created from now on get a copy of `demo`'s files (its rows end at `demo.end`)."""
    def copy(folder: Path, *, end: datetime) -> DemoCases:
        shutil.copytree(demo.folder, folder, dirs_exist_ok=True)
        return demo.cases

    monkeypatch.setattr(project, "generate_in_child", copy)
