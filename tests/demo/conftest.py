"""Every demo in these modules takes its warehouse from one generation per end (tests/support/demos.py)."""

from __future__ import annotations

import pytest

from tests.support.demos import GeneratedDemos, demos_generated_once


@pytest.fixture(scope="session")
def generated_demos(tmp_path_factory: pytest.TempPathFactory) -> GeneratedDemos:
    return GeneratedDemos(tmp_path_factory.mktemp("generated-demos"))


@pytest.fixture(autouse=True)
def demo_generated_once(generated_demos: GeneratedDemos, monkeypatch: pytest.MonkeyPatch) -> None:
    demos_generated_once(monkeypatch, generated_demos)
