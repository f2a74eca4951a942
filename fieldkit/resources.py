"""Where FieldKit's shipped files are: inside the installed package, or beside it in a checkout."""

from __future__ import annotations

import mimetypes
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


def _shipped(name: str) -> Path:
    installed = PACKAGE_DIR / name
    if installed.is_dir():
        return installed
    return PACKAGE_DIR.parent / name


STATIC_DIR = _shipped("static")
TRANSLATIONS_DIR = _shipped("translations")


#: Media types of shipped files that a system's own table may lack (Windows has no woff2 entry).
MEDIA_TYPES = {".woff2": "font/woff2"}


def register_media_types() -> None:
    """Serve shipped files with their right media type on every system."""
    for extension, media_type in MEDIA_TYPES.items():
        mimetypes.add_type(media_type, extension)
