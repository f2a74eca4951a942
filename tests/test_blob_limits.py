"""Photo limits are read from the file's header before any pixel is decoded, and HEIC photos are
checked by their structure: a decompression bomb is refused fast with a clear message beside the
field, a real iPhone photo is kept (offered as a file, since it cannot be shown)."""

from __future__ import annotations

import io
import struct
import time
import zlib

import pytest

from fieldkit.blobs import MAX_PIXELS
from tests.conftest import issue_form
from tests.test_issues import count, errors_in, jpeg_bytes


def png_header_claiming(width: int, height: int, pad_to: int = 12_000) -> bytes:
    """A small PNG whose header claims ``width`` × ``height`` (the pixels are not there)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    body = chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 1000))
    filler = chunk(b"tEXt", b"Comment\x00" + b"x" * max(0, pad_to - len(body) - 40))
    return b"\x89PNG\r\n\x1a\n" + body + filler + chunk(b"IEND", b"")


def box(kind: bytes, payload: bytes, *, full: bool = False) -> bytes:
    payload = (b"\x00\x00\x00\x00" if full else b"") + payload
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def heic(width: int = 4032, height: int = 3024, *, with_sizes: bool = True) -> bytes:
    """The header of an iPhone-style HEIC (grid of 512×512 tiles) and some stand-in pixel data."""
    ftyp = box(b"ftyp", b"heic" + b"\x00\x00\x00\x00" + b"mif1heic")
    properties = box(b"pixi", b"\x03\x08\x08\x08", full=True)
    if with_sizes:
        properties += box(b"ispe", struct.pack(">II", 512, 512), full=True)
        properties += box(b"ispe", struct.pack(">II", width, height), full=True)
    meta = box(
        b"meta",
        box(b"hdlr", b"\x00" * 8 + b"pict" + b"\x00" * 13, full=True)
        + box(b"iprp", box(b"ipco", properties) + box(b"ipma", b"\x00" * 8, full=True)),
        full=True,
    )
    return ftyp + meta + box(b"mdat", b"\x12\x34" * 5000)


def upload(client, content: bytes, name: str):
    data = issue_form()
    data["files"] = (io.BytesIO(content), name)
    return client.submit("/issues/new", data, content_type="multipart/form-data")


@pytest.mark.parametrize(("width", "height"), [(12_000, 10_000), (7_000, 7_000)])
def test_a_small_png_claiming_too_many_pixels_is_refused_before_decoding(client, db, width, height):
    bomb = png_header_claiming(width, height)
    assert len(bomb) < 13_000 and width * height > MAX_PIXELS
    started = time.perf_counter()
    response = upload(client, bomb, "bomb.png")
    elapsed = time.perf_counter() - started
    assert response.status_code == 422
    # "damaged" would mean the pixels were read; this message comes from the header alone.
    assert "more than 40 megapixels" in errors_in(response)["files"]
    assert count(db) == 0 and count(db, "attachments") == 0
    assert elapsed < 2, elapsed


def test_a_photo_within_the_limit_is_kept(client, db):
    assert upload(client, jpeg_bytes((2000, 1500)), "pump.jpg").status_code == 303
    assert db.execute("SELECT media_type, width FROM attachments").fetchone()[:] == ("image/jpeg", 2000)


def test_a_heic_photo_is_checked_kept_and_offered_as_a_file(client, db):
    photo = heic()
    response = upload(client, photo, "IMG_0042.HEIC")
    assert response.status_code == 303
    row = db.execute("SELECT sha256, media_type FROM attachments").fetchone()
    assert row["media_type"] == "image/heic"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"/files/{row['sha256']}/display.jpg" not in page  # no broken picture
    assert f'href="/files/{row["sha256"]}"' in page
    with client.get(f"/files/{row['sha256']}") as original:
        assert original.data == photo
        assert original.headers["Content-Disposition"].startswith("attachment")


def test_a_heic_claiming_too_many_pixels_is_refused(client, db):
    response = upload(client, heic(12_000, 10_000), "huge.heic")
    assert response.status_code == 422
    assert "more than 40 megapixels" in errors_in(response)["files"]
    assert count(db, "attachments") == 0


@pytest.mark.parametrize(
    "content",
    [
        heic(with_sizes=False),  # a HEIF brand but no image declared
        heic()[:60],  # cut off inside its header
        box(b"ftyp", b"heic\x00\x00\x00\x00mif1")
        + struct.pack(">I4s", 4, b"meta"),  # a box smaller than itself
    ],
    ids=["no-sizes", "truncated", "bad-box"],
)
def test_a_damaged_heic_is_refused_as_damaged(client, db, content):
    response = upload(client, content, "broken.heic")
    assert response.status_code == 422
    assert "damaged or incomplete" in errors_in(response)["files"]
    assert count(db, "attachments") == 0
