"""Photos in a folder under the state directory, served by the API's Download Event Photo."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from tripl_core.errors import NotFound
from tripl_core.photos.config import LOCAL
from tripl_core.photos.storage.base import CHUNK, KEY_PATTERN, StoredFile, check_key


class LocalStorage:
    name = LOCAL

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    def put(self, key: str, source: Path, content_type: str) -> None:
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        # Copy beside the target, then rename: a reader never sees half a file.
        partial = target.with_name(target.name + ".partial")
        shutil.copyfile(source, partial)
        os.replace(partial, target)

    def open(self, key: str) -> Iterator[bytes]:
        try:
            handle = self._path(key).open("rb")
        except FileNotFoundError:
            raise NotFound(f"The file of this photo is missing from local storage ({key})") from None
        return _chunks(handle)

    def delete(self, key: str) -> bool:
        try:
            self._path(key).unlink()
        except FileNotFoundError:
            return False
        return True

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def list_files(self) -> Iterator[StoredFile]:
        if not self.root.is_dir():
            return
        for folder in self.root.iterdir():
            if not folder.is_dir():
                continue
            for path in folder.iterdir():
                key = f"{folder.name}/{path.name}"
                if KEY_PATTERN.fullmatch(key):
                    yield StoredFile(key, datetime.fromtimestamp(path.stat().st_mtime, UTC))

    def direct_url(self, key: str, filename: str, content_type: str) -> str | None:
        return None


def _chunks(handle: BinaryIO) -> Iterator[bytes]:
    try:
        while chunk := handle.read(CHUNK):
            yield chunk
    finally:
        handle.close()
