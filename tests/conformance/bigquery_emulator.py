"""A local BigQuery emulator (bqemulator, DuckDB-backed) for the GoogleSQL conformance tests.

The emulator lives in its own virtual environment, `.venv-bq`, made by `bigquery_emulator_setup.sh`
(idempotent, so the fixture always runs it: a clone that never ran it still tests BigQuery rather than
skipping). It is started as a subprocess on a free loopback port with an in-memory catalog, loaded with
the same fixture events as chDB and PostgreSQL through google-cloud-bigquery, and stopped afterwards.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import httpx
from google.api_core.client_options import ClientOptions
from google.auth.credentials import AnonymousCredentials
from google.cloud import bigquery

from tests.conformance.fixture_data import Event

REPO = Path(__file__).resolve().parents[2]
SETUP_SCRIPT = Path(__file__).with_name("bigquery_emulator_setup.sh")
VENV = REPO / ".venv-bq"
PROJECT = "tripl-conformance"
DATASET = "tripl_conformance"
SETUP_TIMEOUT_SECONDS = 900
START_TIMEOUT_SECONDS = 60

EVENTS_SCHEMA = [
    bigquery.SchemaField("id", "INT64"),
    bigquery.SchemaField("ts", "TIMESTAMP"),
    bigquery.SchemaField("category", "STRING"),
    bigquery.SchemaField("user_id", "STRING"),
    bigquery.SchemaField("properties", "STRING"),  # JSON text, as on chDB and PostgreSQL
]
SESSIONS_SCHEMA = [bigquery.SchemaField("session_id", "INT64"), bigquery.SchemaField("user_id", "STRING")]


@dataclass(frozen=True)
class BigQueryEmulator:
    endpoint: str
    project: str
    dataset: str

    def client(self) -> bigquery.Client:
        return bigquery.Client(
            project=self.project,
            credentials=AnonymousCredentials(),
            client_options=ClientOptions(api_endpoint=self.endpoint),
        )


def ensure_emulator_installed() -> None:
    """Run the (idempotent) setup script; a failure is an error, never a skip."""
    result = subprocess.run(
        ["bash", str(SETUP_SCRIPT)], capture_output=True, text=True, timeout=SETUP_TIMEOUT_SECONDS, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"{SETUP_SCRIPT.name} failed ({result.returncode}):\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
        )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_bigquery_emulator(project: str = PROJECT) -> Iterator[BigQueryEmulator]:
    ensure_emulator_installed()
    port = _free_port()
    env = {
        **os.environ,
        # DuckDB looks for extensions under $HOME/.duckdb: the setup script installed spatial there.
        "HOME": str(VENV / "duckdb-home"),
        # The avro extension is not shipped offline; without this the emulator tries to download it.
        "BQEMU_ENABLE_FORMAT_EXTENSIONS": "false",
        "BQEMU_METRICS_ENABLED": "false",
    }
    env.pop("BIGQUERY_EMULATOR_HOST", None)
    with tempfile.TemporaryFile(mode="w+") as log:
        process = subprocess.Popen(
            [
                str(VENV / "bin" / "bqemulator"), "start", "--ephemeral",
                "--rest-host", "127.0.0.1", "--rest-port", str(port),
                "--grpc-host", "127.0.0.1", "--grpc-port", "0",
                "--project", project, "--log-level", "warning", "--log-format", "console",
            ],
            env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, preexec_fn=_die_with_parent,
        )  # fmt: skip
        endpoint = f"http://127.0.0.1:{port}"
        try:
            _wait_until_ready(process, endpoint, log)
            yield BigQueryEmulator(endpoint, project, DATASET)
        finally:
            _stop(process)


def _die_with_parent() -> None:
    """Linux: the emulator gets SIGTERM when the test process dies without reaching its `finally`."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _wait_until_ready(process: subprocess.Popen[bytes], endpoint: str, log: IO[str]) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log.seek(0)
            raise RuntimeError(f"bqemulator exited with {process.returncode}:\n{log.read()[-4000:]}")
        try:
            if httpx.get(f"{endpoint}/readyz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    log.seek(0)
    raise RuntimeError(f"bqemulator was not ready within {START_TIMEOUT_SECONDS} s:\n{log.read()[-4000:]}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=1)  # in-memory, nothing to flush; a running query keeps it from stopping
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def load_events(emulator: BigQueryEmulator, events: list[Event]) -> None:
    """`events` and `sessions` in the emulator's dataset, the same rows chDB and PostgreSQL hold."""
    client = emulator.client()
    try:
        dataset = client.create_dataset(f"{emulator.project}.{emulator.dataset}", exists_ok=True)
        events_rows: list[dict[str, Any]] = [
            {"id": e.id, "ts": e.ts.isoformat(), "category": e.category, "user_id": e.user_id,
             "properties": e.properties}
            for e in events
        ]  # fmt: skip
        session_rows: list[dict[str, Any]] = [{"session_id": i, "user_id": f"u{i}"} for i in (1, 2, 3)]
        for name, schema, rows in (("events", EVENTS_SCHEMA, events_rows), ("sessions", SESSIONS_SCHEMA, session_rows)):
            table = client.create_table(bigquery.Table(dataset.table(name), schema=schema), exists_ok=True)
            errors = client.insert_rows_json(table, rows)
            if errors:
                raise RuntimeError(f"loading {name} into the emulator failed: {errors[:3]}")
    finally:
        client.close()
