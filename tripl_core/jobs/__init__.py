"""Jobs (SEMANTICS §2 "Jobs"): the `Job` model (models), the one lifecycle every status change goes through
(lifecycle), the one `launch` that starts a job's run once its row is committed (launch), the one map from
a Dagster run's status to a job status (run_status); then listing (per project and workspace-wide),
retrying a failed run over the same window or dismissing it (retries), and the job rows of scheduled
metrics collections (metrics_runs)."""
