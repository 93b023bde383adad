"""Run launchers the API can be given (`create_app(settings, launcher=...)`): the Dagster webserver's
GraphQL API, or — when nothing was configured — one that fails jobs with a message saying so.
The in-process launcher lives with the pipelines (tripl_pipelines.launcher); tripl_cli chooses."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx

from tripl_core.jobs.launch import LaunchFailed
from tripl_core.jobs.models import Job, JobStatus
from tripl_core.jobs.run_status import job_status_of_run
from tripl_core.scans.launching import PARTITIONS, dagster_job_name, partition_key, run_config, run_tags

REPOSITORY = "__repository__"  # the repository name Dagster gives a `Definitions` object

ADD_PARTITION = """
mutation AddPartition($selector: RepositorySelector!, $name: String!, $key: String!) {
  addDynamicPartition(repositorySelector: $selector, partitionsDefName: $name, partitionKey: $key) {
    __typename
    ... on PythonError { message }
    ... on UnauthorizedError { message }
  }
}"""
LAUNCH_RUN = """
mutation LaunchRun($executionParams: ExecutionParams!) {
  launchRun(executionParams: $executionParams) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on Error { message }
    ... on RunConfigValidationInvalid { errors { message } }
  }
}"""
LOCATION_QUERY = """
query Location($selector: RepositorySelector!) {
  repositoryOrError(repositorySelector: $selector) { __typename }
}"""
TERMINATE_RUN = """
mutation TerminateRun($runId: String!) {
  terminateRun(runId: $runId) {
    __typename
    ... on TerminateRunFailure { message }
    ... on PythonError { message }
    ... on UnauthorizedError { message }
  }
}"""
RUN_STATUS = """
query RunStatus($runId: ID!) {
  runOrError(runId: $runId) {
    __typename
    ... on Run { status }
    ... on PythonError { message }
  }
}"""


class DagsterGraphQLLauncher:
    """Launches, terminates and reads runs through `<url>/graphql` of a Dagster webserver serving the
    `tripl` code location (workspace.yaml)."""

    def __init__(self, url: str, *, location: str = "tripl", timeout_seconds: float = 30.0,
                 startup_grace_seconds: float = 90.0, transport: httpx.BaseTransport | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.endpoint = url.rstrip("/") + "/graphql"
        self.selector = {"repositoryLocationName": location, "repositoryName": REPOSITORY}
        self._client = httpx.Client(timeout=timeout_seconds, transport=transport)
        # `tripl up` starts the API within seconds, while the webserver takes longer to bind and load the
        # code location: the first launch waits for it (bounded) instead of failing the job.
        self._startup_grace = startup_grace_seconds
        self._sleep = sleep
        self._ready = False

    def wait_until_ready(self, timeout_seconds: float | None = None) -> None:
        """Return once the webserver serves the code location; LaunchFailed after the timeout."""
        timeout = self._startup_grace if timeout_seconds is None else timeout_seconds
        deadline = time.monotonic() + timeout
        last = "no answer yet"
        while not self._ready:
            try:
                answer = self._call(LOCATION_QUERY, {"selector": self.selector})
                kind = answer["repositoryOrError"]["__typename"]
                self._ready = kind == "Repository"
                last = f"the code location answered {kind}"
            except LaunchFailed as error:
                last = error.message
            if not self._ready:
                if time.monotonic() >= deadline:
                    raise LaunchFailed(f"the Dagster webserver at {self.endpoint} did not serve the "
                                       f"{self.selector['repositoryLocationName']} code location within "
                                       f"{timeout:.0f} s ({last})")
                self._sleep(1.0)

    def launch(self, job: Job) -> str:
        self.wait_until_ready()
        key = partition_key(job)
        added = self._call(ADD_PARTITION, {"selector": self.selector, "name": PARTITIONS, "key": key})
        outcome = added["addDynamicPartition"]
        if outcome["__typename"] not in ("AddDynamicPartitionSuccess", "DuplicateDynamicPartitionError"):
            raise LaunchFailed(f"Dagster refused the partition: {outcome.get('message', outcome['__typename'])}")
        tags = {**run_tags(job), "dagster/partition": key}
        params = {"selector": {**self.selector, "jobName": dagster_job_name(job)}, "runConfigData": run_config(job),
                  "executionMetadata": {"tags": [{"key": k, "value": v} for k, v in tags.items()]}}
        launched = self._call(LAUNCH_RUN, {"executionParams": params})["launchRun"]
        if launched["__typename"] != "LaunchRunSuccess":
            errors = "; ".join(e["message"] for e in launched.get("errors", []))
            raise LaunchFailed(f"Dagster refused the run ({launched['__typename']}): "
                               f"{launched.get('message') or errors}")
        run_id: str = launched["run"]["runId"]
        return run_id

    def terminate(self, external_run_id: str) -> None:
        outcome = self._call(TERMINATE_RUN, {"runId": external_run_id})["terminateRun"]
        if outcome["__typename"] not in ("TerminateRunSuccess", "RunNotFoundError"):
            raise LaunchFailed(outcome.get("message") or outcome["__typename"])

    def status(self, external_run_id: str) -> JobStatus | None:
        outcome = self._call(RUN_STATUS, {"runId": external_run_id})["runOrError"]
        return job_status_of_run(outcome.get("status", "")) if outcome["__typename"] == "Run" else None

    def close(self) -> None:
        self._client.close()

    def _call(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        try:
            response = self._client.post(self.endpoint, json={"query": query, "variables": variables})
            response.raise_for_status()
            body = response.json()
        except (httpx.HTTPError, ValueError) as error:
            raise LaunchFailed(f"the Dagster webserver at {self.endpoint} did not answer: {error}") from None
        if body.get("errors"):
            raise LaunchFailed("Dagster GraphQL error: " + "; ".join(e.get("message", "") for e in body["errors"]))
        data: dict[str, Any] = body["data"]
        return data


class UnconfiguredLauncher:
    """The app was created without a launcher: every run fails at once, saying how to configure one."""

    MESSAGE = ("no Dagster is configured for this API: start it with `tripl up`, or set TRIPL_DAGSTER_URL "
               "to a Dagster webserver serving tripl_pipelines.definitions")

    def launch(self, job: Job) -> str:
        raise LaunchFailed(self.MESSAGE)

    def terminate(self, external_run_id: str) -> None:
        raise LaunchFailed(self.MESSAGE)

    def status(self, external_run_id: str) -> JobStatus | None:
        return None
