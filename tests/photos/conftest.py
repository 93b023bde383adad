"""Photo tests: a 1 MB upload limit (so the size tests stay small) and a real S3-compatible server (moto in
server mode on 127.0.0.1) for the S3 backend."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

from tests.conftest import TEST_SECRET
from tripl_core.settings import Settings

S3_KEY = "photo-tests"
S3_SECRET = "photo-tests-secret"


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3_bucket(s3_endpoint: str) -> str:
    name = f"photos-{uuid.uuid4().hex[:12]}"
    s3_client(s3_endpoint).create_bucket(Bucket=name)
    return name


def s3_client(endpoint: str) -> Any:
    return boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=S3_KEY,
                        aws_secret_access_key=S3_SECRET)


def photo_settings(database_url: str, state_dir: Path, **extra: Any) -> Settings:
    return Settings(state_dir=state_dir, database_url=database_url, secret_key=TEST_SECRET,
                    login_rate_limit="1000/minute", register_rate_limit="1000/minute", photo_max_size_mb=1,
                    **extra)


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return photo_settings(database_url, tmp_path / "state")
