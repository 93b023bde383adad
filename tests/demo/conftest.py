"""Create Demo Project generates its warehouse in a child process (tripl_core/demo/offprocess.py): ~3 s of CPU
and a few more of waiting per call, and these modules call it about a dozen times. The files depend only on
the warehouse's end (floored to 15 minutes) and the seed (tests/core/test_demo_warehouse.py proves that), so
each end is generated once per test process, through the real child, and every later demo with the same end
gets hard links to those files (chDB only reads them) and the same planted cases."""

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


@pytest.fixture(scope="session")
def generated_demos(tmp_path_factory: pytest.TempPathFactory) -> GeneratedDemos:
    return GeneratedDemos(tmp_path_factory.mktemp("generated-demos"))


@pytest.fixture(autouse=True)
def demo_generated_once(generated_demos: GeneratedDemos, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(project, "generate_in_child", generated_demos.generate)
