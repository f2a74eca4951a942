"""Review at central: devices by the name given with their enrolment code, times in the account's
country's zone with its name, and the Sync page's count equal to the Review page's."""

from __future__ import annotations

import re
from datetime import datetime
from html import unescape
from zoneinfo import ZoneInfo

from fieldkit.central import accounts
from fieldkit.central import queries as central_queries
from sync import merge

from .replicas import edit, new_issue
from .test_pages import signed_in, token


def text_of(response) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))).split())


def enroll_named(device, name: str) -> None:
    from fieldkit.db import connect

    hub = connect(device.central.config["DATABASE"])
    code = central_queries.create_code(hub, "kolwa-youth", "KE", device_name=name)
    hub.close()
    device.client(server_url="http://central.test").enroll(code, "http://central.test")


def test_central_names_devices_and_shows_times_in_the_accounts_country_zone(make_device, central_app, hub):
    a, b = make_device("a"), make_device("b")
    enroll_named(a, "Kisumu office laptop")
    b.enroll()  # a code made without a name
    row = new_issue(a.conn)
    a.sync()
    b.sync()
    edit(a.conn, row, title="Pump broken", author="Amina")
    edit(b.conn, row, title="Pump stolen", author="Baraka")
    a.sync()
    b.sync()
    web = signed_in(central_app, hub)  # an account for Kenya
    page = text_of(web.get("/sync/conflicts"))
    assert "Amina, on Kisumu office laptop" in page
    assert "Baraka, on a device of kolwa-youth, enrolled" in page
    (conflict,) = merge.open_conflicts(hub)
    for candidate in conflict["candidates"]:
        assert candidate["device_id"] not in page
        when = datetime.fromisoformat(candidate["observed_at"].replace("Z", "+00:00"))
        assert f"{when.astimezone(ZoneInfo('Africa/Nairobi')):%H:%M} (Kenya Time)" in page
    assert "1 disputed field to review" in text_of(web.get("/sync/"))
    devices = text_of(web.get("/central/"))
    assert "Kisumu office laptop" in devices and "(Kenya Time)" in devices


def test_an_account_of_another_country_sees_its_own_zone_and_none_of_kenyas_disputes(
    make_device, central_app, hub
):
    a, b = make_device("a"), make_device("b")
    a.enroll()
    b.enroll()
    row = new_issue(a.conn)
    a.sync()
    b.sync()
    edit(a.conn, row, title="Pump broken")
    edit(b.conn, row, title="Pump stolen")
    a.sync()
    b.sync()
    accounts.add_user(hub, "priya", "long password", country="IN")
    web = central_app.test_client()
    page = web.get("/central/login")
    web.post(
        "/central/login", data={"csrf_token": token(page), "username": "priya", "password": "long password"}
    )
    assert "0 disputed fields to review" in text_of(web.get("/sync/"))
    assert "Nothing to review" in text_of(web.get("/sync/conflicts"))
    tokens = web.get("/central/tokens/")
    web.post("/central/tokens/", data={"csrf_token": token(tokens), "label": "dashboard"})
    assert "(India Time)" in text_of(web.get("/central/tokens/"))  # made now, shown in Kolkata's time


def test_a_device_name_too_long_is_refused_beside_the_field(central_app, hub):
    web = signed_in(central_app, hub)
    page = web.get("/central/codes")
    answer = web.post(
        "/central/codes",
        data={
            "csrf_token": token(page),
            "org": "kolwa-youth",
            "country": "KE",
            "hours": "72",
            "device_name": "x" * 61,
        },
    )
    assert answer.status_code == 422
    assert "Keep this under 60 characters" in answer.get_data(as_text=True)
    assert hub.execute("SELECT COUNT(*) FROM central_codes").fetchone()[0] == 0


def test_an_account_may_choose_its_own_zone_and_go_back_to_its_countrys(central_app, hub):
    web = signed_in(central_app, hub)  # an account for Kenya
    page = web.get("/central/password")
    assert 'name="time_zone"' in page.get_data(as_text=True)
    web.post("/central/tokens/", data={"csrf_token": token(page), "label": "dashboard"})
    assert "(Kenya Time)" in text_of(web.get("/central/tokens/"))
    assert (
        web.post(
            "/central/time-zone", data={"csrf_token": token(page), "time_zone": "Asia/Kolkata"}
        ).status_code
        == 303
    )
    assert "(India Time)" in text_of(web.get("/central/tokens/"))
    bad = web.post("/central/time-zone", data={"csrf_token": token(page), "time_zone": "Mars/Olympus"})
    assert bad.status_code == 422 and "Choose a time zone from the list" in bad.get_data(as_text=True)
    assert "(India Time)" in text_of(web.get("/central/tokens/"))
    web.post("/central/time-zone", data={"csrf_token": token(page), "time_zone": ""})
    assert "(Kenya Time)" in text_of(web.get("/central/tokens/"))
