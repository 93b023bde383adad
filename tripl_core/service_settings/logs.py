"""Log level and JSON logs from the observability settings, applied to the root logger at start and
whenever the settings change (no restart)."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

from tripl_core.service_settings.schema import LOG_LEVELS, ObservabilitySettings

HANDLER_NAME = "tripl"


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {"time": datetime.fromtimestamp(record.created, UTC).isoformat().replace("+00:00", "Z"),
                 "level": record.levelname, "logger": record.name, "message": record.getMessage()}
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


PLAIN = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")


def configure(settings: ObservabilitySettings) -> None:
    root = logging.getLogger()
    root.setLevel(LOG_LEVELS[settings.log_level])
    handler = next((h for h in root.handlers if h.get_name() == HANDLER_NAME), None)
    if handler is None:
        handler = logging.StreamHandler()
        handler.set_name(HANDLER_NAME)
        root.addHandler(handler)
    handler.setFormatter(JsonFormatter() if settings.json_logs else PLAIN)
