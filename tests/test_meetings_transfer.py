"""`fieldkit export --kind meetings|actions` and `fieldkit import` for meetings and action items."""

from __future__ import annotations

import csv
import io
import json

import pytest
from click.testing import CliRunner

from fieldkit.cli import main
from fieldkit.db import connect
from tests.conftest import create_issue
from tests.test_meetings import action_form, create_meeting


def run(data_dir, *args):
    return CliRunner().invoke(main, ["--data", str(data_dir), *args], catch_exceptions=False)


@pytest.fixture
def recorded(client):
    """Two meetings, one issue discussed at the first, and two action items."""
    issue_id = create_issue(client, title="Borehole broken in Kolwa")
    first = create_meeting(client, title="Kolwa water committee", notes="Line one\nLine two, with a comma")
    create_meeting(client, title="Budget hearing, Ahero", kind="budget_hearing", place="Ahero")
    client.submit(f"/meetings/{first}/links", {"issue_id": issue_id, "outcome": "commitment", "note": "Soon"})
    client.submit(
        f"/meetings/{first}/actions", action_form(what="Write to the water office", issue_id=issue_id)
    )
    client.submit(f"/meetings/{first}/actions", action_form(what="Visit the borehole", owner_kind="official"))
    return {"issue": issue_id, "meeting": first}


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_meetings_and_action_items_survive_export_then_import_elsewhere(recorded, data_dir, tmp_path, fmt):
    files = {}
    for kind in ("issues", "meetings", "actions"):
        files[kind] = tmp_path / f"{kind}.{fmt}"
        result = run(data_dir, "export", "--format", fmt, "--kind", kind, "--out", str(files[kind]))
        assert result.exit_code == 0, result.output
    assert "Exported 2 action items" in result.output
    other = tmp_path / "other"
    for kind in ("issues", "meetings", "actions"):  # kind recognised from the columns
        result = run(other, "import", str(files[kind]))
        assert result.exit_code == 0, result.output
    assert "Imported 2 action items. 0 were already present." in result.output
    source, copy = connect(data_dir / "fieldkit.db"), connect(other / "fieldkit.db")
    try:
        for table, columns in [
            ("meetings", "id, ref, title, kind, held_on, notes, attendance_total, officials"),
            ("meeting_actions", "id, meeting_id, what, owner_kind, due_on, issue_id, status"),
            ("meeting_issues", "meeting_id, issue_id, outcome, note"),
        ]:
            query = f"SELECT {columns} FROM {table} ORDER BY 1, 2"
            assert copy.execute(query).fetchall() == source.execute(query).fetchall()
        # Imported rows are journaled like any other change, so they sync.
        assert copy.execute("SELECT COUNT(*) FROM sync_ops WHERE tbl = 'meeting_actions'").fetchone()[0] == 2
    finally:
        source.close()
        copy.close()
    again = run(other, "import", str(files["meetings"]))
    assert "Imported 0 meetings. 2 were already present." in again.output


def test_meetings_csv_has_one_documented_row_per_meeting(recorded, runner):
    result = runner("export", "--format", "csv", "--kind", "meetings")
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert [r["title"] for r in rows] == ["Kolwa water committee", "Budget hearing, Ahero"]
    assert rows[0]["notes"] == "Line one\nLine two, with a comma"
    assert json.loads(rows[0]["issues"]) == [
        {"issue_id": recorded["issue"], "outcome": "commitment", "note": "Soon"}
    ]
    assert rows[1]["issues"] == ""
    assert rows[1]["meeting_type"] == "budget_hearing"


def test_a_bad_row_imports_nothing_and_names_the_row(runner, tmp_path, db):
    path = tmp_path / "meetings.jsonl"
    lines = [
        {"title": "Fine meeting", "meeting_type": "community", "held_on": "2026-03-01"},
        {
            "title": "Bad numbers",
            "meeting_type": "community",
            "held_on": "2026-03-02",
            "attendance_total": 10,
            "attendance_women": 8,
            "attendance_men": 8,
        },
        {
            "title": "Unknown issue",
            "meeting_type": "party",
            "held_on": "2026-03-03",
            "issues": [{"issue_id": "0190aaaa-0000-7000-8000-000000000009"}],
        },
    ]
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\nnot json\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["--data", str(tmp_path / "data"), "import", str(path)])
    assert result.exit_code != 0
    assert "row 2, attendance_total: Women (8) and men (8) add up to 16" in result.output
    assert "row 3, meeting_type: Choose one of the options." in result.output
    assert "row 3, issues.issue_id: No issue with this id is here." in result.output
    assert "row 4: This line is not a JSON object." in result.output
    assert "nothing was imported" in result.output
    assert db.execute("SELECT COUNT(*) FROM meetings").fetchone()[0] == 0


def test_action_items_need_their_meeting(runner, tmp_path, db):
    path = tmp_path / "actions.csv"
    path.write_text(
        "meeting_id,what,owner_kind,due_on\n0190aaaa-0000-7000-8000-000000000001,Write a letter,partner,2026-04-01\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["--data", str(tmp_path / "data"), "import", str(path)])
    assert result.exit_code != 0
    assert "row 2, meeting_id: No meeting with this id is here" in result.output


def test_import_kind_can_be_forced(runner, tmp_path):
    path = tmp_path / "odd.csv"
    path.write_text("title,sector\nPump,water\n", encoding="utf-8")
    result = CliRunner().invoke(
        main, ["--data", str(tmp_path / "data"), "import", "--kind", "meetings", str(path)]
    )
    assert result.exit_code != 0
    assert "Row 1 names columns FieldKit does not read: sector." in result.output


def test_a_file_that_is_not_text_is_refused_with_a_reason(tmp_path):
    path = tmp_path / "meetings.csv"
    path.write_bytes(b"title,held_on\n\xff\xfe\x00broken,2026-01-01\n")
    result = CliRunner().invoke(
        main, ["--data", str(tmp_path / "data"), "import", "--kind", "meetings", str(path)]
    )
    assert result.exit_code != 0
    assert "Line 2 of this file is not UTF-8" in result.output
