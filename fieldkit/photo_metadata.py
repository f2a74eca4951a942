"""Photos lose their location and camera metadata the moment they are stored.

A phone's photo carries where it was taken (EXIF GPS), the camera's make, model and serial
number, maker notes, XMP and IPTC blocks, and sometimes further pictures with their own EXIF
(MPF: depth maps, previews after the main image). None of it may leave the device (DESIGN
§7: the issue's own GPS fields are the one place for location), and it is removed once, at
ingest, before the file is hashed and stored: the store then holds no metadata at all, so
sync uploads, bundles, backups and every page serving the file (phones on the hub included)
are clean without a filter on each way out, and the content address stays the hash of what
every replica holds.

The pixels are never decoded or re-encoded: the container is rewritten keeping only what
displaying the picture needs (JPEG: the image segments, JFIF, the ICC colour profile, the
Adobe colour-transform marker, and the EXIF orientation alone, rebuilt, so a portrait photo
still shows upright; PNG: the image and colour chunks; WebP: every chunk but EXIF and XMP).
"""

from __future__ import annotations

import io
import struct

from PIL import Image, UnidentifiedImageError

ORIENTATION = 0x0112

#: JPEG application segments kept, by the signature their payload starts with.
JPEG_KEEP_APP = {0xE0: (b"JFIF\x00",), 0xE2: (b"ICC_PROFILE\x00",), 0xEE: (b"Adobe",)}

#: PNG chunks kept: the image, and how to show its colours. Text, time and eXIf are not.
PNG_KEEP = {b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"gAMA", b"cHRM", b"sRGB", b"iCCP", b"sBIT", b"pHYs"}
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

#: WebP chunks dropped, and the VP8X flags that announce them.
WEBP_DROP = {b"EXIF", b"XMP "}
WEBP_EXIF_FLAG, WEBP_XMP_FLAG = 0x08, 0x04


class NotAPhoto(ValueError):
    """The bytes are not a well-formed JPEG, PNG or WebP."""


def strip(data: bytes, media_type: str) -> bytes:
    """``data`` without location and camera metadata; the picture itself unchanged.

    :raises NotAPhoto: if the file's structure cannot be read.
    """
    try:
        if media_type == "image/jpeg":
            return _jpeg(data)
        if media_type == "image/png":
            return _png(data)
        if media_type == "image/webp":
            return _webp(data)
    except (IndexError, ValueError, struct.error) as error:
        raise NotAPhoto(str(error)) from error
    raise NotAPhoto(media_type)


def _orientation(data: bytes) -> int:
    try:
        with Image.open(io.BytesIO(data)) as image:
            value = image.getexif().get(ORIENTATION, 1)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        return 1
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def _segment(marker: int, payload: bytes) -> bytes:
    return bytes((0xFF, marker)) + struct.pack(">H", len(payload) + 2) + payload


def _jpeg(data: bytes) -> bytes:
    if data[:2] != b"\xff\xd8":
        raise ValueError("no JPEG start marker")
    out = [b"\xff\xd8"]
    orientation = _orientation(data)
    exif_written = orientation == 1
    i = 2
    while i < len(data):
        if data[i] != 0xFF:
            raise ValueError("bad JPEG marker")
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker == 0xD9:  # end of image: anything after it (MPF pictures, trailers) goes
            out.append(b"\xff\xd9")
            return b"".join(out)
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            out.append(data[i : i + 2])
            i += 2
            continue
        (length,) = struct.unpack(">H", data[i + 2 : i + 4])
        end = i + 2 + length
        if end > len(data) or length < 2:
            raise ValueError("truncated JPEG segment")
        payload = data[i + 4 : end]
        if marker == 0xDA:  # start of scan: copy the coded data up to the next real marker
            j = end
            while True:
                j = data.index(b"\xff", j)
                following = data[j + 1]
                if following == 0x00 or 0xD0 <= following <= 0xD7:
                    j += 2
                elif following == 0xFF:
                    j += 1
                else:
                    break
            if not exif_written:
                out.append(_segment(0xE1, _orientation_exif(orientation)))
                exif_written = True
            out.append(data[i:j])
            i = j
            continue
        keep = not (0xE0 <= marker <= 0xEF or marker == 0xFE) or payload.startswith(
            JPEG_KEEP_APP.get(marker, ())
        )
        if keep and not exif_written and not (0xE0 <= marker <= 0xEF):
            # The rebuilt EXIF goes after JFIF/ICC and before the image tables.
            out.append(_segment(0xE1, _orientation_exif(orientation)))
            exif_written = True
        if keep:
            out.append(data[i:end])
        i = end
    raise ValueError("no JPEG end marker")


def _orientation_exif(orientation: int) -> bytes:
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    return exif.tobytes()


def _png(data: bytes) -> bytes:
    if not data.startswith(PNG_SIGNATURE):
        raise ValueError("no PNG signature")
    out = [PNG_SIGNATURE]
    i = len(PNG_SIGNATURE)
    while i < len(data):
        (length,) = struct.unpack(">I", data[i : i + 4])
        kind = data[i + 4 : i + 8]
        end = i + 12 + length
        if end > len(data):
            raise ValueError("truncated PNG chunk")
        if kind in PNG_KEEP:
            out.append(data[i:end])
        i = end
        if kind == b"IEND":
            return b"".join(out)
    raise ValueError("no PNG end chunk")


def _webp(data: bytes) -> bytes:
    if data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        raise ValueError("no WebP header")
    chunks = []
    i = 12
    (riff_size,) = struct.unpack("<I", data[4:8])
    stop = min(len(data), 8 + riff_size)
    while i + 8 <= stop:
        kind = data[i : i + 4]
        (length,) = struct.unpack("<I", data[i + 4 : i + 8])
        end = i + 8 + length + (length & 1)
        if i + 8 + length > len(data):
            raise ValueError("truncated WebP chunk")
        chunk = data[i:end]
        if kind == b"VP8X":
            flags = chunk[8] & ~(WEBP_EXIF_FLAG | WEBP_XMP_FLAG)
            chunk = chunk[:8] + bytes((flags,)) + chunk[9:]
        if kind not in WEBP_DROP:
            chunks.append(chunk)
        i = end
    body = b"WEBP" + b"".join(chunks)
    return b"RIFF" + struct.pack("<I", len(body)) + body
