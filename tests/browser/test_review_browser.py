"""The Review page on a 320 px phone with touch: two disputes of one record (one edit changed two
fields on each device) are decided by tapping the answers' labels, each answer lands in its own
field; the Sync and Review pages are axe-clean and fit the screen."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from fieldkit import create_app
from fieldkit import settings as stored_settings
from fieldkit.db import connect

from ..disputes import dispute, new_issues
from .conftest import PHONE
from .helpers import describe, no_horizontal_scroll, serious

TOUCH = {"viewport": PHONE, "is_mobile": True, "has_touch": True}


@pytest.fixture(scope="module")
def disputed(start_live_server, tmp_path_factory):
    """A served data folder where one issue has two disputes: its title and its status."""
    data_dir = tmp_path_factory.mktemp("review") / "data"
    app = create_app({"DATA_DIR": data_dir, "TESTING": True, "COUNTRY": "KE"})
    stored_settings.save(data_dir, {"AUTHOR": "Wanjiru Achieng", "TIME_ZONE": "Africa/Nairobi"})
    conn = connect(app.config["DATABASE"])
    try:
        (row,) = new_issues(conn, 1, title="Borehole broken")
        dispute(
            conn,
            [row],
            {"title": "Pump broken", "status": "verified"},
            {"title": "Pump stolen", "status": "in_progress"},
            their_author="Otieno Odhiambo",
        )
    finally:
        conn.close()
    server = start_live_server(data_dir)
    yield server, data_dir, row
    server.stop()


def decide(page, field_label: str, answer: str) -> None:
    """Tap the label of ``answer`` in the dispute about ``field_label``, then save that decision."""
    section = page.locator("section.conflict", has_text=f"field: {field_label}")
    section.locator("fieldset label", has_text=answer).tap()
    expect(section.get_by_role("radio", name=answer)).to_be_checked()
    others = section.get_by_role("radio").all()
    assert sum(radio.is_checked() for radio in others) == 1
    with page.expect_navigation():
        section.get_by_role("button", name="Save this decision").tap()


def test_two_disputes_of_one_record_are_decided_by_tapping_labels(open_page, disputed):
    server, _data_dir, row = disputed
    page = open_page(**TOUCH)
    page.goto(server.url("/sync/conflicts"))
    expect(page.locator("section.conflict")).to_have_count(2)
    expect(page.locator("section.conflict").first).to_contain_text("Otieno Odhiambo")
    expect(page.locator("section.conflict").first).to_contain_text("(Kenya Time)")
    # The same two edits made both disputes: tapping under Status must not pick the Title's answer.
    status = page.locator("section.conflict", has_text="field: Status")
    status.locator("fieldset label", has_text="In progress").tap()
    title = page.locator("section.conflict", has_text="field: Title")
    expect(title.get_by_role("radio", name="Pump broken")).not_to_be_checked()
    expect(title.get_by_role("radio", name="Pump stolen")).not_to_be_checked()
    decide(page, "Title", "Pump broken")
    expect(page.locator("section.conflict")).to_have_count(1)
    decide(page, "Status", "In progress")
    expect(page.get_by_text("Nothing to review: no conflicting edits.")).to_be_visible()
    page.goto(server.url(f"/issues/{row}"))
    expect(page.locator("h1")).to_contain_text("Pump broken")
    expect(page.locator("main")).to_contain_text("In progress")
    expect(page.locator("main")).not_to_contain_text("provisional")


@pytest.mark.parametrize("path", ["/sync/", "/sync/conflicts"])
def test_sync_and_review_are_axe_clean_and_fit_320px(open_page, axe, start_live_server, tmp_path, path):
    data_dir = tmp_path / "data"
    app = create_app({"DATA_DIR": data_dir, "TESTING": True, "COUNTRY": "KE"})
    conn = connect(app.config["DATABASE"])
    try:
        rows = new_issues(conn, 3, tags='["water"]')
        dispute(conn, rows, {"title": "Mine", "tags": '["water", "school"]'}, {"title": "Theirs"})
    finally:
        conn.close()
    server = start_live_server(data_dir)
    page = open_page(**TOUCH)
    page.goto(server.url(path))
    if path == "/sync/conflicts":
        page.get_by_text("Filter the disputes").tap()
        page.locator("section.conflict").first.locator("label", has_text="Select").tap()
    found = serious(axe(page))
    assert not found, describe(found)
    fits, why = no_horizontal_scroll(page, PHONE["width"])
    assert fits, why
    server.stop()


def test_without_javascript_ticking_several_and_one_answer_decides_exactly_those(
    open_page, start_live_server, tmp_path
):
    data_dir = tmp_path / "data"
    app = create_app({"DATA_DIR": data_dir, "TESTING": True, "COUNTRY": "KE"})
    conn = connect(app.config["DATABASE"])
    try:
        rows = new_issues(conn, 4)
        dispute(conn, rows, {"title": "Mine"}, {"title": "Theirs"})
    finally:
        conn.close()
    server = start_live_server(data_dir)
    page = open_page(**TOUCH, java_script_enabled=False)
    page.goto(server.url("/sync/conflicts"))
    sections = page.locator("section.conflict")
    expect(sections).to_have_count(4)
    ticked = set()
    for index in (1, 3):  # the checkboxes sit outside the bulk form: form="bulk" joins them to it
        sections.nth(index).locator(".select label").tap()
        ticked.add(sections.nth(index).locator("input[name=pick]").get_attribute("value").split(":")[1])
    with page.expect_navigation():
        page.get_by_role("button", name="Take the other device's value for the selected").tap()
    expect(page.locator("#review-count")).to_have_text("2 disputed fields to review")
    for row in rows:
        page.goto(server.url(f"/issues/{row}"))
        if row in ticked:
            expect(page.locator("h1")).to_contain_text("Theirs")
            expect(page.locator("main")).not_to_contain_text("provisional")
        else:
            expect(page.locator("main")).to_contain_text("provisional")
    server.stop()
