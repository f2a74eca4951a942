"""Central's dashboard and follow-up lists in Chromium: no serious axe violation, on a desktop
and at 320 px without sideways scrolling, for a country account and an account of every country."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from fieldkit.central import accounts
from tests.sync.processes import Central
from tests.sync.test_dashboard import seed_country

from .conftest import PHONE
from .helpers import describe, no_horizontal_scroll, serious

PAGES = (
    "/central/dashboard/",
    "/central/dashboard/?org=haki-maji&from=2020-01-01",
    "/central/dashboard/?from=not-a-date",
    "/central/follow-up/",
    "/central/follow-up/?show=commitments&state=made",
    "/central/follow-up/?show=actions",
)


@pytest.fixture(scope="module")
def central(tmp_path_factory):
    where = tmp_path_factory.mktemp("central-dashboard")
    server = Central(where / "data", where / "central.log")
    conn = server.db()
    try:
        seed_country(conn, "KE")
        seed_country(conn, "GH")
        accounts.add_user(conn, "victor", "long enough 2", country="KE", role="viewer")
    finally:
        conn.close()
    server.start()
    yield server
    server.stop()


def sign_in(page, central, name, password):
    page.goto(central.url + "/central/login")
    page.get_by_label("Account name").fill(name)
    page.get_by_label("Password").fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()


@pytest.mark.parametrize("who", [("victor", "long enough 2"), ("admin", "correct horse")])
@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_both_pages_pass_axe_and_fit_a_phone(open_page, axe, central, who, viewport):
    page = open_page(viewport=PHONE) if viewport == "phone" else open_page()
    sign_in(page, central, *who)
    for path in PAGES:
        page.goto(central.url + path)
        found = serious(axe(page))
        assert not found, f"{page.url}\n" + describe(found)
        if viewport == "phone":
            fits, why = no_horizontal_scroll(page, PHONE["width"])
            assert fits, why


def test_a_figure_leads_to_its_list_in_the_browser(page, central):
    sign_in(page, central, "victor", "long enough 2")
    page.goto(central.url + "/central/dashboard/")
    page.locator('dd a[href="/issues/?responded=yes"]').first.click()
    page.wait_for_url(re.compile(r"/issues/\?responded=yes$"))
    expect(page.locator("p.count")).to_have_text("3 issues")
