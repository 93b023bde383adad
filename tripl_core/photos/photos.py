"""Photos of an event on a branch: list, upload, attach a Figma link, reorder, delete. Services flush;
the request commits. Files are written before the row (an aborted request leaves an orphan the sweep
removes) and released only after the deleting transaction commits (see files.py)."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tripl_core.access import activity
from tripl_core.access.principal import Principal
from tripl_core.errors import InvalidInput, NotFound
from tripl_core.photos import images, storage
from tripl_core.photos.config import StorageConfig
from tripl_core.photos.models import EventPhoto, PhotoKind
from tripl_core.photos.upload import ReceivedFile
from tripl_core.plan import events
from tripl_core.plan.branch_scope import PlanScope, get_row
from tripl_core.plan.models import Event

FIGMA_URL = re.compile(r"^https://(www\.)?figma\.com/(file|design|proto|board)/[^\s/?#][^\s]*$")


def require_event(session: Session, scope: PlanScope, event_id: uuid.UUID) -> None:
    events.get(session, scope, event_id)


def list_photos(session: Session, scope: PlanScope, event_id: uuid.UUID) -> list[EventPhoto]:
    event = events.get(session, scope, event_id)
    return _of_event(session, event)


def get(session: Session, scope: PlanScope, event_id: uuid.UUID, photo_id: uuid.UUID) -> EventPhoto:
    photo = get_row(session, scope, EventPhoto, photo_id, "Photo")
    if photo.event_id != event_id:
        raise NotFound(f"Photo {photo_id} not found on event {event_id}")
    return photo


def _of_event(session: Session, event: Event) -> list[EventPhoto]:
    return list(session.scalars(select(EventPhoto).where(EventPhoto.event_id == event.id)
                                .order_by(EventPhoto.sort_order, EventPhoto.created_at, EventPhoto.id)))


def _next_order(session: Session, event: Event) -> int:
    highest = session.scalar(select(func.max(EventPhoto.sort_order)).where(EventPhoto.event_id == event.id))
    return 0 if highest is None else highest + 1


def upload(session: Session, principal: Principal, scope: PlanScope, event_id: uuid.UUID,
           received: ReceivedFile, config: StorageConfig) -> EventPhoto:
    """Checks, cleans and stores the received image, then adds it last among the event's photos.

    The slow part (decode, re-encode, store) touches no database, so the caller need not hold a
    transaction through it; should the event vanish meanwhile, the stored file is an orphan for the sweep."""
    cleaned = images.clean(received.path, config.max_pixels, work_dir=received.path.parent)
    try:
        target = storage.for_uploads(config)
        key = f"{scope.project_id}/{uuid.uuid4().hex}.{cleaned.type.extension}"
        target.put(key, cleaned.path, cleaned.type.content_type)
        size_bytes = cleaned.size_bytes
    finally:
        Path(cleaned.path).unlink(missing_ok=True)
    event = events.get(session, scope, event_id)
    photo = EventPhoto(
        project_id=scope.project_id, branch_id=scope.branch_id, event_id=event.id, kind=PhotoKind.photo.value,
        original_filename=received.filename or f"photo.{cleaned.type.extension}",
        content_type=cleaned.type.content_type, size_bytes=size_bytes, storage_backend=target.name,
        storage_key=key, sort_order=_next_order(session, event), uploaded_by_user_id=principal.user.id)
    session.add(photo)
    session.flush()
    activity.record(session, scope.project, actor=principal, kind="photo.uploaded", entity_type="event",
                    entity_id=event.id, entity_name=event.name,
                    summary=f"Added a photo ({photo.original_filename}) to {event.name}",
                    details={"photo_id": str(photo.id), "branch_id": str(scope.branch_id)})
    return photo


def attach_figma(session: Session, principal: Principal, scope: PlanScope, event_id: uuid.UUID, url: str,
                 title: str) -> EventPhoto:
    """A link only: nothing is fetched from Figma."""
    event = events.get(session, scope, event_id)
    url = url.strip()
    if not FIGMA_URL.fullmatch(url):
        raise InvalidInput("url must be a Figma link: https://figma.com/(file|design|proto|board)/… "
                           "(www. allowed)")
    photo = EventPhoto(project_id=scope.project_id, branch_id=scope.branch_id, event_id=event.id,
                       kind=PhotoKind.figma.value, original_filename=title.strip(), external_url=url,
                       sort_order=_next_order(session, event), uploaded_by_user_id=principal.user.id)
    session.add(photo)
    session.flush()
    activity.record(session, scope.project, actor=principal, kind="photo.figma_attached", entity_type="event",
                    entity_id=event.id, entity_name=event.name,
                    summary=f"Attached a Figma spec{f' ({photo.original_filename})' if title.strip() else ''} "
                            f"to {event.name}",
                    details={"photo_id": str(photo.id), "url": url, "branch_id": str(scope.branch_id)})
    return photo


def reorder(session: Session, principal: Principal, scope: PlanScope, event_id: uuid.UUID,
            photo_ids: list[uuid.UUID]) -> list[EventPhoto]:
    """`photo_ids` lists every photo of the event, in the new order (sort_order becomes 0..n-1)."""
    event = events.get(session, scope, event_id)
    if len(set(photo_ids)) != len(photo_ids):
        raise InvalidInput("photo_ids lists a photo more than once")
    photos = {p.id: p for p in _of_event(session, event)}
    unknown = [str(i) for i in photo_ids if i not in photos]
    if unknown:
        raise InvalidInput(f"photo_ids are not photos of event '{event.name}': {', '.join(unknown)}")
    missing = [str(i) for i in photos if i not in set(photo_ids)]
    if missing:
        raise InvalidInput(f"photo_ids must list every photo of event '{event.name}'; missing: {', '.join(missing)}")
    for position, photo_id in enumerate(photo_ids):
        photos[photo_id].sort_order = position
    session.flush()
    activity.record(session, scope.project, actor=principal, kind="photo.reordered", entity_type="event",
                    entity_id=event.id, entity_name=event.name, summary=f"Reordered the photos of {event.name}")
    return [photos[i] for i in photo_ids]


def delete(session: Session, principal: Principal, scope: PlanScope, event_id: uuid.UUID,
           photo_id: uuid.UUID) -> tuple[str, str] | None:
    """Removes the row (and its comments); returns `(backend, key)` of its file for release after commit."""
    event = events.get(session, scope, event_id)
    photo = get(session, scope, event.id, photo_id)
    stored = (photo.storage_backend, photo.storage_key) if photo.storage_backend and photo.storage_key else None
    label = photo.original_filename or photo.kind
    session.delete(photo)
    session.flush()
    for position, sibling in enumerate(_of_event(session, event)):
        sibling.sort_order = position
    session.flush()
    activity.record(session, scope.project, actor=principal, kind="photo.deleted", entity_type="event",
                    entity_id=event.id, entity_name=event.name, summary=f"Removed a photo ({label}) from {event.name}",
                    details={"photo_id": str(photo_id), "branch_id": str(scope.branch_id)})
    return stored
