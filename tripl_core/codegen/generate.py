"""The one entry the API and the CLI call: a language name → the generated source file."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum

from tripl_core.codegen import go, python, typescript
from tripl_core.plan.plan_reader import PlanSnapshot


class Language(StrEnum):
    typescript = "typescript"
    python = "python"
    go = "go"


FILE_NAMES = {Language.typescript: "tracking.ts", Language.python: "tracking.py", Language.go: "tracking.go"}
MEDIA_TYPES = {Language.typescript: "text/x-typescript", Language.python: "text/x-python", Language.go: "text/x-go"}
_GENERATORS: dict[Language, Callable[[PlanSnapshot], str]] = {
    Language.typescript: typescript.generate, Language.python: python.generate, Language.go: go.generate}


def generate(plan: PlanSnapshot, language: Language) -> str:
    return _GENERATORS[language](plan)
