"""The Translate page in Chromium: axe clean on a desktop and at 320 px, a broken entry refused
beside its field, a saved one shown on the app's pages, all without JavaScript too."""

from __future__ import annotations

from playwright.sync_api import expect

from .conftest import PHONE
from .helpers import describe, serious


def assert_clean(axe, page):
    found = serious(axe(page))
    assert not found, f"{page.url}\n" + describe(found)


def test_translate_page_is_axe_clean_at_320px_and_fits(open_page, axe, live_server):
    page = open_page(viewport=PHONE)
    page.goto(live_server.url("/translate/"))
    assert_clean(axe, page)
    page.goto(live_server.url("/translate/fr"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Français")
    assert_clean(axe, page)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page is {width} px wide on a 320 px screen"
    page.goto(
        live_server.url("/translate/fr?msgid=%(num)s problem found; nothing was imported from %(file)s.")
    )
    expect(page.locator("textarea")).to_have_count(3)
    assert_clean(axe, page)
    page.locator("textarea").first.fill("%(num)s problème")
    page.get_by_role("button", name="Save translation").click()
    expect(page.locator(".error").first).to_contain_text("%(file)s")
    assert_clean(axe, page)


def test_without_javascript_a_broken_entry_is_refused_beside_its_field_and_a_good_one_shows(
    open_page, live_server
):
    page = open_page(java_script_enabled=False)
    page.goto(live_server.url("/translate/wo?msgid=Meetings"))
    field = page.get_by_label("Translation", exact=True)
    field.fill("Ndaje-ndaje <b>")
    page.get_by_role("button", name="Save translation").click()
    expect(page.locator(".error")).to_contain_text("HTML")
    assert field.get_attribute("aria-invalid") == "true"
    page.get_by_label("Translation", exact=True).fill("Ndaje-ndaje")
    page.get_by_role("button", name="Save translation").click()
    expect(page.get_by_role("status")).to_be_visible()
    page.goto(live_server.url("/?lang=wo"))
    expect(page.locator("nav").get_by_role("link", name="Ndaje-ndaje", exact=True)).to_be_visible()
