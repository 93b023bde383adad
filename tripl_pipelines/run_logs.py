"""What a run prints: its console logger at INFO (`tripl_core.scans.launching.RUN_CONFIG`), the default
config of every tripl job, so runs started from the Dagster UI or in process are as quiet as launched ones."""

from __future__ import annotations

from typing import Any

from tripl_core.scans.launching import RUN_CONFIG

QUIET_RUN_CONFIG: dict[str, Any] = dict(RUN_CONFIG)
