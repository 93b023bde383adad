"""The scan config record (SEMANTICS §2 "Scan config"): what to read from a data source and how rows become a
plan. Its own package, below the plan and the sources that refer to it; the scans domain runs it."""
