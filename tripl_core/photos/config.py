"""The storage section of service settings as the photo code reads it.

Everything photo-related reads its settings through `storage_config`: today they come from the environment
(`TRIPL_STORAGE_BACKEND`, `TRIPL_S3_*`, `TRIPL_PHOTO_*`); when saved overrides land, only this function changes."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

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


def storage_config(settings: Settings) -> StorageConfig:
    s3 = None
    if settings.s3_bucket:
        s3 = S3Config(bucket=settings.s3_bucket, prefix=settings.s3_prefix, region=settings.s3_region,
                      endpoint_url=settings.s3_endpoint_url, access_key_id=settings.s3_access_key_id,
                      secret_access_key=settings.s3_secret_access_key,
                      presign_ttl_seconds=settings.s3_presign_ttl_seconds)
    if settings.storage_backend == S3 and s3 is None:
        raise ValueError("TRIPL_STORAGE_BACKEND=s3 needs TRIPL_S3_BUCKET")
    return StorageConfig(backend=settings.storage_backend, local_root=settings.state_dir / "photos", s3=s3,
                         max_bytes=settings.photo_max_size_mb * MB, max_pixels=settings.photo_max_pixels)
