"""Places to pick on a phone: typing two letters narrows the region list, picking a region
narrows the districts to that region's, and the picked places are saved; axe-clean at 320 px."""

from __future__ import annotations

import re

import pytest

from fieldkit import datadir, places_import
from fieldkit.db import connect
from tests.browser.conftest import PHONE
from tests.browser.helpers import describe, no_horizontal_scroll, shown

PLACES = """region,district,community
Nairobi,Kibra,Kianda
Nairobi,Embakasi,Mukuru
Nakuru,Naivasha,Karagita
Kisumu,Kisumu East,Kolwa
"""


@pytest.fixture(scope="module")
def kenya(live_server, tmp_path_factory):
    path = tmp_path_factory.mktemp("places") / "kenya.csv"
    path.write_text(PLACES, encoding="utf-8")
    conn = connect(datadir.database_path(live_server.data_dir))
    try:
        assert not places_import.import_places(conn, path, "KE").problems
    finally:
        conn.close()
    return live_server


def offered(page, field: str) -> list[str]:
    return page.eval_on_selector_all(f"#places-{field} option", "options => options.map(o => o.value)")


def wait_offered(page, field: str, expected: list[str]) -> None:
    page.wait_for_function(
        """([field, expected]) => JSON.stringify(Array.from(document.querySelectorAll('#places-' + field + ' option'))
             .map(o => o.value)) === JSON.stringify(expected)""",
        arg=[field, expected],
    )


def test_pick_a_region_then_a_district_of_that_region_on_a_phone(open_page, kenya, axe):
    page = open_page(viewport=PHONE, is_mobile=True, has_touch=True)
    page.goto(kenya.url("/issues/new"))
    page.wait_for_function("window.htmx !== undefined")
    # Without narrowing, the lists hold every district of the country.
    assert offered(page, "district") == ["Embakasi", "Kibra", "Kisumu East", "Naivasha"]

    # What and where come first in the form's steps: the title and sector, then the place.
    page.get_by_label(re.compile(r"^Title")).fill("Borehole broken")
    page.get_by_label(re.compile(r"^Sector")).select_option("water")
    region = shown(page, page.get_by_label("Region / province / state"))
    region.press_sequentially("na", delay=60)
    wait_offered(page, "region", ["Nairobi", "Nakuru"])
    region.fill("Nairobi")  # what choosing the suggestion does: the input takes its value
    region.dispatch_event("change")
    wait_offered(page, "district", ["Embakasi", "Kibra"])

    district = page.get_by_label("District", exact=True)
    district.fill("Kibra")
    district.dispatch_event("change")
    wait_offered(page, "community", ["Kianda"])

    fits, why = no_horizontal_scroll(page, PHONE["width"])
    assert fits, why
    violations = axe(page)
    assert not violations, describe(violations)

    page.get_by_label("Community / village").fill("kianda")
    page.get_by_role("button", name=re.compile("Save")).first.click()
    page.wait_for_url(re.compile(r"/issues/[0-9a-f-]{36}$"))
    assert page.get_by_text("Kianda").first.is_visible()


@pytest.fixture(scope="module")
def central(tmp_path_factory):
    """``fieldkit central serve`` in its own process, with a Kenya team member's account."""
    import os
    import subprocess
    import sys
    import time
    import urllib.error
    import urllib.request

    from fieldkit import create_app
    from fieldkit.central import accounts
    from fieldkit.server import free_port

    data = tmp_path_factory.mktemp("central-data")
    app = create_app({"DATA_DIR": data, "ROLE": "central"})
    conn = connect(app.config["DATABASE"])
    accounts.add_user(conn, "wanjiru", "a long password for Kenya", country="KE", role="member")
    conn.close()
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("FIELDKIT_")}
    program = [sys.executable, "-c", "import sys; from fieldkit.cli import main; sys.exit(main())"]
    log = (data.parent / "central-serve.log").open("ab")
    process = subprocess.Popen(
        [*program, "--data", str(data), "central", "serve", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(base + "/central/login", timeout=2):  # noqa: S310
                break
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            assert process.poll() is None and time.monotonic() < deadline, "central did not start"
            time.sleep(0.05)
    yield base
    process.terminate()
    process.wait(timeout=10)
    log.close()


def test_a_country_team_imports_places_at_central_on_a_phone(open_page, central, axe, tmp_path):
    page = open_page(viewport=PHONE, is_mobile=True, has_touch=True)
    page.goto(central + "/central/login")
    page.get_by_label(re.compile("^Account name")).fill("wanjiru")
    page.get_by_label(re.compile("^Password")).fill("a long password for Kenya")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name="Sign out").wait_for()
    page.get_by_role("link", name="Places").click()
    page.wait_for_url(re.compile(r"/central/places/$"))

    bad = tmp_path / "bad.csv"
    bad.write_text("region,district,facility,kind\nNairobi,Kibra,,clinic\n", encoding="utf-8")
    page.get_by_label("CSV file").set_input_files(bad)
    page.get_by_role("button", name="Import").click()
    page.get_by_text("line 2, kind: A kind is given but no facility.").wait_for()
    for state in ("refused", "imported"):
        fits, why = no_horizontal_scroll(page, PHONE["width"])
        assert fits, why
        violations = axe(page)
        assert not violations, f"{state}: " + describe(violations)
        if state == "refused":
            good = tmp_path / "good.csv"
            good.write_text(PLACES, encoding="utf-8")
            page.get_by_label("CSV file").set_input_files(good)
            page.get_by_role("button", name="Import").click()
            page.get_by_text("Added 11 places.").wait_for()
    assert page.get_by_role("cell", name="Community / village").is_visible()
