"""App versions as SemVer (SEMANTICS §2 `app_version_column`): numeric parts compare numerically,
pre-releases (`1.2.0-beta.1`) are excluded, and only the newest `keep` releases keep their own series."""

from __future__ import annotations

import re
from collections.abc import Iterable

_VERSION = re.compile(r"^v?(\d+(?:\.\d+)*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$")


def release_key(version: str) -> tuple[int, ...] | None:
    """The sort key of a release (`2.10.0` > `2.9.3`), None for a pre-release or a non-version."""
    match = _VERSION.match(version.strip())
    if match is None or match.group(2):
        return None
    parts = [int(p) for p in match.group(1).split(".")]
    while len(parts) > 1 and parts[-1] == 0:  # 1.2 == 1.2.0
        parts.pop()
    return tuple(parts)


def newest_releases(versions: Iterable[str | None], keep: int) -> list[str]:
    """The `keep` newest releases among `versions`, newest first (pre-releases and junk excluded)."""
    releases = {v: key for v in versions if v and (key := release_key(v)) is not None}
    return sorted(releases, key=lambda v: (releases[v], v), reverse=True)[:max(keep, 0)]


def by_release(versions: Iterable[str]) -> list[str]:
    """Releases oldest first; `Other` and non-releases first of all."""
    return sorted(versions, key=lambda v: (release_key(v) or (-1,), v))
