"""A phone out of the hub's reach keeps working: once joined (over HTTPS, with its service
worker), it opens the record forms offline, keeps what it saves with its photos, and sends each
record exactly once, with its user's name as author, when the hub is back. A record the hub
refuses is shown with the hub's reasons and corrected, never dropped.

The phone reaches the hub through a link the tests cut (tests/browser/link.py), as walking out of
the hub's Wi-Fi does; the hub keeps running meanwhile."""

from __future__ import annotations

import base64
import hashlib
import re

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from fieldkit import certificate

from .conftest import CHROMIUM, CHROMIUM_ARGS
from .helpers import describe, no_horizontal_scroll, serious, shown
from .link import Link
from .test_hub_browser import HUB_HOST, PHONE, Hub, join
from .test_phone_photos import phone_photo


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    server = Hub(tmp_path_factory.mktemp("offline-hub"))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def link(hub):
    """The phone's way to the hub; each test starts in range."""
    way = Link(HUB_HOST, hub.port)
    yield way
    way.close()


@pytest.fixture(autouse=True)
def in_range(link):
    link.restore()


def https(link, path="/"):
    return f"https://{HUB_HOST}:{link.port}{path}"


def spki_pin(certificate_file) -> str:
    """The hub key's SPKI hash, as Chromium takes it to trust one server's key."""
    key = x509.load_pem_x509_certificate(certificate_file.read_bytes()).public_key()
    der = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(hashlib.sha256(der).digest()).decode()


@pytest.fixture(scope="module")
def trusting_browser(browser, hub):
    """A Chromium that trusts the hub's certificate, as a phone set up once does. (Ignoring
    certificate errors is not enough: Chromium registers no service worker on such a page.)"""
    pin = spki_pin(hub.data_dir / certificate.CERT_FILE)
    args = [*CHROMIUM_ARGS, f"--ignore-certificate-errors-spki-list={pin}"]
    trusting = browser.browser_type.launch(executable_path=CHROMIUM, args=args, headless=True)
    yield trusting
    trusting.close()


@pytest.fixture
def phone(trusting_browser, hub, link):
    """A phone joined to the hub over HTTPS whose service worker has kept the record forms."""
    contexts, problems = [], []

    def open_phone(name):
        context = trusting_browser.new_context(**PHONE, service_workers="allow")
        context.set_default_timeout(15_000)
        page = context.new_page()
        page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
        page.on("console", lambda m: "Content Security Policy" in m.text and problems.append(m.text))
        contexts.append(context)
        page.goto(https(link, "/hub/join?next=/issues/new"))
        join(page, hub, hub.pin, name=name)
        # The service worker is installed (forms kept) and controls the page.
        page.evaluate("navigator.serviceWorker.ready.then(() => true)")
        page.reload()
        assert page.evaluate("!!navigator.serviceWorker.controller")
        return context, page

    yield open_phone
    for context in contexts:
        context.close()
    assert not problems, "\n".join(problems)


def count(hub, title):
    return hub.count(f"SELECT count(*) FROM issues WHERE title = '{title}'")[0][0]


def shrunk_photos(hub, title):
    """How many photos of the issue titled ``title`` the hub holds at the phone's 1600 px."""
    return hub.count(
        "SELECT count(*) FROM attachments a JOIN issues i ON i.id = a.issue_id "
        f"WHERE i.title = '{title}' AND a.width = 1600"
    )[0][0]


def wait_for(predicate, page, timeout=30_000):
    """Poll ``predicate`` until it holds, letting the page run (no fixed sleep)."""
    for _ in range(timeout // 250):
        if predicate():
            return
        page.wait_for_timeout(250)
    raise AssertionError("condition not met in time")


def outbox_size(page):
    """How many records wait in the phone's outbox. The page may be moving on meanwhile (a record
    saved from it opens the saved record): then it is asked again on the page that opened."""
    for _ in range(20):
        try:
            page.wait_for_function("window.FieldKitOutbox !== undefined")
            return page.evaluate("FieldKitOutbox.all().then((records) => records.length)")
        except PlaywrightError as error:
            if "context was destroyed" not in str(error):
                raise
    raise AssertionError("the page kept navigating")


def save_out_of_range(page, link, title, sector, observed_on, photo=None):
    """Walk out of range, reopen the kept form, fill it (with a photo) and save: it waits in the outbox."""
    link.cut()
    page.reload()
    expect(page.locator("#save-status")).to_contain_text("You are offline")
    page.get_by_label(re.compile(r"^Title")).fill(title)
    page.get_by_label(re.compile(r"^Sector")).select_option(sector)
    if photo:
        page.locator("input[name=files]").first.set_input_files(photo)
        expect(page.locator("input[name=files]").first).to_have_attribute("data-photos-ready", "1")
    shown(page, page.get_by_label(re.compile(r"^Date observed"))).fill(observed_on)
    page.get_by_role("button", name="Save issue").click()
    expect(page.locator("#save-status")).to_contain_text("Not saved yet")
    wait_for(lambda: outbox_size(page) == 1, page)


def test_offline_mid_form_then_a_reload_then_back_saves_the_record_and_its_photo_once(hub, link, phone):
    context, page = phone("Achieng")
    title = "Latrine pit full, seen offline"
    page.get_by_label(re.compile(r"^Title")).fill(title)
    page.get_by_label(re.compile(r"^Sector")).select_option("sanitation")
    page.locator("input[name=files]").first.set_input_files(
        {"name": "IMG_0101.jpg", "mimeType": "image/jpeg", "buffer": phone_photo(2000, 1500, seed=4)}
    )
    expect(page.locator("input[name=files]").first).to_have_attribute("data-photos-ready", "1")

    link.cut()  # the phone walks out of the hub's Wi-Fi
    page.reload()  # the kept form opens, with the text and the photo typed before
    expect(page.locator("#save-status")).to_contain_text("You are offline")
    expect(page.get_by_label(re.compile(r"^Title"))).to_have_value(title)
    expect(page.locator("input[name=files]").first).to_have_attribute("data-photos-ready", "1")
    assert page.evaluate("document.querySelector('input[name=files]').files.length") == 1
    page.get_by_role("button", name="Save issue").click()
    expect(page.locator("#save-status")).to_contain_text("Not saved yet")
    assert count(hub, title) == 0

    link.restore()
    page.wait_for_url(re.compile(r"/issues/[0-9a-f-]{20,}$"), timeout=30_000)
    wait_for(lambda: outbox_size(page) == 0, page)
    assert count(hub, title) == 1
    assert shrunk_photos(hub, title) == 1
    assert hub.count(
        f"SELECT DISTINCT author FROM sync_ops o JOIN issues i ON i.id = o.row_id WHERE i.title = '{title}'"
    ) == [("Achieng",)]


def test_a_phone_out_of_range_saves_three_records_and_each_arrives_once(hub, link, phone):
    context, page = phone("Moussa Diop")
    link.cut()
    titles = [f"Water point {n} dry, recorded out of range" for n in (1, 2, 3)]
    for title in titles:
        # A menu tap while offline (the phone's menu is folded): the kept form opens, saying so.
        if page.locator("details.menu").get_attribute("open") is None:
            page.locator("details.menu > summary").click()
        # The phone is on /issues/new already: wait for the navigation itself, not for the address.
        with page.expect_navigation(url=re.compile(r"/issues/new$")):
            page.locator("details.menu").get_by_role("link", name="Record an issue").click()
        expect(page.locator("#save-status")).to_contain_text("You are offline")
        expect(page.get_by_label(re.compile(r"^Title"))).to_have_value("")
        page.get_by_label(re.compile(r"^Title")).fill(title)
        page.get_by_label(re.compile(r"^Sector")).select_option("water")
        page.get_by_role("button", name="Save issue").click()
        expect(page.locator("#save-status")).to_contain_text("Not saved yet")
        wait_for(
            lambda t=title: page.evaluate(
                "(t) => FieldKitOutbox.all().then((rs) => rs.some((r) => r.fields.some((f) => f[1] === t)))",
                t,
            ),
            page,
        )
    assert outbox_size(page) == 3
    assert sum(count(hub, t) for t in titles) == 0
    expect(page.locator("#outbox .outbox-waiting")).to_have_text("Kept on this phone, waiting for the hub: 2")
    page.goto(https(link, "/"))  # the kept home page counts them all
    expect(page.locator("#outbox .outbox-waiting")).to_have_text("Kept on this phone, waiting for the hub: 3")

    link.restore()
    wait_for(lambda: outbox_size(page) == 0 and all(count(hub, t) == 1 for t in titles), page, 45_000)
    assert [count(hub, t) for t in titles] == [1, 1, 1]
    authors = hub.count(
        "SELECT DISTINCT o.author FROM sync_ops o JOIN issues i ON i.id = o.row_id "
        "WHERE i.title LIKE '%recorded out of range'"
    )
    assert authors == [("Moussa Diop",)]
    expect(page.locator("#outbox")).to_be_hidden()


def test_a_record_the_hub_refuses_is_shown_with_its_reason_and_corrected_not_lost(hub, link, phone, axe):
    """A monitor out of range types next year by mistake: the hub refuses the date when the phone
    is back; the phone says so and why, and the record, with its photo, is corrected and saved once."""
    context, page = phone("Fatou Ndiaye")
    title = "School latrine roof fallen, date mistyped"
    photo = {"name": "IMG_0202.jpg", "mimeType": "image/jpeg", "buffer": phone_photo(1800, 1200, seed=7)}
    save_out_of_range(page, link, title, "education", "2099-03-14", photo)

    # Back in range, on another page: the hub refuses the record; the phone keeps it and says why.
    link.restore()
    page.goto(https(link, "/issues/"))
    refused = page.locator("#outbox .outbox-refused")
    expect(refused).to_be_visible(timeout=30_000)
    expect(refused.get_by_role("heading")).to_have_text("Records the hub did not accept")
    expect(refused.locator("li strong")).to_have_text(title)
    expect(refused.locator(".reasons")).to_contain_text("This date is in the future.")
    assert outbox_size(page) == 1 and count(hub, title) == 0
    assert not serious(axe(page)), describe(serious(axe(page)))
    page.set_viewport_size({"width": 320, "height": 640})  # the smallest phone
    fits, wide = no_horizontal_scroll(page, 320)
    assert fits, wide

    # Opened, it is the hub's own form: the message beside the field, the values and the photo in.
    with page.expect_navigation():
        refused.get_by_role("button", name="Open and correct").click()
    date = page.get_by_label(re.compile(r"^Date observed"))
    expect(page.locator("#f-observed_on-error")).to_have_text("This date is in the future.")
    expect(page.get_by_label(re.compile(r"^Title"))).to_have_value(title)
    expect(page.locator("input[name=files]").first).to_have_attribute("data-photos-ready", "1")
    assert page.evaluate("document.querySelector('input[name=files]').files.length") == 1
    expect(page.locator("#outbox")).to_be_hidden()  # the record being corrected is not listed twice
    shown(page, date).fill("2026-11-20")
    page.get_by_role("button", name="Save issue").click()
    page.wait_for_url(re.compile(r"/issues/[0-9a-f-]{20,}$"))

    wait_for(lambda: outbox_size(page) == 0, page)
    assert count(hub, title) == 1
    assert hub.count(f"SELECT observed_on FROM issues WHERE title = '{title}'") == [("2026-11-20",)]
    assert shrunk_photos(hub, title) == 1
    expect(page.locator("#outbox")).to_be_hidden()


def test_a_meeting_and_a_follow_up_visit_recorded_out_of_range_arrive_once(hub, link, phone):
    context, page = phone("Wanjiru Kamau")
    # In range: an issue is recorded, so its page (with the visit form) is kept on the phone.
    issue_title = "Kolwa borehole handle broken"
    page.get_by_label(re.compile(r"^Title")).fill(issue_title)
    page.get_by_label(re.compile(r"^Sector")).select_option("water")
    page.get_by_role("button", name="Save issue").click()
    page.wait_for_url(re.compile(r"/issues/[0-9a-f-]{20,}$"))
    issue_page = page.url

    link.cut()
    page.goto(issue_page)  # the kept copy
    expect(page.locator("#save-status")).to_contain_text("You are offline")
    page.locator("summary", has_text="Follow-up visit").click()
    visit = page.locator("form", has=page.locator("input[name=kind][value=visit]"))
    visit.get_by_label("Date of the visit").fill("2026-11-21")
    visit.get_by_label("Yes, still a problem").check()
    visit.get_by_label("What you found").fill("Still broken; the committee has asked the county twice.")
    visit.get_by_role("button", name="Add visit").click()
    expect(page.locator("#save-status")).to_contain_text("Not saved yet")
    wait_for(lambda: outbox_size(page) == 1, page)

    page.goto(https(link, "/meetings/new"))  # the kept meeting form
    expect(page.locator("#save-status")).to_contain_text("You are offline")
    meeting_title = "Kolwa water committee, November"
    page.get_by_label(re.compile(r"^Title")).fill(meeting_title)
    page.get_by_role("button", name="Save meeting").click()
    expect(page.locator("#save-status")).to_contain_text("Not saved yet")
    wait_for(lambda: outbox_size(page) == 2, page)
    assert hub.count(f"SELECT count(*) FROM meetings WHERE title = '{meeting_title}'") == [(0,)]

    link.restore()
    wait_for(lambda: outbox_size(page) == 0, page, 45_000)
    assert hub.count(
        "SELECT DISTINCT o.author FROM sync_ops o JOIN meetings m ON m.id = o.row_id "
        f"WHERE m.title = '{meeting_title}'"
    ) == [("Wanjiru Kamau",)]
    assert hub.count(
        "SELECT DISTINCT o.author, e.note, e.still_broken FROM sync_ops o JOIN issue_events e ON e.id = o.row_id "
        f"JOIN issues i ON i.id = e.issue_id WHERE i.title = '{issue_title}' AND e.kind = 'visit'"
    ) == [("Wanjiru Kamau", "Still broken; the committee has asked the county twice.", 1)]
    assert hub.count(f"SELECT count(*) FROM meetings WHERE title = '{meeting_title}'") == [(1,)]


def test_back_in_range_on_the_same_page_a_refused_record_opens_with_its_messages_and_photo(hub, link, phone):
    """The phone is still on the form it saved out of range when the hub is back: the page's own
    retry meets the refusal and shows the hub's form with the message, the values and the photo."""
    context, page = phone("Kwame Mensah")
    title = "Clinic fridge broken, year mistyped"
    photo = {"name": "IMG_0303.jpg", "mimeType": "image/jpeg", "buffer": phone_photo(2000, 1500, seed=9)}
    save_out_of_range(page, link, title, "health", "2099-05-01", photo)

    link.restore()
    expect(page.locator("#f-observed_on-error")).to_have_text("This date is in the future.", timeout=30_000)
    expect(page.get_by_label(re.compile(r"^Title"))).to_have_value(title)
    expect(page.locator("input[name=files]").first).to_have_attribute("data-photos-ready", "1")
    assert page.evaluate("document.querySelector('input[name=files]').files.length") == 1
    assert outbox_size(page) == 1  # still kept, until the corrected record is saved
    expect(page.locator("#outbox")).to_be_hidden()
    shown(page, page.get_by_label(re.compile(r"^Date observed"))).fill("2026-11-22")
    page.get_by_role("button", name="Save issue").click()
    page.wait_for_url(re.compile(r"/issues/[0-9a-f-]{20,}$"))
    wait_for(lambda: outbox_size(page) == 0, page)
    assert count(hub, title) == 1
    assert shrunk_photos(hub, title) == 1


def test_a_refused_record_is_discarded_only_when_the_phone_user_confirms(hub, link, phone):
    context, page = phone("Thandiwe Dlamini")
    title = "Duplicate of the clinic report, typed twice"
    save_out_of_range(page, link, title, "health", "2099-01-01")
    link.restore()
    page.goto(https(link, "/meetings/"))
    refused = page.locator("#outbox .outbox-refused")
    expect(refused.locator("li strong")).to_have_text(title, timeout=30_000)

    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    refused.get_by_role("button", name="Discard").click()
    wait_for(lambda: len(asked) == 1, page)
    assert "will be lost" in asked[0]
    expect(refused.locator("li strong")).to_have_text(title)  # kept: the user said no
    assert outbox_size(page) == 1

    page.once("dialog", lambda dialog: dialog.accept())
    refused.get_by_role("button", name="Discard").click()
    expect(page.locator("#outbox")).to_be_hidden()
    assert outbox_size(page) == 0 and count(hub, title) == 0
