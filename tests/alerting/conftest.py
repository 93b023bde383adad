"""Alerting tests: the app allows private receivers (they run on 127.0.0.1), HTTP calls time out after
half a second, and mail goes to a local SMTP server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import TEST_SECRET
from tests.support.receivers import SmtpReceiver, smtp_receiver
from tripl_core.settings import Settings

TIMEOUT = 2.0  # a healthy local receiver answers well within it even on a busy machine


@pytest.fixture(scope="session")
def smtp() -> Iterator[SmtpReceiver]:
    with smtp_receiver() as receiver:
        yield receiver


@pytest.fixture
def settings(database_url: str, tmp_path: Path, smtp: SmtpReceiver) -> Settings:
    smtp.mails.clear()
    return Settings(state_dir=tmp_path / "state", database_url=database_url, secret_key=TEST_SECRET,
                    login_rate_limit="1000/minute", register_rate_limit="1000/minute",
                    outbound_allowed_hosts="127.0.0.1", alert_http_timeout_seconds=TIMEOUT,
                    smtp_host=smtp.host, smtp_port=smtp.port)
