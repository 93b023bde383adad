"""The service's row-limit defaults (runtime settings) applied to a new scan config."""

from __future__ import annotations

from tripl_core.scans.schemas import ScanConfigCreate
from tripl_core.service_settings.schema import RuntimeSettings


def with_row_limit_defaults(body: ScanConfigCreate, runtime: RuntimeSettings) -> ScanConfigCreate:
    """A new scan config that leaves its row limits unset (or null) gets the service's defaults."""
    defaults = {"scan_row_limit": runtime.scan_row_limit_default,
                "metrics_row_limit": runtime.metrics_row_limit_default}
    missing = {name: value for name, value in defaults.items() if getattr(body, name) is None
               or name not in body.model_fields_set}
    return body.model_copy(update=missing) if missing else body
