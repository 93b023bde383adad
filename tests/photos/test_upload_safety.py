"""Uploads are judged by their bytes: size while streaming, type by sniffing, decoding under a pixel cap,
and a re-encoding that leaves no metadata behind. A refused upload stores nothing."""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

import pytest
from PIL import Image

from tests.photos import images
from tests.photos.support import shop, stored_files, upload, uploaded
from tests.plan.support import ok
from tests.support.workspace import Workspace
from tripl_core.errors import TooLarge
from tripl_core.photos import images as core_images
from tripl_core.photos.config import MB
from tripl_core.photos.upload import MultipartFileReader
from tripl_core.settings import Settings

pytestmark = pytest.mark.engine_independent


def test_a_file_one_byte_over_the_limit_is_refused_and_stores_nothing(ws: Workspace, settings: Settings) -> None:
    place = shop(ws)
    limit = settings.photo_max_size_mb * MB
    over = images.png()[:16] + b"\x00" * (limit + 1 - 16)
    response = upload(ws.editor, place.photos(), over)
    assert response.status_code == 413, response.text
    assert response.json()["code"] == "too_large"
    assert "1 MB" in response.json()["detail"]
    assert stored_files(settings.state_dir) == []
    assert ok(ws.viewer.get(place.photos())) == []


def test_a_file_of_exactly_the_limit_passes_the_size_check(ws: Workspace, settings: Settings) -> None:
    place = shop(ws)
    limit = settings.photo_max_size_mb * MB
    exact = images.png()[:16] + b"\x00" * (limit - 16)  # right size, broken pixels: judged by decoding, not size
    response = upload(ws.editor, place.photos(), exact)
    assert response.status_code == 422, response.text
    assert "does not decode" in response.json()["detail"]


def test_the_size_is_checked_while_the_body_streams() -> None:
    """The reader refuses at the chunk that crosses the limit; what it kept never exceeds the limit."""
    limit = 1000
    boundary = "b0undary"
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x.png\"\r\n"
            "Content-Type: image/png\r\n\r\n").encode()
    with tempfile.NamedTemporaryFile() as spool:
        reader = MultipartFileReader(f"multipart/form-data; boundary={boundary}", limit, spool)
        reader.feed(head)
        for _ in range(10):
            reader.feed(b"x" * 100)  # exactly the limit: accepted
        with pytest.raises(TooLarge):
            reader.feed(b"x")  # byte 1001 is refused as it arrives
        spool.flush()
        assert Path(spool.name).stat().st_size <= limit


def test_a_declared_content_length_over_the_limit_is_refused_before_reading(ws: Workspace) -> None:
    place = shop(ws)
    response = ws.editor.post(place.photos(), content=b"x" * 10,
                              headers={"Content-Type": "multipart/form-data; boundary=x",
                                       "Content-Length": str(50 * MB)})
    assert response.status_code == 413, response.text


@pytest.mark.parametrize(("content", "filename", "content_type", "says"), [
    (images.SVG, "logo.svg", "image/svg+xml", "SVG"),
    (images.SVG, "logo.png", "image/png", "SVG"),  # disguised: the name and type lie, the bytes do not
    (images.HTML, "page.png", "image/png", "HTML"),
    (b"%PDF-1.7 ...", "doc.jpg", "image/jpeg", "PDF"),
    (b"", "empty.png", "image/png", "empty"),
    (b"BM" + b"\x00" * 100, "bitmap.png", "image/png", "not a PNG"),
])
def test_anything_but_png_jpeg_webp_gif_is_refused_by_its_bytes(ws: Workspace, settings: Settings, content: bytes,
                                                                  filename: str, content_type: str, says: str) -> None:
    place = shop(ws)
    response = upload(ws.editor, place.photos(), content, filename, content_type)
    assert response.status_code == 415, response.text
    assert response.json()["code"] == "unsupported_media_type"
    assert says in response.json()["detail"]
    assert stored_files(settings.state_dir) == []


def test_the_stored_type_comes_from_the_bytes_not_the_client(ws: Workspace) -> None:
    place = shop(ws)
    photo = uploaded(ws.editor, place, images.jpeg_with_gps(), "looks-like.png")
    assert photo["content_type"] == "image/jpeg"
    download = ws.viewer.get(photo["url"])
    assert download.headers["content-type"] == "image/jpeg"
    assert download.content.startswith(b"\xff\xd8\xff")


def test_a_valid_header_with_broken_pixels_is_refused(ws: Workspace, settings: Settings) -> None:
    place = shop(ws)
    truncated = images.noisy_png(64, 64)[:300]
    response = upload(ws.editor, place.photos(), truncated)
    assert response.status_code == 422, response.text
    assert stored_files(settings.state_dir) == []


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
@pytest.mark.parametrize(("width", "height"), [(10_000, 10_000), (100_000, 100_000)])
def test_decompression_bombs_are_refused_before_decoding(ws: Workspace, settings: Settings, width: int,
                                                         height: int) -> None:
    """100 MP is over the 40 MP cap; 10 000 MP is refused by Pillow's own guard as well. Either way: 413."""
    place = shop(ws)
    response = upload(ws.editor, place.photos(), images.png_header_only(width, height))
    assert response.status_code == 413, response.text
    assert "pixels" in response.json()["detail"]
    assert stored_files(settings.state_dir) == []


def test_frames_count_towards_the_pixel_cap(tmp_path: Path) -> None:
    source = tmp_path / "in.gif"
    source.write_bytes(images.gif(frames=3))  # 20×20×3 = 1200 pixels
    with pytest.raises(TooLarge, match="3 frames"):
        core_images.clean(source, max_pixels=1000)
    cleaned = core_images.clean(source, max_pixels=1200)
    cleaned.path.unlink()


def _stored_bytes(settings: Settings) -> bytes:
    [path] = stored_files(settings.state_dir)
    return path.read_bytes()


def test_jpeg_exif_and_gps_are_gone_from_the_stored_file(ws: Workspace, settings: Settings) -> None:
    place = shop(ws)
    original = images.jpeg_with_gps()
    assert images.CAMERA.encode() in original
    uploaded(ws.editor, place, original, "holiday.jpg")
    stored = _stored_bytes(settings)
    assert images.CAMERA.encode() not in stored
    assert images.SECRET.encode() not in stored
    assert b"Exif\x00\x00" not in stored
    with Image.open(io.BytesIO(stored)) as image:
        assert image.format == "JPEG"
        assert dict(image.getexif()) == {}
        assert image.getexif().get_ifd(0x8825) == {}
        assert "comment" not in image.info
        assert "exif" not in image.info


@pytest.mark.parametrize(("content", "fmt"), [(images.png_with_metadata(), "PNG"), (images.webp_with_gps(), "WEBP"),
                                              (images.gif(), "GIF")])
def test_png_webp_gif_metadata_is_gone_from_the_stored_file(ws: Workspace, settings: Settings, content: bytes,
                                                            fmt: str) -> None:
    place = shop(ws)
    uploaded(ws.editor, place, content, f"image.{fmt.lower()}")
    stored = _stored_bytes(settings)
    assert images.SECRET.encode() not in stored
    assert images.CAMERA.encode() not in stored
    with Image.open(io.BytesIO(stored)) as image:
        assert image.format == fmt
        assert dict(image.getexif()) == {}
        assert not {"exif", "xmp", "comment", "Comment", "XML:com.adobe.xmp"} & set(image.info)
        if fmt == "GIF":
            assert image.n_frames == 3  # animation kept


@pytest.mark.parametrize("name", ["../../../../etc/passwd.png", "..\\..\\windows\\win.ini.png", "/abs/olute.png",
                                  "a\"b\r\nX-Injected: 1.png", "ünïcødé 画像.png"])
def test_client_filenames_are_labels_only(ws: Workspace, settings: Settings, name: str) -> None:
    place = shop(ws)
    photo = uploaded(ws.editor, place, images.png(), name)
    label = photo["original_filename"]
    assert "/" not in label
    assert "\\" not in label
    assert "\n" not in label
    assert "\r" not in label
    [path] = stored_files(settings.state_dir)
    assert path.parent.parent == settings.state_dir / "photos"
    assert path.parent.name == photo["project_id"]
    assert path.stem != label
    assert len(path.stem) == 32
    assert not (settings.state_dir.parent / "etc").exists()
    download = ws.viewer.get(photo["url"])
    assert download.status_code == 200
    assert "x-injected" not in download.headers
    assert download.headers["content-disposition"].startswith("inline; filename=\"")


def test_a_body_without_the_file_field_is_refused(ws: Workspace) -> None:
    place = shop(ws)
    response = ws.editor.post(place.photos(), files={"image": ("a.png", images.png(), "image/png")})
    assert response.status_code == 422
    assert "`file`" in response.json()["detail"]
    response = ws.editor.post(place.photos(), json={"file": "x"})
    assert response.status_code == 422
    assert "multipart/form-data" in response.json()["detail"]


def test_jpeg_orientation_is_applied_before_the_tag_is_dropped(ws: Workspace, settings: Settings) -> None:
    exif = images.exif_with_gps()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    out = io.BytesIO()
    Image.new("RGB", (80, 60), (5, 5, 5)).save(out, "JPEG", exif=exif)
    place = shop(ws)
    uploaded(ws.editor, place, out.getvalue(), "portrait.jpg")
    with Image.open(io.BytesIO(_stored_bytes(settings))) as image:
        assert image.size == (60, 80)
        assert dict(image.getexif()) == {}


def test_a_saved_storage_setting_changes_the_upload_limit_without_a_restart(ws: Workspace,
                                                                             settings: Settings) -> None:
    place = shop(ws)
    small = images.png()
    ok(upload(ws.editor, place.photos(), small), 201)
    ok(ws.owner.patch("/api/v1/settings", json={"storage": {"photo_max_bytes": 1024}}))
    refused = upload(ws.editor, place.photos(), small + b"\x00" * 2048)
    assert refused.status_code == 413, refused.text
