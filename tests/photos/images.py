"""Image bytes for the photo tests, made with Pillow (and by hand where a header must lie)."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image, PngImagePlugin

CAMERA = "TriplTestCam"
SECRET = "secret-location-52.37N"


def png(width: int = 64, height: int = 48, color: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, "PNG")
    return out.getvalue()


def noisy_png(width: int, height: int, seed: int = 1) -> bytes:
    """Incompressible pixels, so the file size tracks width × height (benchmarks, size limits)."""
    import random

    rng = random.Random(seed)
    out = io.BytesIO()
    Image.frombytes("RGB", (width, height), rng.randbytes(width * height * 3)).save(out, "PNG", compress_level=1)
    return out.getvalue()


def exif_with_gps() -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = CAMERA  # Make
    exif[0x0110] = CAMERA + "-model"
    exif[0x0112] = 1  # Orientation
    exif[0x8825] = {1: "N", 2: (52.0, 22.0, 1.5), 3: "E", 4: (4.0, 53.0, 2.0)}  # GPS IFD
    return exif


def jpeg_with_gps(width: int = 80, height: int = 60) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (10, 120, 200)).save(out, "JPEG", exif=exif_with_gps(), comment=SECRET)
    return out.getvalue()


def png_with_metadata() -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", SECRET)
    info.add_itxt("XML:com.adobe.xmp", f"<x:xmpmeta>{SECRET}</x:xmpmeta>")
    out = io.BytesIO()
    Image.new("RGBA", (32, 32), (0, 255, 0, 128)).save(out, "PNG", pnginfo=info, exif=exif_with_gps())
    return out.getvalue()


def webp_with_gps() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 40), (1, 2, 3)).save(out, "WEBP", exif=exif_with_gps(), xmp=SECRET.encode())
    return out.getvalue()


def gif(frames: int = 3) -> bytes:
    out = io.BytesIO()
    images = [Image.new("RGB", (20, 20), (i * 80 % 256, 0, 255 - i * 80 % 256)) for i in range(frames)]
    images[0].save(out, "GIF", save_all=True, append_images=images[1:], duration=100, loop=0, comment=SECRET)
    return out.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that declares `width × height` and carries a few bytes of pixel data: a decompression bomb's
    shape, refused from its header before anything is decoded."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00" * 1024))
            + chunk(b"IEND", b""))


SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
HTML = b"<!DOCTYPE html><html><script>alert(1)</script></html>"
