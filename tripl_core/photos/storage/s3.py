"""Photos in a bucket of any S3-compatible store (AWS, MinIO, Ceph, R2…) through boto3. Clients get a
presigned GET link with a TTL as the photo's `url`; Download Event Photo streams through the API as well."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from tripl_core.errors import NotFound, UpstreamError
from tripl_core.photos.config import S3, S3Config
from tripl_core.photos.storage.base import CHUNK, KEY_PATTERN, StoredFile, check_key

MISSING = frozenset({"NoSuchKey", "404", "NotFound"})


class S3Storage:
    name = S3

    def __init__(self, config: S3Config) -> None:
        self.config = config
        self.prefix = config.prefix.lstrip("/")
        if self.prefix and not self.prefix.endswith("/"):
            self.prefix += "/"
        self.client: Any = boto3.client(
            "s3", endpoint_url=config.endpoint_url, region_name=config.region,
            aws_access_key_id=config.access_key_id, aws_secret_access_key=config.secret_access_key,
            config=Config(signature_version="s3v4", retries={"max_attempts": 3, "mode": "standard"},
                          connect_timeout=10, read_timeout=60))

    def _object(self, key: str) -> str:
        return self.prefix + check_key(key)

    def put(self, key: str, source: Path, content_type: str) -> None:
        try:
            # One PUT streamed from the open file (photos are at most ~100 MB): unlike upload_file, whose
            # multipart transfer buffers 8 MB parts per thread, nothing here holds the file in memory.
            with source.open("rb") as body:
                self.client.put_object(Bucket=self.config.bucket, Key=self._object(key), Body=body,
                                       ContentType=content_type, ContentLength=source.stat().st_size)
        except ClientError as exc:
            raise UpstreamError(f"S3 refused the upload: {_reason(exc)}") from exc

    def open(self, key: str) -> Iterator[bytes]:
        try:
            response = self.client.get_object(Bucket=self.config.bucket, Key=self._object(key))
        except ClientError as exc:
            if _code(exc) in MISSING:
                raise NotFound(f"The file of this photo is missing from the S3 bucket ({key})") from None
            raise UpstreamError(f"S3 refused the download: {_reason(exc)}") from exc
        return _chunks(response["Body"])

    def delete(self, key: str) -> bool:
        existed = self.exists(key)
        self.client.delete_object(Bucket=self.config.bucket, Key=self._object(key))
        return existed

    def exists(self, key: str) -> bool:
        try:
            self.client.head_object(Bucket=self.config.bucket, Key=self._object(key))
        except ClientError as exc:
            if _code(exc) in MISSING:
                return False
            raise UpstreamError(f"S3 refused a lookup: {_reason(exc)}") from exc
        return True

    def list_files(self) -> Iterator[StoredFile]:
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.config.bucket,
                                                                     Prefix=self.prefix)
        for page in pages:
            for item in page.get("Contents", []):
                key = str(item["Key"])[len(self.prefix):]
                if KEY_PATTERN.fullmatch(key):
                    yield StoredFile(key, item["LastModified"])

    def direct_url(self, key: str, filename: str, content_type: str) -> str | None:
        url: str = self.client.generate_presigned_url(
            "get_object", ExpiresIn=self.config.presign_ttl_seconds,
            Params={"Bucket": self.config.bucket, "Key": self._object(key), "ResponseContentType": content_type,
                    "ResponseContentDisposition": f"inline; filename*=UTF-8''{quote(filename, safe='')}"})
        return url


def _chunks(body: Any) -> Iterator[bytes]:
    try:
        yield from body.iter_chunks(CHUNK)
    finally:
        body.close()


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _reason(exc: ClientError) -> str:
    error = exc.response.get("Error", {})
    return f"{error.get('Code', 'error')}: {error.get('Message', '')}".strip()
