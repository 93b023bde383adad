"""`tripl up` serves each named code location of the project's workspace once, for the webserver and the
daemon alike: the workspace they load points at those servers, the rest of it is kept as Dagster reads it,
and the supervisor starts them only once the code servers accept connections."""

from __future__ import annotations

import os
import socket
import sys
import time
from pathlib import Path

import yaml

from tripl_cli import code_servers
from tripl_cli.code_servers import HOST
from tripl_cli.supervisor import Child, Supervisor

ROOT = Path(__file__).resolve().parents[2]


def test_the_projects_workspace_becomes_one_shared_server(tmp_path: Path) -> None:
    shared = code_servers.share(ROOT / "workspace.yaml", tmp_path, "warning")

    [server] = shared.servers
    assert server.location == "tripl"
    assert server.command[:5] == [sys.executable, "-m", "dagster", "api", "grpc"]
    options = server.command[5:]
    assert options[options.index("--module-name") + 1] == "tripl_pipelines.definitions"
    assert options[options.index("--attribute") + 1] == "defs"
    assert options[options.index("--host") + 1] == HOST
    assert options[options.index("--port") + 1] == str(server.port)
    assert "--working-directory" not in options  # a module's working directory is the processes' own
    assert shared.workspace == tmp_path / "workspace.yaml"
    assert yaml.safe_load(shared.workspace.read_text()) == {
        "load_from": [{"grpc_server": {"host": HOST, "port": server.port, "location_name": "tripl"}}]}


def test_files_are_read_from_the_workspace_folder_and_unnamed_entries_are_kept(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "workspace.yaml").write_text(yaml.safe_dump({"load_from": [
        {"python_file": {"relative_path": "defs/jobs.py", "location_name": "files", "attribute": "defs"}},
        {"python_file": "other.py"},
        {"python_module": "unnamed.module"},
        {"grpc_server": {"host": "code", "port": 4000, "location_name": "remote"}},
    ]}))
    home = tmp_path / "home"
    home.mkdir()

    shared = code_servers.share(project / "workspace.yaml", home, "info")

    [server] = shared.servers
    options = server.command[5:]
    assert options[options.index("--python-file") + 1] == str(project / "defs/jobs.py")
    assert options[options.index("--working-directory") + 1] == str(project)
    assert options[options.index("--log-level") + 1] == "info"
    assert yaml.safe_load(shared.workspace.read_text())["load_from"] == [
        {"grpc_server": {"host": HOST, "port": server.port, "location_name": "files"}},
        {"python_file": str(project / "other.py")},
        {"python_module": "unnamed.module"},
        {"grpc_server": {"host": "code", "port": 4000, "location_name": "remote"}},
    ]


def _listening_after(seconds: float, port_file: Path) -> str:
    """A child that binds a port only after `seconds` (as a code server does once its code loaded)."""
    return (f"import socket, time\ntime.sleep({seconds})\ns = socket.socket()\ns.bind(('127.0.0.1', 0))\n"
            f"s.listen()\nopen({str(port_file)!r}, 'w').write(str(s.getsockname()[1]))\ntime.sleep(600)\n")


def test_children_after_a_code_server_start_once_it_accepts_connections(tmp_path: Path) -> None:
    port_file, started = tmp_path / "port", tmp_path / "started"

    def ready() -> bool:
        if not port_file.exists() or not port_file.read_text():
            return False
        try:
            with socket.create_connection(("127.0.0.1", int(port_file.read_text())), timeout=1):
                return True
        except OSError:
            return False

    server = Child("code server", [sys.executable, "-c", _listening_after(1.0, port_file)], os.environ, ready=ready)
    after = Child("webserver", [sys.executable, "-c", f"open({str(started)!r}, 'w').write('x'); "
                                "import time; time.sleep(600)"], os.environ)
    supervisor = Supervisor([server, after], echo=lambda line: None)
    try:
        supervisor.start()
        assert ready()  # start() returned only once the server accepted connections...
        assert after.process is not None  # ...and then started the next child
        deadline = time.monotonic() + 60
        while not started.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert started.exists()
    finally:
        supervisor.stop(grace_seconds=5)


def test_a_code_server_that_exits_before_it_is_ready_does_not_hold_the_others(tmp_path: Path) -> None:
    server = Child("code server", [sys.executable, "-c", "import sys; sys.exit(4)"], os.environ,
                   ready=lambda: False)
    after = Child("webserver", [sys.executable, "-c", "import time; time.sleep(600)"], os.environ)
    supervisor = Supervisor([server, after], echo=lambda line: None)
    try:
        supervisor.start()
        assert server.exited() == 4
        assert after.process is not None  # started: `watch` restarts the server
        assert after.exited() is None
    finally:
        supervisor.stop(grace_seconds=5)
