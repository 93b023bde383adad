"""Where photo files live: one small interface (base.py), a local folder and an S3-compatible bucket."""

from __future__ import annotations

from functools import lru_cache

from tripl_core.errors import NotFound
from tripl_core.photos.config import LOCAL, S3, StorageConfig
from tripl_core.photos.storage.base import PhotoStorage, StoredFile
from tripl_core.photos.storage.local import LocalStorage

__all__ = ["PhotoStorage", "StoredFile", "backend", "configured_backends", "for_uploads"]


@lru_cache(maxsize=16)
def backend(config: StorageConfig, name: str) -> PhotoStorage:
    """The backend `name` under `config` (one client per configuration: boto3 clients are costly to build)."""
    if name == LOCAL:
        return LocalStorage(config.local_root)
    if name == S3:
        if config.s3 is None:
            raise NotFound("This photo is stored on S3, but no S3 bucket is configured (TRIPL_S3_BUCKET)")
        # boto3 is imported by an S3 backend only: at 0.25 s of CPU it would be a tenth of the start of every
        # process that loads the photos code (API, CLI, Dagster code server and each run), S3 or not.
        from tripl_core.photos.storage.s3 import S3Storage

        return S3Storage(config.s3)
    raise NotFound(f"Unknown photo storage backend '{name}'")


def for_uploads(config: StorageConfig) -> PhotoStorage:
    return backend(config, config.backend)


def configured_backends(config: StorageConfig) -> list[PhotoStorage]:
    """Every backend files may sit on: local always (photos uploaded before a switch stay there), S3 when
    a bucket is configured."""
    return [backend(config, LOCAL)] + ([backend(config, S3)] if config.s3 is not None else [])
