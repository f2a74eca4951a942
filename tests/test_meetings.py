"""Meeting notes: recording, attendance checks, autosaved drafts, action items, linked issues,
the home page's due list, the issue page and the combined search."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta

import pytest

from tests.conftest import create_issue

HX = {"HX-Request": "true"}
FORM_TOKEN = re.compile(r'name="form_token" value="([^"]+)"')


def meeting_form(**overrides) -> dict:
    """A valid new-meeting form; override any field."""
    form = {
        "title": "Kolwa water committee",
        "kind": "community",
        "held_on": "2026-03-10",
        "starts_at": "10:00",
        "ends_at": "12:30",
        "place": "Kolwa chief's camp",
        "facilitator": "Akinyi Otieno",
        "language": "en",
        "country": "KE",
        "attendance_total": "48",
        "attendance_women": "27",
        "attendance_men": "21",
        "attendance_youth": "9",
        "officials": "Jane Achieng, ward administrator\nPeter Ouma, water officer",
        "agenda": "1. Borehole\n2. Clinic",
        "notes": "The borehole has been broken since March.",
        "decisions": "Write to the county water office.",
    }
    form.update(overrides)
    return form


def create_meeting(client, **overrides) -> str:
    response = client.submit("/meetings/new", meeting_form(**overrides))
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    return response.headers["Location"].rsplit("/", 1)[1]


def errors_of(response) -> dict[str, str]:
    """Field name -> message, as shown beside each field."""
    html = response.get_data(as_text=True)
    return dict(re.findall(r'<p class="error" id="[a-z]-([a-z_]+)-error">([^<]+)</p>', html))


def ops(db, table: str) -> list[dict]:
    rows = db.execute("SELECT kind, row_id, fields, base FROM sync_ops WHERE tbl = ? ORDER BY dseq", (table,))
    return [{"kind": k, "row_id": r, "fields": json.loads(f), "base": json.loads(b)} for k, r, f, b in rows]


# --- recording a meeting -----------------------------------------------------------------------


def test_recorded_meeting_shows_its_minutes_and_is_journaled(client, db):
    meeting_id = create_meeting(client)
    page = client.get(f"/meetings/{meeting_id}").get_data(as_text=True)
    assert "Kolwa water committee" in page
    assert "48 people present" in page
    assert "Women: 27" in page and "Men: 21" in page and "Youth: 9" in page
    assert "Peter Ouma, water officer" in page
    assert "Write to the county water office." in page
    journal = ops(db, "meetings")
    assert [op["kind"] for op in journal] == ["create"]
    assert journal[0]["fields"]["attendance_total"] == 48
    assert journal[0]["fields"]["ref"].startswith("KE-")


def test_same_meeting_form_sent_twice_records_one_meeting(client, db):
    form = meeting_form(form_token="0190aaaa-0000-7000-8000-000000000001")
    first = client.submit("/meetings/new", form)
    second = client.submit("/meetings/new", form)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert db.execute("SELECT COUNT(*) FROM meetings").fetchone()[0] == 1


@pytest.mark.parametrize(
    ("overrides", "field", "words"),
    [
        ({"attendance_women": "30", "attendance_men": "25"}, "attendance_total", "add up to 55"),
        ({"attendance_youth": "60"}, "attendance_youth", "more than the total of 48"),
        ({"attendance_women": "49", "attendance_men": ""}, "attendance_women", "more than the total"),
        (
            {"attendance_total": "1", "attendance_women": "", "attendance_men": "", "attendance_youth": ""},
            "officials",
            "2 officials are listed",
        ),
        ({"attendance_total": ""}, "attendance_total", "total number of people present"),
        ({"attendance_men": "-3"}, "attendance_men", "cannot be negative"),
        ({"attendance_total": "lots"}, "attendance_total", "whole number"),
        ({"ends_at": "09:00"}, "ends_at", "cannot end before it starts"),
        ({"starts_at": "25:99"}, "starts_at", "hours:minutes"),
        ({"held_on": "10/03/2026"}, "held_on", "year-month-day"),
        ({"kind": "party"}, "kind", "Choose one"),
        ({"title": ""}, "title", "required"),
    ],
)
def test_numbers_that_do_not_add_up_are_refused_with_the_reason(client, db, overrides, field, words):
    response = client.submit("/meetings/new", meeting_form(**overrides))
    assert response.status_code == 422
    errors = errors_of(response)
    assert field in errors, errors
    assert words in errors[field]
    assert db.execute("SELECT COUNT(*) FROM meetings").fetchone()[0] == 0
    # What was typed stays in the form.
    assert "The borehole has been broken since March." in response.get_data(as_text=True)


def test_attendance_that_adds_up_exactly_is_accepted(client):
    create_meeting(
        client, attendance_total="48", attendance_women="24", attendance_men="24", attendance_youth="48"
    )


def test_editing_journals_only_changed_fields_with_their_base(client, db):
    meeting_id = create_meeting(client)
    form = meeting_form(decisions="Write to the county water office by Friday.")
    response = client.submit(f"/meetings/{meeting_id}/edit", form)
    assert response.status_code == 303
    journal = ops(db, "meetings")
    assert [op["kind"] for op in journal] == ["create", "set"]
    assert journal[1]["fields"] == {"decisions": "Write to the county water office by Friday."}
    assert "decisions" in journal[1]["base"]
    history = client.get(f"/meetings/{meeting_id}/history").get_data(as_text=True)
    assert "by Friday" in history


def test_deleted_meeting_leaves_the_list_and_can_be_restored(client):
    meeting_id = create_meeting(client)
    assert client.submit(f"/meetings/{meeting_id}/delete").status_code == 303
    assert "Kolwa water committee" not in client.get("/meetings/").get_data(as_text=True)
    assert "Kolwa water committee" in client.get("/meetings/?deleted=1").get_data(as_text=True)
    client.submit(f"/meetings/{meeting_id}/restore")
    assert "Kolwa water committee" in client.get("/meetings/").get_data(as_text=True)


def test_unknown_meeting_is_a_404_page(client):
    assert client.get("/meetings/nope").status_code == 404
    assert client.submit("/meetings/nope/actions", {"what": "x"}).status_code == 404


# --- list and search ---------------------------------------------------------------------------


def test_meeting_list_filters_by_words_and_type(client):
    create_meeting(client, title="Budget hearing in Ahero", kind="budget_hearing", notes="Clinic budget")
    create_meeting(client, title="Kolwa water committee", kind="community", agenda="Borehole")
    page = client.get("/meetings/?q=clinic").get_data(as_text=True)
    assert "Budget hearing in Ahero" in page and "Kolwa water committee" not in page
    page = client.get("/meetings/?kind=community").get_data(as_text=True)
    assert "Kolwa water committee" in page and "Budget hearing in Ahero" not in page
    fragment = client.get("/meetings/?q=ahero", headers={**HX, "HX-Target": "results"})
    assert "<h1>" not in fragment.get_data(as_text=True)
    assert "Budget hearing in Ahero" in fragment.get_data(as_text=True)
    assert "HX-Request" in fragment.headers.get("Vary", "")


def test_one_search_box_finds_meetings_and_issues_together(client):
    create_issue(client, title="Borehole broken in Kolwa")
    create_meeting(client, title="Kolwa water committee")
    create_meeting(client, title="Ahero clinic dialogue", notes="Nothing about water", place="Ahero")
    page = client.get("/search?q=kolwa").get_data(as_text=True)
    assert "Borehole broken in Kolwa" in page
    assert "Kolwa water committee" in page
    assert "Ahero clinic dialogue" not in page
    home = client.get("/").get_data(as_text=True)
    assert 'action="/search"' in home


@pytest.mark.parametrize("q", ['"', "AND", "*", "a OR", "(", "NEAR(", "\u202e"])
def test_odd_search_text_never_fails(client, q):
    create_meeting(client)
    assert client.get("/search", query_string={"q": q}).status_code == 200
    assert client.get("/meetings/", query_string={"q": q}).status_code == 200


# --- autosaved drafts --------------------------------------------------------------------------


def test_typing_in_a_saved_meeting_keeps_a_draft_that_the_edit_page_restores(client, db):
    meeting_id = create_meeting(client)
    response = client.submit(
        "/meetings/drafts", {"draft_key": f"meeting:{meeting_id}", **meeting_form(notes="Half a sentence")}
    )
    assert response.status_code == 200
    assert "Draft kept at" in response.get_data(as_text=True)
    # Drafts are local: never journaled.
    assert [op["kind"] for op in ops(db, "meetings")] == ["create"]
    page = client.get(f"/meetings/{meeting_id}/edit").get_data(as_text=True)
    assert "Half a sentence" in page
    assert "was not saved yet" in page
    token = FORM_TOKEN.search(page).group(1)
    client.submit(
        f"/meetings/{meeting_id}/edit", meeting_form(notes="Half a sentence, finished.", form_token=token)
    )
    assert db.execute("SELECT COUNT(*) FROM meeting_drafts").fetchone()[0] == 0
    assert "Half a sentence, finished." in client.get(f"/meetings/{meeting_id}").get_data(as_text=True)


def test_draft_of_a_meeting_never_saved_can_be_resumed_and_then_disappears(client, db):
    page = client.get("/meetings/new").get_data(as_text=True)
    token = FORM_TOKEN.search(page).group(1)
    key = f"new:{token}"
    assert f'value="{key}"' in page
    client.submit("/meetings/drafts", {"draft_key": key, "title": "Social audit, Seme", "notes": "Started"})
    listing = client.get("/meetings/").get_data(as_text=True)
    assert "Unsaved meeting notes" in listing and "Social audit, Seme" in listing
    another_form = client.get("/meetings/new").get_data(as_text=True)
    assert "never saved" in another_form and f"draft={key}" in another_form
    resumed = client.get("/meetings/new", query_string={"draft": key}).get_data(as_text=True)
    assert "Started" in resumed and f'name="form_token" value="{token}"' in resumed
    response = client.submit("/meetings/new", meeting_form(title="Social audit, Seme", form_token=token))
    assert response.status_code == 303
    # A late autosave, arriving after the save, does not bring the draft back.
    client.submit("/meetings/drafts", {"draft_key": key, "title": "Social audit, Seme", "notes": "Late"})
    assert db.execute("SELECT COUNT(*) FROM meeting_drafts").fetchone()[0] == 0
    assert "Unsaved meeting notes" not in client.get("/meetings/").get_data(as_text=True)


def test_draft_can_be_discarded(client, db):
    meeting_id = create_meeting(client)
    key = f"meeting:{meeting_id}"
    client.submit("/meetings/drafts", {"draft_key": key, "notes": "Mistake"})
    assert client.submit("/meetings/drafts/discard", {"draft_key": key}).status_code == 303
    assert "Mistake" not in client.get(f"/meetings/{meeting_id}/edit").get_data(as_text=True)


@pytest.mark.parametrize(
    "key", ["", "meeting:../../etc", "new:1", "other:0190aaaa-0000-7000-8000-000000000001"]
)
def test_bad_draft_keys_are_refused(client, key):
    assert client.submit("/meetings/drafts", {"draft_key": key, "notes": "x"}).status_code == 400


def test_draft_for_an_unknown_meeting_is_a_404(client):
    key = "meeting:0190aaaa-0000-7000-8000-000000000001"
    assert client.submit("/meetings/drafts", {"draft_key": key, "notes": "x"}).status_code == 404


# --- action items ------------------------------------------------------------------------------


def action_form(**overrides) -> dict:
    form = {
        "what": "Write to the county water office",
        "owner_kind": "partner",
        "owner_name": "Akinyi",
        "due_on": "2026-03-20",
        "language": "en",
    }
    form.update(overrides)
    return form


def test_action_item_added_without_javascript_returns_to_the_meeting(client, db):
    meeting_id = create_meeting(client)
    response = client.submit(f"/meetings/{meeting_id}/actions", action_form())
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/meetings/{meeting_id}#actions")
    page = client.get(f"/meetings/{meeting_id}").get_data(as_text=True)
    assert "Write to the county water office" in page and "Owner: Partner" in page
    journal = ops(db, "meeting_actions")
    assert journal[0]["kind"] == "create" and journal[0]["fields"]["meeting_id"] == meeting_id


def test_action_item_added_inline_returns_the_section_only(client):
    meeting_id = create_meeting(client)
    response = client.submit(f"/meetings/{meeting_id}/actions", action_form(), headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.lstrip().startswith('<section id="actions"')
    assert "Write to the county water office" in html
    assert "autofocus" in html  # ready for the next one


def test_action_item_form_sent_twice_adds_one_item(client, db):
    meeting_id = create_meeting(client)
    form = action_form(form_token="0190aaaa-0000-7000-8000-0000000000a1")
    client.submit(f"/meetings/{meeting_id}/actions", form, headers=HX)
    client.submit(f"/meetings/{meeting_id}/actions", form)
    assert db.execute("SELECT COUNT(*) FROM meeting_actions").fetchone()[0] == 1


def test_action_item_without_what_says_why_beside_the_field(client, db):
    meeting_id = create_meeting(client)
    response = client.submit(
        f"/meetings/{meeting_id}/actions", action_form(what="", due_on="soon"), headers=HX
    )
    assert response.status_code == 422
    assert errors_of(response) == {
        "what": "This field is required.",
        "due_on": "Enter a date as year-month-day, like 2026-03-14.",
    }
    plain = client.submit(f"/meetings/{meeting_id}/actions", action_form(what=""))
    assert plain.status_code == 422 and "<h1" in plain.get_data(as_text=True)
    assert db.execute("SELECT COUNT(*) FROM meeting_actions").fetchone()[0] == 0


def test_action_item_linked_to_a_missing_issue_is_refused(client):
    meeting_id = create_meeting(client)
    response = client.submit(
        f"/meetings/{meeting_id}/actions", action_form(issue_id="0190aaaa-0000-7000-8000-000000000009")
    )
    assert response.status_code == 422
    assert "does not exist" in errors_of(response)["issue_id"]
    response = client.submit(f"/meetings/{meeting_id}/actions", action_form(issue_id="'; DROP TABLE"))
    assert response.status_code == 422


def test_marking_an_action_done_records_the_day_and_is_journaled(client, db):
    meeting_id = create_meeting(client)
    client.submit(f"/meetings/{meeting_id}/actions", action_form())
    action_id = db.execute("SELECT id FROM meeting_actions").fetchone()[0]
    response = client.submit(
        f"/meetings/{meeting_id}/actions/{action_id}/status", {"status": "done"}, headers=HX
    )
    assert response.status_code == 200 and "Done" in response.get_data(as_text=True)
    row = db.execute("SELECT status, done_on FROM meeting_actions").fetchone()
    assert tuple(row) == ("done", date.today().isoformat())
    last = ops(db, "meeting_actions")[-1]
    assert last["kind"] == "set" and last["fields"]["status"] == "done" and "status" in last["base"]
    client.submit(f"/meetings/{meeting_id}/actions/{action_id}/status", {"status": "dropped"})
    assert tuple(db.execute("SELECT status, done_on FROM meeting_actions").fetchone()) == ("dropped", None)
    assert (
        client.submit(f"/meetings/{meeting_id}/actions/{action_id}/status", {"status": "won"}).status_code
        == 400
    )


def test_home_lists_action_items_overdue_or_due_this_week_only(client):
    today = date.today()
    meeting_id = create_meeting(client, title="Ahero dialogue")
    for what, due in [
        ("Overdue letter", today - timedelta(days=3)),
        ("Due tomorrow visit", today + timedelta(days=1)),
        ("Due next month report", today + timedelta(days=30)),
        ("Done already", today - timedelta(days=1)),
    ]:
        client.submit(f"/meetings/{meeting_id}/actions", action_form(what=what, due_on=due.isoformat()))
    client.submit(f"/meetings/{meeting_id}/actions", action_form(what="No date at all", due_on=""))
    from fieldkit.db import connect

    conn = connect(client.application.config["DATABASE"])
    done_id = conn.execute("SELECT id FROM meeting_actions WHERE what = 'Done already'").fetchone()[0]
    conn.close()
    client.submit(f"/meetings/{meeting_id}/actions/{done_id}/status", {"status": "done"})
    home = client.get("/").get_data(as_text=True)
    section = home.split('id="due-actions-h"', 1)[1].split("</section>", 1)[0]
    assert section.index("Overdue letter") < section.index("Due tomorrow visit")
    assert "overdue since" in section and "Ahero dialogue" in section
    for absent in ("Due next month report", "Done already", "No date at all"):
        assert absent not in section
    # Marking done from the home page goes back to it.
    from_home = client.submit(
        f"/meetings/{meeting_id}/actions/{done_id}/status", {"status": "done", "next": "home"}
    )
    assert from_home.headers["Location"].endswith("/")


def test_action_items_of_a_deleted_meeting_leave_the_home_page(client):
    meeting_id = create_meeting(client)
    client.submit(f"/meetings/{meeting_id}/actions", action_form(what="Ghost task", due_on="2020-01-01"))
    assert "Ghost task" in client.get("/").get_data(as_text=True)
    client.submit(f"/meetings/{meeting_id}/delete")
    assert "Ghost task" not in client.get("/").get_data(as_text=True)


# --- issues discussed ----------------------------------------------------------------------------


def test_search_as_you_type_offers_issues_to_link(client):
    create_issue(client, title="Borehole broken in Kolwa")
    create_issue(client, title="Clinic without malaria drugs", sector="health")
    meeting_id = create_meeting(client)
    fragment = client.get(f"/meetings/{meeting_id}?find=boreh", headers={**HX, "HX-Target": "found"})
    html = fragment.get_data(as_text=True)
    assert "<h1" not in html
    assert "Borehole broken in Kolwa" in html and "Clinic without" not in html
    assert "Link this issue" in html
    # The same search works without JavaScript, as a whole page.
    page = client.get(f"/meetings/{meeting_id}?find=clinic").get_data(as_text=True)
    assert "Clinic without malaria drugs" in page and "<h1" in page


def test_linked_issue_shows_on_both_pages_with_its_action_items(client, db):
    issue_id = create_issue(client, title="Borehole broken in Kolwa")
    meeting_id = create_meeting(client, title="Kolwa water committee")
    response = client.submit(
        f"/meetings/{meeting_id}/links",
        {"issue_id": issue_id, "outcome": "commitment", "note": "Officer promised a mechanic."},
        headers=HX,
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Borehole broken in Kolwa" in html and "Officials made a commitment" in html
    assert 'hx-swap-oob="true"' in html  # the action form's issue choices follow
    client.submit(
        f"/meetings/{meeting_id}/actions", action_form(what="Bring the mechanic", issue_id=issue_id)
    )
    meeting_page = client.get(f"/meetings/{meeting_id}").get_data(as_text=True)
    assert meeting_page.count("Borehole broken in Kolwa") >= 2  # linked, and offered for action items
    issue_page = client.get(f"/issues/{issue_id}").get_data(as_text=True)
    section = issue_page.split('id="meetings-h"', 1)[1].split("</section>", 1)[0]
    assert "Kolwa water committee" in section and "Officer promised a mechanic." in section
    assert "Bring the mechanic" in section
    assert [op["kind"] for op in ops(db, "meeting_issues")] == ["create"]


def test_link_form_sent_twice_links_once_and_bad_links_are_refused(client, db):
    issue_id = create_issue(client)
    meeting_id = create_meeting(client)
    form = {"issue_id": issue_id, "outcome": "raised", "form_token": "0190aaaa-0000-7000-8000-0000000000b1"}
    client.submit(f"/meetings/{meeting_id}/links", form)
    client.submit(f"/meetings/{meeting_id}/links", form)
    assert db.execute("SELECT COUNT(*) FROM meeting_issues").fetchone()[0] == 1
    bad = client.submit(f"/meetings/{meeting_id}/links", {"issue_id": "nope"})
    assert bad.status_code == 422 and "Choose an issue" in bad.get_data(as_text=True)
    missing = client.submit(
        f"/meetings/{meeting_id}/links", {"issue_id": "0190aaaa-0000-7000-8000-00000000dead"}
    )
    assert missing.status_code == 422
    odd = client.submit(f"/meetings/{meeting_id}/links", {"issue_id": issue_id, "outcome": "bribe"})
    assert odd.status_code == 422


def test_issue_created_from_a_meeting_comes_back_linked(client, db):
    meeting_id = create_meeting(client, held_on="2026-03-10")
    form_page = client.get(f"/meetings/{meeting_id}/issues/new").get_data(as_text=True)
    assert 'value="2026-03-10"' in form_page  # observed at the meeting
    data = {
        "title": "School roof leaking",
        "sector": "education",
        "anonymous": "1",
        "form_token": "0190aaaa-0000-7000-8000-0000000000c1",
    }
    response = client.submit(f"/meetings/{meeting_id}/issues/new", data)
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/meetings/{meeting_id}#issues")
    assert client.submit(f"/meetings/{meeting_id}/issues/new", data).status_code == 303
    assert db.execute("SELECT COUNT(*) FROM issues").fetchone()[0] == 1
    assert db.execute("SELECT COUNT(*) FROM meeting_issues").fetchone()[0] == 1
    page = client.get(f"/meetings/{meeting_id}").get_data(as_text=True)
    assert "School roof leaking" in page and "Raised with officials" in page
    invalid = client.submit(f"/meetings/{meeting_id}/issues/new", {"title": "", "sector": "water"})
    assert invalid.status_code == 422


# --- queries -----------------------------------------------------------------------------------


def test_due_soon_counts_beyond_the_page(app, db):
    from fieldkit.queries import actions, meetings

    with app.app_context():
        meeting_id = meetings.create_meeting(
            db, {"title": "M", "kind": "other", "held_on": "2026-01-01", "country": "KE"}
        )
        meeting = meetings.get_meeting(db, meeting_id)
        for n in range(5):
            actions.add_action(db, meeting, {"what": f"task {n}", "due_on": f"2026-01-0{n + 1}"})
    items, total = actions.due_soon(db, today=date(2026, 1, 3), limit=2)
    assert [i["what"] for i in items] == ["task 0", "task 1"]
    assert total == 5
    assert all(i["overdue"] for i in items)
    # Items of a deleted meeting are neither listed nor counted.
    gone = meetings.create_meeting(db, {"title": "Gone", "kind": "other", "held_on": "2026-01-01"})
    actions.add_action(db, meetings.get_meeting(db, gone), {"what": "ghost", "due_on": "2025-12-01"})
    assert actions.due_soon(db, today=date(2026, 1, 3), limit=2)[1] == 6
    meetings.delete_meeting(db, gone)
    items, total = actions.due_soon(db, today=date(2026, 1, 3), limit=10)
    assert total == 5 and "ghost" not in [i["what"] for i in items]


def test_action_items_of_two_devices_are_separate_rows_that_never_share_a_field(app, db):
    """Add-only set: each item is its own row with its own create op, so concurrent adds cannot conflict."""
    from fieldkit.queries import actions, meetings

    meeting_id = meetings.create_meeting(db, {"title": "M", "kind": "other", "held_on": "2026-01-01"})
    meeting = meetings.get_meeting(db, meeting_id)
    first = actions.add_action(db, meeting, {"what": "one"})
    second = actions.add_action(db, meeting, {"what": "two"})
    journal = ops(db, "meeting_actions")
    assert {op["row_id"] for op in journal} == {first, second}
    assert all(op["kind"] == "create" and op["base"] == {} for op in journal)
    assert [op["kind"] for op in ops(db, "meetings")] == ["create"]  # the meeting itself untouched
