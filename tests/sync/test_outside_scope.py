"""Records outside the enrolled scope: listed on the Sync page, moved in (children too) or kept here;
never blocking the rest, and a kept record's changes never leave the device."""

from __future__ import annotations

import json

import pytest

from fieldkit import create_app
from fieldkit.db import connect
from tests.conftest import FormClient, issue_form


def _submit(web, url, data) -> str:
    response = web.submit(url, data)
    assert response.status_code == 303, response.get_data(as_text=True)[:3000]
    return response.headers["Location"].rsplit("/", 1)[1].split("#")[0]


@pytest.fixture
def device(make_device):
    """A device used under the KE default before it was enrolled for Ghana."""
    device = make_device("field")
    device.web = FormClient(device.app.test_client())
    return device


def _records_before_enrolment(device) -> dict:
    web = device.web
    moved = _submit(web, "/issues/new", issue_form(title="Borehole broken", country="KE"))
    web.submit(f"/issues/{moved}/events", {"kind": "note", "occurred_on": "2026-03-02", "note": "Still dry"})
    kept = _submit(web, "/issues/new", issue_form(title="Private matter of the clinic", country="KE"))
    meeting = _submit(
        web,
        "/meetings/new",
        {"title": "Water committee", "kind": "community", "held_on": "2026-03-10", "country": "KE"},
    )
    return {"moved": moved, "kept": kept, "meeting": meeting}


def _central_rows(hub, table):
    return {r[0]: r[1] for r in hub.execute(f"SELECT id, country FROM [{table}]")}


def test_the_sync_page_lists_records_outside_the_enrolled_scope_with_links(device):
    made = _records_before_enrolment(device)
    device.enroll(country="GH")
    page = device.web.get("/sync/").get_data(as_text=True)
    assert "3 records are outside the country and organisation this device is enrolled for" in page
    for issue_id in (made["moved"], made["kept"]):
        assert f'href="/issues/{issue_id}"' in page
    assert f'href="/meetings/{made["meeting"]}"' in page
    assert page.count("Keep on this device only") == 3


def test_moved_records_and_their_children_reach_central_and_other_devices_kept_ones_never_do(
    device, make_device, hub
):
    made = _records_before_enrolment(device)
    device.enroll(country="GH")
    for key in ("moved", "meeting"):
        table = "meetings" if key == "meeting" else "issues"
        assert device.web.submit("/sync/scope/move", {"tbl": table, "row_id": made[key]}).status_code == 303
    assert device.web.submit("/sync/scope/keep", {"tbl": "issues", "row_id": made["kept"]}).status_code == 303
    device.web.submit(
        f"/issues/{made['kept']}/edit", issue_form(title="Private matter, updated", country="KE")
    )

    summary = device.sync()

    issues = _central_rows(hub, "issues")
    assert issues.get(made["moved"]) == "GH" and made["kept"] not in issues
    assert _central_rows(hub, "meetings").get(made["meeting"]) == "GH"
    events = hub.execute("SELECT country FROM issue_events WHERE issue_id = ?", (made["moved"],)).fetchall()
    assert [e[0] for e in events] == ["GH"]
    # Nothing of the kept record reached central, not even in what it refused.
    everything = json.dumps([r[0] for r in hub.execute("SELECT op FROM sync_refused")])
    everything += json.dumps([r[0] for r in hub.execute("SELECT fields FROM sync_ops")])
    assert "Private matter" not in everything and made["kept"] not in everything
    assert summary.problems == []

    other = make_device("other")
    other.enroll(country="GH")
    other.sync()
    got = {r[0] for r in other.conn.execute("SELECT id FROM issues")}
    assert made["moved"] in got and made["kept"] not in got
    assert other.conn.execute("SELECT COUNT(*) FROM issue_events").fetchone()[0] == 1

    page = device.web.get("/sync/").get_data(as_text=True)
    assert "could not be accepted by central" not in page  # the moved records' old refusals are superseded
    assert "1 record is kept on this device only" in page
    assert "outside the country and organisation" not in page


def test_a_record_left_outside_never_blocks_the_rest_and_can_be_moved_after_a_refusal(device, hub):
    made = _records_before_enrolment(device)
    device.enroll(country="GH")
    device.web.submit("/sync/scope/keep", {"tbl": "meetings", "row_id": made["meeting"]})
    inside = _submit(device.web, "/issues/new", issue_form(title="Clinic without medicine", country="GH"))
    summary = device.sync()
    assert summary.refused >= 2  # central refused the records left outside...
    assert inside in _central_rows(hub, "issues")  # ...and applied everything else
    page = device.web.get("/sync/").get_data(as_text=True)
    assert "2 records are outside the country" in page

    device.web.submit("/sync/scope/move", {"tbl": "issues", "row_id": made["moved"]})
    device.sync()
    assert _central_rows(hub, "issues").get(made["moved"]) == "GH"
    assert (
        hub.execute("SELECT COUNT(*) FROM issue_events WHERE issue_id = ?", (made["moved"],)).fetchone()[0]
        == 1
    )


def test_new_records_default_to_the_enrolled_country_not_the_country_setting(device):
    device.enroll(country="GH")
    restarted = create_app({"DATA_DIR": device.app.config["DATA_DIR"], "TESTING": True, "COUNTRY": "KE"})
    web = FormClient(restarted.test_client())
    assert 'value="GH" selected' in web.get("/issues/new").get_data(as_text=True)
    form = issue_form(title="Road washed away")
    del form["country"]
    issue_id = _submit(web, "/issues/new", form)
    conn = connect(restarted.config["DATABASE"])
    assert conn.execute("SELECT country FROM issues WHERE id = ?", (issue_id,)).fetchone()[0] == "GH"
    conn.close()
