"""When a stored file may go: only when no photo row on any branch (of any status) references it.

Deleting a row releases its file after the deleting transaction has committed, in a fresh session, so a
rolled-back delete never loses a file and a branch copy made meanwhile keeps it. Files that are missed
(a crash between commit and release, a failed upload request) are left to the orphan sweep."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from urllib.parse import quote

from sqlalchemy import select
from sqlalchemy.orm import Session

from tripl_core.db.engine import Database
from tripl_core.errors import NotFound
from tripl_core.photos import storage
from tripl_core.photos.config import StorageConfig
from tripl_core.photos.models import EventPhoto

logger = logging.getLogger("tripl.photos")


def is_referenced(session: Session, backend: str, key: str) -> bool:
    return session.scalar(select(EventPhoto.id).where(EventPhoto.storage_backend == backend,
                                                      EventPhoto.storage_key == key).limit(1)) is not None


def release(db: Database, config: StorageConfig, backend: str, key: str) -> bool:
    """Deletes the file unless a row still references it; True when it was deleted."""
    with db.unit_of_work() as session:
        if is_referenced(session, backend, key):
            return False
    try:
        return storage.backend(config, backend).delete(key)
    except Exception:  # the sweep retries later; the caller's request already succeeded
        logger.exception("could not delete photo file %s/%s; the orphan sweep will retry", backend, key)
        return False


def open_file(photo: EventPhoto, config: StorageConfig) -> Iterator[bytes]:
    """The stored bytes of an uploaded photo, in chunks (NotFound for a Figma link or a lost file)."""
    if not photo.storage_backend or not photo.storage_key:
        raise NotFound(f"Photo {photo.id} is a Figma link and has no file; open its external_url")
    return storage.backend(config, photo.storage_backend).open(photo.storage_key)


def content_disposition(filename: str, fallback: str) -> str:
    """`inline` with an ASCII-safe name and the UTF-8 original (RFC 6266); the label never breaks the header."""
    ascii_name = "".join(ch if ch.isascii() and (ch.isalnum() or ch in "._- ") else "_" for ch in filename)
    ascii_name = ascii_name.strip() or fallback
    return f"inline; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename or fallback, safe='')}"
