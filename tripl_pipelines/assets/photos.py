"""The daily orphan sweep of photo storage: files no photo row on any branch references (an upload whose
request failed, a release that did not happen) are removed, and the materialisation lists them."""

from datetime import timedelta
from typing import Any

from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from tripl_core.photos import sweep
from tripl_pipelines.config import SweepConfig
from tripl_pipelines.resources import AppDatabase, PhotoStorage

LISTED = 500  # removed files named in the metadata; the count is always complete


@asset(group_name="photos", description="Photo files in storage that some photo row references; each "
                                        "materialisation removes the others and lists what it removed.")
def photo_files(context: AssetExecutionContext, config: SweepConfig, app_db: AppDatabase,
                photo_storage: PhotoStorage) -> MaterializeResult:
    storage = photo_storage.config(app_db.settings_store.current().storage)
    report = sweep.sweep(app_db.database, storage, grace=timedelta(minutes=config.grace_minutes))
    context.log.info(f"photo sweep: {report.scanned} files scanned, {len(report.removed)} orphans removed")
    listing = "\n".join(f"- `{name}`" for name in report.removed[:LISTED]) or "nothing"
    if len(report.removed) > LISTED:
        listing += f"\n- … and {len(report.removed) - LISTED} more"
    metadata: dict[str, Any] = {**report.as_dict(), "removed_files": MetadataValue.md(listing)}
    return MaterializeResult(metadata=metadata)
