"""Hindi renders everywhere: with the Devanagari font FieldKit ships (served by FieldKit itself,
CSP font-src 'self') where the machine has none, with the installed one where it has.

A machine without any Devanagari font is made for Chromium with a fontconfig file that offers
only Latin fonts (DejaVu); the shared browser runs with this machine's fonts (Noto included).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from .conftest import CHROMIUM, CHROMIUM_ARGS, Guard

FONT_PATH = "/static/fonts/NotoSansDevanagari-"
LATIN_FONTS = Path("/usr/share/fonts/truetype/dejavu")
INSTALLED_DEVANAGARI = Path("/usr/share/fonts/truetype/noto/NotoSansDevanagari-Regular.ttf")
FONTCONFIG = """<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig><dir>{fonts}</dir><cachedir>{cache}</cachedir></fontconfig>
"""


@pytest.fixture
def no_devanagari_page(browser, tmp_path):
    """A guarded page in a Chromium that sees no Devanagari font on this machine."""
    if not LATIN_FONTS.is_dir():
        pytest.skip(f"needs the DejaVu fonts in {LATIN_FONTS} (fonts-dejavu-core)")
    config = tmp_path / "fonts.conf"
    config.write_text(FONTCONFIG.format(fonts=LATIN_FONTS, cache=tmp_path / "font-cache"))
    env = {**os.environ, "FONTCONFIG_FILE": str(config)}
    chromium = browser.browser_type.launch(
        executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True, env=env
    )
    context = chromium.new_context(locale="hi-IN", viewport={"width": 360, "height": 740})
    context.set_default_timeout(10_000)
    guard = Guard()
    guard.watch(context)
    page = context.new_page()
    page.guard = guard
    yield page
    guard.collect(page)
    problems = guard.problems()
    context.close()
    chromium.close()
    assert not problems, "\n".join(problems)


def fonts_requested(page) -> list[str]:
    return [url for url in page.guard.requested if FONT_PATH in url]


def drawn_with(page, selector: str) -> list[dict]:
    """The fonts Chromium actually drew an element's text with (DevTools protocol)."""
    session = page.context.new_cdp_session(page)
    session.send("DOM.enable")
    session.send("CSS.enable")
    root = session.send("DOM.getDocument")["root"]["nodeId"]
    node = session.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
    return session.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]


def wait_for_fonts(page) -> None:
    page.evaluate("document.fonts.ready.then(() => true)")


def test_hindi_page_on_a_machine_without_devanagari_fonts_uses_the_shipped_font(
    no_devanagari_page, live_server
):
    page = no_devanagari_page
    page.goto(live_server.url("/?lang=hi"))
    assert page.evaluate("document.documentElement.lang") == "hi"
    wait_for_fonts(page)
    assert page.evaluate("document.fonts.check('16px \"FieldKit Devanagari\"', 'मुद्दे')")
    loaded = page.evaluate(
        "Array.from(document.fonts).filter(f => f.family.includes('FieldKit Devanagari'))"
        ".map(f => f.status + ' ' + f.weight)"
    )
    assert "loaded 400" in loaded and "loaded 700" in loaded  # headings and labels are bold
    page.locator("details.menu > summary").click()  # the menu is folded on a phone
    for selector in ("h1", "nav a"):
        fonts = drawn_with(page, selector)
        custom = [f for f in fonts if f["isCustomFont"]]
        assert custom and "Devanagari" in custom[0]["familyName"], (selector, fonts)
        # Every Devanagari glyph of the element came from the shipped font, none from a fallback.
        assert all(f["isCustomFont"] or f["familyName"].startswith("DejaVu") for f in fonts), fonts
    assert {url.rsplit("-", 1)[1] for url in fonts_requested(page)} == {
        "Regular.subset.woff2",
        "Bold.subset.woff2",
    }


@pytest.mark.skipif(not INSTALLED_DEVANAGARI.is_file(), reason="needs fonts-noto-core")
def test_an_english_page_does_not_download_the_font(open_page, live_server):
    page = open_page(locale="en-GB")
    page.goto(live_server.url("/?lang=en"))
    wait_for_fonts(page)
    assert page.evaluate("document.documentElement.lang") == "en"
    assert fonts_requested(page) == []


@pytest.mark.skipif(not INSTALLED_DEVANAGARI.is_file(), reason="needs fonts-noto-core")
def test_a_hindi_page_uses_an_installed_devanagari_font_without_downloading(open_page, live_server):
    page = open_page(locale="hi-IN")
    page.goto(live_server.url("/?lang=hi"))
    wait_for_fonts(page)
    assert page.evaluate("document.fonts.check('16px \"FieldKit Devanagari\"', 'मुद्दे')")
    assert fonts_requested(page) == []
    assert any(f["familyName"] == "Noto Sans Devanagari" for f in drawn_with(page, "h1"))
