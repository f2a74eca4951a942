"""The pages: a device's Sync page (enrol, sync now, summary) and review queue; central's sign-in,
device list, enrolment codes with QR, revoking, and the same issue pages for all data in scope."""

from __future__ import annotations

import re

from fieldkit.central import accounts
from fieldkit.central import queries as central_queries
from sync import journal, merge

from .replicas import edit, new_issue

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def token(page) -> str:
    return CSRF.search(page.get_data(as_text=True)).group(1)


def signed_in(central_app, hub):
    accounts.add_user(hub, "amina", "long password", country="KE")
    web = central_app.test_client()
    page = web.get("/central/login")
    answer = web.post(
        "/central/login", data={"csrf_token": token(page), "username": "amina", "password": "long password"}
    )
    assert answer.status_code == 303
    return web


def test_central_pages_need_a_sign_in_and_a_wrong_password_says_so(central_app, hub):
    web = central_app.test_client()
    assert web.get("/issues/").status_code == 302
    accounts.add_user(hub, "amina", "long password")
    page = web.get("/central/login")
    answer = web.post(
        "/central/login", data={"csrf_token": token(page), "username": "amina", "password": "nope"}
    )
    assert answer.status_code == 422
    assert "do not match" in answer.get_data(as_text=True)


def test_central_shows_devices_issues_and_makes_codes(make_device, central_app, hub):
    a = make_device("a")
    a.enroll()
    new_issue(a.conn, "Clinic without medicine")
    a.sync()
    web = signed_in(central_app, hub)
    devices = web.get("/central/").get_data(as_text=True)
    assert journal.device_id(a.conn) in devices and "kolwa-youth" in devices
    assert "Clock offset" in devices and "Last sync" in devices
    assert "Clinic without medicine" in web.get("/issues/").get_data(as_text=True)
    page = web.get("/central/codes")
    made = web.post("/central/codes", data={"csrf_token": token(page), "org": "new-partner", "country": "KE"})
    body = made.get_data(as_text=True)
    assert made.status_code == 200 and "data:image/svg+xml;base64," in body
    code = re.search(r'<p class="code"><code>([A-Z0-9-]+)</code>', body).group(1)
    b = make_device("b")
    assert (
        b.client(server_url="http://central.test").enroll(code, "http://central.test")["org"] == "new-partner"
    )
    bad = web.post("/central/codes", data={"csrf_token": token(page), "org": "", "country": "XX"})
    assert bad.status_code == 422


def test_revoking_from_the_device_list_cuts_the_device_off(make_device, central_app, hub):
    a = make_device("a")
    a.enroll()
    web = signed_in(central_app, hub)
    page = web.get("/central/")
    answer = web.post(
        f"/central/devices/{journal.device_id(a.conn)}/revoke", data={"csrf_token": token(page)}
    )
    assert answer.status_code == 303
    assert "Revoked on" in web.get("/central/").get_data(as_text=True)


def test_device_sync_page_enrols_syncs_and_summarises(make_device, central_app, hub):
    a = make_device("a")
    web = a.app.test_client()
    page = web.get("/sync/")
    assert "not enrolled" in page.get_data(as_text=True)
    bad = web.post(
        "/sync/enroll", data={"csrf_token": token(page), "url": "http://central.test", "code": "WRONG"}
    )
    assert bad.status_code == 422 and "Enrolment failed" in bad.get_data(as_text=True)
    code = central_queries.create_code(hub, "kolwa-youth", "KE")
    good = web.post(
        "/sync/enroll", data={"csrf_token": token(page), "url": "http://central.test", "code": code}
    )
    assert good.status_code == 303
    new_issue(a.conn)
    page = web.get("/sync/")
    assert "Changes waiting to be sent" in page.get_data(as_text=True)
    assert web.post("/sync/run", data={"csrf_token": token(page)}).status_code == 303
    after = web.get("/sync/").get_data(as_text=True)
    assert "Sent 1 changes and received 0." in after


def test_the_review_queue_shows_candidates_and_a_choice_resolves_everywhere(make_device, central_app, hub):
    a, b = make_device("a"), make_device("b")
    a.enroll()
    b.enroll()
    row = new_issue(a.conn)
    a.sync()
    b.sync()
    edit(a.conn, row, title="Pump broken", author="Amina")
    edit(b.conn, row, title="Pump stolen", author="Baraka")
    a.sync()
    b.sync()
    web = signed_in(central_app, hub)
    notice = web.get(f"/issues/{row}").get_data(as_text=True)
    assert "provisional until someone decides" in notice
    device_page = b.app.test_client().get(f"/issues/{row}").get_data(as_text=True)
    assert "provisional until someone decides" in device_page
    page = web.get("/sync/conflicts")
    body = page.get_data(as_text=True)
    assert "Pump broken" in body and "Pump stolen" in body and "Amina" in body and "Baraka" in body
    assert "Borehole broken" in body  # the value both started from
    (conflict,) = merge.open_conflicts(hub)
    chosen = next(c for c in conflict["candidates"] if c["value"] == "Pump stolen")
    answer = web.post(
        "/sync/conflicts/resolve",
        data={
            "csrf_token": token(page),
            "tbl": "issues",
            "row_id": row,
            "field": "title",
            "choice": chosen["dot"],
        },
    )
    assert answer.status_code == 303
    again = web.post(
        "/sync/conflicts/resolve",
        data={
            "csrf_token": token(page),
            "tbl": "issues",
            "row_id": row,
            "field": "title",
            "choice": chosen["dot"],
        },
    )
    assert again.status_code == 303  # a double submit changes nothing more
    a.sync()
    b.sync()
    for conn in (a.conn, b.conn, hub):
        assert conn.execute("SELECT title FROM issues WHERE id = ?", (row,)).fetchone()[0] == "Pump stolen"
        assert merge.count_conflicts(conn) == 0
    assert "provisional" not in web.get(f"/issues/{row}").get_data(as_text=True)
