"""Judging an uploaded file: its type from its bytes, proof that it decodes, a pixel cap checked before the
pixels are decoded, and a clean re-encoding that carries no metadata (EXIF, GPS, XMP, text chunks)."""

from __future__ import annotations

import tempfile
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image, ImageOps, UnidentifiedImageError

from tripl_core.errors import InvalidInput, TooLarge, UnsupportedMediaType


@dataclass(frozen=True)
class ImageType:
    pillow_format: str
    content_type: str
    extension: str


PNG = ImageType("PNG", "image/png", "png")
JPEG = ImageType("JPEG", "image/jpeg", "jpg")
WEBP = ImageType("WEBP", "image/webp", "webp")
GIF = ImageType("GIF", "image/gif", "gif")
# Only what a re-encoded image needs to look the same; everything else in `info` (exif, xmp, comments,
# text chunks, dpi…) is dropped.
KEPT_INFO = ("transparency", "duration", "loop", "background", "icc_profile")
# Decoding holds a whole image in memory (up to max_pixels × 4 bytes); at most this many at once per
# process keeps concurrent uploads from multiplying that.
DECODE_SLOTS = threading.BoundedSemaphore(2)


@dataclass(frozen=True)
class CleanImage:
    path: Path
    type: ImageType
    width: int
    height: int

    @property
    def size_bytes(self) -> int:
        return self.path.stat().st_size


def sniff(head: bytes) -> ImageType:
    """The image type from the first bytes; the client's filename and Content-Type are not consulted."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return GIF
    raise UnsupportedMediaType(f"The file is {_describe(head)}; upload a PNG, JPEG, WebP or GIF image")


def _describe(head: bytes) -> str:
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith((b"<svg", b"<?xml")) or b"<svg" in text[:1024]:
        return "an SVG or XML document (SVG can carry scripts and is not accepted)"
    if text.startswith((b"<!doctype html", b"<html")):
        return "an HTML document"
    if head.startswith(b"%PDF"):
        return "a PDF document"
    if not head:
        return "empty"
    return "not a PNG, JPEG, WebP or GIF image"


def clean(source: Path, max_pixels: int, work_dir: Path | None = None) -> CleanImage:
    """Decode `source` and write it again, metadata-free, to a new temporary file (the caller removes it)."""
    with source.open("rb") as handle:
        kind = sniff(handle.read(32))
    with DECODE_SLOTS, _open(source, kind) as image:
        frames = getattr(image, "n_frames", 1)
        pixels = image.width * image.height * frames
        if pixels > max_pixels:
            raise TooLarge(f"The image is {image.width}×{image.height} pixels"
                           + (f" × {frames} frames" if frames > 1 else "")
                           + f"; at most {max_pixels / 1e6:g} megapixels are accepted")
        out = tempfile.NamedTemporaryFile(suffix="." + kind.extension, dir=work_dir, delete=False)  # noqa: SIM115
        out.close()
        target = Path(out.name)
        try:
            _reencode(image, kind, target)
        except BaseException:
            target.unlink(missing_ok=True)
            raise
        return CleanImage(target, kind, image.width, image.height)


def _open(source: Path, kind: ImageType) -> Image.Image:
    """Reads the header only; pixels are decoded later, after the cap is checked."""
    try:
        return Image.open(source, formats=[kind.pillow_format])
    except Image.DecompressionBombError as exc:  # far beyond any sane cap: Pillow refuses before we ask
        raise TooLarge(f"The image declares too many pixels to be decoded ({exc})") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise _undecodable(kind, exc) from None


def _reencode(image: Image.Image, kind: ImageType, target: Path) -> None:
    kept = _kept(image.info)
    try:
        if kind is GIF and getattr(image, "n_frames", 1) > 1:
            frames = [_strip(frame) for frame in _frames(image)]
            frames[0].save(target, format="GIF", save_all=True, append_images=frames[1:], **kept)
            return
        image.load()
        if kind is JPEG:
            ImageOps.exif_transpose(image, in_place=True)  # the orientation tag goes; its effect stays
        # In place: a copy would hold the decoded pixels twice.
        _strip(image).save(target, format=kind.pillow_format, **_options(kind), **kept)
    except (OSError, SyntaxError, ValueError, EOFError) as exc:  # truncated or corrupt pixel data
        raise _undecodable(kind, exc) from None


def _frames(image: Image.Image) -> list[Image.Image]:
    out = []
    for index in range(getattr(image, "n_frames", 1)):
        image.seek(index)
        out.append(image.copy())
    return out


def _strip(image: Image.Image) -> Image.Image:
    """Detach all metadata from the image, so the encoder has nothing to carry over."""
    image.info = {}
    if hasattr(image, "_exif"):
        image._exif = None
    return image


def _kept(info: Mapping[Any, Any]) -> dict[str, Any]:
    return {key: info[key] for key in KEPT_INFO if key in info and info[key] is not None}


def _options(kind: ImageType) -> dict[str, Any]:
    if kind is JPEG:
        return {"quality": 90, "optimize": True}
    if kind is WEBP:
        return {"quality": 90}
    if kind is PNG:
        return {"optimize": False}
    return {}


def _undecodable(kind: ImageType, exc: BaseException) -> InvalidInput:
    return InvalidInput(f"The file starts like a {kind.pillow_format} image but does not decode as one "
                        f"({type(exc).__name__})")
