"""The S3 backend against a real S3-compatible server (moto's server mode on 127.0.0.1): objects land in
the bucket cleaned of metadata, rows carry presigned links that work, downloads stream through the API,
and deletes respect rows on other branches."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from tests.photos import images
from tests.photos.conftest import S3_KEY, S3_SECRET, photo_settings, s3_client
from tests.photos.support import shop, stored_files, uploaded
from tests.photos.test_branches import _branch_copy
from tests.plan.support import ok
from tests.support.workspace import Workspace
from tripl_api.main import create_app
from tripl_core.db.engine import Database
from tripl_core.settings import Settings

PREFIX = "tenant-a/photos/"


@pytest.fixture
def settings(database_url: str, tmp_path: Path, s3_endpoint: str, s3_bucket: str) -> Settings:
    return photo_settings(database_url, tmp_path / "state", storage_backend="s3", s3_endpoint_url=s3_endpoint,
                          s3_bucket=s3_bucket, s3_prefix=PREFIX, s3_access_key_id=S3_KEY,
                          s3_secret_access_key=S3_SECRET, s3_presign_ttl_seconds=600)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def _objects(settings: Settings) -> dict[str, bytes]:
    s3 = s3_client(str(settings.s3_endpoint_url))
    listing = s3.list_objects_v2(Bucket=settings.s3_bucket).get("Contents", [])
    return {item["Key"]: s3.get_object(Bucket=settings.s3_bucket, Key=item["Key"])["Body"].read()
            for item in listing}


def test_uploads_go_to_the_bucket_without_metadata(ws: Workspace, settings: Settings) -> None:
    place = shop(ws)
    photo = uploaded(ws.editor, place, images.jpeg_with_gps(), "gps.jpg")
    assert photo["storage_backend"] == "s3"
    [(key, content)] = _objects(settings).items()
    assert key.startswith(PREFIX + photo["project_id"] + "/")
    assert key.endswith(".jpg")
    assert stored_files(settings.state_dir) == []  # nothing local
    assert len(content) == photo["size_bytes"]
    assert images.CAMERA.encode() not in content
    with Image.open(io.BytesIO(content)) as image:
        assert dict(image.getexif()) == {}
    head = s3_client(str(settings.s3_endpoint_url)).head_object(Bucket=settings.s3_bucket, Key=key)
    assert head["ContentType"] == "image/jpeg"


def test_rows_carry_a_working_presigned_link_and_the_api_streams_too(ws: Workspace, settings: Settings) -> None:
    place = shop(ws)
    photo = uploaded(ws.editor, place, images.png(), "screen one.png")
    link = photo["url"]
    assert link.startswith(str(settings.s3_endpoint_url))
    query: dict[str, Any] = parse_qs(urlparse(link).query)
    assert query["X-Amz-Expires"] == ["600"]
    assert "X-Amz-Signature" in query
    [content] = _objects(settings).values()

    direct = httpx.get(link)  # straight to the S3 server, no API involved
    assert direct.status_code == 200
    assert direct.content == content
    assert direct.headers["content-type"] == "image/png"

    [listed] = ok(ws.viewer.get(place.photos()))
    assert listed["url"].startswith(str(settings.s3_endpoint_url))
    via_api = ws.viewer.get(place.photos(f"/{photo['id']}/file"))
    assert via_api.status_code == 200
    assert via_api.content == content
    assert via_api.headers["x-content-type-options"] == "nosniff"
    assert via_api.headers["content-type"] == "image/png"
    assert "screen one.png" in via_api.headers["content-disposition"].replace("%20", " ")


def test_deletes_respect_rows_on_other_branches(ws: Workspace, db: Database, settings: Settings) -> None:
    place = shop(ws)
    photo = uploaded(ws.editor, place, images.png())
    copy = _branch_copy(db, place, photo["id"])
    ok(ws.editor.delete(place.photos(f"/{photo['id']}")), 204)
    assert len(_objects(settings)) == 1
    ok(ws.editor.delete(copy.photos(place, f"/{copy.photo_id}")), 204)
    assert _objects(settings) == {}


def test_a_lost_object_answers_404_not_500(ws: Workspace, settings: Settings) -> None:
    place = shop(ws)
    photo = uploaded(ws.editor, place, images.png())
    [key] = _objects(settings)
    s3_client(str(settings.s3_endpoint_url)).delete_object(Bucket=settings.s3_bucket, Key=key)
    response = ws.viewer.get(place.photos(f"/{photo['id']}/file"))
    assert response.status_code == 404
    assert "missing" in response.json()["detail"]
