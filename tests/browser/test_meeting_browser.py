"""A whole meeting in headless Chromium: attendance, action items added inline, an issue linked by
search-as-you-type and one created from the meeting, minutes printed to PDF; and the autosaved
draft that survives the server being killed mid-meeting."""

from __future__ import annotations

import io
import re
import time
import unicodedata
from datetime import date, timedelta

import pytest

from tests.browser.conftest import PHONE
from tests.browser.helpers import describe, no_horizontal_scroll, record_issue, serious, shown

pypdf = pytest.importorskip("pypdf")

TODAY = date.today()
OVERDUE = (TODAY - timedelta(days=2)).isoformat()
SOON = (TODAY + timedelta(days=3)).isoformat()
MEETING_URL = re.compile(r"/meetings/[0-9a-f-]{36}$")


def fill_meeting(page, *, title: str, total: str, women: str, men: str) -> None:
    shown(page, page.get_by_label(re.compile(r"^Title"))).fill(title)
    shown(page, page.get_by_label(re.compile(r"^Type of meeting"))).select_option("dialogue")
    shown(page, page.get_by_label(re.compile(r"^Date"))).fill("2026-03-10")
    shown(page, page.get_by_label("Start time")).fill("10:00")
    shown(page, page.get_by_label("End time")).fill("12:30")
    shown(page, page.get_by_label("Place", exact=True)).fill("Kolwa chief's camp")
    shown(page, page.get_by_label("Facilitator", exact=True)).fill("Akinyi Otieno")
    shown(page, page.get_by_label("People present in total")).fill(total)
    shown(page, page.get_by_label("Women", exact=True)).fill(women)
    shown(page, page.get_by_label("Men", exact=True)).fill(men)
    shown(page, page.get_by_label("Youth", exact=True)).fill("6")
    shown(page, page.get_by_label("Officials present")).fill("Jane Achieng, ward administrator")
    shown(page, page.get_by_label("Notes", exact=True)).fill(
        "The county promised a mechanic for the borehole."
    )
    shown(page, page.get_by_label("Decisions", exact=True)).fill("Write to the county water office.")


def add_action_inline(
    page, what: str, owner_kind: str, owner: str, due: str, issue: str | None = None
) -> None:
    form = page.locator("form.add-action")
    form.get_by_label(re.compile(r"^What will be done")).fill(what)
    form.get_by_label("Who owns it").select_option(owner_kind)
    form.get_by_label("Owner's name").fill(owner)
    form.get_by_label("Due date").fill(due)
    if issue:
        form.get_by_label("Linked issue").select_option(label=issue)
    form.get_by_role("button", name="Add action item").click()
    page.locator("#actions .action-items li", has_text=what).wait_for()


def test_a_whole_meeting_from_notes_to_printed_minutes(live_server, page, axe, tmp_path):
    record_issue(page, live_server, "Borehole broken in Kolwa", community="Kolwa")

    page.goto(live_server.url("/meetings/new"))
    fill_meeting(page, title="Dialogue on water, Kolwa", total="40", women="25", men="20")
    page.get_by_role("button", name="Save meeting").click()
    # The numbers do not add up: the form says why, beside the total, and keeps everything typed.
    error = page.locator("#f-attendance_total-error")
    error.wait_for()
    assert "add up to 45, more than the total of 40" in error.inner_text()
    assert page.get_by_label("Notes", exact=True).input_value().startswith("The county promised")
    page.get_by_label("People present in total").fill("45")
    page.get_by_role("button", name="Save meeting").click()
    page.wait_for_url(MEETING_URL)
    meeting_url = page.url
    assert re.search(r"/meetings/[0-9a-f-]{36}$", meeting_url)
    assert page.get_by_text("45 people present").is_visible()

    # Link the existing issue by search-as-you-type: results come while typing, no page load.
    page.evaluate("window.__samePage = true")
    page.get_by_label("Find an issue to link").press_sequentially("boreh", delay=50)
    found = page.locator("#found li", has_text="Borehole broken in Kolwa")
    found.wait_for()
    found.get_by_label("Outcome discussed").select_option("commitment")
    found.get_by_label("What was said (optional)").fill("A mechanic within two weeks.")
    found.get_by_role("button", name=re.compile("Link this issue")).click()
    page.locator("#issues .linked-issues li", has_text="Borehole broken in Kolwa").wait_for()

    # Two action items, added inline; the page is never reloaded.
    add_action_inline(
        page, "Write to the county water office", "partner", "Akinyi Otieno", OVERDUE, issue=None
    )
    add_action_inline(
        page, "Send the mechanic to the borehole", "official", "Peter Ouma, water officer", SOON
    )
    assert page.evaluate("window.__samePage") is True
    assert page.url == meeting_url

    # A new issue raised at the meeting comes back linked.
    page.get_by_role("link", name="Record a new issue raised at this meeting").click()
    page.get_by_label(re.compile(r"^Title")).fill("School latrine collapsed")
    page.get_by_label(re.compile(r"^Sector")).select_option("sanitation")
    page.get_by_role("button", name="Save issue").click()
    page.wait_for_url(re.compile(re.escape(meeting_url) + r"(#issues)?$"))
    assert page.locator("#issues .linked-issues li", has_text="School latrine collapsed").is_visible()

    # The home page lists both action items: one overdue, one due this week.
    page.goto(live_server.url("/"))
    due = page.locator("section[aria-labelledby=due-actions-h]")
    assert due.get_by_role("link", name="Write to the county water office").is_visible()
    assert due.get_by_role("link", name="Send the mechanic to the borehole").is_visible()
    assert "overdue since" in due.inner_text()

    # Clean minutes, printed to PDF.
    page.goto(meeting_url)
    problems = serious(axe(page))
    assert not problems, describe(problems)
    pdf = page.pdf(path=str(tmp_path / "minutes.pdf"), format="A4", print_background=False)
    text = " ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf)).pages)
    text = re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text))  # "ﬃ" ligatures back to letters
    for expected in [
        "Dialogue on water, Kolwa",
        "45 people present",
        "Women: 25",
        "Jane Achieng, ward administrator",
        "Write to the county water office.",  # the decision
        "Write to the county water office",
        "Akinyi Otieno",
        "Send the mechanic to the borehole",
        "Peter Ouma, water officer",
        "Borehole broken in Kolwa",
        "School latrine collapsed",
    ]:
        assert expected in text, f"{expected!r} missing from the printed minutes: {text[:1500]}"
    due_words = page.locator("#actions .action-items").inner_text()
    assert re.search(r"due \d", due_words)
    for due_text in re.findall(r"due ([^·\n]+?)\s*·", due_words):
        assert due_text.strip() in text
    for absent in [
        "Add an action item",
        "Find an issue to link",
        "Delete this meeting",
        "Mark done",
        "Skip to content",
    ]:
        assert absent not in text, f"{absent!r} should not be printed"


def test_action_items_and_links_work_without_javascript(live_server, open_page):
    page = open_page(java_script_enabled=False)
    page.goto(live_server.url("/meetings/new"))
    fill_meeting(page, title="Social audit without JS", total="30", women="15", men="15")
    page.get_by_role("button", name="Save meeting").click()
    page.wait_for_url(MEETING_URL)
    form = page.locator("form.add-action")
    form.get_by_label(re.compile(r"^What will be done")).fill("Check the school register")
    form.get_by_role("button", name="Add action item").click()
    page.wait_for_url(re.compile(r"/meetings/[0-9a-f-]{36}(#actions)?$"))
    page.locator("#actions .action-items").wait_for()
    item = page.locator("#actions .action-items li", has_text="Check the school register")
    assert item.is_visible()
    item.get_by_role("button", name=re.compile("^Mark done")).click()
    page.wait_for_load_state()
    assert "Done" in page.locator("#actions .action-items li").first.inner_text()


def test_meeting_page_fits_a_small_phone(live_server, open_page, axe):
    page = open_page(viewport=PHONE)
    page.goto(live_server.url("/meetings/new"))
    ok, why = no_horizontal_scroll(page, PHONE["width"])
    assert ok, why
    problems = serious(axe(page))
    assert not problems, describe(problems)
    fill_meeting(page, title="Meeting on a phone", total="12", women="6", men="6")
    page.get_by_role("button", name="Save meeting").click()
    page.wait_for_url(MEETING_URL)
    ok, why = no_horizontal_scroll(page, PHONE["width"])
    assert ok, why


def wait_for_draft(page) -> None:
    page.locator("#draft-status", has_text="Draft kept at").wait_for(timeout=10_000)


def wait_until_htmx_wired(page, selector: str) -> None:
    """After a boosted link, the URL changes before htmx has wired the new page's triggers:
    typing in between would send no autosave. Wait until htmx has processed the element."""
    page.wait_for_function(
        "s => { const el = document.querySelector(s);"
        " return !!(el && el['htmx-internal-data'] && el['htmx-internal-data'].initHash); }",
        arg=selector,
    )


def test_killed_server_mid_meeting_loses_at_most_a_few_seconds_of_notes(
    start_live_server, open_page, tmp_path
):
    data = tmp_path / "hall-laptop"
    server = start_live_server(data)
    page = open_page()
    page.goto(server.url("/meetings/new"))
    page.get_by_label(re.compile(r"^Title")).fill("Reflection session, Seme")
    page.get_by_label(re.compile(r"^Type of meeting")).select_option("reflection")
    notes = shown(page, page.get_by_label("Notes", exact=True))
    # Type without pausing for about six seconds, as a facilitator taking notes does.
    sentence = "Women asked why the clinic closes early. " * 3
    started = time.monotonic()
    notes.press_sequentially(sentence, delay=45)
    typing_seconds = time.monotonic() - started
    assert typing_seconds > 4
    server.process.kill()  # the crash: no clean shutdown, no chance to save
    server.process.wait(timeout=10)

    again = start_live_server(data)
    page.goto(again.url("/meetings/"))
    page.get_by_role("link", name="Reflection session, Seme").click()
    restored = page.get_by_label("Notes", exact=True).input_value()
    assert sentence.startswith(restored)
    lost_chars = len(sentence) - len(restored)
    lost_seconds = lost_chars * typing_seconds / len(sentence)
    assert lost_seconds <= 4, f"lost {lost_chars} characters, about {lost_seconds:.1f} s of typing"
    assert "was not saved yet" in page.locator(".notice").inner_text()
    # Finishing and saving keeps every word and clears the draft.
    shown(page, notes).press_sequentially("End.")
    page.get_by_role("button", name="Save meeting").click()
    page.wait_for_url(MEETING_URL)
    assert "End." in page.locator(".minutes-text").inner_text()
    page.goto(again.url("/meetings/"))
    assert page.get_by_text("Unsaved meeting notes").count() == 0


def test_killed_server_while_editing_notes_of_a_saved_meeting_keeps_the_draft(
    start_live_server, open_page, tmp_path
):
    data = tmp_path / "hall-laptop-2"
    server = start_live_server(data)
    page = open_page()
    page.goto(server.url("/meetings/new"))
    fill_meeting(page, title="Budget hearing, Ahero", total="20", women="10", men="10")
    page.get_by_role("button", name="Save meeting").click()
    page.wait_for_url(MEETING_URL)
    meeting_path = page.url.split(server.base, 1)[1]
    page.get_by_role("link", name="Write or edit the notes").click()
    page.wait_for_url(re.compile(r"/edit$"))
    wait_until_htmx_wired(page, "#draft-status")
    shown(page, page.get_by_label("Decisions", exact=True)).fill(
        "Publish the clinic budget on the notice board."
    )
    page.get_by_label("Decisions", exact=True).press("End")
    wait_for_draft(page)
    server.process.kill()
    server.process.wait(timeout=10)

    again = start_live_server(data)
    page.goto(again.url(meeting_path + "/edit"))
    assert (
        page.get_by_label("Decisions", exact=True).input_value()
        == "Publish the clinic budget on the notice board."
    )
    page.get_by_role("button", name="Save meeting notes").click()
    page.wait_for_url(MEETING_URL)
    assert "Publish the clinic budget" in page.locator("article").inner_text()
