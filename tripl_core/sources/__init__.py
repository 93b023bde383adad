"""Sources: warehouse connections (data sources) and the jobs that read them (previews, later scans)."""
