"""axe-core on the main pages: no serious or critical accessibility violation, in English and
French, on a desktop and a 320 px screen, with and without validation errors shown."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from .conftest import PHONE
from .helpers import add_response, describe, jpeg_bytes, record_issue, serious, shown


@pytest.fixture(scope="module")
def issue_id(browser, live_server):
    """An issue with a photo, a response with a commitment and an edit, so every part of its pages shows."""
    context = browser.new_context()
    page = context.new_page()
    issue_id = record_issue(
        page,
        live_server,
        "Borehole broken since March",
        description="The hand pump no longer works.",
        community="Kolwa",
        photo=jpeg_bytes(),
    )
    add_response(
        page,
        on=(date.today() - timedelta(days=20)).isoformat(),
        official="Ward administrator",
        said="A technician will come.",
        commitment="Repair the pump",
        due_on=(date.today() - timedelta(days=5)).isoformat(),
    )
    page.goto(live_server.url(f"/issues/{issue_id}/edit"))
    shown(page, page.get_by_label("People affected", exact=True)).fill("300")
    with page.expect_navigation():
        page.get_by_role("button", name="Save changes").click()
    page.wait_for_url(re.compile(rf"/issues/{issue_id}$"))
    record_issue(page, live_server, "स्कूल में शौचालय नहीं है", language="hi", sector="sanitation")
    context.close()
    return issue_id


PAGES = {
    "home": "/",
    "list": "/issues/",
    "search with no result": "/issues/?q=zzqxw",
    "new issue form": "/issues/new",
    "detail": "/issues/{id}",
    "edit form": "/issues/{id}/edit",
    "history": "/issues/{id}/history",
    "not found": "/issues/no-such-issue",
    "offline notice": "/hub/offline",
}


def assert_no_serious_violations(axe, page):
    found = serious(axe(page))
    assert not found, f"{page.url}\n" + describe(found)


@pytest.mark.parametrize("name", list(PAGES))
def test_page_has_no_serious_violation(page, axe, live_server, issue_id, name):
    page.goto(live_server.url(PAGES[name].format(id=issue_id)))
    assert_no_serious_violations(axe, page)


@pytest.mark.parametrize("name", ["home", "new issue form", "detail"])
def test_page_in_french_at_320px_has_no_serious_violation(open_page, axe, live_server, issue_id, name):
    page = open_page(viewport=PHONE, locale="fr-SN")
    page.goto(live_server.url(PAGES[name].format(id=issue_id)))
    assert page.locator("html").get_attribute("lang") == "fr"
    assert_no_serious_violations(axe, page)


def test_new_issue_form_with_errors_has_no_serious_violation(page, axe, live_server):
    page.goto(live_server.url("/issues/new"))
    # Let the server judge: the browser's own checks would stop the empty title before it is sent.
    page.locator("form.record").evaluate("form => form.noValidate = true")
    page.get_by_label(re.compile("^Title")).fill(" ")
    page.get_by_label("Date observed", exact=True).fill((date.today() + timedelta(days=3)).isoformat())
    shown(page, page.get_by_label("People affected", exact=True)).fill("-4")
    page.get_by_label("Record the reporter's name and contact").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Save issue").click()

    summary = page.get_by_role("alert")
    expect(summary).to_be_visible()
    # The summary names each field and links to it: the form is several screens long on a phone.
    links = summary.get_by_role("link")
    expect(links.filter(has_text=re.compile(r"^Title: "))).to_have_count(1)
    expect(links.filter(has_text=re.compile(r"^Date observed: "))).to_have_count(1)
    expect(links.filter(has_text=re.compile(r"^People affected: "))).to_have_count(1)
    for href in links.evaluate_all("links => links.map(a => a.getAttribute('href'))"):
        assert page.locator(href).count() == 1, f"the summary links to {href}, which is not on the page"
    title = page.get_by_label(re.compile("^Title"))
    assert title.get_attribute("aria-invalid") == "true"
    # Each message is beside its field and tied to it, so a screen reader reads it with the field.
    described_by = title.get_attribute("aria-describedby").split()
    assert any(page.locator(f"#{ident}.error").count() for ident in described_by)
    assert_no_serious_violations(axe, page)


def test_timeline_forms_with_errors_have_no_serious_violation(page, axe, live_server, issue_id):
    page.goto(live_server.url(f"/issues/{issue_id}"))
    page.locator("summary", has_text="Government response").click()
    form = page.locator("form:has(input[name=kind][value=response])")
    form.evaluate("form => form.noValidate = true")
    form.get_by_label(re.compile("^What was said")).fill(" ")
    form.get_by_label("Commitment due date", exact=True).fill((date.today() + timedelta(days=9)).isoformat())
    with page.expect_response(lambda r: r.request.method == "POST"):
        form.get_by_role("button", name="Add response").click()
    page.wait_for_selector("form:has(input[name=kind][value=response]) .error")
    for summary in ("Follow-up visit", "Change status", "Note"):
        page.locator("summary", has_text=summary).click()
    assert_no_serious_violations(axe, page)


def test_deleted_issue_page_has_no_serious_violation(page, axe, live_server):
    record_issue(page, live_server, "Streetlights off on the market road", sector="electricity")
    page.get_by_role("button", name="Delete this issue").click()
    expect(page.get_by_text("This issue was deleted")).to_be_visible()
    assert_no_serious_violations(axe, page)
    page.goto(live_server.url("/issues/?deleted=1"))
    assert_no_serious_violations(axe, page)


def test_keyboard_user_can_skip_to_the_content(page, live_server):
    page.goto(live_server.url("/issues/"))
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    assert skip.evaluate("link => link === document.activeElement")
    box = skip.bounding_box()
    assert box and box["x"] >= 0 and box["y"] >= 0, "the focused skip link is off screen"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


def test_touch_targets_are_at_least_44px(open_page, live_server, issue_id):
    page = open_page(viewport=PHONE, is_mobile=True, has_touch=True)
    small = []
    for path in ("/", "/issues/", "/issues/new", f"/issues/{issue_id}"):
        page.goto(live_server.url(path))
        small += page.evaluate(
            """() => Array.from(document.querySelectorAll(
                   'button, .button, input:not([type=hidden]), select, textarea, summary, nav a'))
                 .filter(e => e.offsetParent !== null)
                 .map(e => [e, e.getBoundingClientRect()])
                 .filter(([e, r]) => {
                   const box = e.type === 'checkbox' || e.type === 'radio' ? e.parentElement.getBoundingClientRect() : r;
                   return box.height < 43.5 || box.width < 23.5;
                 })
                 .map(([e, r]) => location.pathname + ' ' + e.outerHTML.slice(0, 90) + ' ' +
                      Math.round(r.width) + 'x' + Math.round(r.height))"""
        )
    assert not small, "\n".join(small)
