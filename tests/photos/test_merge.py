"""A branch merge carries photo changes (issue 18), through HTTP on SQLite and PostgreSQL: photos added on the
branch reach main naming the same stored file, photos deleted there leave main (their file goes once no row
on any branch names it), reorders carry, and a delete against an edit conflicts."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from tests.photos import images
from tests.photos.support import Shop, shop, stored_files, uploaded
from tests.plan.support import ok, url
from tests.support.workspace import Workspace
from tripl_core.db.engine import Database
from tripl_core.photos.models import EventPhoto
from tripl_core.settings import Settings


def _branch_url(place: Shop, branch_id: str, path: str = "") -> str:
    return url(place.slug, f"/branches/{branch_id}{path}")


def _open_branch(ws: Workspace, place: Shop, name: str = "feature/photos") -> tuple[str, Shop]:
    """A new branch and the shop's event as copied onto it."""
    branch = ok(ws.editor.post(url(place.slug, "/branches"), json={"name": name}), 201)
    [event] = ok(ws.viewer.get(url(place.slug, f"/events?branch={branch['id']}")))["items"]
    return branch["id"], Shop(slug=place.slug, event_id=event["id"], event_type_id=event["event_type_id"])


def _approve_and_merge(ws: Workspace, place: Shop, branch_id: str) -> dict[str, Any]:
    ok(ws.editor.post(_branch_url(place, branch_id, "/transition"), json={"action": "submit"}))
    ok(ws.owner.post(_branch_url(place, branch_id, "/transition"), json={"action": "approve"}))
    merged: dict[str, Any] = ok(ws.editor.post(_branch_url(place, branch_id, "/merge")))
    return merged


def _main_photos(ws: Workspace, place: Shop) -> list[dict[str, Any]]:
    listed: list[dict[str, Any]] = ok(ws.viewer.get(place.photos()))
    return listed


def _storage_keys(db: Database) -> dict[str, set[str]]:
    """storage_key → ids of the branches whose rows name it."""
    with db.unit_of_work() as session:
        keyed: dict[str, set[str]] = {}
        for key, branch_id in session.execute(select(EventPhoto.storage_key, EventPhoto.branch_id)):
            if key is not None:
                keyed.setdefault(key, set()).add(str(branch_id))
        return keyed


def test_a_photo_uploaded_on_a_branch_reaches_main_on_the_same_file(ws: Workspace, db: Database,
                                                                    settings: Settings) -> None:
    place = shop(ws)
    branch_id, on_branch = _open_branch(ws, place)
    content = images.png()
    added = uploaded(ws.editor, on_branch, content, "cart.png", branch=branch_id)
    comments = on_branch.photos(f"/{added['id']}/comments", branch=branch_id)
    root = ok(ws.editor.post(comments, json={"body": "fires when the cart opens"}), 201)
    ok(ws.owner.post(comments, json={"body": "and on reload?", "parent_id": root["id"]}), 201)
    assert _main_photos(ws, place) == []

    diff = ok(ws.viewer.get(_branch_url(place, branch_id, "/diff")))
    photo_entries = [e for e in diff["entries"] if e["entity_type"] == "photo"]
    assert [(e["kind"], e["name"], e["parent"]) for e in photo_entries] == [("added", "cart.png", "checkout_started")]
    changed = {c["field"]: c["after"] for c in photo_entries[0]["field_changes"]}
    assert changed["event"] == "checkout_started"
    assert changed["kind"] == "photo"
    assert changed["content_type"] == "image/png"
    assert diff["summary"]["by_entity_type"]["photo_comment"]["added"] == 2

    _approve_and_merge(ws, place, branch_id)
    [on_main] = _main_photos(ws, place)
    assert on_main["id"] != added["id"]
    assert on_main["original_filename"] == "cart.png"
    assert ws.viewer.get(on_main["url"]).content == ws.viewer.get(added["url"]).content
    assert len(stored_files(settings.state_dir)) == 1, "the merge points at the branch's file, no copy"
    [(key, branches)] = _storage_keys(db).items()
    assert len(branches) == 2  # main's new row and the (merged) branch's row name one file
    # The review discussion came along, replies still under their comment.
    merged_comments = ok(ws.viewer.get(place.photos(f"/{on_main['id']}/comments")))
    by_body = {c["body"]: c for c in merged_comments}
    assert set(by_body) == {"fires when the cart opens", "and on reload?"}
    assert by_body["and on reload?"]["parent_id"] == by_body["fires when the cart opens"]["id"]

    # The merge revision holds the photo, and a revision diff names it like any entity.
    revisions = ok(ws.viewer.get(url(place.slug, "/revisions")))["items"]
    merge_revision, base_revision = revisions[0], revisions[-1]
    assert merge_revision["entity_counts"]["photos"] == 1
    revision_diff = ok(ws.viewer.get(url(place.slug, f"/revisions/{base_revision['id']}/diff"
                                                     f"?compare_to={merge_revision['id']}")))
    assert [(e["entity_type"], e["kind"], e["name"], e["parent"]) for e in revision_diff["entries"]
            if e["entity_type"] == "photo"] == [("photo", "added", "cart.png", "checkout_started")]
    assert stored_files(settings.state_dir) == [settings.state_dir / "photos" / key]


def test_a_photo_deleted_on_a_branch_leaves_main_and_its_file_goes_with_the_last_row(
        ws: Workspace, db: Database, settings: Settings) -> None:
    place = shop(ws)
    kept = uploaded(ws.editor, place, images.png(), "kept.png")
    doomed = uploaded(ws.editor, place, images.png(color=(30, 30, 200)), "doomed.png")
    assert len(stored_files(settings.state_dir)) == 2
    branch_id, on_branch = _open_branch(ws, place)
    other_id, _ = _open_branch(ws, place, "feature/other")  # its copy still names the file after the merge
    copies = {p["original_filename"]: p for p in ok(ws.viewer.get(on_branch.photos(branch=branch_id)))}
    ok(ws.editor.delete(on_branch.photos(f"/{copies['doomed.png']['id']}", branch=branch_id)), 204)

    diff = ok(ws.viewer.get(_branch_url(place, branch_id, "/diff")))
    assert [(e["kind"], e["name"]) for e in diff["entries"] if e["entity_type"] == "photo"] == \
        [("removed", "doomed.png")]
    _approve_and_merge(ws, place, branch_id)
    assert [p["original_filename"] for p in _main_photos(ws, place)] == ["kept.png"]
    assert ws.viewer.get(doomed["url"]).status_code == 404
    doomed_key = next(k for k, b in _storage_keys(db).items() if b == {other_id})
    assert len(stored_files(settings.state_dir)) == 2, "the other branch's copy still names the file"
    assert ws.viewer.get(kept["url"]).status_code == 200

    [other_event] = ok(ws.viewer.get(url(place.slug, f"/events?branch={other_id}")))["items"]
    on_other = Shop(slug=place.slug, event_id=other_event["id"], event_type_id=other_event["event_type_id"])
    other_copy = next(p for p in ok(ws.viewer.get(on_other.photos(branch=other_id)))
                      if p["original_filename"] == "doomed.png")
    ok(ws.editor.delete(on_other.photos(f"/{other_copy['id']}", branch=other_id)), 204)
    assert doomed_key not in _storage_keys(db)
    assert len(stored_files(settings.state_dir)) == 1, "the last row naming the file went, and the file with it"


def test_the_file_of_a_photo_only_main_held_is_removed_by_the_merge(ws: Workspace, settings: Settings) -> None:
    place = shop(ws)
    uploaded(ws.editor, place, images.png(), "doomed.png")
    branch_id, on_branch = _open_branch(ws, place)
    [copy] = ok(ws.viewer.get(on_branch.photos(branch=branch_id)))
    ok(ws.editor.delete(on_branch.photos(f"/{copy['id']}", branch=branch_id)), 204)
    assert len(stored_files(settings.state_dir)) == 1, "main still names the file"
    _approve_and_merge(ws, place, branch_id)
    assert _main_photos(ws, place) == []
    assert stored_files(settings.state_dir) == []


def test_a_reorder_and_both_sides_adding_photos_merge_without_conflict(ws: Workspace, settings: Settings) -> None:
    place = shop(ws)
    first = uploaded(ws.editor, place, images.png(), "first.png")
    second = uploaded(ws.editor, place, images.png(color=(10, 200, 10)), "second.png")
    branch_id, on_branch = _open_branch(ws, place)
    copies = {p["original_filename"]: p["id"] for p in ok(ws.viewer.get(on_branch.photos(branch=branch_id)))}
    ok(ws.editor.patch(on_branch.photos("/reorder", branch=branch_id),
                       json={"photo_ids": [copies["second.png"], copies["first.png"]]}))
    uploaded(ws.editor, on_branch, images.png(color=(1, 2, 3)), "from-branch.png", branch=branch_id)
    uploaded(ws.editor, place, images.png(color=(4, 5, 6)), "from-main.png")

    conflicts = ok(ws.viewer.get(_branch_url(place, branch_id, "/conflicts")))
    assert conflicts["unresolved_count"] == 0
    _approve_and_merge(ws, place, branch_id)
    names = [p["original_filename"] for p in _main_photos(ws, place)]
    assert names[:2] == ["second.png", "first.png"]
    assert sorted(names[2:]) == ["from-branch.png", "from-main.png"]
    assert {p["id"] for p in _main_photos(ws, place)} >= {first["id"], second["id"]}
    assert len(stored_files(settings.state_dir)) == 4


def test_deleting_a_photo_main_reordered_conflicts_until_resolved(ws: Workspace, settings: Settings) -> None:
    place = shop(ws)
    first = uploaded(ws.editor, place, images.png(), "first.png")
    second = uploaded(ws.editor, place, images.png(color=(10, 200, 10)), "second.png")
    branch_id, on_branch = _open_branch(ws, place)
    copies = {p["original_filename"]: p["id"] for p in ok(ws.viewer.get(on_branch.photos(branch=branch_id)))}
    ok(ws.editor.delete(on_branch.photos(f"/{copies['first.png']}", branch=branch_id)), 204)
    ok(ws.editor.patch(place.photos("/reorder"), json={"photo_ids": [second["id"], first["id"]]}))

    conflicts = ok(ws.viewer.get(_branch_url(place, branch_id, "/conflicts")))
    assert conflicts["unresolved_count"] == 1
    [entity] = conflicts["entities"]
    assert (entity["entity_type"], entity["entity_key"], entity["entity_name"], entity["parent"]) == \
        ("photo", first["id"], "first.png", "checkout_started")
    [conflict] = entity["fields"]
    assert (conflict["field_name"], conflict["kind"]) == ("*", "edit_delete")

    ok(ws.editor.post(_branch_url(place, branch_id, "/transition"), json={"action": "submit"}))
    ok(ws.owner.post(_branch_url(place, branch_id, "/transition"), json={"action": "approve"}))
    refused = ws.owner.post(_branch_url(place, branch_id, "/merge?force=true"))
    assert refused.status_code == 409
    assert "unresolved" in refused.json()["detail"]
    assert len(_main_photos(ws, place)) == 2

    resolution = {"entity_type": "photo", "entity_name": "first.png", "field_name": "*"}
    custom = ws.editor.post(_branch_url(place, branch_id, "/resolutions"),
                            json={**resolution, "choice": "custom", "value": 3})
    assert custom.status_code == 422
    ok(ws.editor.post(_branch_url(place, branch_id, "/resolutions"), json={**resolution, "choice": "theirs"}), 201)
    ok(ws.owner.post(_branch_url(place, branch_id, "/merge?force=true")))
    assert [p["id"] for p in _main_photos(ws, place)] == [second["id"]]
    assert len(stored_files(settings.state_dir)) == 1


def test_a_comment_on_main_against_a_delete_on_the_branch_keeps_the_photo_with_ours(ws: Workspace,
                                                                                  settings: Settings) -> None:
    place = shop(ws)
    photo = uploaded(ws.editor, place, images.png(), "shot.png")
    branch_id, on_branch = _open_branch(ws, place)
    [copy] = ok(ws.viewer.get(on_branch.photos(branch=branch_id)))
    ok(ws.editor.delete(on_branch.photos(f"/{copy['id']}", branch=branch_id)), 204)
    ok(ws.editor.post(place.photos(f"/{photo['id']}/comments"), json={"body": "still needed"}), 201)
    [entity] = ok(ws.viewer.get(_branch_url(place, branch_id, "/conflicts")))["entities"]
    assert (entity["entity_type"], entity["fields"][0]["kind"]) == ("photo", "edit_delete")
    ok(ws.editor.post(_branch_url(place, branch_id, "/resolutions"),
                      json={"entity_type": "photo", "entity_name": "shot.png", "field_name": "*", "choice": "ours"}),
       201)
    ok(ws.owner.post(_branch_url(place, branch_id, "/merge?force=true")))
    assert [p["id"] for p in _main_photos(ws, place)] == [photo["id"]]
    assert [c["body"] for c in ok(ws.viewer.get(place.photos(f"/{photo['id']}/comments")))] == ["still needed"]
    assert ws.viewer.get(photo["url"]).status_code == 200
    assert len(stored_files(settings.state_dir)) == 1
