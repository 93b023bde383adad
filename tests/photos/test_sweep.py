"""The orphan sweep as Dagster runs it (materialised in-process): files no row on any branch references
are removed and listed in the materialisation; referenced and recent files stay."""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from dagster import materialize

from tests.photos import images
from tests.photos.conftest import S3_KEY, S3_SECRET, s3_client
from tests.photos.support import shop, stored_files, uploaded
from tests.photos.test_branches import _branch_copy
from tests.support.workspace import Workspace
from tripl_core.db.engine import Database
from tripl_core.settings import Settings
from tripl_pipelines.assets.photos import photo_files
from tripl_pipelines.resources import AppDatabase, PhotoStorage


def _run(settings: Settings, grace_minutes: int | None = None) -> dict[str, Any]:
    run_config = {"ops": {"photo_files": {"config": {"grace_minutes": grace_minutes}}}} \
        if grace_minutes is not None else None
    result = materialize([photo_files], run_config=run_config, resources={
        "app_db": AppDatabase(database_url=settings.resolved_database_url),
        "photo_storage": PhotoStorage(state_dir=str(settings.state_dir))})
    assert result.success
    [materialization] = result.asset_materializations_for_node("photo_files")
    return {key: value.value for key, value in materialization.metadata.items()}


def _orphan(settings: Settings, project_id: str, age_hours: float) -> Path:
    path = settings.state_dir / "photos" / project_id / f"{uuid.uuid4().hex}.png"
    path.write_bytes(images.png())
    then = time.time() - age_hours * 3600
    os.utime(path, (then, then))
    return path


def test_the_sweep_removes_only_old_unreferenced_files(ws: Workspace, db: Database, settings: Settings) -> None:
    place = shop(ws)
    kept = uploaded(ws.editor, place, images.png(color=(1, 2, 3)))
    on_branch = uploaded(ws.editor, place, images.png(color=(4, 5, 6)))
    copy = _branch_copy(db, place, on_branch["id"])
    ws.editor.delete(place.photos(f"/{on_branch['id']}"))  # main's row gone; the branch's copy remains
    old_orphan = _orphan(settings, kept["project_id"], age_hours=5)
    fresh_orphan = _orphan(settings, kept["project_id"], age_hours=0)
    stranger = settings.state_dir / "photos" / "README.txt"  # not a key we make: never touched
    stranger.write_text("not ours")
    for path in stored_files(settings.state_dir):
        if path not in (fresh_orphan, stranger):
            os.utime(path, (time.time() - 7200, time.time() - 7200))

    metadata = _run(settings)
    assert metadata["scanned"] == 4
    assert metadata["referenced"] == 2
    assert metadata["too_recent"] == 1
    assert metadata["removed"] == 1
    assert old_orphan.name in metadata["removed_files"]
    assert not old_orphan.exists()
    assert fresh_orphan.exists()
    assert stranger.exists()
    for photo_url in (kept["url"], copy.photos(place, f"/{copy.photo_id}/file")):
        assert ws.viewer.get(photo_url).status_code == 200

    again = _run(settings, grace_minutes=0)
    assert again["removed"] == 1
    assert fresh_orphan.name in again["removed_files"]
    assert _run(settings, grace_minutes=0)["removed"] == 0


def test_the_sweep_covers_the_s3_bucket(ws: Workspace, settings: Settings, s3_endpoint: str, s3_bucket: str,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {"TRIPL_S3_ENDPOINT_URL": s3_endpoint, "TRIPL_S3_BUCKET": s3_bucket,
                        "TRIPL_S3_ACCESS_KEY_ID": S3_KEY, "TRIPL_S3_SECRET_ACCESS_KEY": S3_SECRET,
                        "TRIPL_S3_PREFIX": "p/"}.items():
        monkeypatch.setenv(name, value)
    place = shop(ws)
    local_photo = uploaded(ws.editor, place, images.png())  # the app uploads locally (its settings)
    s3 = s3_client(s3_endpoint)
    orphan_key = f"p/{local_photo['project_id']}/{uuid.uuid4().hex}.png"
    s3.put_object(Bucket=s3_bucket, Key=orphan_key, Body=images.png())
    s3.put_object(Bucket=s3_bucket, Key="p/elsewhere/notes.txt", Body=b"not ours")

    metadata = _run(settings, grace_minutes=0)
    assert metadata["removed"] == 1
    assert f"s3:{orphan_key.removeprefix('p/')}" in metadata["removed_files"]
    keys = {item["Key"] for item in s3.list_objects_v2(Bucket=s3_bucket).get("Contents", [])}
    assert keys == {"p/elsewhere/notes.txt"}
    assert len(stored_files(settings.state_dir)) == 1  # the referenced local file stays
