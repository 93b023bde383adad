"""An in-process run never moves the API's own stdout and stderr (file descriptors 1 and 2 and sys.stdout /
sys.stderr): the server log keeps its lines and tracebacks after the first scan."""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from tests.pipelines.run_waits import finished_job
from tests.scans.support import SCANS, create_scan
from tests.sources.support import chdb_body, create_source
from tests.support import launching
from tests.support.workspace import Workspace
from tripl_pipelines.launcher import InProcessLauncher

client = launching.client
launcher = launching.launcher


def _streams() -> tuple[Any, ...]:
    return tuple((os.fstat(s.fileno()).st_dev, os.fstat(s.fileno()).st_ino) for s in (sys.stdout, sys.stderr))


def test_a_scan_run_leaves_the_processs_stdout_and_stderr_alone(ws: Workspace, tmp_path: Path,
                                                                launcher: InProcessLauncher,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    # The process's streams as a server has them: real files (pytest's capture would hide a redirect).
    out = (tmp_path / "stdout.log").open("w", buffering=1)
    err = (tmp_path / "stderr.log").open("w", buffering=1)
    monkeypatch.setattr(sys, "stdout", out)
    monkeypatch.setattr(sys, "stderr", err)
    from tests.sources.support import lake_fixture

    class _Factory:
        def mktemp(self, name: str) -> Path:
            folder = tmp_path / name
            folder.mkdir()
            return folder

    lake = lake_fixture(_Factory())  # type: ignore[arg-type]
    ws.project("shop")
    scan = create_scan(ws.owner, create_source(ws.owner, chdb_body(lake)))
    before = _streams()
    handlers = _handlers()
    seen: set[tuple[Any, ...]] = set()
    stop = threading.Event()

    def watch() -> None:
        while not stop.is_set():
            seen.add(_streams())
            time.sleep(0.001)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        for _ in range(2):
            job = ws.editor.post(f"{SCANS.format(slug='shop')}/{scan['id']}/run")
            assert job.status_code == 202, job.text
            done = finished_job(ws, launcher, scan, job.json()["id"])
            assert done["status"] == "succeeded", done
    finally:
        stop.set()
        watcher.join()
    print("api line after the runs")
    sys.stderr.write("api traceback after the runs\n")
    monkeypatch.undo()
    out.close()
    err.close()
    assert seen == {before}  # not even while the run was going
    assert "api line after the runs" in (tmp_path / "stdout.log").read_text()
    assert "api traceback after the runs" in (tmp_path / "stderr.log").read_text()
    # No logging handler of the process was pointed at a Dagster file (compute logs, telemetry).
    assert [h for h in _handlers() if h not in handlers and "dagster" in str(h[1])] == []


def _handlers() -> list[tuple[str, Any]]:
    found = []
    for name in ["", *logging.root.manager.loggerDict]:
        logger = logging.getLogger(name)
        found += [(name, getattr(h, "stream", h)) for h in logger.handlers]
    return found
