"""`InProcessLauncher`: runs a job's Dagster job in a background thread of this process with
`execute_in_process`, on the same definitions bound to this process's app database and secret key.
Used by the tests and by `tripl scans run` when no Dagster webserver is configured.

Cancel is cooperative through the job row (`cancelling`), which the run checks; there is no process to
terminate. A run that fails before its code records the outcome still ends its job failed.

The instance does not capture compute logs (IN_PROCESS_OVERRIDES): the API's stdout and stderr stay its own.

The default Dagster instance is file-backed (SQLite files in a temporary directory, removed on `close`),
not `DagsterInstance.ephemeral()`: the ephemeral instance keeps its run storage in one in-memory
shared-cache SQLite database, where a read from another thread (a `status` check) that meets the run
thread's open write transaction fails at once with "database table is locked: runs" (shared-cache
table locks ignore the busy timeout), and the run thread's own writes fail the same way against a read
in progress. File-backed SQLite in WAL mode lets readers and the writer proceed together, and writers
wait for each other under a busy timeout. Its compute logs are off (`instance.no_compute_logs`), like `tripl up`'s."""

from __future__ import annotations

import tempfile
import threading
import uuid
from typing import Any

from dagster import DagsterInstance

from tripl_core.db.engine import Database
from tripl_core.jobs.models import Job, JobStatus
from tripl_core.jobs.run_status import job_status_of_run
from tripl_core.scans.launching import PARTITIONS, dagster_job_name, partition_key, run_config, run_tags
from tripl_pipelines import job_rows
from tripl_pipelines.definitions import build_definitions
from tripl_pipelines.instance import no_compute_logs
from tripl_pipelines.resources import AppDatabase, AppSecrets
from tripl_pipelines.sensors import failure_message

# A run in this process must not touch the process's stdout and stderr: Dagster's default compute log
# manager captures a run's output by dup2-ing file descriptors 1 and 2 onto a log file for the whole run,
# which sends the API's own log lines and tracebacks (every thread's) into that file; its capture also runs a
# `tail -F` child per stream and step, which outlives a run thread abandoned at interpreter exit. Runs here
# keep their structured logs (context.log) in the instance's event log instead; nothing redirects file
# descriptors. Telemetry stays off, as in dagster.yaml (it would add a handler writing under ~/.dagster).

IN_PROCESS_OVERRIDES: dict[str, Any] = {"compute_logs": no_compute_logs(), "telemetry": {"enabled": False}}


class InProcessLauncher:
    def __init__(self, database_url: str, secret_key: str, instance: DagsterInstance | None = None) -> None:
        self._storage: tempfile.TemporaryDirectory[str] | None = None
        if instance is None:
            self._storage = tempfile.TemporaryDirectory(prefix="tripl-dagster-")
            instance = DagsterInstance.local_temp(self._storage.name, overrides=IN_PROCESS_OVERRIDES)
        self.instance = instance
        self.definitions = build_definitions(AppDatabase(database_url=database_url),
                                             AppSecrets(secret_key=secret_key))
        self._db = Database(database_url)
        self._threads: dict[str, threading.Thread] = {}
        # Runs in one process run one after another: Dagster reconfigures Python logging
        # (logging.config.dictConfig, which takes the logging module's lock, then each handler's) when it
        # sets up a run, while a finishing run's events hold a handler's lock and then need the module's
        # lock: two overlapping runs deadlocked, and every thread that logged after them (API requests
        # included) with them.
        self._one_run_at_a_time = threading.Lock()

    def launch(self, job: Job) -> str:
        run_id = str(uuid.uuid4())  # what Dagster itself makes a run id from
        key, name, tags, config = partition_key(job), dagster_job_name(job), run_tags(job), run_config(job)
        thread = threading.Thread(target=self._execute, args=(job.id, name, key, tags, config, run_id),
                                  name=f"tripl-run-{run_id[:8]}", daemon=True)
        self._threads[run_id] = thread
        thread.start()
        return run_id

    def terminate(self, external_run_id: str) -> None:
        """Nothing to kill: the run stops at its next check of the job row, already `cancelling`."""

    def status(self, external_run_id: str) -> JobStatus | None:
        run = self.instance.get_run_by_id(external_run_id)
        return job_status_of_run(run.status.value) if run is not None else None

    def wait(self, external_run_id: str, timeout: float | None = None) -> bool:
        """Block until the run's thread ends; False when it is still running after `timeout` seconds."""
        thread = self._threads.get(external_run_id)
        if thread is not None:
            thread.join(timeout)
            return not thread.is_alive()
        return True

    def _execute(self, job_id: uuid.UUID, name: str, key: str, tags: dict[str, str], config: dict[str, Any],
                 run_id: str) -> None:
        """Run the job; then what the run status sensors do on Dagster: a job row the run's code left open
        ends with the run (succeeded with its summary, or failed with the run's error)."""
        try:
            with self._one_run_at_a_time:
                if not self.instance.has_dynamic_partition(PARTITIONS, key):
                    self.instance.add_dynamic_partitions(PARTITIONS, [key])
                result = self.definitions.resolve_job_def(name).execute_in_process(
                    run_config=config, instance=self.instance, partition_key=key, tags=tags, run_id=run_id,
                    raise_on_error=False)
            failure = None if result.success else failure_message(result.all_events)
        except Exception as error:  # the run could not even start
            failure = f"The run could not start: {error}"
        if failure is None:
            job_rows.end(self._db, job_id, JobStatus.succeeded)
        else:
            job_rows.end(self._db, job_id, JobStatus.failed, failure)

    def close(self) -> None:
        for thread in list(self._threads.values()):
            thread.join(timeout=30)
        self._db.dispose()
        if self._storage is not None:
            self.instance.dispose()
            self._storage.cleanup()
            self._storage = None

