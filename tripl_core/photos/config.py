"""The storage section of service settings as the photo code reads it.

Everything photo-related reads its settings through `storage_config`: the storage section of the effective
service settings (defaults < environment < saved overrides) where the caller has it, else the environment alone
(`TRIPL_STORAGE_BACKEND`, `TRIPL_S3_*`, `TRIPL_PHOTO_*`). Prefix, link lifetime and the pixel cap are not in the
section and always come from the environment."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tripl_core.service_settings.schema import PhotoBackend, StorageSettings
from tripl_core.settings import Settings

LOCAL = "local"
S3 = "s3"
MB = 1024 * 1024


@dataclass(frozen=True)
class S3Config:
    bucket: str
    prefix: str
    region: str
    endpoint_url: str | None
    access_key_id: str | None
    secret_access_key: str | None
    presign_ttl_seconds: int


@dataclass(frozen=True)
class StorageConfig:
    backend: str  # where new uploads go
    local_root: Path
    s3: S3Config | None  # set when a bucket is configured, whichever backend takes new uploads
    max_bytes: int
    max_pixels: int


def storage_config(settings: Settings, section: StorageSettings | None = None) -> StorageConfig:
    if section is None:
        section = StorageSettings(
            photo_backend=PhotoBackend(settings.storage_backend), photo_max_bytes=settings.photo_max_size_mb * MB,
            s3_bucket=settings.s3_bucket, s3_region=settings.s3_region, s3_endpoint_url=settings.s3_endpoint_url,
            s3_access_key_id=settings.s3_access_key_id, s3_secret_access_key=settings.s3_secret_access_key)
    s3 = None
    if section.s3_bucket:
        s3 = S3Config(bucket=section.s3_bucket, prefix=settings.s3_prefix,
                      region=section.s3_region or settings.s3_region,
                      endpoint_url=section.s3_endpoint_url, access_key_id=section.s3_access_key_id,
                      secret_access_key=section.s3_secret_access_key,
                      presign_ttl_seconds=settings.s3_presign_ttl_seconds)
    backend = PhotoBackend(section.photo_backend).value
    if backend == S3 and s3 is None:
        raise ValueError("photo storage `s3` needs an S3 bucket (storage.s3_bucket or TRIPL_S3_BUCKET)")
    return StorageConfig(backend=backend, local_root=settings.state_dir / "photos", s3=s3,
                         max_bytes=section.photo_max_bytes, max_pixels=settings.photo_max_pixels)
