"""Photos are branch rows: a branch copy points at the same stored file, a file goes only when no row on
any branch references it, and merged or closed branches refuse photo writes.

Branch creation is built elsewhere; here a working branch and its copies are written directly, the way a
branch copy looks (same `storage_key`, `origin_id` = the main row)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from tests.photos import images
from tests.photos.support import Shop, shop, stored_files, upload, uploaded
from tests.plan.support import ok
from tests.support.workspace import Workspace
from tripl_core.db.engine import Database
from tripl_core.photos.models import EventPhoto, PhotoComment
from tripl_core.plan.models import Branch, BranchStatus, Event, EventType, Project
from tripl_core.settings import Settings


@dataclass
class Copy:
    branch_id: str
    event_id: str
    photo_id: str

    def photos(self, place: Shop, path: str = "") -> str:
        return f"/api/v1/projects/{place.slug}/events/{self.event_id}/photos{path}?branch={self.branch_id}"


def _branch_copy(db: Database, place: Shop, photo_id: str, name: str = "feature/photos") -> Copy:
    """A working branch holding copies of the event type, the event and the photo (and its comments)."""
    with db.unit_of_work() as session:
        main_type = session.get(EventType, uuid.UUID(place.event_type_id))
        main_event = session.get(Event, uuid.UUID(place.event_id))
        main_photo = session.get(EventPhoto, uuid.UUID(photo_id))
        assert main_type is not None
        assert main_event is not None
        assert main_photo is not None
        project = session.get(Project, main_type.project_id)
        assert project is not None
        branch = Branch(project_id=project.id, name=name)
        session.add(branch)
        session.flush()
        event_type = EventType(project_id=project.id, branch_id=branch.id, origin_id=main_type.id,
                               name=main_type.name, display_name=main_type.display_name)
        session.add(event_type)
        session.flush()
        event = Event(project_id=project.id, branch_id=branch.id, origin_id=main_event.id,
                      event_type_id=event_type.id, name=main_event.name)
        session.add(event)
        session.flush()
        copy = EventPhoto(**{column: getattr(main_photo, column) for column in (
            "project_id", "kind", "original_filename", "content_type", "size_bytes", "storage_backend",
            "storage_key", "external_url", "sort_order", "uploaded_by_user_id")},
            branch_id=branch.id, origin_id=main_photo.id, event_id=event.id)
        session.add(copy)
        session.flush()
        return Copy(branch_id=str(branch.id), event_id=str(event.id), photo_id=str(copy.id))


def _set_status(db: Database, branch_id: str, status: BranchStatus) -> None:
    with db.unit_of_work() as session:
        branch = session.get(Branch, uuid.UUID(branch_id))
        assert branch is not None
        branch.status = status.value


def test_a_branch_copy_shares_the_file_and_serves_it(ws: Workspace, db: Database, settings: Settings) -> None:
    place = shop(ws)
    photo = uploaded(ws.editor, place, images.png())
    copy = _branch_copy(db, place, photo["id"])
    listed = ok(ws.viewer.get(copy.photos(place)))
    assert [p["id"] for p in listed] == [copy.photo_id]
    assert listed[0]["url"].endswith(f"/photos/{copy.photo_id}/file?branch={copy.branch_id}")
    main_bytes = ws.viewer.get(photo["url"]).content
    assert ws.viewer.get(listed[0]["url"]).content == main_bytes
    assert len(stored_files(settings.state_dir)) == 1
    # The main row's id is not a row of the branch, and the other way round.
    assert ws.viewer.get(copy.photos(place, f"/{photo['id']}/file").replace(copy.event_id, place.event_id)
                         ).status_code == 404


@pytest.mark.parametrize("delete_main_first", [True, False])
def test_the_file_goes_only_with_the_last_row_on_any_branch(ws: Workspace, db: Database, settings: Settings,
                                                           delete_main_first: bool) -> None:
    place = shop(ws)
    photo = uploaded(ws.editor, place, images.png())
    copy = _branch_copy(db, place, photo["id"])
    [stored] = stored_files(settings.state_dir)
    first, second = (place.photos(f"/{photo['id']}"), copy.photos(place, f"/{copy.photo_id}"))
    if not delete_main_first:
        first, second = second, first
    ok(ws.editor.delete(first), 204)
    assert stored.exists(), "another branch still references the file"
    remaining = copy.photos(place, f"/{copy.photo_id}/file") if delete_main_first else photo["url"]
    assert ws.viewer.get(remaining).status_code == 200
    ok(ws.editor.delete(second), 204)
    assert not stored.exists()


@pytest.mark.parametrize("status", [BranchStatus.merged, BranchStatus.closed])
def test_merged_and_closed_branches_refuse_photo_writes(ws: Workspace, db: Database, status: BranchStatus) -> None:
    place = shop(ws)
    photo = uploaded(ws.editor, place, images.png())
    copy = _branch_copy(db, place, photo["id"])
    comment = ok(ws.editor.post(copy.photos(place, f"/{copy.photo_id}/comments"), json={"body": "on the branch"}),
                 201)
    _set_status(db, copy.branch_id, status)
    writes = [
        upload(ws.editor, copy.photos(place), images.png()),
        ws.editor.post(copy.photos(place, "/figma"), json={"url": "https://figma.com/file/abc"}),
        ws.editor.patch(copy.photos(place, "/reorder"), json={"photo_ids": [copy.photo_id]}),
        ws.editor.delete(copy.photos(place, f"/{copy.photo_id}")),
        ws.editor.post(copy.photos(place, f"/{copy.photo_id}/comments"), json={"body": "late"}),
        ws.editor.delete(copy.photos(place, f"/{copy.photo_id}/comments/{comment['id']}")),
    ]
    for response in writes:
        assert response.status_code == 409, response.text
        assert status.value in response.json()["detail"]
    # Reads still work, and nothing changed.
    assert [p["id"] for p in ok(ws.viewer.get(copy.photos(place)))] == [copy.photo_id]
    assert ws.viewer.get(copy.photos(place, f"/{copy.photo_id}/file")).status_code == 200
    assert len(ok(ws.viewer.get(copy.photos(place, f"/{copy.photo_id}/comments")))) == 1


def test_comments_live_on_their_branch(ws: Workspace, db: Database) -> None:
    place = shop(ws)
    photo = uploaded(ws.editor, place, images.png())
    copy = _branch_copy(db, place, photo["id"])
    ok(ws.editor.post(copy.photos(place, f"/{copy.photo_id}/comments"), json={"body": "branch only"}), 201)
    assert ok(ws.viewer.get(place.photos(f"/{photo['id']}/comments"))) == []
    with db.unit_of_work() as session:
        [comment] = session.scalars(select(PhotoComment)).all()
        assert str(comment.branch_id) == copy.branch_id


def test_creating_a_branch_copies_photos_and_comments_onto_the_same_files(ws: Workspace, settings: Settings) -> None:
    place = shop(ws)
    photo = uploaded(ws.editor, place, images.png())
    comments = place.photos(f"/{photo['id']}/comments")
    root = ok(ws.editor.post(comments, json={"body": "where does this fire?"}), 201)
    ok(ws.editor.post(comments, json={"body": "on the cart page", "parent_id": root["id"]}), 201)
    branch = ok(ws.editor.post(f"/api/v1/projects/{place.slug}/branches", json={"name": "feature/photos"}), 201)
    events = ok(ws.viewer.get(f"/api/v1/projects/{place.slug}/events?branch={branch['id']}"))
    event_id = events["items"][0]["id"]
    on_branch = f"/api/v1/projects/{place.slug}/events/{event_id}/photos"
    listed = ok(ws.viewer.get(f"{on_branch}?branch={branch['id']}"))
    assert len(listed) == 1
    assert listed[0]["id"] != photo["id"]
    assert ws.viewer.get(listed[0]["url"]).content == ws.viewer.get(photo["url"]).content
    copied = ok(ws.viewer.get(f"{on_branch}/{listed[0]['id']}/comments?branch={branch['id']}"))
    bodies = {c["body"]: c for c in copied}
    assert set(bodies) == {"where does this fire?", "on the cart page"}
    assert bodies["on the cart page"]["parent_id"] == bodies["where does this fire?"]["id"]
    assert len(stored_files(settings.state_dir)) == 1
    ok(ws.editor.delete(f"{on_branch}/{listed[0]['id']}?branch={branch['id']}"), 204)
    assert len(stored_files(settings.state_dir)) == 1  # main still names the file
    assert ws.viewer.get(photo["url"]).status_code == 200
