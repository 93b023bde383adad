"""Event photos: uploaded images (local folder or S3-compatible bucket) and Figma links, with comments.

Download Event Photo always streams through the API, on both backends, so the project's read permission
and the `nosniff`/`Content-Disposition` headers apply; on S3 the rows' `url` is additionally a presigned
link (TTL `TRIPL_S3_PRESIGN_TTL_SECONDS`) clients may fetch directly."""

from __future__ import annotations

import uuid
from typing import IO, Annotated

from fastapi import Depends, Request, Response
from fastapi.responses import StreamingResponse
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool

from tripl_api.deps import CurrentPrincipal, DbSession, State
from tripl_api.plan_deps import PlanReader, PlanWriter
from tripl_api.routing import API_PREFIX, api_router
from tripl_core.errors import TooLarge
from tripl_core.photos import comments, files, photos, views
from tripl_core.photos.config import StorageConfig, storage_config
from tripl_core.photos.models import EventPhoto
from tripl_core.photos.schemas import EventPhotoOut, FigmaSpecIn, PhotoCommentIn, PhotoCommentOut, PhotoReorder
from tripl_core.photos.upload import OVERHEAD_BYTES, MultipartFileReader, ReceivedFile, spool_file
from tripl_core.plan.branch_scope import PlanScope

router = api_router("event-photos", "/projects/{slug}/events/{event_id}/photos")

MULTIPART_FILE = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["file"],
    "properties": {"file": {"type": "string", "format": "binary", "title": "File"}}}}}}}


def photo_config(state: State) -> StorageConfig:
    return storage_config(state.settings, state.store.current().storage)


PhotoConfig = Annotated[StorageConfig, Depends(photo_config)]


def _out(scope: PlanScope, config: StorageConfig, photo: EventPhoto) -> EventPhotoOut:
    def download_url(row: EventPhoto) -> str:
        branch = "" if scope.is_main else f"?branch={scope.branch_id}"
        return (f"{API_PREFIX}/projects/{scope.project.slug}/events/{row.event_id}/photos/{row.id}/file"
                f"{branch}")

    return views.describe(photo, config, download_url)


async def _receive(request: Request, max_bytes: int, spool: IO[bytes]) -> ReceivedFile:
    """Streams the body into the spool, refusing it once it passes the limit (413), before reading more."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes + OVERHEAD_BYTES:
        raise TooLarge(f"The body is {int(declared)} bytes; the upload limit is {max_bytes} bytes")
    reader = MultipartFileReader(request.headers.get("content-type", ""), max_bytes, spool)
    async for chunk in request.stream():
        reader.feed(chunk)
    return reader.finish()


@router.get("", response_model=list[EventPhotoOut])
def list_event_photos(event_id: uuid.UUID, scope: PlanReader, session: DbSession,
                      config: PhotoConfig) -> list[EventPhotoOut]:
    """The event's photos and Figma links in `sort_order`."""
    return [_out(scope, config, p) for p in photos.list_photos(session, scope, event_id)]


@router.post("", response_model=EventPhotoOut, status_code=201, openapi_extra=MULTIPART_FILE)
async def upload_event_photo(event_id: uuid.UUID, request: Request, scope: PlanWriter, principal: CurrentPrincipal,
                             session: DbSession, config: PhotoConfig) -> EventPhotoOut:
    """Multipart `file`: PNG, JPEG, WebP or GIF (sniffed from the bytes), at most the configured size (413)
    and pixel count; stored re-encoded without metadata. Other types answer 415."""
    await run_in_threadpool(photos.require_event, session, scope, event_id)  # 404 before reading the body
    # End the request's transaction (nothing written yet but dependency bookkeeping) so no database lock
    # (SQLite's single writer) or pooled connection is held while a client streams and the image decodes;
    # the row goes in with a short transaction of its own after the file is stored.
    await run_in_threadpool(session.commit)
    with spool_file() as spool:
        received = await _receive(request, config.max_bytes, spool)
        photo = await run_in_threadpool(photos.upload, session, principal, scope, event_id, received, config)
    return _out(scope, config, photo)


@router.patch("/reorder", response_model=list[EventPhotoOut])
def reorder_event_photos(event_id: uuid.UUID, body: PhotoReorder, scope: PlanWriter, principal: CurrentPrincipal,
                         session: DbSession, config: PhotoConfig) -> list[EventPhotoOut]:
    """`photo_ids` lists every photo of the event in the new order."""
    return [_out(scope, config, p) for p in photos.reorder(session, principal, scope, event_id, body.photo_ids)]


@router.delete("/{photo_id}", status_code=204, response_class=Response)
def delete_event_photo(event_id: uuid.UUID, photo_id: uuid.UUID, scope: PlanWriter, principal: CurrentPrincipal,
                       session: DbSession, state: State, config: PhotoConfig) -> Response:
    """Removes the photo and its comments; its file goes once no photo on any branch uses it."""
    stored = photos.delete(session, principal, scope, event_id, photo_id)
    # Runs after the response, i.e. after this request's transaction committed.
    task = BackgroundTask(files.release, state.db, config, *stored) if stored else None
    return Response(status_code=204, background=task)


@router.get("/{photo_id}/file", response_class=StreamingResponse,
            responses={200: {"content": {"image/png": {}, "image/jpeg": {}, "image/webp": {}, "image/gif": {}},
                             "description": "The stored image"}})
def download_event_photo(event_id: uuid.UUID, photo_id: uuid.UUID, scope: PlanReader, session: DbSession,
                         config: PhotoConfig) -> StreamingResponse:
    """Streams the stored image with its content type, `Content-Disposition` and `nosniff`."""
    photo = photos.get(session, scope, event_id, photo_id)
    headers = {"Content-Disposition": files.content_disposition(photo.original_filename, f"photo-{photo.id}"),
               "X-Content-Type-Options": "nosniff", "Content-Security-Policy": "default-src 'none'; sandbox",
               "Cache-Control": "private, max-age=300", "Content-Length": str(photo.size_bytes)}
    return StreamingResponse(files.open_file(photo, config), media_type=photo.content_type, headers=headers)


@router.post("/figma", response_model=EventPhotoOut, status_code=201)
def attach_figma_spec(event_id: uuid.UUID, body: FigmaSpecIn, scope: PlanWriter, principal: CurrentPrincipal,
                      session: DbSession, config: PhotoConfig) -> EventPhotoOut:
    """A Figma link (`https://(www.)figma.com/(file|design|proto|board)/…`); nothing is fetched."""
    photo = photos.attach_figma(session, principal, scope, event_id, body.url, body.title)
    return _out(scope, config, photo)


@router.get("/{photo_id}/comments", response_model=list[PhotoCommentOut])
def list_photo_comments(event_id: uuid.UUID, photo_id: uuid.UUID, scope: PlanReader,
                        session: DbSession) -> list[PhotoCommentOut]:
    """Oldest first; replies carry `parent_id`."""
    return [PhotoCommentOut.model_validate(c) for c in comments.list_comments(session, scope, event_id, photo_id)]


@router.post("/{photo_id}/comments", response_model=PhotoCommentOut, status_code=201)
def create_photo_comment(event_id: uuid.UUID, photo_id: uuid.UUID, body: PhotoCommentIn, scope: PlanWriter,
                         principal: CurrentPrincipal, session: DbSession) -> PhotoCommentOut:
    """`parent_id` answers a top-level comment of the same photo (one level of replies)."""
    comment = comments.create(session, principal, scope, event_id, photo_id, body.body, body.parent_id)
    return PhotoCommentOut.model_validate(comment)


@router.delete("/{photo_id}/comments/{comment_id}", status_code=204, response_class=Response)
def delete_photo_comment(event_id: uuid.UUID, photo_id: uuid.UUID, comment_id: uuid.UUID, scope: PlanWriter,
                         principal: CurrentPrincipal, session: DbSession) -> Response:
    """The author or an owner deletes; the comment's replies go with it."""
    comments.delete(session, principal, scope, event_id, photo_id, comment_id)
    return Response(status_code=204)
