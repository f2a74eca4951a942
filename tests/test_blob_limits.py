"""Photo limits are read from the file's header before any pixel is decoded: a decompression bomb
is refused fast with a clear message beside the field. HEIC is recognised by its content (its
ftyp brand, whatever the file is called) and refused with a reason and what to do instead, since
its location and camera metadata cannot be removed."""

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


@pytest.mark.parametrize("name", ["IMG_0042.HEIC", "photo.jpg", "evidence"])
def test_a_heic_photo_is_recognised_by_content_and_refused_with_what_to_do(client, db, name):
    response = upload(client, heic(), name)
    assert response.status_code == 422
    message = errors_in(response)["files"]
    assert "HEIC photos cannot be attached" in message and "Most Compatible" in message
    assert count(db) == 0 and count(db, "attachments") == 0
