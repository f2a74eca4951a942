"""Meetings, action items, issue links and text translations sync like issues: every synced table
in fieldkit.records travels, meetings get per-field conflicts, child rows are add-only sets."""

from __future__ import annotations

from fieldkit import records
from fieldkit.queries import actions, meetings
from sync import journal, merge

from ..conftest import FormClient
from ..test_meetings import meeting_form
from .replicas import snapshot


def test_a_meeting_with_its_action_items_reaches_the_other_device_and_conflicts_per_field(make_device, hub):
    a, b = make_device("a"), make_device("b")
    a.enroll()
    b.enroll()
    web = FormClient(a.app.test_client())
    response = web.submit("/meetings/new", meeting_form())
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    meeting_id = response.headers["Location"].rsplit("/", 1)[1]
    meeting = meetings.get_meeting(a.conn, meeting_id)
    actions.add_action(
        a.conn,
        meeting,
        {
            "what": "Write to the county water office",
            "owner_kind": "partner",
            "owner_name": "Akinyi",
            "due_on": "2026-04-01",
            "language": "en",
        },
    )
    a.sync()
    b.sync()
    assert (
        b.conn.execute("SELECT title FROM meetings WHERE id = ?", (meeting_id,)).fetchone()[0]
        == meeting["title"]
    )
    assert b.conn.execute("SELECT COUNT(*) FROM meeting_actions").fetchone()[0] == 1
    # Both add an action item and change the title offline.
    for device, title in ((a, "Water committee, March"), (b, "Kolwa water committee (cancelled)")):
        with journal.transaction(device.conn):
            journal.update(device.conn, "meetings", meeting_id, {"title": title})
        actions.add_action(
            device.conn,
            meeting,
            {
                "what": f"Follow up {title}",
                "owner_kind": "community",
                "owner_name": "",
                "due_on": "2026-04-02",
                "language": "en",
            },
        )
    a.sync()
    b.sync()
    a.sync()
    for conn in (a.conn, b.conn, hub):
        assert conn.execute("SELECT COUNT(*) FROM meeting_actions").fetchone()[0] == 3  # add-only: both kept
        (conflict,) = merge.open_conflicts(conn)
        assert conflict["tbl"] == "meetings" and conflict["field"] == "title"
    states = [snapshot(conn) for conn in (a.conn, b.conn, hub)]
    for table in records.SYNCED_TABLES:
        assert states[0][table] == states[1][table] == states[2][table], table
