"""The content-addressed attachment store: files named by their SHA-256, in the data folder.

Photos are stored without their location and camera metadata (:mod:`fieldkit.photo_metadata`),
their pixels untouched; every other file byte for byte. Photos also get a downscaled JPEG for
display. No path is ever built from user input: only from a hash this code computed or validated.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import warnings
from pathlib import Path

import filetype
from PIL import Image, ImageOps, UnidentifiedImageError

from . import photo_metadata
from .i18n import gettext as _
from .validation import Invalid

SHA256 = re.compile(r"^[0-9a-f]{64}$")
DISPLAY_SIZE = 1024
#: The most pixels a photo may have: above any phone's default (12-24 MP, a 48 MP mode fits),
#: far below the decompression-bomb zone (a 100 MP image decodes to 300+ MB of memory).
MAX_PIXELS = 40_000_000
# Pillow checks the size in the header, before decoding: up to twice its limit it only warns, so
# the warning is made an error too and every image over MAX_PIXELS is refused on opening.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS
warnings.filterwarnings("error", category=Image.DecompressionBombWarning)
TOO_MANY_PIXELS = (Image.DecompressionBombError, Image.DecompressionBombWarning)

#: Media types accepted, detected from the file's content (never from its name).
ACCEPTED = {
    "image/jpeg": "photo",
    "image/png": "photo",
    "image/webp": "photo",
    # Not HEIC: its metadata cannot be removed without a HEIF library, and phones' browsers
    # send photos as JPEG when the page accepts image/*.
    "audio/mpeg": "audio",
    "audio/ogg": "audio",
    "audio/x-wav": "audio",
    "audio/wav": "audio",
    "audio/mp4": "audio",
    "audio/x-m4a": "audio",
    "audio/m4a": "audio",
    "audio/amr": "audio",
    "audio/aac": "audio",
    "audio/webm": "audio",
    "video/webm": "audio",
    "application/pdf": "document",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "document",
    "application/vnd.oasis.opendocument.text": "document",
    "application/vnd.oasis.opendocument.spreadsheet": "document",
}
DISPLAYABLE = {"image/jpeg", "image/png", "image/webp"}


class Store:
    """Blobs under ``<data>/blobs/ab/abcdef…``, display copies under ``<data>/display/``."""

    def __init__(self, data_dir: Path):
        self.root = Path(data_dir) / "blobs"
        self.display_root = Path(data_dir) / "display"

    def path(self, sha256: str) -> Path:
        if not SHA256.match(sha256 or ""):
            raise ValueError("not a SHA-256 hex digest")
        return self.root / sha256[:2] / sha256

    def display_path(self, sha256: str) -> Path:
        if not SHA256.match(sha256 or ""):
            raise ValueError("not a SHA-256 hex digest")
        return self.display_root / sha256[:2] / f"{sha256}.jpg"

    def has(self, sha256: str) -> bool:
        return self.path(sha256).is_file()

    def put_stream(self, stream, *, max_bytes: int) -> tuple[str, int, Path]:
        """Copy a stream into a temporary file while hashing it; returns (sha256, size, temp).

        :raises Invalid: if the stream is larger than ``max_bytes``.
        """
        self.root.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        size = 0
        fd, temp_name = tempfile.mkstemp(dir=self.root, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := stream.read(1 << 16):
                    size += len(chunk)
                    if size > max_bytes:
                        raise Invalid(
                            _(
                                "This file is too large: the limit is %(limit)s MB.",
                                limit=max_bytes // (1 << 20),
                            )
                        )
                    digest.update(chunk)
                    out.write(chunk)
        except BaseException:
            os.unlink(temp_name)
            raise
        return digest.hexdigest(), size, Path(temp_name)

    def without_metadata(self, temp: Path, media_type: str) -> tuple[str, int]:
        """Rewrite a photo in ``temp`` without location and camera metadata; its new (sha256, size).

        :raises photo_metadata.NotAPhoto: if the photo's structure cannot be read.
        """
        data = temp.read_bytes()
        clean = photo_metadata.strip(data, media_type)
        if clean != data:
            temp.write_bytes(clean)
        return hashlib.sha256(clean).hexdigest(), len(clean)

    def commit(self, sha256: str, temp: Path) -> Path:
        """Move a verified temporary file to its content address (a no-op if already stored)."""
        target = self.path(sha256)
        if target.exists():
            temp.unlink(missing_ok=True)
            return target
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(temp, target)
        return target

    def make_display_copy(self, sha256: str) -> tuple[int, int] | None:
        """Write a downscaled JPEG of a photo; returns the original's (width, height)."""
        target = self.display_path(sha256)
        try:
            with Image.open(self.path(sha256)) as image:
                image = ImageOps.exif_transpose(image)
                size = image.size
                image.thumbnail((DISPLAY_SIZE, DISPLAY_SIZE))
                target.parent.mkdir(parents=True, exist_ok=True)
                image.convert("RGB").save(target, "JPEG", quality=80, optimize=True)
                return size
        except (UnidentifiedImageError, OSError, *TOO_MANY_PIXELS):
            return None


def sniff(path: Path) -> str | None:
    """The media type of a file from its first bytes, or None if unknown."""
    kind = filetype.guess(str(path))
    return kind.mime if kind else None


def _too_many_pixels() -> Invalid:
    return Invalid(
        _(
            "This photo has more than %(limit)s megapixels, more than FieldKit keeps. Take it at a "
            "lower resolution, or make it smaller, and attach it again.",
            limit=MAX_PIXELS // 1_000_000,
        )
    )


def _damaged() -> Invalid:
    return Invalid(_("This photo is damaged or incomplete; try taking it again."))


def _check_photo(path: Path) -> None:
    """Refuse an image over MAX_PIXELS from its header (before decoding), then a damaged one."""
    try:
        with Image.open(path) as image:
            too_large = image.size[0] * image.size[1] > MAX_PIXELS
            if not too_large:
                image.verify()
    except TOO_MANY_PIXELS:
        too_large = True
    except (UnidentifiedImageError, OSError, SyntaxError):
        raise _damaged() from None
    if too_large:
        raise _too_many_pixels()


def _heic_refused() -> Invalid:
    return Invalid(
        _(
            "HEIC photos cannot be attached: FieldKit cannot remove the location and camera details "
            "they carry. Attach it from the photo picker, which sends a JPEG, or set the camera to "
            "“Most Compatible” (JPEG)."
        )
    )


def accept(store: Store, upload, *, max_bytes: int) -> dict:
    """Validate and store one uploaded file; returns its attachment fields.

    :raises Invalid: too large, empty, of a type not accepted, or a damaged photo.
    """
    sha256, size, temp = store.put_stream(upload.stream, max_bytes=max_bytes)
    try:
        if size == 0:
            raise Invalid(_("This file is empty."))
        media_type = sniff(temp)
        if media_type == "image/heic":  # recognised by its ftyp brand, whatever its name
            raise _heic_refused()
        if media_type not in ACCEPTED:
            raise Invalid(
                _(
                    "This kind of file is not accepted. Attach photos (JPEG, PNG, WebP), "
                    "audio recordings or documents (PDF, Word, spreadsheets)."
                )
            )
        if media_type in DISPLAYABLE:
            _check_photo(temp)  # size from the header first: stripping opens the image too
            try:
                sha256, size = store.without_metadata(temp, media_type)
                with Image.open(temp) as image:
                    image.verify()
            except (
                UnidentifiedImageError,
                OSError,
                Image.DecompressionBombError,
                SyntaxError,
                photo_metadata.NotAPhoto,
            ):
                raise Invalid(_("This photo is damaged or incomplete; try taking it again.")) from None
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    store.commit(sha256, temp)
    width = height = None
    if media_type in DISPLAYABLE:
        dimensions = store.make_display_copy(sha256)
        if dimensions:
            width, height = dimensions
    filename = os.path.basename((upload.filename or "").replace("\\", "/"))[:200] or sha256[:12]
    return {
        "sha256": sha256,
        "size": size,
        "media_type": media_type,
        "filename": filename,
        "width": width,
        "height": height,
    }
