"""Response headers that keep the app local and strict (CSP with no inline script), and the one
check of where a ``next=`` argument may send the browser after a form."""

from __future__ import annotations

import unicodedata
from urllib.parse import unquote, urlsplit

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "media-src 'self' blob:; font-src 'self'; connect-src 'self'; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)

#: Longest ``next`` kept; a longer one is not a page of ours.
NEXT_MAX = 2000


def _unsafe(text: str) -> bool:
    # Browsers drop tabs and line breaks inside a URL and read "\" as "/": "/\t/evil.example"
    # and "/\\evil.example" both become "//evil.example", another site.
    return "\\" in text or any(unicodedata.category(c) in {"Cc", "Cf", "Zl", "Zp"} for c in text)


def safe_next(target: object, default: str = "/") -> str:
    """A path on this server to go back to, or ``default``; never another site, never raises.

    Refused: anything not starting with exactly one "/", schemes and hosts, backslashes,
    control characters (tab, CR, LF, NUL …) raw or percent-encoded, and very long values.
    """
    if not isinstance(target, str) or not target or len(target) > NEXT_MAX:
        return default
    decoded = unquote(target)
    for text in (target, decoded):
        if _unsafe(text) or not text.startswith("/") or text.startswith("//"):
            return default
    try:
        parts = urlsplit(target)
    except ValueError:
        return default
    if parts.scheme or parts.netloc:
        return default
    return target


def add_headers(response):
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Permissions-Policy", "geolocation=(self), camera=(self), microphone=(self)")
    return response


def init_app(app) -> None:
    app.after_request(add_headers)
