"""A phone on the community hub: PIN first, wrong PINs limited, and a form sent while the Wi-Fi is
down is kept, shown as not saved, and saved exactly once when the hub is reachable again.

The hub is ``fieldkit serve --lan`` bound to 127.0.0.2: a loopback address that FieldKit treats
as a network (every client must enter the PIN), so nothing leaves this machine.
"""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
import time
import urllib.request
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from fieldkit.server import free_port

from .helpers import shown

HUB_HOST = "127.0.0.2"
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "locale": "en-GB"}


class Hub:
    """``fieldkit serve --lan`` on 127.0.0.2 in its own process; ``pin`` read from its output."""

    def __init__(self, data_dir, port=None):
        self.data_dir = data_dir
        self.port = port or free_port(HUB_HOST)
        env = {k: v for k, v in os.environ.items() if not k.startswith("FIELDKIT_")}
        env["PYTHONUNBUFFERED"] = "1"
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "import sys; from fieldkit.cli import main; sys.exit(main())",
                "--data",
                str(data_dir),
                "serve",
                "--lan",
                "--host",
                HUB_HOST,
                "--port",
                str(self.port),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            text=True,
        )
        self.output = []
        self.pin = None
        deadline = time.monotonic() + 30
        while self.pin is None and time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if not line:
                break
            self.output.append(line)
            if match := re.search(r"Session PIN for phones: (\d+)", line):
                self.pin = match.group(1)
        if self.pin is None:
            self.stop()
            raise RuntimeError("fieldkit serve --lan did not start:\n" + "".join(self.output))

    def url(self, path="/"):
        return f"http://{HUB_HOST}:{self.port}{path}"

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=15)
        self.process.stdout.close()

    def count(self, sql):
        conn = sqlite3.connect(self.data_dir / "fieldkit.db")
        try:
            return conn.execute(sql).fetchall()
        finally:
            conn.close()


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    server = Hub(tmp_path_factory.mktemp("hub-data"))
    yield server
    server.stop()


@pytest.fixture
def phone(browser):
    """Open phone-sized browser contexts that may only reach the hub; fails on CSP or script errors."""
    opened, problems = [], []

    def open_phone():
        context = browser.new_context(**PHONE, service_workers="block")
        context.set_default_timeout(10_000)

        def block(route):
            problems.append(f"request left the hub: {route.request.url}")
            route.abort("blockedbyclient")

        context.route(lambda url: urlsplit(url).hostname not in {HUB_HOST, None}, block)
        page = context.new_page()
        page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
        page.on("console", lambda m: "Content Security Policy" in m.text and problems.append(m.text))
        opened.append(context)
        return context, page

    yield open_phone
    for context in opened:
        context.close()
    assert not problems, "\n".join(problems)


def join(page, hub, pin, name="Amina Wekesa"):
    page.get_by_label(re.compile("^Session PIN")).fill(pin)
    page.get_by_label(re.compile("^Your name")).fill(name)
    with page.expect_navigation():
        page.get_by_role("button", name="Join").click()


def test_hub_prints_its_address_and_qr_code(hub):
    text = "".join(hub.output)
    assert hub.url("/").replace("http://", "https://") in text  # phones are sent to HTTPS
    assert "█" in text or "▀" in text or "▄" in text  # the QR code, drawn in the terminal
    with urllib.request.urlopen(hub.url("/hub/ping"), timeout=5) as response:
        assert response.status == 200


def test_phone_must_enter_the_pin_and_a_draft_survives_the_wifi_dropping(hub, phone):
    context, page = phone()
    page.goto(hub.url("/issues/new"))
    assert urlsplit(page.url).path == "/hub/join"
    join(page, hub, hub.pin)
    assert urlsplit(page.url).path == "/issues/new"

    page.get_by_label(re.compile(r"^Title")).fill("Clinic out of malaria tests")
    page.get_by_label(re.compile(r"^Sector")).select_option("health")
    page.get_by_label("Description", exact=True).fill("Typed on a phone just before the Wi-Fi dropped.")

    context.set_offline(True)
    page.get_by_role("button", name="Save issue").click()
    expect(page.locator("#save-status")).to_contain_text("Not saved yet")
    page.wait_for_timeout(2500)  # several resend attempts while offline
    assert urlsplit(page.url).path == "/issues/new"
    assert page.get_by_label(re.compile(r"^Title")).input_value() == "Clinic out of malaria tests"
    assert hub.count("SELECT count(*) FROM issues") == [(0,)]

    with page.expect_navigation(url=re.compile(r"/issues/[0-9a-f-]{20,}$"), timeout=20_000):
        context.set_offline(False)
    assert page.get_by_text("Clinic out of malaria tests").first.is_visible()
    assert hub.count("SELECT count(*) FROM issues") == [(1,)]
    assert hub.count("SELECT DISTINCT author FROM sync_ops WHERE tbl = 'issues'") == [("Amina Wekesa",)]

    # Coming back to the form later shows no leftover draft and sends nothing again.
    page.goto(hub.url("/issues/new"))
    page.wait_for_timeout(500)
    assert page.get_by_label(re.compile(r"^Title")).input_value() == ""
    assert hub.count("SELECT count(*) FROM issues") == [(1,)]


def test_a_draft_kept_across_a_reload_is_saved_once(hub, phone):
    context, page = phone()
    page.goto(hub.url("/hub/join"))
    join(page, hub, hub.pin, name="Kofi")
    page.goto(hub.url("/issues/new"))
    page.get_by_label(re.compile(r"^Title")).fill("Road washed away at the river")
    page.get_by_label(re.compile(r"^Sector")).select_option("roads")
    context.set_offline(True)
    page.get_by_role("button", name="Save issue").click()
    expect(page.locator("#save-status")).to_contain_text("Not saved yet")
    before = hub.count("SELECT count(*) FROM issues")[0][0]

    # The phone closes the tab; later, back on the hub, the form is opened again.
    page.close()
    context.set_offline(False)
    page = context.new_page()
    with page.expect_navigation(url=re.compile(r"/issues/[0-9a-f-]{20,}$"), timeout=20_000):
        page.goto(hub.url("/issues/new"))
    assert hub.count("SELECT count(*) FROM issues")[0][0] == before + 1
    page.goto(hub.url("/issues/new"))
    page.wait_for_timeout(500)
    assert hub.count("SELECT count(*) FROM issues")[0][0] == before + 1


def test_a_form_the_hub_refuses_shows_why_and_keeps_the_text(hub, phone):
    _context, page = phone()
    page.goto(hub.url("/hub/join"))
    join(page, hub, hub.pin, name="Fatou")
    page.goto(hub.url("/issues/new"))
    before = hub.count("SELECT count(*) FROM issues")[0][0]
    page.get_by_label(re.compile(r"^Title")).fill("Teachers absent for a month")
    page.get_by_label(re.compile(r"^Sector")).select_option("education")
    shown(page, page.get_by_label("Language of the text", exact=True)).fill("not a code!")
    page.get_by_role("button", name="Save issue").click()
    expect(page.locator("#f-language-error")).to_be_visible()
    assert page.get_by_label(re.compile(r"^Title")).input_value() == "Teachers absent for a month"
    assert hub.count("SELECT count(*) FROM issues")[0][0] == before


def test_a_form_sent_while_the_laptop_is_off_is_saved_once_after_it_restarts(tmp_path_factory, phone):
    data = tmp_path_factory.mktemp("hub-restart")
    first = Hub(data)
    try:
        context, page = phone()
        page.goto(first.url("/hub/join"))
        join(page, first, first.pin, name="Grace")
        page.goto(first.url("/issues/new"))
        page.get_by_label(re.compile(r"^Title")).fill("Market toilets locked")
        page.get_by_label(re.compile(r"^Sector")).select_option("sanitation")
    finally:
        first.stop()
    page.get_by_role("button", name="Save issue").click()
    expect(page.locator("#save-status")).to_contain_text("Not saved yet")

    second = Hub(data, port=first.port)  # the laptop restarts: a new session PIN
    try:
        # The phone's next resend reaches the hub, which asks for the new PIN; then it resends once.
        page.wait_for_url(re.compile(r"/hub/join"), timeout=20_000)
        join(page, second, second.pin, name="Grace")
        page.wait_for_url(re.compile(r"/issues/[0-9a-f-]{20,}$"), timeout=20_000)
        expect(page.get_by_text("Market toilets locked").first).to_be_visible()
        assert second.count("SELECT count(*) FROM issues") == [(1,)]
    finally:
        second.stop()


def test_wrong_pins_are_limited(hub, phone):
    # Runs last in this module: afterwards this address must wait before joining again.
    _context, page = phone()
    page.goto(hub.url("/"))
    wrong = "000000" if hub.pin != "000000" else "111111"
    for _attempt in range(5):
        join(page, hub, wrong)
        assert page.get_by_text("That PIN is not right").is_visible()
    join(page, hub, hub.pin)
    assert page.get_by_text("Too many wrong PINs").is_visible()
    assert urlsplit(page.url).path == "/hub/join"
