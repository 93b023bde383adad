"""`${token}` templates in field and meta values. Templates are documentation: nothing substitutes them;
unknown tokens give advisory warnings, and renaming a variable rewrites its tokens."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable

TOKEN = re.compile(r"\$\{([^{}]*)\}")


def tokens(value: str) -> list[str]:
    """The distinct token names of `value`, in order of first appearance."""
    seen: dict[str, None] = {}
    for match in TOKEN.finditer(value):
        seen.setdefault(match.group(1).strip(), None)
    return list(seen)


def unknown_tokens(value: str, known: Collection[str]) -> list[str]:
    return [name for name in tokens(value) if name not in known]


def warnings_for(values: Iterable[tuple[str, str]], known: Collection[str]) -> list[str]:
    """Advisory warnings for `(label, value)` pairs whose templates name unknown variables."""
    out: list[str] = []
    for label, value in values:
        for name in unknown_tokens(value, known):
            out.append(f"{label}: ${{{name}}} is not a variable of this plan (the value is kept as written)")
    return out


def rename_token(value: str, old: str, new: str) -> str:
    """`${old}` → `${new}` (tolerating spaces inside the braces); other tokens are untouched."""
    return TOKEN.sub(lambda m: f"${{{new}}}" if m.group(1).strip() == old else m.group(0), value)


def mentions(value: str, name: str) -> bool:
    return name in tokens(value)
