"""What a run prints: its console logger at INFO, so the process output of `tripl up` (where run workers
write) carries the runs' own `context.log.info` lines and failures, not the ~15 DEBUG engine events per
step. Every event is still stored in the run's event log and shown in the Dagster UI."""

from __future__ import annotations

from typing import Any

QUIET_RUN_CONFIG: dict[str, Any] = {"loggers": {"console": {"config": {"log_level": "INFO"}}}}
