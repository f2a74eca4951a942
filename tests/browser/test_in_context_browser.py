"""Translate in context in Chromium on a 320 px phone: the owner switches it on from the footer, the
page stays accessible and fits, and a marked text opens the Translate entry for its msgid — by a
click on the text with JavaScript, by the page's list of links without."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import expect

from .conftest import PHONE
from .helpers import describe, no_horizontal_scroll, serious

#: The switch's name in each language the tests use.
SWITCH = {"en": "Translate this page", "fr": "Traduire cette page"}


def switch_on(page, server, path: str, language: str = "en") -> None:
    page.goto(server.url(path))
    button = page.get_by_role("button", name=SWITCH[language])
    expect(button).to_have_attribute("aria-pressed", "false")
    with page.expect_navigation():
        button.click()
    page.wait_for_url(re.compile(re.escape(path) + "$"))
    expect(page.get_by_role("button", name=SWITCH[language])).to_have_attribute("aria-pressed", "true")


def entry(url: str) -> tuple[str, str]:
    """(path, msgid) of a Translate address."""
    parts = urlsplit(url)
    return parts.path, parse_qs(parts.query)["msgid"][0]


def test_a_marked_text_opens_its_translate_entry_and_the_page_stays_accessible_at_320px(
    open_page, axe, live_server
):
    page = open_page(viewport=PHONE, locale="fr-SN")
    switch_on(page, live_server, "/issues/new", "fr")
    marked = page.locator("nav .i18n-mark[data-msgid='Issues']")
    expect(marked).to_have_text("Problèmes")
    assert page.locator(".i18n-mark").count() > 30
    assert page.title().startswith("Signaler un problème")  # the window title is plain text
    expect(page.get_by_label("Langue", exact=True)).to_be_visible()  # a label still names its field
    # The list of texts names each one by its English (the catalog's key).
    expect(page.get_by_role("complementary")).to_contain_text("Traduire : Record an issue")
    found = serious(axe(page))
    assert not found, describe(found)
    fits, detail = no_horizontal_scroll(page, PHONE["width"])
    assert fits, detail
    page.locator("summary .i18n-mark").click()  # the folded menu still opens on a phone
    marked.click()  # on the menu's link: opens the entry, not the list of issues
    page.wait_for_url(re.compile(r"/translate/fr\?"))
    assert entry(page.url) == ("/translate/fr", "Issues")


def test_without_javascript_the_list_of_texts_links_to_each_entry(open_page, live_server):
    page = open_page(viewport=PHONE, java_script_enabled=False)
    switch_on(page, live_server, "/")
    link = page.get_by_role("link", name="Translate: Record an issue")
    with page.expect_navigation():
        link.click()
    assert entry(page.url) == ("/translate/en", "Record an issue")
    page.goto(live_server.url("/"))
    with page.expect_navigation():
        page.get_by_role("button", name="Translate this page").click()
    assert page.locator(".i18n-mark").count() == 0
    assert page.get_by_role("complementary").count() == 0
