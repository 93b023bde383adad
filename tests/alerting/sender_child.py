"""A sender in a process of its own, for the crash test: `python -m tests.alerting.sender_child ARGS_JSON`
sends the given deliveries with `send_all` on the real clock, as the sensor would, until it is killed.
ARGS_JSON: {"database_url", "state_dir", "secret_key", "timeout", "delivery_ids"}."""

from __future__ import annotations

import json
import sys
import uuid
from pathlib import Path

from tripl_core.alerting import deliveries
from tripl_core.alerting.deliveries import Sender
from tripl_core.alerting.sending import ChannelPolicy
from tripl_core.db.engine import Database
from tripl_core.security import SecretBox
from tripl_core.settings import Settings


def main(raw: str) -> None:
    args = json.loads(raw)
    settings = Settings(state_dir=Path(args["state_dir"]), database_url=args["database_url"],
                        secret_key=args["secret_key"], outbound_allowed_hosts="127.0.0.1",
                        alert_http_timeout_seconds=args["timeout"])
    sender = Sender(box=SecretBox(settings.resolved_secret_key), policy=ChannelPolicy.from_settings(settings))
    db = Database(settings.database_url)
    print("ready", flush=True)
    deliveries.send_all(db, [uuid.UUID(d) for d in args["delivery_ids"]], sender)
    print("done", flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
