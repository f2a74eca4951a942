"""The language picker in a real browser: the first visit follows the browser's languages, a
choice applies at once (with JavaScript) or with its button (without), and is remembered."""

from __future__ import annotations

from .conftest import PHONE
from .helpers import no_horizontal_scroll


def html_lang(page) -> str:
    return page.evaluate("document.documentElement.lang")


def test_first_visit_follows_the_browsers_languages(open_page, live_server):
    page = open_page(locale="hi-IN")
    page.goto(live_server.url("/"))
    assert html_lang(page) == "hi"
    assert page.locator("#language-picker").input_value() == "hi"


def test_choosing_a_language_applies_at_once_and_is_remembered(open_page, live_server):
    page = open_page(locale="en-GB", viewport=PHONE)
    page.goto(live_server.url("/issues/?q=pump"))
    picker = page.get_by_label("Language")
    assert picker.is_visible()
    fits, detail = no_horizontal_scroll(page, PHONE["width"])
    assert fits, detail
    picker.select_option("wo")  # the page reloads in Wolof, <html lang> included
    page.wait_for_function("document.documentElement.lang === 'wo'")
    page.wait_for_load_state()
    assert page.url.endswith("/issues/?q=pump")  # back on the same page, same search
    chosen = page.locator("#language-picker option:checked").inner_text()
    assert chosen.startswith("Wolof — ") and chosen != "Wolof"  # the draft status, said in Wolof
    page.goto(live_server.url("/"))
    assert html_lang(page) == "wo"


def test_the_picker_works_without_javascript(open_page, live_server):
    page = open_page(java_script_enabled=False, locale="en-GB")
    page.goto(live_server.url("/"))
    page.get_by_label("Language").select_option("sw")
    with page.expect_navigation():
        page.get_by_role("button", name="Change").click()
    assert html_lang(page) == "sw"
