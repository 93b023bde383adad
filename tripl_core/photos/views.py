"""Photo rows as the API returns them: `url` says where a client fetches the image."""

from __future__ import annotations

from collections.abc import Callable

from tripl_core.photos import storage
from tripl_core.photos.config import StorageConfig
from tripl_core.photos.models import EventPhoto, PhotoKind
from tripl_core.photos.schemas import EventPhotoOut


def describe(photo: EventPhoto, config: StorageConfig, download_url: Callable[[EventPhoto], str]) -> EventPhotoOut:
    """`download_url` is the API's Download Event Photo link for the row (the API knows its own paths)."""
    url: str | None
    if photo.kind == PhotoKind.figma.value:
        url = photo.external_url
    else:
        url = None
        if photo.storage_backend and photo.storage_key:
            url = storage.backend(config, photo.storage_backend).direct_url(
                photo.storage_key, photo.original_filename, photo.content_type)
        url = url or download_url(photo)
    return EventPhotoOut(
        id=photo.id, event_id=photo.event_id, project_id=photo.project_id, kind=photo.kind,
        original_filename=photo.original_filename, content_type=photo.content_type, size_bytes=photo.size_bytes,
        storage_backend=photo.storage_backend, sort_order=photo.sort_order, url=url,
        external_url=photo.external_url, uploaded_by_user_id=photo.uploaded_by_user_id,
        created_at=photo.created_at)
