"""Adding a field is one edit in its declaration (plus its column): a test declaration gains two
fields, and they appear in the form, its checks, the issue page, export, import, sync, history and
the review of a conflicting edit."""

from __future__ import annotations

import csv
import dataclasses
import io
import json

import pytest

from fieldkit import records
from fieldkit.i18n import lazy_gettext as _l
from fieldkit.transfer import import_issues
from sync import journal
from sync.schema import Field
from tests.conftest import FormClient, issue_form
from tests.sync.conftest import Device

NEW_FIELDS = (
    Field("water_point", "text", _l("Water point number"), max_length=20),
    Field("queue_minutes", "integer", _l("Minutes spent queueing"), minimum=0, maximum=1440),
)
COLUMNS = (
    "ALTER TABLE issues ADD COLUMN water_point TEXT; ALTER TABLE issues ADD COLUMN queue_minutes INTEGER;"
)


@pytest.fixture(autouse=True)
def declared(monkeypatch):
    """ISSUE as declared with the two new fields (what one edit of records.py would do)."""
    issue = dataclasses.replace(records.ISSUE, fields=(*records.ISSUE.fields, *NEW_FIELDS))
    monkeypatch.setitem(records.SCHEMA.types, "issues", issue)
    monkeypatch.setitem(journal.SYNCED, "issues", frozenset(issue.names) | {"deleted"})
    return issue


def _add_columns(conn) -> None:
    for statement in COLUMNS.split(";"):
        if statement.strip():
            conn.execute(statement)
    conn.commit()


@pytest.fixture
def central(tmp_path):
    from fieldkit import create_app
    from fieldkit.db import connect

    app = create_app({"DATA_DIR": tmp_path / "central", "TESTING": True, "ROLE": "central"})
    conn = connect(app.config["DATABASE"])
    _add_columns(conn)
    yield app
    conn.close()


@pytest.fixture
def devices(tmp_path, central):
    made = []
    for name in ("a", "b"):
        device = Device(tmp_path, central, name)
        _add_columns(device.conn)
        device.enroll()
        device.web = FormClient(device.app.test_client())
        made.append(device)
    yield made
    for device in made:
        device.conn.close()


def _issue_id(response) -> str:
    assert response.status_code == 303, response.get_data(as_text=True)[:3000]
    return response.headers["Location"].rsplit("/", 1)[1]


def test_the_new_fields_are_in_the_form_and_checked_by_their_declared_bounds(client, db):
    _add_columns(db)
    page = client.get("/issues/new").get_data(as_text=True)
    assert "Water point number" in page and 'name="water_point"' in page
    assert "Minutes spent queueing" in page and 'name="queue_minutes"' in page

    refused = client.submit("/issues/new", issue_form(water_point="W" * 21, queue_minutes="2000"))
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert 'id="f-water_point-error"' in html and "Keep this under 20 characters" in html
    assert 'id="f-queue_minutes-error"' in html and "Enter at most 1440." in html

    issue_id = _issue_id(client.submit("/issues/new", issue_form(water_point="WP-17", queue_minutes="45")))
    row = db.execute("SELECT water_point, queue_minutes FROM issues WHERE id = ?", (issue_id,)).fetchone()
    assert tuple(row) == ("WP-17", 45)
    shown = client.get(f"/issues/{issue_id}").get_data(as_text=True)
    assert "Water point number" in shown and "WP-17" in shown
    edit = client.get(f"/issues/{issue_id}/edit").get_data(as_text=True)
    assert 'value="WP-17"' in edit and 'value="45"' in edit


def test_the_new_fields_are_exported_and_imported(client, db, runner, tmp_path):
    _add_columns(db)
    _issue_id(client.submit("/issues/new", issue_form(water_point="WP-17", queue_minutes="45")))
    exported = runner("export", "--format", "csv").output
    row = next(csv.DictReader(io.StringIO(exported)))
    assert row["water_point"] == "WP-17" and row["queue_minutes"] == "45"

    lines = runner("export", "--format", "jsonl").output.splitlines()
    item = json.loads(lines[0])
    item.update(id="", ref="", water_point="WP-18", queue_minutes=50)
    path = tmp_path / "more.jsonl"
    path.write_text(json.dumps(item) + "\n", encoding="utf-8")
    with client.application.app_context():
        report = import_issues(db, path)
    assert report.problems == [] and report.imported == 1
    assert db.execute("SELECT queue_minutes FROM issues WHERE water_point = 'WP-18'").fetchone()[0] == 50

    item.update(queue_minutes=-1)
    path.write_text(json.dumps(item) + "\n", encoding="utf-8")
    with client.application.app_context():
        report = import_issues(db, path)
    assert [(p[1], p[2]) for p in report.problems] == [("queue_minutes", "This cannot be negative.")]


def test_the_new_fields_sync_show_in_history_and_in_review_by_their_label(devices):
    a, b = devices
    issue_id = _issue_id(a.web.submit("/issues/new", issue_form(water_point="WP-17", queue_minutes="45")))
    create = a.conn.execute("SELECT fields FROM sync_ops WHERE tbl = 'issues' AND kind = 'create'").fetchone()
    assert json.loads(create[0])["water_point"] == "WP-17"
    summary = a.sync()
    assert summary.refused == 0 and summary.sent >= 1  # central checked and accepted the create
    b.sync()
    row = b.conn.execute("SELECT water_point, queue_minutes FROM issues WHERE id = ?", (issue_id,)).fetchone()
    assert tuple(row) == ("WP-17", 45)

    # Both devices change the new field differently while offline: a conflict to review.
    a.web.submit(f"/issues/{issue_id}/edit", issue_form(water_point="WP-20", queue_minutes="45"))
    b.web.submit(f"/issues/{issue_id}/edit", issue_form(water_point="WP-21", queue_minutes="45"))
    history = a.web.get(f"/issues/{issue_id}/history").get_data(as_text=True)
    assert "Water point number" in history and "WP-20" in history
    a.sync()
    b.sync()
    a.sync()
    review = b.web.get("/sync/conflicts").get_data(as_text=True)
    assert "field: Water point number" in review
    assert "WP-20" in review and "WP-21" in review
