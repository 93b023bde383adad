"""Plan branches: review, conflicts, merge, and revisions (snapshots of the whole plan)."""
