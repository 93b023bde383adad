"""The Dagster code servers of `tripl up`: one `dagster api grpc` per named code location of the project's
workspace.yaml, shared by the webserver and the daemon through a workspace written into DAGSTER_HOME that
points at them (`grpc_server` entries), as compose.yaml's `code` service is shared in a deployment.

Left to a `python_module` entry, the webserver and the daemon would each start a server of their own for
the location, importing the definitions twice (~3 s of CPU and ~250 MiB each). Runs are launched through
the location's server either way. Entries without a `location_name`, and kinds other than python_module,
python_file and python_package, are copied unchanged (the webserver and the daemon load those themselves)."""

from __future__ import annotations

import socket
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

HOST = "127.0.0.1"  # the code servers answer the stack's own processes only
# `dagster api grpc` option for each loadable kind's target key
TARGETS = {"python_module": ("module_name", "--module-name"), "python_file": ("relative_path", "--python-file"),
           "python_package": ("package_name", "--package-name")}


@dataclass(frozen=True)
class CodeServer:
    location: str
    port: int
    command: list[str]

    def ready(self) -> bool:
        """Whether the server accepts connections: it binds its port only once the definitions loaded."""
        try:
            with socket.create_connection((HOST, self.port), timeout=1.0):
                return True
        except OSError:
            return False


@dataclass(frozen=True)
class SharedWorkspace:
    servers: list[CodeServer]
    workspace: Path  # what the webserver and the daemon load


def share(workspace: Path, home: Path, log_level: str) -> SharedWorkspace:
    """Code servers for `workspace`'s named locations and the workspace file (in `home`) that uses them."""
    config = yaml.safe_load(workspace.read_text()) or {}
    servers: list[CodeServer] = []
    entries: list[Any] = []
    for entry in config.get("load_from") or []:
        server = _server(entry, workspace.parent, log_level)
        if server is None:
            entries.append(_absolute(entry, workspace.parent))
            continue
        servers.append(server)
        entries.append({"grpc_server": {"host": HOST, "port": server.port, "location_name": server.location}})
    shared = home / "workspace.yaml"
    shared.write_text(f"# written by `tripl up` from {workspace}: its code locations served once, shared by the "
                      "webserver and the daemon\n" + yaml.safe_dump({**config, "load_from": entries}, sort_keys=False))
    return SharedWorkspace(servers, shared)


def _server(entry: Any, base: Path, log_level: str) -> CodeServer | None:
    if not isinstance(entry, dict) or len(entry) != 1:
        return None
    [(kind, options)] = entry.items()
    if kind not in TARGETS or not isinstance(options, dict) or not options.get("location_name"):
        return None
    key, option = TARGETS[kind]
    target, working = str(options[key]), options.get("working_directory")
    if kind == "python_file":  # as Dagster reads it: paths from the workspace file's folder, which is the default
        target, working = str(base / target), str(base / str(working or "."))
    port = _free_port()
    command = [str(options.get("executable_path") or sys.executable), "-m", "dagster", "api", "grpc",
               option, target, "--location-name", str(options["location_name"]), "--host", HOST,
               "--port", str(port), "--log-level", log_level]
    if options.get("attribute"):
        command += ["--attribute", str(options["attribute"])]
    if working:
        command += ["--working-directory", str(working)]
    return CodeServer(str(options["location_name"]), port, command)


def _absolute(entry: Any, base: Path) -> Any:
    """An entry copied into DAGSTER_HOME keeps pointing at the project's files (Dagster reads a python_file's
    paths from the workspace file's folder; other kinds' paths are the processes' own, unchanged)."""
    if not isinstance(entry, dict) or "python_file" not in entry:
        return entry
    options = entry["python_file"]
    if isinstance(options, str):
        return {"python_file": str(base / options)}
    return {"python_file": {**options, "relative_path": str(base / str(options["relative_path"])),
                            "working_directory": str(base / str(options.get("working_directory") or "."))}}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])
