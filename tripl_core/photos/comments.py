"""Comments on a photo: one level of replies; the author or an owner deletes, and a comment's replies go
with it."""

from __future__ import annotations

import uuid

from sqlalchemy import delete as sql_delete
from sqlalchemy import select
from sqlalchemy.orm import Session

from tripl_core.access import activity
from tripl_core.access.models import UserRole
from tripl_core.access.principal import Principal
from tripl_core.errors import InvalidInput, NotFound, PermissionDenied
from tripl_core.photos import photos
from tripl_core.photos.models import EventPhoto, PhotoComment
from tripl_core.plan import events
from tripl_core.plan.branch_scope import PlanScope

PREVIEW = 80


def list_comments(session: Session, scope: PlanScope, event_id: uuid.UUID, photo_id: uuid.UUID) -> list[PhotoComment]:
    photo = photos.get(session, scope, event_id, photo_id)
    return list(session.scalars(select(PhotoComment).where(PhotoComment.photo_id == photo.id)
                                .order_by(PhotoComment.created_at, PhotoComment.id)))


def _comment(session: Session, photo: EventPhoto, comment_id: uuid.UUID) -> PhotoComment:
    comment = session.get(PhotoComment, comment_id)
    if comment is None or comment.photo_id != photo.id:
        raise NotFound(f"Comment {comment_id} not found on photo {photo.id}")
    return comment


def create(session: Session, principal: Principal, scope: PlanScope, event_id: uuid.UUID, photo_id: uuid.UUID,
           body: str, parent_id: uuid.UUID | None) -> PhotoComment:
    photo = photos.get(session, scope, event_id, photo_id)
    if not body.strip():
        raise InvalidInput("body is empty")
    if parent_id is not None:
        parent = session.get(PhotoComment, parent_id)
        if parent is None or parent.photo_id != photo.id:
            raise InvalidInput(f"parent_id {parent_id} is not a comment on this photo")
        if parent.parent_id is not None:
            raise InvalidInput("Replies have one level: answer the top-level comment "
                               f"{parent.parent_id} instead of a reply")
    comment = PhotoComment(photo_id=photo.id, parent_id=parent_id, user_id=principal.user.id, body=body,
                           branch_id=scope.branch_id)
    session.add(comment)
    session.flush()
    event = events.get(session, scope, event_id)
    activity.record(session, scope.project, actor=principal, kind="photo.comment_added", entity_type="event",
                    entity_id=event.id, entity_name=event.name,
                    summary=f"Commented on a photo of {event.name}: {_preview(body)}",
                    details={"photo_id": str(photo.id), "comment_id": str(comment.id),
                             "parent_id": str(parent_id) if parent_id else None})
    return comment


def delete(session: Session, principal: Principal, scope: PlanScope, event_id: uuid.UUID, photo_id: uuid.UUID,
           comment_id: uuid.UUID) -> None:
    photo = photos.get(session, scope, event_id, photo_id)
    comment = _comment(session, photo, comment_id)
    if comment.user_id != principal.user.id and principal.role != UserRole.owner:
        raise PermissionDenied("Only the comment's author or an owner can delete it")
    replies = session.execute(sql_delete(PhotoComment).where(PhotoComment.parent_id == comment.id))
    session.delete(comment)
    session.flush()
    event = events.get(session, scope, event_id)
    activity.record(session, scope.project, actor=principal, kind="photo.comment_deleted", entity_type="event",
                    entity_id=event.id, entity_name=event.name,
                    summary=f"Deleted a comment on a photo of {event.name}",
                    details={"photo_id": str(photo.id), "comment_id": str(comment_id),
                             "replies_deleted": getattr(replies, "rowcount", 0)})


def _preview(body: str) -> str:
    text = " ".join(body.split())
    return text if len(text) <= PREVIEW else text[:PREVIEW - 1] + "…"
