"""Jobs of every kind as people look back at them: listed newest first (per project or workspace-wide), and
a failed run retried over the same window or dismissed (SEMANTICS §2 "Jobs"). It sits above the domains
that start runs (a retry re-enqueues through scans), while tripl_core.jobs, the job row and its lifecycle,
sits below them."""
