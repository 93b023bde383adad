"""The embedded engine's own process: one chDB session over one data source's folder.

chDB allows one engine per process, and a session sees every database of that engine, so data sources
are kept apart by giving each folder its own process (`chdb_pool` starts and ends them). The session holds
one database of VIEWs over the folder's Parquet files (`tripl_<hash of the folder>`): nothing is copied and
no on-disk chDB database is opened, so the API's child and any number of run processes read the same
folder at once without lock files. Views are refreshed when the folder's listing changes. The process is
fenced by the kernel (fs_fence, Landlock): it reads nothing outside its folder and the runtime's
libraries, and writes only in a scratch folder of its own, whatever SQL reaches it.

Run as a script, `python …/chdb_engine.py FOLDER ADDRESS_SPACE_BYTES` (by path, not `-m`: importing the
tripl_core.warehouse package would cost seconds of start-up this process never needs, so the module
imports only the standard library and loads `frames.py` and `fs_fence.py` beside it by path); it reads
requests from stdin and answers on stdout, one frame each, until stdin closes. Its address space is
capped (RLIMIT_AS) so a query that escapes chDB's own memory limit ends this process, never the API."""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import importlib.util
import os
import resource
import shutil
import sys
import tempfile
from pathlib import Path
from types import ModuleType
from typing import Any, BinaryIO

# Bounds on one query, inside the engine process's own address-space cap.
MAX_QUERY_MEMORY_BYTES = 2 * 1024**3
# Session settings: times print in UTC and numbers stay JSON numbers, so cells convert without guessing.
_SESSION_SETTINGS = (
    "session_timezone = 'UTC', output_format_json_quote_64bit_integers = 0, "
    "output_format_json_quote_decimals = 0, output_format_json_quote_denormals = 1"
)


def table_sources(folder: Path) -> dict[str, str]:
    """Table name → file glob: one table per `.parquet` file and per sub-folder holding Parquet files."""
    tables: dict[str, str] = {}
    for entry in sorted(folder.iterdir()):
        if entry.is_file() and entry.suffix == ".parquet":
            tables[entry.stem] = str(entry.resolve())
        elif entry.is_dir() and any(entry.glob("*.parquet")):
            tables[entry.name] = str(entry.resolve() / "*.parquet")
    return tables


def database_name(folder: Path) -> str:
    return "tripl_" + hashlib.sha1(str(folder).encode()).hexdigest()[:16]


def query_settings(timeout_seconds: float) -> str:
    """The SETTINGS clause tripl appends to every query it runs on chDB: read-only, DDL off, bounded in
    time and memory. A base query cannot carry its own SETTINGS (the guard refuses them
    anywhere in the tree), so these are the settings the whole query runs under."""
    return (
        f" SETTINGS readonly = 2, allow_ddl = 0, allow_introspection_functions = 0, "
        f"max_execution_time = {float(timeout_seconds)}, timeout_overflow_mode = 'throw', "
        f"max_memory_usage = {MAX_QUERY_MEMORY_BYTES}"
    )


def _fingerprint(folder: Path) -> tuple[tuple[str, int], ...]:
    return tuple(
        (str(path), path.stat().st_mtime_ns) for path in sorted(folder.rglob("*.parquet")) if path.is_file()
    )


def _string_literal(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


class FolderEngine:
    """The one session of this process and the views of its one folder."""

    def __init__(self, folder: Path, session: Any = None) -> None:
        """`session`: an existing chDB session to define the views in (a test's loopback ClickHouse server
        shares one); by default this process's own."""
        if session is None:
            from chdb import session as chdb_session  # only the engine process loads chDB

            session = chdb_session.Session()
            session.query(f"SET {_SESSION_SETTINGS}")
        self.folder = folder
        self.database = database_name(folder)
        self.session = session
        self._fingerprint: tuple[tuple[str, int], ...] | None = None

    def refresh(self) -> None:
        """(Re)create the folder's views when files were added, removed or rewritten."""
        fingerprint = _fingerprint(self.folder)
        if fingerprint == self._fingerprint:
            return
        self.session.query(f"DROP DATABASE IF EXISTS `{self.database}`")
        self.session.query(f"CREATE DATABASE `{self.database}` ENGINE = Memory")
        for table, source in table_sources(self.folder).items():
            quoted = "`" + table.replace("\\", "\\\\").replace("`", "\\`") + "`"
            self.session.query(
                f"CREATE VIEW `{self.database}`.{quoted} AS SELECT * FROM file({_string_literal(source)}, Parquet)"
            )
        self.session.query(f"USE `{self.database}`")
        self._fingerprint = fingerprint

    def run(self, sql: str, params: dict[str, Any], timeout_seconds: float) -> bytes:
        self.refresh()
        statement = sql.rstrip().rstrip(";") + query_settings(timeout_seconds)
        try:
            raw = self.session.query(statement, "JSONCompact", params=params or None)
        except Exception:
            self._flush()
            raise
        return bytes(raw.bytes())

    def _flush(self) -> None:
        """After a failed query (a timeout, say) chDB keeps the partial output it had written and prepends
        it to the next query's answer, which then is not one JSON document. A throwaway query takes it."""
        with contextlib.suppress(Exception):
            self.session.query("SELECT 1", "JSONCompact")


def _beside(name: str) -> ModuleType:
    """A standard-library-only module of this folder, loaded by path (see the module docstring)."""
    spec = importlib.util.spec_from_file_location(f"tripl_engine_{Path(name).stem}", Path(__file__).with_name(name))
    if spec is None or spec.loader is None:
        raise ImportError(f"{name} is missing beside chdb_engine.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def serve(folder: Path, frames: ModuleType, requests: BinaryIO, answers: BinaryIO) -> None:
    engine = FolderEngine(folder)
    frames.write(answers, ("ready", engine.database))
    while (request := frames.read(requests)) is not None:
        try:
            payload = engine.run(request["sql"], request["params"], request["timeout"])
        except Exception as error:  # chDB raises RuntimeError subclasses carrying the server message
            text = str(error).strip()
            frames.write(answers, ("error", text.splitlines()[0] if text else type(error).__name__))
        else:
            frames.write(answers, ("ok", payload))


def fence_in(folder: Path, scratch: str) -> None:
    """From here on this process reads only its folder, the runtime's libraries and system files, and
    writes only beneath `scratch` (fs_fence). Applied before chDB is imported, so chDB's threads are
    fenced too."""
    fence = _beside("fs_fence.py")
    chdb_spec = importlib.util.find_spec("chdb")  # finds the package without importing it
    chdb_folder = [str(Path(chdb_spec.origin).parent)] if chdb_spec and chdb_spec.origin else []
    read_only = [str(folder), *chdb_folder, *fence.runtime_paths(), os.path.join(sys.base_prefix, "lib"),
                 *fence.SYSTEM_PATHS]
    try:
        fence.restrict(read_only, [scratch, os.devnull])
    except OSError as error:  # no Landlock on this kernel: the SQL guard remains the only fence
        print(f"tripl chDB engine: filesystem fence not applied ({error})", file=sys.stderr)


def main() -> None:
    folder, address_space = Path(sys.argv[1]).resolve(), int(sys.argv[2])
    resource.setrlimit(resource.RLIMIT_AS, (address_space, address_space))
    os.chdir(folder)
    frames = _beside("frames.py")
    # chDB makes its embedded server's folder under the temporary folder: a private one, the only place
    # this process may write.
    scratch = tempfile.mkdtemp(prefix="tripl-chdb-")
    atexit.register(shutil.rmtree, scratch, True)
    os.environ["TMPDIR"] = scratch
    fence_in(folder, scratch)
    # The frames travel on the original stdout; anything chDB prints goes to stderr instead.
    answers = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    serve(folder, frames, sys.stdin.buffer, answers)


if __name__ == "__main__":
    main()
