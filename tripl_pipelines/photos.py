"""The daily orphan sweep of photo storage: files no photo row on any branch references (an upload whose
request failed, a release that did not happen) are removed, and the materialisation lists them."""

from datetime import timedelta

from dagster import (
    AssetExecutionContext,
    Config,
    ConfigurableResource,
    DefaultScheduleStatus,
    MaterializeResult,
    MetadataValue,
    ScheduleDefinition,
    asset,
    define_asset_job,
)
from pydantic import Field

from tripl_core.photos import sweep
from tripl_core.photos.config import StorageConfig, storage_config
from tripl_core.service_settings.schema import StorageSettings
from tripl_core.settings import Settings
from tripl_pipelines.resources import AppDatabase

SWEEP_JOB = "sweep_photo_files"
LISTED = 500  # removed files named in the metadata; the count is always complete


class PhotoStorage(ConfigurableResource):
    """The storage section of the TRIPL_* settings; `state_dir` overrides TRIPL_STATE_DIR (tests set it)."""

    state_dir: str | None = None

    def config(self, section: StorageSettings | None = None) -> StorageConfig:
        settings = Settings(state_dir=self.state_dir) if self.state_dir else Settings()
        return storage_config(settings, section)


class SweepConfig(Config):
    grace_minutes: int = Field(default=int(sweep.GRACE.total_seconds() // 60), ge=0,
                               description="Files younger than this are kept: their upload may not have "
                                           "committed its row yet.")


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
    return MaterializeResult(metadata={**report.as_dict(), "removed_files": MetadataValue.md(listing)})


sweep_photo_files_job = define_asset_job(SWEEP_JOB, selection=[photo_files],
                                         description="Remove photo files no photo row references.")
daily_photo_sweep = ScheduleDefinition(name="daily_photo_sweep", job=sweep_photo_files_job, cron_schedule="30 3 * * *",
                                       execution_timezone="UTC", default_status=DefaultScheduleStatus.RUNNING,
                                       description="The orphan sweep of photo storage, once a day.")
