"""Settings → Your name in a real browser, on a phone-sized screen: set, saved, accessible."""

from __future__ import annotations

from .conftest import PHONE
from .helpers import describe, no_horizontal_scroll, serious


def test_setting_your_name_at_320px(open_page, axe, live_server):
    page = open_page(viewport=PHONE)
    page.goto(live_server.url("/settings/"))
    fits, detail = no_horizontal_scroll(page, PHONE["width"])
    assert fits, detail
    page.get_by_label("Name recorded with your changes").fill("Wanjiru Achieng")
    with page.expect_navigation():
        page.get_by_role("button", name="Save your name").click()
    assert page.get_by_role("status").inner_text().startswith("Your name was saved.")
    assert page.get_by_label("Name recorded with your changes").input_value() == "Wanjiru Achieng"
    page.get_by_label("Name recorded with your changes").fill("Awa\u202eDiop")
    with page.expect_navigation():
        page.get_by_role("button", name="Save your name").click()
    assert "invisible control characters" in page.locator("#f-author-error, .error").first.inner_text()
    found = serious(axe(page))
    assert not found, describe(found)
