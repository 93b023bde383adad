"""Scratch folders in memory for the test databases.

Every database test clones a database from a template and throws it away afterwards. On a disk file system
those file creations, copies, syncs and removals are most of a clone's cost (PostgreSQL: ~180 ms of server
CPU and 0.3-0.6 s of wall time per clone on ext4, ~14 ms and ~30 ms on tmpfs; SQLite: ~25 ms of wall time
per test; docs/benchmarks.md, session 14). Nothing in them must outlive the run, so they go to /dev/shm when
the machine has it, and to the default temporary folder otherwise.

TRIPL_TEST_SCRATCH names another root (a disk folder, to compare, or where /dev/shm is too small).

Each folder's name carries the id of the process that made it, so a later run frees the memory of a run
that was killed before it could clean up (and not that of a run still going on the same machine).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

MEMORY_ROOT = Path("/dev/shm")
PREFIX = "tripl-test-"
# A container's /dev/shm is often 64 MB: a server's data directory (with its WAL, seeds and clones of up to
# three workers) would fill it and fail the run, so memory is used only with room to spare.
MIN_FREE_BYTES = 4 * 1024**3


def memory_folder(kind: str) -> Path:
    """A new, empty folder owned by this process: in memory when possible."""
    chosen = os.environ.get("TRIPL_TEST_SCRATCH")
    candidate = Path(chosen) if chosen else MEMORY_ROOT
    root = candidate if _usable(candidate, need_bytes=0 if chosen else MIN_FREE_BYTES) else None
    if root is not None:
        remove_abandoned(root)
    return Path(tempfile.mkdtemp(prefix=f"{PREFIX}{kind}-{os.getpid()}-", dir=root))


def _usable(root: Path, need_bytes: int) -> bool:
    if not (root.is_dir() and os.access(root, os.W_OK | os.X_OK)):
        return False
    stats = os.statvfs(root)
    return stats.f_bavail * stats.f_frsize >= need_bytes


def remove_abandoned(root: Path) -> None:
    """Remove the folders of test processes that no longer run, unless a PostgreSQL server still uses one."""
    for folder in root.glob(f"{PREFIX}*"):
        owner = _owner(folder.name)
        if owner is None or _alive(owner) or _server_alive(folder):
            continue
        shutil.rmtree(folder, ignore_errors=True)


def _owner(name: str) -> int | None:
    parts = name[len(PREFIX):].split("-")
    return int(parts[1]) if len(parts) > 2 and parts[1].isdigit() else None


def _server_alive(folder: Path) -> bool:
    pid_file = folder / "data" / "postmaster.pid"
    try:
        return pid_file.exists() and _alive(int(pid_file.read_text().split()[0]))
    except (OSError, ValueError, IndexError):
        return True  # unreadable (another user's server): leave it alone


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by another user
    return True
