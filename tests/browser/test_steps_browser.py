"""Forms made for a thumb, on a phone (360 x 740, touch) in Chromium: an issue recorded in steps,
back and forth without losing a value, saved once; a refused save opens the step of its first
message; the meeting form skips what does not apply; a compact header whose menu works by
keyboard; results before filters; axe at 320 px on every step."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from .conftest import PHONE
from .helpers import describe, jpeg_bytes, serious

SMALL_PHONE = {"width": 360, "height": 740}


def phone(open_page, viewport=SMALL_PHONE, **options):
    return open_page(viewport=viewport, is_mobile=True, has_touch=True, **options)


def step_counter(page):
    return page.locator(".step:not([hidden]) .step-of")


def tap(page, name: str) -> None:
    page.get_by_role("button", name=name, exact=True).tap()


def test_issue_recorded_in_steps_keeps_every_value_back_and_forth_and_is_saved_once(open_page, live_server):
    page = phone(open_page)
    page.goto(live_server.url("/issues/new"))
    expect(step_counter(page)).to_have_text("Step 1 of 4")
    expect(page.get_by_label("Community / village", exact=True)).to_be_hidden()
    expect(page.get_by_role("button", name="Back", exact=True)).to_be_hidden()

    typed = {}

    def fill(label, value, exact=True):
        field = page.get_by_label(label, exact=exact)
        field.fill(value)
        typed[label] = (field, value)

    fill(re.compile(r"^Title"), "Standpipe leaking at Nyalenda market", exact=False)
    page.get_by_label(re.compile(r"^Sector")).select_option("water")
    page.get_by_label("Severity", exact=True).select_option("3")
    fill("Description", "Water runs into the road all day.")
    tap(page, "Next")

    expect(step_counter(page)).to_have_text("Step 2 of 4")
    expect(step_counter(page)).to_be_focused()
    fill("Region / province / state", "Kisumu")
    fill("District", "Kisumu East")
    fill("Community / village", "Nyalenda")
    tap(page, "Next")

    expect(step_counter(page)).to_have_text("Step 3 of 4")
    page.locator("#f-files").set_input_files(
        files=[{"name": "standpipe.jpg", "mimeType": "image/jpeg", "buffer": jpeg_bytes()}]
    )
    tap(page, "Next")

    expect(step_counter(page)).to_have_text("Step 4 of 4")
    expect(page.get_by_role("button", name="Next", exact=True)).to_be_hidden()
    fill("People affected", "120")
    fill("Responsible office or body", "Kisumu water company")
    fill("Programme or budget line code", "KIWASCO-07")

    # All the way back to the start, and forward again: nothing typed is lost, the photo stays chosen.
    for expected in ("Step 3 of 4", "Step 2 of 4", "Step 1 of 4"):
        tap(page, "Back")
        expect(step_counter(page)).to_have_text(expected)
    for _label, (field, value) in typed.items():
        expect(field).to_have_value(value)
    expect(page.get_by_label(re.compile(r"^Sector"))).to_have_value("water")
    assert page.locator("#f-files").evaluate("input => input.files.length") == 1
    for _step in range(3):
        tap(page, "Next")
    expect(step_counter(page)).to_have_text("Step 4 of 4")

    with page.expect_navigation(url=re.compile(r"/issues/[0-9a-f-]{20,}$")):
        tap(page, "Save issue")
    for text in ("Standpipe leaking at Nyalenda market", "Nyalenda", "Kisumu water company", "KIWASCO-07"):
        expect(page.get_by_text(text, exact=False).first).to_be_visible()
    expect(page.locator(".severity")).to_contain_text("Severity: 3 — severe")
    expect(page.locator("#attachments .gallery img")).to_have_count(1)
    page.goto(live_server.url("/issues/?q=Standpipe"))
    expect(page.locator("#results li", has_text="Standpipe leaking at Nyalenda market")).to_have_count(1)


def test_next_checks_only_the_step_on_screen_and_enter_moves_on_instead_of_saving(open_page, live_server):
    page = phone(open_page)
    page.goto(live_server.url("/issues/new"))
    tap(page, "Next")
    expect(step_counter(page)).to_have_text("Step 1 of 4")  # the title is required
    title = page.get_by_label(re.compile(r"^Title"))
    assert title.evaluate("input => !input.validity.valid")
    title.fill("Latrine door broken")
    page.get_by_label(re.compile(r"^Sector")).select_option("sanitation")
    title.press("Enter")
    expect(step_counter(page)).to_have_text("Step 2 of 4")
    assert page.url.endswith("/issues/new"), "Enter saved the issue before its other parts"


def test_a_refused_save_opens_the_step_of_the_first_message_with_its_field_focused(open_page, live_server):
    page = phone(open_page)
    page.goto(live_server.url("/issues/new"))
    page.locator("form.record").evaluate("form => form.noValidate = true")
    page.get_by_label(re.compile(r"^Title")).fill("Clinic without nurses")
    page.get_by_label(re.compile(r"^Sector")).select_option("health")
    for _step in range(3):
        tap(page, "Next")
    page.get_by_label("People affected", exact=True).fill("-4")
    with page.expect_navigation():
        tap(page, "Save issue")

    expect(page.get_by_role("alert")).to_contain_text("People affected")
    people = page.get_by_label("People affected", exact=True)
    expect(people).to_be_visible()
    expect(people).to_be_focused()
    expect(step_counter(page)).to_have_text("Step 4 of 4")
    expect(people).to_have_value("-4")
    expect(page.get_by_label(re.compile(r"^Title"))).to_have_value("Clinic without nurses")
    # A link in the error summary opens the part holding its field.
    tap(page, "Back")
    page.get_by_role("alert").get_by_role("link").first.tap()
    expect(people).to_be_focused()


def test_meeting_form_skips_the_reflection_part_unless_it_applies(open_page, live_server):
    page = phone(open_page)
    page.goto(live_server.url("/meetings/"))
    with page.expect_navigation(url=re.compile(r"/meetings/new$")):
        page.get_by_role("link", name="Record a meeting").tap()  # a boosted link: htmx swaps the page
    expect(page.locator("form.steps")).to_have_class(re.compile(r"\bin-steps\b"))  # set up once htmx settles
    expect(step_counter(page)).to_have_text("Step 1 of 3")
    page.get_by_label(re.compile(r"^Title")).fill("Kolwa reflection, April")
    page.get_by_label(re.compile(r"^Type of meeting")).select_option("reflection")
    expect(step_counter(page)).to_have_text("Step 1 of 4")
    for expected in ("Step 2 of 4", "Step 3 of 4", "Step 4 of 4"):
        tap(page, "Next")
        expect(step_counter(page)).to_have_text(expected)
    page.get_by_label("What changed", exact=True).fill("The borehole was repaired.")
    # The draft is still kept while typing, from any step.
    expect(page.locator("#draft-status")).not_to_be_empty(timeout=15_000)
    with page.expect_navigation(url=re.compile(r"/meetings/[0-9a-f-]{36}$")):
        tap(page, "Save meeting")
    expect(page.get_by_text("The borehole was repaired.")).to_be_visible()


def test_without_javascript_the_form_is_one_page_with_every_part_and_one_save(open_page, live_server):
    page = open_page(viewport=SMALL_PHONE, java_script_enabled=False)
    page.goto(live_server.url("/issues/new"))
    for label in ("Description", "Community / village", "People affected"):
        expect(page.get_by_label(label, exact=True)).to_be_visible()
    expect(page.locator("#f-files")).to_be_visible()
    expect(page.get_by_role("button", name="Next", exact=True)).to_be_hidden()
    expect(page.locator(".step-of:visible")).to_have_count(0)
    expect(page.get_by_role("button", name="Save issue")).to_have_count(1)


def test_phone_header_is_compact_and_its_menu_works_by_keyboard(open_page, live_server):
    page = phone(open_page)
    page.goto(live_server.url("/issues/"))
    height = page.locator("header.top").bounding_box()["height"]
    print(f"header height at 360x740: {height:.0f} px ({height / 740:.1%} of the screen)")
    assert height <= 0.12 * 740, f"the header takes {height:.0f} px of 740"
    issues_link = page.get_by_role("navigation", name="Main").get_by_role("link", name="Issues")
    expect(issues_link).to_be_hidden()

    page.keyboard.press("Tab")  # the skip link
    page.keyboard.press("Tab")  # FieldKit
    page.keyboard.press("Tab")  # Menu
    menu = page.locator("details.menu > summary")
    expect(menu).to_be_focused()
    page.keyboard.press("Enter")
    expect(issues_link).to_be_visible()
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Home")).to_be_focused()
    with page.expect_navigation(url=re.compile(r"/meetings/$")):
        page.get_by_role("link", name="Meetings").tap()

    wide = open_page()
    wide.goto(live_server.url("/issues/"))
    expect(wide.get_by_role("navigation", name="Main").get_by_role("link", name="Issues")).to_be_visible()
    expect(wide.locator("details.menu > summary")).to_be_hidden()


def test_phone_menu_opens_without_javascript(open_page, live_server):
    page = phone(open_page, java_script_enabled=False)
    page.goto(live_server.url("/"))
    assert page.locator("header.top").bounding_box()["height"] <= 0.12 * 740
    page.locator("details.menu > summary").click()
    expect(page.get_by_role("link", name="Meetings")).to_be_visible()


def test_phone_list_shows_results_before_the_folded_filters_and_they_still_update(open_page, live_server):
    page = phone(open_page)
    for title, sector in (("Pipe burst near school", "water"), ("Road to clinic flooded", "roads")):
        page.goto(live_server.url("/issues/new"))
        page.get_by_label(re.compile(r"^Title")).fill(title)
        page.get_by_label(re.compile(r"^Sector")).select_option(sector)
        with page.expect_navigation(url=re.compile(r"/issues/[0-9a-f-]{20,}$")):
            tap(page, "Save issue")
    page.goto(live_server.url("/issues/"))
    first = page.locator("#results li").first
    expect(first).to_be_in_viewport()
    sector = page.get_by_label("Sector", exact=True)
    expect(sector).to_be_hidden()
    page.get_by_text("Filters and sort order").tap()
    sector.select_option("roads")
    expect(page.locator("#results li", has_text="Pipe burst near school")).to_have_count(0)
    expect(page.locator("#results li", has_text="Road to clinic flooded")).to_have_count(1)
    assert "sector=roads" in page.url


def test_every_step_of_the_forms_has_no_serious_violation_at_320px(open_page, axe, live_server):
    page = phone(open_page, viewport=PHONE)
    for path, steps in (("/issues/new", 4), ("/meetings/new", 3)):
        page.goto(live_server.url(path))
        page.get_by_label(re.compile(r"^Title")).fill("Axe on every step")
        if path == "/issues/new":
            page.get_by_label(re.compile(r"^Sector")).select_option("water")
        for step in range(1, steps + 1):
            expect(step_counter(page)).to_have_text(f"Step {step} of {steps}")
            found = serious(axe(page))
            assert not found, f"{path} step {step}\n" + describe(found)
            width = page.evaluate("document.scrollingElement.scrollWidth")
            assert width <= PHONE["width"], f"{path} step {step} is {width} px wide"
            if step < steps:
                tap(page, "Next")
    page.goto(live_server.url("/issues/"))
    page.locator("details.menu > summary").tap()
    found = serious(axe(page))
    assert not found, "open menu\n" + describe(found)
