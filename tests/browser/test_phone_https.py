"""A phone on the hub over HTTPS: its location fills the form with the accuracy shown, and where
location is refused it says so honestly.

The hub is ``fieldkit serve --lan`` on 127.0.0.2 (every client is a phone); the browser trusts
its per-install certificate the way a set-up phone does (here: certificate errors ignored).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from .helpers import describe, no_horizontal_scroll, serious, shown
from .test_hub_browser import HUB_HOST, PHONE, Hub, join

KISUMU = {"latitude": -0.091702, "longitude": 34.767956, "accuracy": 12}


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    server = Hub(tmp_path_factory.mktemp("https-hub"))
    yield server
    server.stop()


def https(hub, path="/"):
    return f"https://{HUB_HOST}:{hub.port}{path}"


@pytest.fixture
def phone(browser):
    """Phone-sized browser contexts on the hub's HTTPS address; fails on CSP or script errors."""
    opened, problems = [], []

    def open_phone(**options):
        context = browser.new_context(**PHONE, ignore_https_errors=True, **options)
        context.set_default_timeout(10_000)
        page = context.new_page()
        page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
        page.on("console", lambda m: "Content Security Policy" in m.text and problems.append(m.text))
        opened.append(context)
        return context, page

    yield open_phone
    for context in opened:
        context.close()
    assert not problems, "\n".join(problems)


def gps_button(page):
    """The GPS button, on the "where" step of the form (the first step's required fields filled)."""
    page.get_by_label(re.compile(r"^Title")).fill("Borehole broken")
    page.get_by_label(re.compile(r"^Sector")).select_option("water")
    return shown(page, page.get_by_role("button", name="Use this device's location"))


def test_gps_granted_over_https_fills_the_coordinates_and_shows_the_accuracy(hub, phone):
    context, page = phone(geolocation=KISUMU, permissions=["geolocation"])
    page.goto(https(hub, "/issues/new"))
    join(page, hub, hub.pin)
    assert urlsplit(page.url).path == "/issues/new"
    assert page.evaluate("window.isSecureContext")
    gps_button(page).click()
    expect(page.locator("#gps-status")).to_have_text("Location found, accurate to ± 12 m.")
    assert page.get_by_label(re.compile(r"^Latitude")).input_value() == "-0.091702"
    assert page.get_by_label(re.compile(r"^Longitude")).input_value() == "34.767956"
    assert page.locator("input[name=gps_accuracy]").input_value() == "12"


def test_refused_location_says_how_to_allow_it(hub, phone):
    context, page = phone()
    page.goto(https(hub, "/hub/join?next=/issues/new"))
    join(page, hub, hub.pin)
    page.evaluate(
        """() => { navigator.geolocation.getCurrentPosition = (ok, fail) =>
                   setTimeout(() => fail({ code: 1, message: "User denied Geolocation" }), 0); }"""
    )
    gps_button(page).click()
    expect(page.locator("#gps-status")).to_contain_text("did not allow FieldKit to use its location")
    assert page.get_by_label(re.compile(r"^Latitude")).input_value() == ""


def test_over_plain_http_the_phone_is_told_to_use_the_secure_address(hub, phone):
    context, page = phone()
    # Chromium counts any 127.x address as secure; a phone's Wi-Fi address over http is not.
    context.add_init_script("Object.defineProperty(window, 'isSecureContext', { value: false })")
    page.goto(hub.url("/hub/join?next=/issues/new"))
    expect(page.get_by_role("link", name=re.compile(r"^https:"))).to_be_visible()
    join(page, hub, hub.pin)
    gps_button(page).click()
    expect(page.locator("#gps-status")).to_contain_text("only over the hub’s secure address")


def test_the_join_page_with_the_setup_steps_passes_axe_on_a_small_phone(hub, browser, axe):
    context = browser.new_context(
        viewport={"width": 320, "height": 640}, is_mobile=True, ignore_https_errors=True
    )
    try:
        page = context.new_page()
        page.goto(https(hub, "/hub/join"))
        expect(page.get_by_role("link", name="Download the hub's certificate")).to_be_visible()
        found = serious(axe(page))
        assert not found, describe(found)
        assert no_horizontal_scroll(page, 320)[0]
    finally:
        context.close()
