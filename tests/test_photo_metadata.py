"""Photos are stored without location and camera metadata, pixels and orientation kept."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from fieldkit import photo_metadata

from .conftest import create_issue
from .photos import ORIENTATION, assert_clean, jpeg_with_metadata, png_with_metadata, webp_with_metadata


@pytest.mark.parametrize(
    "media_type, make",
    [
        ("image/jpeg", jpeg_with_metadata),
        ("image/png", png_with_metadata),
        ("image/webp", webp_with_metadata),
    ],
)
def test_metadata_is_stripped_and_the_picture_is_unchanged(media_type, make):
    original = make()
    clean = photo_metadata.strip(original, media_type)
    assert_clean(clean)
    with Image.open(io.BytesIO(original)) as before, Image.open(io.BytesIO(clean)) as after:
        assert before.size == after.size
        assert before.convert("RGB").tobytes() == after.convert("RGB").tobytes()


def test_a_portrait_jpeg_keeps_only_its_orientation():
    clean = photo_metadata.strip(jpeg_with_metadata(orientation=6), "image/jpeg")
    with Image.open(io.BytesIO(clean)) as image:
        assert dict(image.getexif()) == {ORIENTATION: 6}


def test_stripping_twice_changes_nothing_more():
    once = photo_metadata.strip(jpeg_with_metadata(), "image/jpeg")
    assert photo_metadata.strip(once, "image/jpeg") == once


@pytest.mark.parametrize("data", [b"\xff\xd8\xff\xe1\x00", b"\xff\xd8" + b"\x00" * 20, b"not a photo"])
def test_a_broken_file_is_refused_not_a_crash(data):
    with pytest.raises(photo_metadata.NotAPhoto):
        photo_metadata.strip(data, "image/jpeg")


def test_an_uploaded_photo_is_stored_and_served_without_metadata(client, db, data_dir):
    photo = jpeg_with_metadata()
    issue_id = create_issue(client, files=(io.BytesIO(photo), "pump.jpg"))
    sha, size = db.execute("SELECT sha256, size FROM attachments WHERE issue_id = ?", (issue_id,)).fetchone()
    stored = (data_dir / "blobs" / sha[:2] / sha).read_bytes()
    assert_clean(stored)
    assert size == len(stored)
    with client.get(f"/files/{sha}") as served:
        assert served.status_code == 200 and served.data == stored
