"""The event-photos operations through HTTP: shapes, order, Figma links, comments, permissions, activity."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.photos import images
from tests.photos.support import shop, stored_files, upload, uploaded
from tests.plan.support import ok, url
from tests.support.workspace import Workspace
from tripl_core.settings import Settings

PHOTO_FIELDS = {"id", "event_id", "project_id", "kind", "original_filename", "content_type", "size_bytes",
                "storage_backend", "sort_order", "url", "external_url", "uploaded_by_user_id", "created_at"}
COMMENT_FIELDS = {"id", "photo_id", "parent_id", "user_id", "body", "created_at", "updated_at"}
FIGMA = "https://www.figma.com/design/AbC123/Checkout?node-id=1-2"


def test_upload_list_and_download(ws: Workspace, settings: Settings) -> None:
    place = shop(ws)
    photo = uploaded(ws.editor, place, images.png(), "checkout.png")
    assert set(photo) == PHOTO_FIELDS
    assert photo["kind"] == "photo"
    assert photo["storage_backend"] == "local"
    assert photo["event_id"] == place.event_id
    assert photo["sort_order"] == 0
    assert photo["original_filename"] == "checkout.png"
    assert photo["content_type"] == "image/png"
    assert photo["external_url"] is None
    assert photo["uploaded_by_user_id"] == str(ws.editor.user.id)  # type: ignore[union-attr]
    [path] = stored_files(settings.state_dir)
    assert photo["size_bytes"] == path.stat().st_size
    assert photo["url"] == place.photos(f"/{photo['id']}/file")
    assert ok(ws.viewer.get(place.photos())) == [photo]

    download = ws.viewer.get(photo["url"])
    assert download.status_code == 200
    assert download.content == path.read_bytes()
    assert download.headers["content-type"] == "image/png"
    assert download.headers["x-content-type-options"] == "nosniff"
    assert download.headers["content-disposition"] == "inline; filename=\"checkout.png\"; filename*=UTF-8''checkout.png"


def test_photos_keep_a_dense_order_and_reorder_lists_all(ws: Workspace) -> None:
    place = shop(ws)
    first = uploaded(ws.editor, place, images.png(color=(1, 1, 1)), "1.png")
    second = uploaded(ws.editor, place, images.png(color=(2, 2, 2)), "2.png")
    figma = ok(ws.editor.post(place.photos("/figma"), json={"url": FIGMA, "title": "Checkout flow"}), 201)
    assert [first["sort_order"], second["sort_order"], figma["sort_order"]] == [0, 1, 2]

    order = [figma["id"], first["id"], second["id"]]
    reordered = ok(ws.editor.patch(place.photos("/reorder"), json={"photo_ids": order}))
    assert [p["id"] for p in reordered] == order
    assert [p["sort_order"] for p in reordered] == [0, 1, 2]
    assert [p["id"] for p in ok(ws.viewer.get(place.photos()))] == order

    partial = ws.editor.patch(place.photos("/reorder"), json={"photo_ids": order[:2]})
    assert partial.status_code == 422
    assert "missing" in partial.json()["detail"]
    twice = ws.editor.patch(place.photos("/reorder"), json={"photo_ids": [*order, order[0]]})
    assert twice.status_code == 422
    stranger = ws.editor.patch(place.photos("/reorder"), json={"photo_ids": [*order, str(uuid.uuid4())]})
    assert stranger.status_code == 422

    ok(ws.editor.delete(place.photos(f"/{first['id']}")), 204)
    assert [(p["id"], p["sort_order"]) for p in ok(ws.viewer.get(place.photos()))] == \
        [(figma["id"], 0), (second["id"], 1)]


@pytest.mark.parametrize("link", ["https://figma.com/file/abc/Name", "https://www.figma.com/proto/x",
                                  "https://figma.com/board/x?node-id=1", FIGMA])
def test_figma_links_of_the_known_kinds_are_attached_without_fetching(ws: Workspace, link: str) -> None:
    place = shop(ws)
    spec = ok(ws.editor.post(place.photos("/figma"), json={"url": link, "title": "Spec"}), 201)
    assert set(spec) == PHOTO_FIELDS
    assert spec["kind"] == "figma"
    assert spec["external_url"] == link
    assert spec["url"] == link
    assert spec["original_filename"] == "Spec"
    assert spec["storage_backend"] is None
    missing = ws.viewer.get(place.photos(f"/{spec['id']}/file"))
    assert missing.status_code == 404
    assert "Figma" in missing.json()["detail"]


@pytest.mark.parametrize("link", ["http://figma.com/file/abc", "https://figma.com.evil.io/file/abc",
                                  "https://evil.io/figma.com/file/abc", "https://figma.com/files/abc",
                                  "https://figma.com/file/", "javascript:alert(1)", "https://www.figma.com/design"])
def test_other_links_are_refused(ws: Workspace, link: str) -> None:
    place = shop(ws)
    response = ws.editor.post(place.photos("/figma"), json={"url": link})
    assert response.status_code == 422, response.text
    assert "figma.com" in response.json()["detail"]
    assert ok(ws.viewer.get(place.photos())) == []


def test_comments_with_one_level_of_replies(ws: Workspace) -> None:
    place = shop(ws)
    photo = uploaded(ws.editor, place, images.png())
    comments = place.photos(f"/{photo['id']}/comments")
    top = ok(ws.editor.post(comments, json={"body": "Is this the right button?"}), 201)
    assert set(top) == COMMENT_FIELDS
    assert top["photo_id"] == photo["id"]
    assert top["parent_id"] is None
    assert top["user_id"] == str(ws.editor.user.id)  # type: ignore[union-attr]
    reply = ok(ws.owner.post(comments, json={"body": "Yes", "parent_id": top["id"]}), 201)
    assert reply["parent_id"] == top["id"]

    nested = ws.editor.post(comments, json={"body": "deeper", "parent_id": reply["id"]})
    assert nested.status_code == 422
    assert "one level" in nested.json()["detail"]
    other = uploaded(ws.editor, place, images.png(color=(9, 9, 9)))
    foreign = ws.editor.post(place.photos(f"/{other['id']}/comments"), json={"body": "x", "parent_id": top["id"]})
    assert foreign.status_code == 422
    assert ws.editor.post(comments, json={"body": ""}).status_code == 422
    assert ws.editor.post(comments, json={"body": "x" * 4001}).status_code == 422
    assert ws.editor.post(comments, json={"body": "x" * 4000}).status_code == 201

    listed = ok(ws.viewer.get(comments))
    assert [c["id"] for c in listed][:2] == [top["id"], reply["id"]]


def test_the_author_or_an_owner_deletes_and_replies_go_with_their_comment(ws: Workspace) -> None:
    place = shop(ws)
    photo = uploaded(ws.editor, place, images.png())
    comments = place.photos(f"/{photo['id']}/comments")
    by_owner = ok(ws.owner.post(comments, json={"body": "owner's"}), 201)
    by_editor = ok(ws.editor.post(comments, json={"body": "editor's"}), 201)
    ok(ws.owner.post(comments, json={"body": "reply", "parent_id": by_editor["id"]}), 201)

    refused = ws.editor.delete(f"{comments}/{by_owner['id']}")
    assert refused.status_code == 403
    assert "author" in refused.json()["detail"]
    assert ws.viewer.delete(f"{comments}/{by_editor['id']}").status_code == 403
    ok(ws.editor.delete(f"{comments}/{by_editor['id']}"), 204)  # the author; takes its reply along
    assert [c["id"] for c in ok(ws.viewer.get(comments))] == [by_owner["id"]]
    ok(ws.owner.delete(f"{comments}/{by_owner['id']}"), 204)
    assert ok(ws.viewer.get(comments)) == []
    assert ws.owner.delete(f"{comments}/{by_owner['id']}").status_code == 404


def test_deleting_a_photo_removes_its_comments_and_its_file(ws: Workspace, settings: Settings) -> None:
    place = shop(ws)
    photo = uploaded(ws.editor, place, images.png())
    comments = place.photos(f"/{photo['id']}/comments")
    ok(ws.editor.post(comments, json={"body": "note"}), 201)
    assert len(stored_files(settings.state_dir)) == 1
    ok(ws.editor.delete(place.photos(f"/{photo['id']}")), 204)
    assert stored_files(settings.state_dir) == []
    assert ws.viewer.get(comments).status_code == 404
    assert ws.editor.delete(place.photos(f"/{photo['id']}")).status_code == 404


def test_photo_changes_are_in_the_activity_feed(ws: Workspace) -> None:
    place = shop(ws)
    photo = uploaded(ws.editor, place, images.png(), "flow.png")
    ok(ws.editor.post(place.photos("/figma"), json={"url": FIGMA, "title": "Flow"}), 201)
    comment = ok(ws.editor.post(place.photos(f"/{photo['id']}/comments"), json={"body": "Looks right"}), 201)
    ok(ws.editor.delete(place.photos(f"/{photo['id']}/comments/{comment['id']}")), 204)
    ok(ws.editor.delete(place.photos(f"/{photo['id']}")), 204)
    feed = ok(ws.owner.get(f"/api/v1/activity/projects/{place.slug}"))
    entries: list[dict[str, Any]] = feed["items"] if isinstance(feed, dict) else feed
    kinds = [e["kind"] for e in entries]
    for kind in ("photo.uploaded", "photo.figma_attached", "photo.comment_added", "photo.comment_deleted",
                 "photo.deleted"):
        assert kind in kinds, kinds
    uploaded_entry = next(e for e in entries if e["kind"] == "photo.uploaded")
    assert "flow.png" in uploaded_entry["summary"]


def test_roles_and_keys(ws: Workspace) -> None:
    place = shop(ws)
    photo = uploaded(ws.editor, place, images.png())
    assert upload(ws.viewer, place.photos(), images.png()).status_code == 403
    assert upload(ws.anonymous, place.photos(), images.png()).status_code == 401
    read_key = ws.key(ws.editor, scope="read")
    assert upload(read_key, place.photos(), images.png()).status_code == 403
    assert read_key.get(photo["url"]).status_code == 200
    assert ws.anonymous.get(photo["url"]).status_code == 401
    assert ws.viewer.post(place.photos("/figma"), json={"url": FIGMA}).status_code == 403
    assert ws.viewer.delete(place.photos(f"/{photo['id']}")).status_code == 403
    assert ws.viewer.post(place.photos(f"/{photo['id']}/comments"), json={"body": "x"}).status_code == 403


def test_another_projects_key_cannot_reach_the_photos(ws: Workspace) -> None:
    place = shop(ws)
    photo = uploaded(ws.editor, place, images.png())
    ws.project("other", "Other")
    bound = ws.key(ws.owner, scope="write", project_slug="other")
    for response in (bound.get(photo["url"]), bound.get(place.photos()),
                     bound.get(place.photos(f"/{photo['id']}/comments")),
                     upload(bound, place.photos(), images.png()),
                     bound.delete(place.photos(f"/{photo['id']}"))):
        assert response.status_code == 404, response.text
    own = ws.key(ws.owner, scope="read", project_slug=place.slug)
    assert own.get(photo["url"]).status_code == 200


def test_ids_of_other_events_and_projects_are_unknown(ws: Workspace) -> None:
    place = shop(ws)
    photo = uploaded(ws.editor, place, images.png())
    other = shop(ws, "other")
    elsewhere = url(other.slug, f"/events/{other.event_id}/photos/{photo['id']}/file")
    assert ws.viewer.get(elsewhere).status_code == 404
    wrong_event = url(place.slug, f"/events/{other.event_id}/photos/{photo['id']}/file")
    assert ws.viewer.get(wrong_event).status_code == 404
    assert ws.viewer.get(url(place.slug, f"/events/{uuid.uuid4()}/photos")).status_code == 404
    assert upload(ws.editor, url(place.slug, f"/events/{uuid.uuid4()}/photos"), images.png()).status_code == 404
