"""A phone out of the hub's reach keeps working: once joined (over HTTPS, with its service
worker), it opens the record forms offline, keeps what it saves with its photos, and sends each
record exactly once, with its user's name as author, when the hub is back."""

from __future__ import annotations

import base64
import hashlib
import re

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from playwright.sync_api import expect

from fieldkit import certificate

from .conftest import CHROMIUM, CHROMIUM_ARGS
from .test_hub_browser import HUB_HOST, PHONE, Hub, join
from .test_phone_photos import phone_photo


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    server = Hub(tmp_path_factory.mktemp("offline-hub"))
    yield server
    server.stop()


def https(hub, path="/"):
    return f"https://{HUB_HOST}:{hub.port}{path}"


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
def phone(trusting_browser, hub):
    """A phone joined to the hub over HTTPS whose service worker has kept the record forms."""
    contexts, problems = [], []

    def open_phone(name):
        context = trusting_browser.new_context(**PHONE, service_workers="allow")
        context.set_default_timeout(15_000)
        page = context.new_page()
        page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
        page.on("console", lambda m: "Content Security Policy" in m.text and problems.append(m.text))
        contexts.append(context)
        page.goto(https(hub, "/hub/join?next=/issues/new"))
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


def wait_for(predicate, page, timeout=30_000):
    """Poll ``predicate`` until it holds, letting the page run (no fixed sleep)."""
    for _ in range(timeout // 250):
        if predicate():
            return
        page.wait_for_timeout(250)
    raise AssertionError("condition not met in time")


def outbox_size(page):
    return page.evaluate("FieldKitOutbox.all().then((records) => records.length)")


def test_offline_mid_form_then_a_reload_then_back_saves_the_record_and_its_photo_once(hub, phone):
    context, page = phone("Achieng")
    title = "Latrine pit full, seen offline"
    page.get_by_label(re.compile(r"^Title")).fill(title)
    page.get_by_label(re.compile(r"^Sector")).select_option("sanitation")
    page.locator("input[name=files]").first.set_input_files(
        {"name": "IMG_0101.jpg", "mimeType": "image/jpeg", "buffer": phone_photo(2000, 1500, seed=4)}
    )
    expect(page.locator("input[name=files]").first).to_have_attribute("data-photos-ready", "1")

    context.set_offline(True)  # the phone walks out of the hub's Wi-Fi
    page.reload()  # the kept form opens, with the text and the photo typed before
    expect(page.locator("#save-status")).to_contain_text("You are offline")
    expect(page.get_by_label(re.compile(r"^Title"))).to_have_value(title)
    expect(page.locator("input[name=files]").first).to_have_attribute("data-photos-ready", "1")
    assert page.evaluate("document.querySelector('input[name=files]').files.length") == 1
    page.get_by_role("button", name="Save issue").click()
    expect(page.locator("#save-status")).to_contain_text("Not saved yet")
    assert count(hub, title) == 0

    context.set_offline(False)
    page.wait_for_url(re.compile(r"/issues/[0-9a-f-]{20,}$"), timeout=30_000)
    wait_for(lambda: outbox_size(page) == 0, page)
    assert count(hub, title) == 1
    assert hub.count(
        "SELECT count(*) FROM attachments a JOIN issues i ON i.id = a.issue_id "
        f"WHERE i.title = '{title}' AND a.width = 1600"
    ) == [(1,)]
    assert hub.count(
        f"SELECT DISTINCT author FROM sync_ops o JOIN issues i ON i.id = o.row_id WHERE i.title = '{title}'"
    ) == [("Achieng",)]


@pytest.mark.skip(
    reason="flaky: Chromium's offline emulation does not always hold back the service worker's own "
    "requests, so a record may reach the hub while the page counts as offline (1 run in 2 under load)"
)
def test_a_phone_out_of_range_saves_three_records_and_each_arrives_once(hub, phone):
    context, page = phone("Moussa Diop")
    context.set_offline(True)
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

    context.set_offline(False)
    wait_for(lambda: outbox_size(page) == 0 and all(count(hub, t) == 1 for t in titles), page, 45_000)
    assert [count(hub, t) for t in titles] == [1, 1, 1]
    authors = hub.count(
        "SELECT DISTINCT o.author FROM sync_ops o JOIN issues i ON i.id = o.row_id "
        "WHERE i.title LIKE '%recorded out of range'"
    )
    assert authors == [("Moussa Diop",)]
