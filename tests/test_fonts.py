"""The shipped Devanagari font: served by FieldKit itself, with its licence, declared for Devanagari only."""

from __future__ import annotations

import mimetypes
import re
from pathlib import Path

import pytest

STATIC = Path(__file__).resolve().parent.parent / "static"
FONTS = ("NotoSansDevanagari-Regular.subset.woff2", "NotoSansDevanagari-Bold.subset.woff2")


@pytest.mark.parametrize("name", FONTS)
def test_font_is_served_as_woff2_even_where_the_system_lacks_the_type(client, monkeypatch, name):
    # As on a system without a media type table of its own (Windows has no .woff2 entry).
    monkeypatch.setattr(mimetypes, "_db", mimetypes.MimeTypes(filenames=()))
    assert mimetypes.guess_type(name)[0] is None
    from fieldkit.resources import register_media_types

    register_media_types()  # what create_app does
    with client.get(f"/static/fonts/{name}") as response:
        assert response.status_code == 200
        assert response.mimetype == "font/woff2"
        assert response.data[:4] == b"wOF2"
        assert "font-src 'self'" in response.headers["Content-Security-Policy"]


def test_font_licence_ships_beside_the_fonts(client):
    with client.get("/static/fonts/OFL.txt") as response:
        licence = response.get_data(as_text=True)
    assert "SIL OPEN FONT LICENSE" in licence and "Version 1.1" in licence
    assert "Copyright" in licence.splitlines()[0]


def test_stylesheet_declares_the_font_for_devanagari_text_only():
    css = (STATIC / "app.css").read_text(encoding="utf-8")
    faces = re.findall(r"@font-face\s*{([^}]*)}", css)
    assert len(faces) == 2
    for face in faces:
        ranges = re.search(r"unicode-range:\s*([^;]+);", face).group(1)
        assert "U+0900-097F" in ranges
        # No Latin letter, digit or punctuation: a Latin page never downloads the font.
        for start, end in re.findall(r"U\+([0-9A-F]+)(?:-([0-9A-F]+))?", ranges):
            assert int(start, 16) >= 0x0900, ranges
        url = re.search(r'url\("([^"]+)"\)', face).group(1)
        assert (STATIC / url).is_file()
