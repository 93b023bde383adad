"""Receiving an upload as it streams: the multipart body is parsed chunk by chunk, the `file` part is
written to a temporary file and refused the moment it passes the size limit, so no request body is
ever held in memory or spooled whole before its size is known."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

from tripl_core.errors import InvalidInput, TooLarge
from tripl_core.photos.config import MB

FIELD = "file"
# Multipart framing, part headers and small fields around the file: beyond this the body is refused.
OVERHEAD_BYTES = 64 * 1024
MAX_LABEL = 500


@dataclass
class ReceivedFile:
    path: Path
    filename: str  # the client's name: a label only, never a path
    size_bytes: int


class MultipartFileReader:
    """Feed the raw body with `feed(chunk)`; `finish()` returns the received `file` part."""

    def __init__(self, content_type: str, max_bytes: int, spool: IO[bytes]) -> None:
        kind, params = parse_options_header(content_type)
        boundary = params.get(b"boundary")
        if kind != b"multipart/form-data" or not boundary:
            raise InvalidInput("Send the image as multipart/form-data with a `file` field")
        self.max_bytes = max_bytes
        self.spool = spool
        self.body_bytes = 0
        self.file_bytes = 0
        self.filename: str | None = None
        self.seen_file = False
        self._header_name = b""
        self._header_value = b""
        self._headers: dict[bytes, bytes] = {}
        self._in_file = False
        self.parser = MultipartParser(boundary, callbacks={
            "on_part_begin": self._part_begin, "on_header_field": self._header_field,
            "on_header_value": self._header_value_data, "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished, "on_part_data": self._part_data,
            "on_part_end": self._part_end,
        })

    def feed(self, chunk: bytes) -> None:
        self.body_bytes += len(chunk)
        if self.body_bytes > self.max_bytes + OVERHEAD_BYTES:
            raise self._too_large()
        try:
            self.parser.write(chunk)
        except MultipartParseError as exc:
            raise InvalidInput(f"The multipart body is malformed: {exc}") from None

    def finish(self) -> ReceivedFile:
        try:
            self.parser.finalize()
        except MultipartParseError as exc:
            raise InvalidInput(f"The multipart body is malformed: {exc}") from None
        if not self.seen_file:
            raise InvalidInput("The multipart body has no `file` field holding the image")
        self.spool.flush()
        return ReceivedFile(Path(self.spool.name), self.filename or "", self.file_bytes)

    def _too_large(self) -> TooLarge:
        return TooLarge(f"The file is larger than the {self.max_bytes // MB} MB upload limit")

    def _part_begin(self) -> None:
        self._headers = {}

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def _header_value_data(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def _header_end(self) -> None:
        if len(self._headers) < 16:
            self._headers[self._header_name.strip().lower()] = self._header_value.strip()
        self._header_name, self._header_value = b"", b""

    def _headers_finished(self) -> None:
        _, params = parse_options_header(self._headers.get(b"content-disposition", b""))
        self._in_file = params.get(b"name") == FIELD.encode()
        if self._in_file:
            if self.seen_file:
                raise InvalidInput("Send one `file` per upload")
            self.seen_file = True
            self.filename = _label(params.get(b"filename", b""))

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if not self._in_file:
            return
        self.file_bytes += end - start
        if self.file_bytes > self.max_bytes:
            raise self._too_large()
        self.spool.write(data[start:end])

    def _part_end(self) -> None:
        self._in_file = False


def _label(raw: bytes) -> str:
    """The last path segment of the client's filename, printable only: shown to people, never used as a path."""
    name = raw.decode("utf-8", errors="replace").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    return name[:MAX_LABEL]


@contextmanager
def spool_file(work_dir: Path | None = None) -> Iterator[IO[bytes]]:
    """A temporary file removed on exit, whatever happened."""
    handle: IO[bytes] = tempfile.NamedTemporaryFile(  # noqa: SIM115
        prefix="tripl-upload-", dir=work_dir, delete=False)
    try:
        yield handle
    finally:
        handle.close()
        Path(handle.name).unlink(missing_ok=True)
