"""Values already stored that break their declaration never 500 a page, and ``central check`` lists them."""

from __future__ import annotations

import pytest

from sync import journal
from tests.conftest import create_issue
from tests.test_meetings import create_meeting

BAD_ISSUE = {
    "observed_on": "2026-13-45",
    "severity": 9,
    "status": "weird",
    "sector": "xx",
    "lat": "north",
    "lon": 1e-7,
    "gps_accuracy": "x",
    "people_affected": "many",
    "language": "!!",
    "tags": "not json",
    "budget_allocated": "lots",
    "budget_currency": "XXXX",
    "country": "ZZ",
    "visibility": "q",
}
BAD_MEETING = {
    "held_on": "soon",
    "kind": "nope",
    "attendance_total": "many",
    "attendance_women": -3,
    "language": "??",
    "starts_at": "99:99",
    "country": "ZZ",
}


def _write(db, table: str, row_id: str, values: dict) -> None:
    assignments = ", ".join(f"[{name}] = ?" for name in values)
    db.execute(f"UPDATE [{table}] SET {assignments} WHERE id = ?", (*values.values(), row_id))
    db.commit()


@pytest.fixture
def broken(client, db):
    """An issue with a timeline event, a meeting with an action item, all holding values no form allows."""
    issue_id = create_issue(client, budget_allocated="100", budget_currency="KES", lat="-1.2", lon="36.8")
    assert (
        client.submit(
            f"/issues/{issue_id}/events", {"kind": "note", "occurred_on": "2026-03-02", "note": "Visited"}
        ).status_code
        == 303
    )
    meeting_id = create_meeting(client)
    assert (
        client.submit(
            f"/meetings/{meeting_id}/actions", {"what": "Write a letter", "due_on": "2026-04-01"}
        ).status_code
        == 303
    )
    # A change journaled with bad values (as an old version or a hand-edited bundle could), so the
    # history pages show them too; then the rows themselves.
    journal.update(db, "issues", issue_id, {"severity": "x", "lat": "north", "tags": "[1"}, author="old")
    db.commit()
    _write(db, "issues", issue_id, BAD_ISSUE)
    _write(db, "meetings", meeting_id, BAD_MEETING)
    db.execute("UPDATE issue_events SET occurred_on = 'yesterday', kind = 'odd', channel = 'pigeon'")
    db.execute("UPDATE meeting_actions SET due_on = '2026-02-30', owner_kind = 'ghost', status = 'later'")
    db.commit()
    return issue_id, meeting_id


@pytest.mark.parametrize("lang", ["en", "fr", "hi", "id"])
def test_every_page_showing_rows_with_bad_values_answers_200(client, broken, lang):
    issue_id, meeting_id = broken
    pages = [
        "/",
        "/issues/",
        "/issues/?sort=severity",
        f"/issues/{issue_id}",
        f"/issues/{issue_id}/edit",
        f"/issues/{issue_id}/history",
        "/meetings/",
        f"/meetings/{meeting_id}",
        f"/meetings/{meeting_id}/edit",
        f"/meetings/{meeting_id}/history",
        "/search?q=Borehole",
        "/sync/",
        "/sync/conflicts",
    ]
    for page in pages:
        response = client.get(page + ("&" if "?" in page else "?") + f"lang={lang}")
        assert response.status_code == 200, page


def test_a_bad_stored_value_is_shown_as_plain_text(client, broken):
    issue_id, meeting_id = broken
    issue = client.get(f"/issues/{issue_id}").get_data(as_text=True)
    assert "north" in issue and "weird" in issue
    meeting = client.get(f"/meetings/{meeting_id}").get_data(as_text=True)
    assert "many" in meeting


def test_export_of_rows_with_bad_values_completes(runner, broken):
    for kind in ("issues", "meetings", "actions"):
        for fmt in ("csv", "jsonl"):
            result = runner("export", "--format", fmt, "--kind", kind)
            assert result.exit_code == 0, result.output


def test_central_check_is_clean_and_exits_0_when_every_value_is_allowed(client, runner):
    create_issue(client)
    create_meeting(client)
    result = runner("central", "check")
    assert result.exit_code == 0, result.output
    assert "Every stored value is as its declaration allows." in result.output


def test_central_check_lists_each_bad_value_with_table_id_field_and_reason(runner, broken):
    issue_id, meeting_id = broken
    result = runner("central", "check")
    assert result.exit_code == 1
    lines = {
        tuple(line.split("\t")[:3]): line.split("\t")[3]
        for line in result.output.splitlines()
        if "\t" in line
    }
    for field in BAD_ISSUE:
        if field != "lon":  # 1e-7 is a valid longitude
            assert ("issues", issue_id, field) in lines, field
    for field in BAD_MEETING:
        assert ("meetings", meeting_id, field) in lines, field
    assert lines[("issues", issue_id, "severity")] == "Severity is not one of the allowed choices."
    assert any(key[0] == "issue_events" and key[2] == "occurred_on" for key in lines)
    assert any(key[0] == "meeting_actions" and key[2] == "owner_kind" for key in lines)
    assert "stored values break their declaration" in result.output
