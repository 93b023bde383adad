"""Event tags: trimmed, lower-cased, de-duplicated, each at most 100 characters."""

from __future__ import annotations

from collections.abc import Iterable

from tripl_core.errors import InvalidInput

MAX_TAG_LENGTH = 100
MAX_TAGS = 100


def normalize(tags: Iterable[str]) -> list[str]:
    """Normalised tags in first-seen order; empty tags are dropped, over-long ones refused."""
    out: dict[str, None] = {}
    for raw in tags:
        tag = raw.strip().lower()
        if not tag:
            continue
        if len(tag) > MAX_TAG_LENGTH:
            raise InvalidInput(f"Tag '{tag[:40]}…' is longer than {MAX_TAG_LENGTH} characters")
        out.setdefault(tag, None)
    if len(out) > MAX_TAGS:
        raise InvalidInput(f"An event can carry at most {MAX_TAGS} tags ({len(out)} given)")
    return list(out)
