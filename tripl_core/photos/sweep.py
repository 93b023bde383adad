"""The orphan sweep: remove stored files that no photo row on any branch references.

Files younger than the grace period are kept: an upload stores its file before its row commits, and a
sweep running in between must not take it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import select

from tripl_core.db.base import utcnow
from tripl_core.db.engine import Database
from tripl_core.photos import storage
from tripl_core.photos.config import StorageConfig
from tripl_core.photos.files import is_referenced
from tripl_core.photos.models import EventPhoto

GRACE = timedelta(hours=1)


@dataclass
class SweepReport:
    scanned: int = 0
    referenced: int = 0
    too_recent: int = 0
    removed: list[str] = field(default_factory=list)  # `backend:key`

    def as_dict(self) -> dict[str, int]:
        return {"scanned": self.scanned, "referenced": self.referenced, "too_recent": self.too_recent,
                "removed": len(self.removed)}


def sweep(db: Database, config: StorageConfig, grace: timedelta = GRACE) -> SweepReport:
    report = SweepReport()
    cutoff = utcnow() - grace
    for backend in storage.configured_backends(config):
        with db.unit_of_work() as session:
            referenced = set(session.scalars(select(EventPhoto.storage_key).where(
                EventPhoto.storage_backend == backend.name, EventPhoto.storage_key.is_not(None))))
        for stored in backend.list_files():
            report.scanned += 1
            if stored.key in referenced:
                report.referenced += 1
            elif stored.modified_at > cutoff:
                report.too_recent += 1
            # Re-checked one by one: a branch copy or upload may have committed since the set was read.
            elif _still_orphaned(db, backend.name, stored.key) and backend.delete(stored.key):
                report.removed.append(f"{backend.name}:{stored.key}")
    return report


def _still_orphaned(db: Database, backend: str, key: str) -> bool:
    with db.unit_of_work() as session:
        return not is_referenced(session, backend, key)
