"""The folder a chDB data source reads: checked when the data source is saved and before each query, so a
path the operating system cannot even look up (too long, a NUL byte) is a clear refusal, not a crash."""

from __future__ import annotations

import os
from pathlib import Path

MAX_PATH_CHARS = 1000
_MAX_NAME_BYTES = 255  # the longest file name Linux and macOS file systems accept


def folder_problem(path: str) -> str | None:
    """Why `path` is not a readable folder of Parquet files on this server, or None when it is."""
    if not path:
        return "a chdb data source needs `path`: a folder of Parquet files on the server"
    if "\x00" in path:
        return "path contains a NUL byte"
    if len(path) > MAX_PATH_CHARS:
        return f"path is {len(path)} characters long; at most {MAX_PATH_CHARS} are allowed"
    expanded = Path(path).expanduser()
    long_part = next((part for part in expanded.parts if len(part.encode()) > _MAX_NAME_BYTES), None)
    if long_part is not None:
        return f"path has a component of {len(long_part.encode())} bytes; file systems allow at most {_MAX_NAME_BYTES}"
    try:
        resolved = expanded.resolve()
        exists, is_dir = resolved.exists(), resolved.is_dir()
    except (OSError, RuntimeError, ValueError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        return f"path '{path}' cannot be looked up on the server: {reason}"
    if not exists:
        return f"path '{path}' does not exist: it is not an existing folder on the server"
    if not is_dir:
        return f"path '{path}' is not an existing folder on the server (it is a file)"
    if not os.access(resolved, os.R_OK | os.X_OK):
        return f"path '{path}' is a folder the server cannot read"
    return None
