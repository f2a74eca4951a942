"""Issues in a real browser: record with a photo, find by search in French and Hindi, follow with
government responses, at 320 px, without JavaScript, under the strict CSP, never leaving 127.0.0.1."""

from __future__ import annotations

import re
from datetime import date, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from .conftest import PHONE
from .helpers import add_response, jpeg_bytes, no_horizontal_scroll, record_issue, shown

LONG_WORD = "Kisumu-East-Sub-County-Water-And-Sanitation-Department-Borehole-Number-0042"


@pytest.fixture(scope="module")
def sample_issue(browser, live_server):
    """An issue with a long unbroken word, a photo and a government response, recorded through the form."""
    context = browser.new_context()
    page = context.new_page()
    issue_id = record_issue(
        page,
        live_server,
        f"Clinic without medicine at {LONG_WORD}",
        sector="health",
        description="The dispensary has had no antimalarials for six weeks. " * 5,
        community="Kolwa",
        photo=jpeg_bytes(1600, 1200),
    )
    add_response(
        page,
        on=(date.today() - timedelta(days=2)).isoformat(),
        official="County health officer",
        said="Stock will be delivered with the next supply round.",
        commitment="Deliver antimalarials",
        due_on=(date.today() + timedelta(days=14)).isoformat(),
    )
    context.close()
    return issue_id


def test_recorded_issue_shows_its_photo(page, live_server):
    photo = jpeg_bytes(1200, 900)
    issue_id = record_issue(
        page,
        live_server,
        "Borehole broken since March",
        description="The hand pump no longer works; 250 people walk 3 km for water.",
        community="Kolwa",
        photo=photo,
        photo_name="borehole.jpg",
    )

    assert page.url.endswith(f"/issues/{issue_id}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Borehole broken since March")
    expect(page.get_by_text("250 people walk 3 km for water", exact=False)).to_be_visible()
    evidence = page.locator("#attachments")
    image = evidence.get_by_role("img", name=re.compile("borehole.jpg"))
    expect(image).to_be_visible()
    image.scroll_into_view_if_needed()
    loaded = image.evaluate("img => img.complete && img.naturalWidth > 0 && img.naturalHeight > 0")
    assert loaded, "the photo did not load"
    # The page shows a downscaled copy that keeps the photo's shape; the original is one click away.
    width, height = image.evaluate("img => [img.naturalWidth, img.naturalHeight]")
    assert abs(width / height - 4 / 3) < 0.02
    assert width < 1200, "the page shows the full-size original instead of a display copy"
    original = image.locator("xpath=ancestor::a[1]").get_attribute("href")
    response = page.request.get(live_server.url(original))
    assert response.ok and response.body() == photo


def _search_as_you_type(page, live_server, words: str):
    """Type into the issue list's search box; htmx swaps the results without reloading the page."""
    page.goto(live_server.url("/issues/"))
    page.wait_for_function("() => window.htmx !== undefined")
    page.evaluate("window.__samePage = true")
    box = page.get_by_role("searchbox", name="Search")
    with page.expect_response(
        lambda r: "/issues/?" in r.url and r.request.headers.get("hx-request") == "true"
    ):
        box.press_sequentially(words, delay=20)
    return page.locator("#results")


def test_french_search_folds_accents(page, live_server):
    record_issue(
        page,
        live_server,
        "École sans toilettes à Thiès",
        language="fr",
        sector="education",
        community="Thiès Nord",
    )
    record_issue(page, live_server, "Route impraticable à Kaolack", language="fr", sector="roads")

    results = _search_as_you_type(page, live_server, "ecole thies")

    expect(results.get_by_role("link", name="École sans toilettes à Thiès")).to_be_visible()
    expect(results.get_by_role("link", name="Route impraticable à Kaolack")).to_have_count(0)
    assert page.evaluate("window.__samePage === true"), "the search reloaded the whole page"
    # The address bar follows, so the search can be bookmarked, shared or reloaded.
    expect(page).to_have_url(re.compile(r"[?&]q=ecole(\+|%20)thies(&|$)"))
    assert parse_qs(urlsplit(page.url).query).get("q") == ["ecole thies"]
    page.reload()
    expect(page.locator("#results").get_by_role("link", name="École sans toilettes à Thiès")).to_be_visible()


def test_hindi_search_finds_whole_words(page, live_server):
    record_issue(
        page, live_server, "स्कूल में शौचालय नहीं है", language="hi", sector="sanitation", community="रामपुर"
    )
    record_issue(page, live_server, "अस्पताल में दवा नहीं है", language="hi", sector="health", community="रामपुर")

    results = _search_as_you_type(page, live_server, "शौचालय")

    expect(results.get_by_role("link", name="स्कूल में शौचालय नहीं है")).to_be_visible()
    expect(results.get_by_role("link", name="अस्पताल में दवा नहीं है")).to_have_count(0)
    assert page.evaluate("window.__samePage === true"), "the search reloaded the whole page"


def test_search_with_no_match_says_so(page, live_server):
    results = _search_as_you_type(page, live_server, "zzqxw")
    expect(results).to_contain_text("No issue matches")


def test_government_response_with_commitment_on_the_timeline(page, live_server):
    issue_id = record_issue(page, live_server, "Water point dry for two months", community="Nyalenda")
    due = date.today() + timedelta(days=30)

    add_response(
        page,
        on=(date.today() - timedelta(days=1)).isoformat(),
        channel="meeting",
        official="Ward administrator Achieng",
        said="The county will repair the pump.",
        commitment="Repair the pump and test the water",
        due_on=due.isoformat(),
    )

    assert urlsplit(page.url).path == f"/issues/{issue_id}"
    event = page.locator("#timeline li.event").filter(has_text="Ward administrator Achieng")
    expect(event).to_be_visible()
    expect(event).to_contain_text("Government response")
    expect(event).to_contain_text("The county will repair the pump.")
    expect(event).to_contain_text("Repair the pump and test the water")
    expect(event).to_contain_text(re.compile(rf"due .*\b{due.day}\b.*{due.year}"))
    expect(event).not_to_contain_text("overdue")

    with page.expect_navigation():
        event.get_by_role("button", name="Mark as fulfilled").click()
    event = page.locator("#timeline li.event").filter(has_text="Ward administrator Achieng")
    expect(event.locator(".badge")).to_have_text("fulfilled")


def test_overdue_commitment_is_flagged_and_needs_attention(page, live_server):
    record_issue(page, live_server, "Clinic roof leaking", sector="health")
    add_response(
        page,
        on=(date.today() - timedelta(days=40)).isoformat(),
        official="District health office",
        said="We will fix the roof this month.",
        commitment="Fix the roof",
        due_on=(date.today() - timedelta(days=10)).isoformat(),
    )
    event = page.locator("#timeline li.event").filter(has_text="Fix the roof")
    expect(event.locator(".badge")).to_have_text("overdue")

    page.goto(live_server.url("/"))
    overdue = page.locator("section").filter(has=page.get_by_role("heading", name="Commitments past due"))
    expect(overdue.get_by_role("link", name="Clinic roof leaking")).to_be_visible()

    page.goto(live_server.url("/issues/"))
    row = page.locator("#results li").filter(has_text="Clinic roof leaking")
    expect(row.locator(".badge.overdue")).to_have_text("overdue")


def test_a_new_issue_does_not_inherit_the_previous_draft(page, live_server):
    record_issue(page, live_server, "Bridge washed away", description="The footbridge to the market is gone.")
    page.goto(live_server.url("/issues/new"))
    expect(page.get_by_label(re.compile("^Title"))).to_have_value("")
    expect(page.get_by_label("Description", exact=True)).to_have_value("")


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/issues/",
        "/issues/?q=clinic",
        "/issues/new",
        "/issues/{id}",
        "/issues/{id}/edit",
        "/issues/{id}/history",
    ],
)
def test_pages_fit_a_320px_screen(open_page, live_server, sample_issue, path):
    page = open_page(viewport=PHONE, is_mobile=True, has_touch=True)
    page.goto(live_server.url(path.format(id=sample_issue)))
    fits, why = no_horizontal_scroll(page, PHONE["width"])
    assert fits, why


def test_form_with_errors_fits_a_320px_screen(open_page, live_server):
    page = open_page(viewport=PHONE, is_mobile=True, has_touch=True)
    page.goto(live_server.url("/issues/new"))
    page.locator("form.record").evaluate("form => form.noValidate = true")
    page.get_by_label(re.compile("^Title")).fill(" ")
    page.get_by_label("Date observed", exact=True).fill((date.today() + timedelta(days=3)).isoformat())
    with page.expect_navigation():
        page.get_by_role("button", name="Save issue").click()
    expect(page.get_by_role("alert")).to_be_visible()
    fits, why = no_horizontal_scroll(page, PHONE["width"])
    assert fits, why


def test_timeline_forms_open_at_320px_fit(open_page, live_server, sample_issue):
    page = open_page(viewport=PHONE, is_mobile=True, has_touch=True)
    page.goto(live_server.url(f"/issues/{sample_issue}"))
    for summary in ("Government response", "Follow-up visit", "Change status", "Note"):
        page.locator("summary", has_text=summary).click()
    fits, why = no_horizontal_scroll(page, PHONE["width"])
    assert fits, why


def test_everything_works_without_javascript(open_page, live_server):
    page = open_page(java_script_enabled=False)
    page.goto(live_server.url("/"))
    with page.expect_navigation():
        page.get_by_role("link", name="Record an issue").click()
    issue_id = record_issue(
        page,
        live_server,
        "Grant not paid in Mbeere",
        sector="grants",
        description="Older people have not received the grant since June.",
        photo=jpeg_bytes(),
    )
    expect(page.get_by_role("heading", level=1)).to_have_text("Grant not paid in Mbeere")
    expect(page.locator("#attachments img")).to_have_count(1)

    # Search from the home page's plain GET form.
    page.goto(live_server.url("/"))
    page.get_by_label(re.compile("^Search")).fill("grant mbeere")
    with page.expect_navigation():
        page.get_by_role("button", name="Search").click()
    with page.expect_navigation():
        page.get_by_role("link", name="Grant not paid in Mbeere").click()

    # A government response: <details> opens without script, the form posts and redirects back.
    add_response(
        page,
        on=date.today().isoformat(),
        official="Social development officer",
        said="Payments resume next month.",
        commitment="Pay the arrears",
        due_on=(date.today() + timedelta(days=20)).isoformat(),
    )
    expect(page.locator("#timeline")).to_contain_text("Pay the arrears")

    # Delete, then restore.
    with page.expect_navigation():
        page.get_by_role("button", name="Delete this issue").click()
    expect(page.get_by_text("This issue was deleted")).to_be_visible()
    with page.expect_navigation():
        page.get_by_role("button", name="Restore this issue").click()
    expect(page.get_by_text("This issue was deleted")).to_have_count(0)

    # History, and the language picker (its Change button is there when script is off).
    with page.expect_navigation():
        page.get_by_role("link", name="History").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("History")
    page.get_by_label("Language").select_option("fr")
    with page.expect_navigation():
        page.locator("form.language").get_by_role("button").click()
    assert page.locator("html").get_attribute("lang") == "fr"
    assert urlsplit(page.url).path == f"/issues/{issue_id}/history"


def test_strict_csp_on_every_page_and_no_violation(page, live_server, sample_issue):
    for path in (
        "/",
        "/issues/",
        "/issues/new",
        f"/issues/{sample_issue}",
        f"/issues/{sample_issue}/history",
    ):
        response = page.goto(live_server.url(path))
        csp = response.headers.get("content-security-policy", "")
        assert "script-src 'self'" in csp, path
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, path
        assert "default-src 'self'" in csp, path
    # htmx itself runs under the CSP: a live search and a boosted navigation.
    _search_as_you_type(page, live_server, "clinic")
    with page.expect_response(lambda r: r.request.headers.get("hx-boosted") == "true"):
        page.locator("#results").get_by_role("link").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Clinic")
    page.guard.collect(page)
    assert page.guard.csp == []
    assert page.guard.page_errors == []


def test_no_request_leaves_127_0_0_1(page, live_server, sample_issue):
    for path in (
        "/",
        "/issues/",
        "/issues/new",
        f"/issues/{sample_issue}",
        f"/issues/{sample_issue}/history",
    ):
        page.goto(live_server.url(path))
    page.goto(live_server.url(f"/issues/{sample_issue}"))
    page.wait_for_function("() => document.querySelector('#attachments img')?.naturalWidth > 0")
    _search_as_you_type(page, live_server, "clinic")
    requested = page.guard.requested
    assert any(url.endswith(".js") for url in requested) and any(url.endswith(".css") for url in requested)
    assert any("/display.jpg" in url for url in requested), "the photo was not loaded"
    hosts = {urlsplit(url).hostname for url in requested if urlsplit(url).scheme in {"http", "https"}}
    assert hosts == {"127.0.0.1"}
    assert page.guard.offsite == []


def test_the_guard_sees_offsite_requests_and_csp_violations(browser, live_server):
    """The two checks above would pass vacuously if the guard saw nothing: show that it sees."""
    from .conftest import Guard

    context = browser.new_context()
    guard = Guard()
    guard.watch(context)
    page = context.new_page()
    try:
        page.goto(live_server.url("/"))
        page.evaluate("document.body.insertAdjacentHTML('beforeend', '<img src=x onerror=\"void 0\">')")
        page.wait_for_function("window.__cspViolations.length > 0")
        guard.collect(page)
        with pytest.raises(Exception, match="ERR_BLOCKED_BY_CLIENT"):
            page.goto("http://example.invalid/")
    finally:
        context.close()
    assert any("script-src" in text for text in guard.csp)
    assert guard.offsite == ["http://example.invalid/"]


def test_history_says_who_changed_which_field_from_what_to_what(page, live_server):
    issue_id = record_issue(page, live_server, "Pump handle missing", community="Kolwa")
    page.goto(live_server.url(f"/issues/{issue_id}/edit"))
    page.get_by_label(re.compile("^Sector")).select_option("health")
    shown(page, page.get_by_label("People affected", exact=True)).fill("300")
    with page.expect_navigation():
        page.get_by_role("button", name="Save changes").click()
    page.get_by_role("button", name="Delete this issue").click()
    expect(page.get_by_text("This issue was deleted")).to_be_visible()
    page.get_by_role("button", name="Restore this issue").click()
    expect(page.get_by_role("button", name="Delete this issue")).to_be_visible()

    page.get_by_role("link", name="History").click()  # a boosted link: htmx swaps the page in
    page.wait_for_url(re.compile(r"/history$"))
    entries = page.locator("ol.history > li")
    expect(entries).to_have_count(4)
    expect(entries.nth(0)).to_contain_text("Created")
    change = entries.nth(1)
    expect(change).to_contain_text("Changed 2 fields")
    expect(change.locator("dt")).to_have_text(["People affected", "Sector"])
    expect(change.locator("dd").nth(1)).to_have_text("from Water to Health")
    expect(entries.nth(2)).to_contain_text("Deleted")
    expect(entries.nth(3)).to_contain_text("Restored")
