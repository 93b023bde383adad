"""Demo warehouses generated once per test process instead of once per demo project.

Create Demo Project writes its warehouse in a child process (tripl_core/demo/offprocess.py): 35 days of
events, ~840k rows, ~3 s of CPU and a few more of waiting. The files depend only on the warehouse's end
(floored to 15 minutes) and the seed (tests/demo/test_demo_warehouse.py proves that), so each end is
generated once, through the real child, and every later demo with the same end gets hard links to those
files (chDB only reads them) and the same planted cases. The rest of Create Demo Project (slug and folder
reservation, checks of the scan settings against the files, the plan, source and scan config rows) runs
for real. Modules opt in with `demos_generated_once(monkeypatch, generated_demos)`; the generator itself is
tested in tests/demo and tests/demo/test_demo_warehouse.py."""

from __future__ import annotations

import os
import shutil
from datetime import datetime
from pathlib import Path

import pytest

from tripl_core.demo import DemoCases, offprocess, project
from tripl_core.demo.warehouse import floor_to_bucket


class GeneratedDemos:
    """Demo warehouses generated once per end, handed out as hard links."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.generated: dict[datetime, tuple[Path, DemoCases]] = {}

    def generate(self, folder: Path, *, end: datetime) -> DemoCases:
        key = floor_to_bucket(end)
        if key not in self.generated:
            source = self.root / key.strftime("%Y%m%dT%H%M")
            self.generated[key] = (source, offprocess.generate_in_child(source, end=end))
        source, cases = self.generated[key]
        folder.mkdir(parents=True, exist_ok=True)
        for file in source.iterdir():
            try:
                os.link(file, folder / file.name)
            except OSError:  # another file system: a copy is as good
                shutil.copy2(file, folder / file.name)
        return cases


def demos_generated_once(monkeypatch: pytest.MonkeyPatch, demos: GeneratedDemos) -> None:
    """Demo projects created from now on take their warehouse from `demos`."""
    monkeypatch.setattr(project, "generate_in_child", demos.generate)
