"""Backups: round trip with attachments, restore only while stopped, foreign backups refused."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner
from PIL import Image

from fieldkit import backup, create_app
from fieldkit.cli import main
from fieldkit.db import connect
from fieldkit.instance import InstanceLock

from .conftest import create_issue, issue_form


def photo() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (11, 93, 75)).save(buffer, "JPEG")
    return buffer.getvalue()


def cli(data_dir, *args):
    return CliRunner().invoke(main, ["--data", str(data_dir), *args])


def titles(data_dir) -> list[str]:
    conn = connect(data_dir / "fieldkit.db")
    try:
        return sorted(row[0] for row in conn.execute("SELECT title FROM issues"))
    finally:
        conn.close()


@pytest.fixture
def recorded(client, data_dir):
    """A data folder with one issue that has a photo."""
    data = issue_form(title="Clinic has no medicine")
    data["files"] = (io.BytesIO(photo()), "shelf.jpg")
    response = client.submit("/issues/new", data, content_type="multipart/form-data")
    assert response.status_code == 303
    return data_dir


def test_backup_and_restore_round_trip_while_stopped(recorded, client, tmp_path):
    result = cli(recorded, "backup", str(tmp_path / "usb"))
    assert result.exit_code == 0, result.output
    (folder,) = (tmp_path / "usb").iterdir()
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["device_id"] == backup.device_id_of(recorded / "fieldkit.db")
    assert any(name.startswith("blobs/") for name in manifest["files"])

    create_issue(client, title="Recorded after the backup")
    blob = next((recorded / "blobs").glob("*/*"))
    blob.unlink()
    assert titles(recorded) == ["Clinic has no medicine", "Recorded after the backup"]

    result = cli(recorded, "restore", str(folder))
    assert result.exit_code == 0, result.output
    assert titles(recorded) == ["Clinic has no medicine"]
    assert blob.is_file()
    kept = list((recorded / "before-restore").glob("*/fieldkit.db"))
    assert len(kept) == 1  # nothing is thrown away: the replaced database is kept aside


def test_restore_is_refused_while_fieldkit_runs(recorded, tmp_path):
    folder = backup.make_backup(recorded, tmp_path / "usb")
    lock = InstanceLock(recorded).acquire()
    lock.announce("http://127.0.0.1:9/", "token")
    try:
        result = cli(recorded, "restore", str(folder))
    finally:
        lock.release()
    assert result.exit_code != 0
    assert "is running" in result.output and "close it" in result.output


def test_a_backup_from_another_install_is_refused_unless_told(recorded, tmp_path):
    other = tmp_path / "other-laptop"
    create_app({"DATA_DIR": other, "TESTING": True})
    folder = backup.make_backup(recorded, tmp_path / "usb")
    result = cli(other, "restore", str(folder))
    assert result.exit_code != 0
    assert "another FieldKit install" in result.output
    assert titles(other) == []
    result = cli(other, "restore", str(folder), "--other-install")
    assert result.exit_code == 0, result.output
    assert titles(other) == ["Clinic has no medicine"]


def test_restore_into_an_empty_folder_needs_no_flag(recorded, tmp_path):
    folder = backup.make_backup(recorded, tmp_path / "usb")
    fresh = tmp_path / "new-laptop"
    assert cli(fresh, "restore", str(folder)).exit_code == 0
    assert titles(fresh) == ["Clinic has no medicine"]


def test_a_damaged_backup_changes_nothing(recorded, tmp_path):
    folder = backup.make_backup(recorded, tmp_path / "usb")
    with (folder / "fieldkit.db").open("r+b") as handle:
        handle.seek(200)
        handle.write(b"\xff" * 16)
    before = (recorded / "fieldkit.db").read_bytes()
    result = cli(recorded, "restore", str(folder))
    assert result.exit_code != 0 and "damaged" in result.output
    assert (recorded / "fieldkit.db").read_bytes() == before


def test_an_unfinished_backup_is_not_a_backup(recorded, tmp_path):
    result = cli(recorded, "restore", str(tmp_path))
    assert result.exit_code != 0
    assert "not a FieldKit backup" in result.output


def test_backup_while_the_app_writes_is_consistent(app, client, tmp_path):
    create_issue(client)
    conn = connect(app.config["DATABASE"])
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("UPDATE issues SET title = 'half written'")
    try:
        folder = backup.make_backup(app.config["DATA_DIR"], tmp_path / "usb")
    finally:
        conn.execute("ROLLBACK")
        conn.close()
    copy = connect(folder / "fieldkit.db")
    assert [r[0] for r in copy.execute("SELECT title FROM issues")] == ["Borehole broken since March"]
    assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    copy.close()


def test_back_up_now_from_settings(client, data_dir, tmp_path):
    create_issue(client)
    usb = tmp_path / "usb"
    usb.mkdir()
    response = client.submit("/settings/backup-folder", {"backup_dir": str(usb / "FieldKit")})
    assert response.status_code == 303
    assert json.loads((data_dir / "settings.json").read_text())["BACKUP_DIR"] == str(usb / "FieldKit")
    response = client.submit("/settings/backup", {})
    assert response.status_code == 303
    assert len(list((usb / "FieldKit").glob("FieldKit-backup-*"))) == 1
    assert "Last backup" in client.get("/settings/?done=backup").get_data(as_text=True)


def test_a_missing_usb_stick_is_explained(client, tmp_path):
    response = client.submit("/settings/backup", {"backup_dir": str(tmp_path / "no-stick" / "FieldKit")})
    assert response.status_code == 422
    assert "Is the USB stick plugged in?" in response.get_data(as_text=True)
    response = client.submit("/settings/backup", {"backup_dir": "relative/folder"})
    assert response.status_code == 422


def test_daily_backup_runs_once_a_day_and_keeps_the_newest(app, client, data_dir, tmp_path):
    from fieldkit import settings

    create_issue(client)
    usb = tmp_path / "usb"
    settings.save(data_dir, {"BACKUP_DIR": str(usb), "BACKUP_KEEP": 2})
    job = backup.DailyBackup(app)
    assert job.run_once() is not None
    assert job.run_once() is None  # not due again the same day
    for days in (3, 2):
        backup.make_backup(data_dir, usb, now=datetime.now(UTC) - timedelta(days=days))
    state = backup.last_state(data_dir)
    state["at"] = (datetime.now(UTC) - timedelta(days=1, minutes=1)).isoformat()
    (data_dir / backup.STATE_FILE).write_text(json.dumps(state))
    (usb / ".FieldKit-backup-20260101-000000-deadbeef.partial").mkdir()  # a stick pulled mid-backup
    assert job.run_once() is not None
    assert len(list(usb.glob("FieldKit-backup-*"))) == 2
    assert not list(usb.glob(".*.partial"))


def test_restore_cli_help_mentions_other_install():
    result = CliRunner().invoke(main, ["restore", "--help"])
    assert "--other-install" in result.output


def test_restore_waits_for_a_real_running_fieldkit_to_stop(recorded, tmp_path):
    import os
    import subprocess
    import sys
    import time
    import urllib.request

    from fieldkit.server import free_port

    folder = backup.make_backup(recorded, tmp_path / "usb")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("FIELDKIT_")}
    server = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from fieldkit.cli import main; sys.exit(main())",
            "--data",
            str(recorded),
            "serve",
            "--port",
            str(port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    try:
        # Running means answering (and, from then on, stopping cleanly when told to).
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/hub/ping", timeout=2).close()
                break
            except OSError:
                time.sleep(0.05)
        result = cli(recorded, "restore", str(folder))
        assert result.exit_code != 0 and "close it" in result.output
    finally:
        server.terminate()
        assert server.wait(timeout=30) == 0
    result = cli(recorded, "restore", str(folder))
    assert result.exit_code == 0, result.output
    assert titles(recorded) == ["Clinic has no medicine"]
