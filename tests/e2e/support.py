"""What the end-to-end tests share: a `tripl up` on free ports and a fresh state dir, its output collected in a
file, bounded waits, and what to print when something did not happen (the up log, the project's jobs, the
Dagster runs and their step failures)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import httpx

ROOT = Path(__file__).resolve().parents[2]
TRIPL = Path(sys.executable).parent / "tripl"
STARTUP_SECONDS = 180  # generous: CI machines are shared
JOB_SECONDS = 900  # a run may queue behind the first metrics collection (28 days) on a loaded machine
T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# How often a wait asks again. Every look at an unfinished job is a Get Scan Job on the stack's API, which
# asks the Dagster webserver's GraphQL for the run's status: at 5 polls a second the stack spent more CPU
# answering the test than running the scans. The waits are for runs that take tens of seconds; one second
# more at the end of each is noise.
POLL_SECONDS = 1.0


def eventually(check: Callable[[], T | None], seconds: float, what: str,
               diagnostics: Callable[[], str] | None = None, every: float = POLL_SECONDS) -> T:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            found = check()
        except httpx.HTTPError:
            found = None
        if found is not None:
            return found
        time.sleep(every)
    raise AssertionError(f"{what} did not happen within {seconds:.0f} s"
                         + (f"\n{diagnostics()}" if diagnostics else ""))


class Up:
    """A running `tripl up`, its output collected in a file (read while it runs). `env` adds TRIPL_*
    settings; every TRIPL_* and DAGSTER_* variable of the caller's environment is left out."""

    def __init__(self, state_dir: Path, log: Path, env: dict[str, str] | None = None) -> None:
        self.api_port, self.dagster_port = free_port(), free_port()
        self.api = f"http://127.0.0.1:{self.api_port}/api/v1"
        self.dagster = f"http://127.0.0.1:{self.dagster_port}"
        self.state_dir = state_dir
        self.log = log
        clean = {key: value for key, value in os.environ.items() if not key.startswith(("TRIPL_", "DAGSTER_"))}
        self.env = {"TRIPL_STATE_DIR": str(state_dir), **(env or {})}  # what a CLI beside the stack needs
        clean |= {"PYTHONUNBUFFERED": "1", **self.env}
        self._out = log.open("wb")
        self.process = subprocess.Popen(
            [str(TRIPL), "up", "--port", str(self.api_port), "--dagster-port", str(self.dagster_port)],
            cwd=ROOT, env=clean, stdout=self._out, stderr=subprocess.STDOUT, start_new_session=True)

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> None:
        clock = os.environ.get("TRIPL_STACK_CLOCK")
        if clock:  # bench: the stack's CPU, read before it stops (see stack_cpu_seconds)
            with open(clock, "a") as out:
                out.write(json.dumps({"log": str(self.log), "cpu": round(stack_cpu_seconds(self.state_dir), 2)})
                          + "\n")
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        else:  # the supervisor is gone; its children must not outlive the test
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
        for line in processes_of(self.state_dir):  # whatever escaped the stop: never outlives the test
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(line.split()[0]), signal.SIGKILL)
        self._out.close()


def stack_cpu_seconds(state_dir: Path) -> float:
    """CPU seconds of every live process of the stack (all carry TRIPL_STATE_DIR), each with what its
    reaped children used: run workers and restarted code servers included, which the test process's own
    rusage misses when their parents are killed before reaping them."""
    marker = f"TRIPL_STATE_DIR={state_dir}".encode() + b"\0"
    ticks = 0
    for entry in Path("/proc").iterdir():
        try:
            if not entry.name.isdigit() or marker not in (entry / "environ").read_bytes() + b"\0":
                continue
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += sum(int(value) for value in fields[11:15])  # utime stime cutime cstime
    return ticks / os.sysconf("SC_CLK_TCK")


def processes_of(state_dir: Path) -> list[str]:
    """Every live process started for this state dir (they all inherit TRIPL_STATE_DIR, also those that
    left the process group), as `pid command` lines."""
    marker = f"TRIPL_STATE_DIR={state_dir}".encode() + b"\0"
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if marker not in (entry / "environ").read_bytes() + b"\0":
                continue
            status = (entry / "status").read_text()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if "\nState:\tZ" not in status:
            found.append(f"{entry.name} {command[:200]}")
    return found


def wait_for_job(client: httpx.Client, slug: str, scan_id: str, job_id: str,
                 diagnostics: Callable[[], str] | None = None) -> dict[str, Any]:
    """The job once finished; on timeout the error says the job's last state (and `diagnostics()`)."""
    seen: list[dict[str, Any]] = []

    def finished() -> dict[str, Any] | None:
        job: dict[str, Any] = client.get(f"/projects/{slug}/scans/{scan_id}/jobs/{job_id}").json()
        seen[:] = [job]
        return job if job["status"] in ("succeeded", "failed", "cancelled") else None

    def what_was_seen() -> str:
        last = json.dumps(seen[0])[:2000] if seen else "no answer"
        return f"last seen: {last}" + (f"\n{diagnostics()}" if diagnostics else "")

    return eventually(finished, JOB_SECONDS, f"job {job_id} finishing", what_was_seen)


RUNS_QUERY = """query { runsOrError(limit: 50) { __typename ... on Runs { results {
  runId jobName status tags { key value } } } } }"""
FAILURES_QUERY = """query($id: ID!) { runOrError(runId: $id) { __typename ... on Run { eventConnection {
  events { __typename ... on ExecutionStepFailureEvent { stepKey error { message } }
           ... on RunFailureEvent { message } } } } } }"""


def dagster_runs(up: Up) -> str:
    """Every Dagster run of the instance (job, partition, status) and the step errors of the failed ones."""
    lines = []
    with httpx.Client(base_url=up.dagster, timeout=30) as client:
        body = client.post("/graphql", json={"query": RUNS_QUERY}).json()
        for run in body["data"]["runsOrError"].get("results", []):
            tags = {tag["key"]: tag["value"] for tag in run["tags"]}
            lines.append(f"  {run['runId']} {run['jobName']} {tags.get('dagster/partition', '')} {run['status']}")
            if run["status"] == "FAILURE":
                failed = client.post("/graphql", json={"query": FAILURES_QUERY, "variables": {"id": run["runId"]}})
                events = failed.json()["data"]["runOrError"].get("eventConnection", {}).get("events", [])
                lines += [f"    {json.dumps(event)[:2000]}" for event in events if len(event) > 1]
    return "Dagster runs:\n" + "\n".join(lines)


def diagnostics(up: Up, client: httpx.Client | None = None, slug: str | None = None) -> str:
    """What to read when a wait ran out: the project's scan jobs, the Dagster runs, the end of the up log."""
    parts = []
    if client is not None and slug is not None:
        try:
            for scan in client.get(f"/projects/{slug}/scans").json():
                jobs = client.get(f"/projects/{slug}/scans/{scan['id']}/jobs").json()
                parts.append(f"Jobs of scan {scan['id']}:\n" + "\n".join(
                    f"  {job['id']} {job.get('kind')} {job['status']} {job.get('error_message') or ''}"
                    for job in jobs))
        except (httpx.HTTPError, KeyError, TypeError, ValueError) as error:
            parts.append(f"(jobs not read: {error!r})")
    try:
        parts.append(dagster_runs(up))
    except (httpx.HTTPError, KeyError, TypeError, ValueError, AttributeError) as error:
        parts.append(f"(Dagster runs not read: {error!r})")
    parts.append("tripl up output (end):\n" + up.output()[-6000:])
    return "\n".join(parts)
