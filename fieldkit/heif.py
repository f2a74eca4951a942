"""The header of a HEIC/HEIF photo (an iPhone's default), read without decoding it.

FieldKit cannot decode HEIC (no HEVC decoder ships with it), yet a field worker's iPhone photo
is evidence that must not be turned away. So a HEIC file is checked by its structure instead:
an ISO base media ``ftyp`` box naming a HEIF brand, then the ``meta`` box whose image spatial
extents (``ispe``) give every image's width and height. A file without them is not a photo.

Box layout (ISO/IEC 14496-12, 23008-12): ``size:u32 type:4cc [largesize:u64] payload``;
``meta`` and ``ispe`` are full boxes (4 bytes of version and flags before their payload);
``ispe`` holds ``width:u32 height:u32``; ``meta`` → ``iprp`` → ``ipco`` → ``ispe``.
"""

from __future__ import annotations

import struct

BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"}
#: The largest ``meta`` box read, and how many top-level boxes are looked at to find it.
MAX_META = 4 << 20
MAX_BOXES = 64


class NotHeif(ValueError):
    """The file is not a well-formed HEIF image header."""


def _boxes(data: bytes, start: int = 0, end: int | None = None):
    """(type, payload start, payload end) of each box in ``data[start:end]``."""
    end = len(data) if end is None else end
    position = start
    while position + 8 <= end:
        size, kind = struct.unpack_from(">I4s", data, position)
        header = 8
        if size == 1:
            if position + 16 > end:
                raise NotHeif("truncated box")
            size = struct.unpack_from(">Q", data, position + 8)[0]
            header = 16
        elif size == 0:
            size = end - position
        if size < header or position + size > end:
            raise NotHeif("box overruns its parent")
        yield kind, position + header, position + size
        position += size


def _top_level(handle):
    """(type, payload bytes) of the top-level boxes before the pixels, reading no more than needed."""
    offset = 0
    for _ in range(MAX_BOXES):
        handle.seek(offset)
        head = handle.read(16)
        if len(head) < 8:
            return
        size, kind = struct.unpack_from(">I4s", head)
        header = 8
        if size == 1 and len(head) == 16:
            size, header = struct.unpack_from(">Q", head, 8)[0], 16
        if size < header:
            raise NotHeif("bad top-level box")
        if kind in (b"ftyp", b"meta"):
            if size > MAX_META:
                raise NotHeif("header too large")
            handle.seek(offset + header)
            payload = handle.read(size - header)
            if len(payload) != size - header:
                raise NotHeif("truncated header")
            yield kind, payload
        offset += size


def dimensions(path) -> list[tuple[int, int]]:
    """Width and height of every image a HEIF file declares (tiles, thumbnails and the whole).

    :raises NotHeif: not a HEIF file, or its header is damaged or declares no image size.
    """
    sizes: list[tuple[int, int]] = []
    branded = False
    with open(path, "rb") as handle:
        for kind, payload in _top_level(handle):
            if kind == b"ftyp":
                brands = {payload[:4]} | {payload[i : i + 4] for i in range(8, len(payload) - 3, 4)}
                branded = bool(brands & BRANDS)
            elif kind == b"meta" and branded:
                sizes = list(_extents(payload))
                break
    if not branded:
        raise NotHeif("no HEIF brand")
    if not sizes:
        raise NotHeif("no image size")
    return sizes


def _extents(meta: bytes):
    for kind, start, end in _boxes(meta, 4):  # meta is a full box
        if kind != b"iprp":
            continue
        for inner, inner_start, inner_end in _boxes(meta, start, end):
            if inner != b"ipco":
                continue
            for prop, prop_start, prop_end in _boxes(meta, inner_start, inner_end):
                if prop == b"ispe":
                    if prop_end - prop_start < 12:
                        raise NotHeif("short ispe")
                    yield struct.unpack_from(">II", meta, prop_start + 4)
