"""Metrics (SEMANTICS §3, §4, §5 distribution drift): collected counts, signals, drifts, regressions."""
