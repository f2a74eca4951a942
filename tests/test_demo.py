"""``fieldkit demo``: sample data in the chosen folder, with something on every page to try."""

from __future__ import annotations

from datetime import date

import pytest
from click.testing import CliRunner

from fieldkit import create_app
from fieldkit.cli import main
from fieldkit.db import connect

from .conftest import FormClient, create_issue


@pytest.fixture(scope="module")
def demo_folder(tmp_path_factory):
    """One demo folder filled through the real command with ``--data`` (filling takes a few seconds)."""
    root = tmp_path_factory.mktemp("demo")
    folder = root / "chosen"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_DATA_HOME", str(root / "xdg"))
        result = CliRunner().invoke(
            main, ["--data", str(folder), "demo", "--no-start"], catch_exceptions=False
        )
    assert result.exit_code == 0, result.output
    assert str(folder) in result.output
    return folder


@pytest.fixture
def demo_client(demo_folder):
    return FormClient(create_app({"DATA_DIR": demo_folder, "TESTING": True}).test_client())


def count(folder, sql, *params):
    conn = connect(folder / "fieldkit.db")
    try:
        return conn.execute(sql, params).fetchone()[0]
    finally:
        conn.close()


def test_demo_with_data_fills_that_folder_and_not_the_default_one(demo_folder):
    assert count(demo_folder, "SELECT COUNT(*) FROM issues") >= 200
    assert not (demo_folder.parent / "xdg").exists()  # the default demo folder was never made


def test_demo_has_meetings_with_action_items_and_one_is_overdue(demo_folder, demo_client):
    today = date.today().isoformat()
    assert count(demo_folder, "SELECT COUNT(*) FROM meetings") >= 5
    assert count(demo_folder, "SELECT COUNT(*) FROM meeting_actions") >= 5
    assert count(demo_folder, "SELECT COUNT(*) FROM meeting_issues") >= 5
    assert count(
        demo_folder, "SELECT COUNT(*) FROM meeting_actions WHERE status = 'open' AND due_on < ?", today
    )
    home = demo_client.get("/").get_data(as_text=True)
    assert "Kuandika barua kwa ofisi ya maji ya kaunti" in home  # the overdue action item
    meetings = demo_client.get("/meetings/").get_data(as_text=True)
    assert "Dialogue avec la mairie sur l&#39;assainissement" in meetings


def test_demo_has_government_responses_with_commitments(demo_folder):
    assert count(
        demo_folder,
        "SELECT COUNT(*) FROM issue_events WHERE kind = 'response' AND commitment != '' AND due_on IS NOT NULL",
    )


def test_demo_dispute_was_made_by_the_sync_merge_and_waits_in_the_review_queue(demo_folder, demo_client):
    conn = connect(demo_folder / "fieldkit.db")
    try:
        (row_id, field, candidates), *others = conn.execute(
            "SELECT row_id, field, candidates FROM sync_conflicts"
        ).fetchall()
        devices = conn.execute(
            "SELECT COUNT(DISTINCT device_id) FROM sync_ops WHERE tbl = 'issues' AND row_id = ?", (row_id,)
        ).fetchone()[0]
        ref = conn.execute("SELECT ref FROM issues WHERE id = ?", (row_id,)).fetchone()[0]
    finally:
        conn.close()
    assert not others and field == "status" and devices == 2
    assert "Wanjiru Achieng" in candidates and "Otieno Odhiambo" in candidates
    review = demo_client.get("/sync/conflicts")
    assert review.status_code == 200
    assert ref in review.get_data(as_text=True)


def test_running_demo_again_adds_nothing(demo_folder):
    before = count(demo_folder, "SELECT COUNT(*) FROM sync_ops")
    result = CliRunner().invoke(main, ["--data", str(demo_folder), "demo", "--no-start"])
    assert result.exit_code == 0, result.output
    assert count(demo_folder, "SELECT COUNT(*) FROM sync_ops") == before


def test_demo_refuses_a_folder_with_real_records_and_changes_nothing(client, data_dir):
    create_issue(client)
    result = CliRunner().invoke(main, ["--data", str(data_dir), "demo", "--no-start"])
    assert result.exit_code == 1
    assert "already holds your records" in result.output and "Traceback" not in result.output
    assert count(data_dir, "SELECT COUNT(*) FROM issues") == 1
    assert count(data_dir, "SELECT COUNT(*) FROM meetings") == 0


def test_demo_places_are_offered_on_the_issue_form(demo_folder, demo_client):
    assert count(demo_folder, "SELECT COUNT(*) FROM places") > 0
    form = demo_client.get("/issues/new").get_data(as_text=True)
    conn = connect(demo_folder / "fieldkit.db")
    names = [row[0] for row in conn.execute("SELECT name FROM places WHERE kind = 'region'")]
    conn.close()
    assert "<datalist" in form and any(f'value="{name}"' in form for name in names)
