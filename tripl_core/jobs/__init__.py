"""Jobs (SEMANTICS §2 "Jobs"): the `Job` model (models), the one lifecycle every status change goes through
(lifecycle), the one `launch` that starts a job's run once its row is committed (launch), the one map from
a Dagster run's status to a job status (run_status), and the job rows of scheduled metrics collections
(metrics_runs). Listing, retrying and dismissing jobs live in tripl_core.job_history, above the domains
that start runs."""
