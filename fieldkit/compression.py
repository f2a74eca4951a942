"""Responses gzip-compressed for clients that accept it: pages, styles, scripts, JSON and SVG.

A phone on the hub's Wi-Fi loads htmx (52 KB) and the stylesheet, and every page is HTML
that compresses four to eight times. One ``after_request`` hook decides, for every response:

- only bodies of a text-like type (HTML, CSS, JavaScript, JSON, SVG, plain text, CSV), never
  photos, fonts or archives, which are compressed already;
- only from ``MIN_SIZE`` bytes (below it gzip's own header costs more than it saves);
- never a streamed body (it is sent as it is produced), a partial one (Range), or one that
  already has a Content-Encoding (the sync API compresses its own);
- shipped files (``send_file``) are compressed once per content and kept in a small cache;
  their ETag becomes weak, as the gzip bytes are another representation of the same file,
  so revalidation still answers 304;
- every response of a compressible type says ``Vary: Accept-Encoding``.

Hand-written rather than Flask-Compress: that library also pulls in Brotli and Zstandard
(compiled wheels) and compresses static files on every request unless given a cache backend;
this is the one rule FieldKit needs, in one place.
"""

from __future__ import annotations

import gzip
from functools import lru_cache

from flask import request

MIN_SIZE = 500
#: The largest shipped file compressed on the fly (a text attachment is sent as it is).
MAX_FILE_SIZE = 2 << 20
LEVEL = 6

COMPRESSIBLE = frozenset(
    {
        "application/javascript",
        "application/json",
        "application/manifest+json",
        "application/problem+json",
        "application/xml",
        "image/svg+xml",
        "text/javascript",
    }
)


def compressible(mimetype: str | None) -> bool:
    """Whether a body of this media type is worth compressing."""
    return bool(mimetype) and (mimetype.startswith("text/") or mimetype in COMPRESSIBLE)


@lru_cache(maxsize=64)
def _gzip_file(data: bytes) -> bytes:
    return gzip.compress(data, compresslevel=LEVEL, mtime=0)


def compress(response):
    """The ``after_request`` hook: gzip the body when the client accepts it and it pays off."""
    if not compressible(response.mimetype):
        return response
    # Added as its own header line, as other hooks add theirs (HX-Request), once.
    if "accept-encoding" not in ",".join(response.headers.getlist("Vary")).lower():
        response.headers.add("Vary", "Accept-Encoding")
    if (
        request.accept_encodings["gzip"] <= 0
        or "Content-Encoding" in response.headers
        or "Content-Range" in response.headers
    ):
        return response
    if response.direct_passthrough:  # a shipped file: read it once, cache its gzip bytes
        length = response.content_length
        if length is None or not MIN_SIZE <= length <= MAX_FILE_SIZE:
            return response
        response.direct_passthrough = False
        body = _gzip_file(response.get_data())
        if response.headers.get("ETag"):
            tag, weak = response.get_etag()
            response.set_etag(tag, weak=True)
    elif response.is_streamed:
        return response
    else:
        data = response.get_data()
        if len(data) < MIN_SIZE:
            return response
        body = gzip.compress(data, compresslevel=LEVEL, mtime=0)
    response.set_data(body)
    response.headers["Content-Encoding"] = "gzip"
    return response


def init_app(app) -> None:
    """Compress responses; call before any other hook is registered, so this one runs last
    (Flask runs ``after_request`` hooks in reverse order) and sees the final body."""
    app.after_request(compress)
