"""The data folder and everything in it are the owner's only: folders 0700, files 0600."""

from __future__ import annotations

import io
import os
import stat
import sys
from pathlib import Path

import pytest

from fieldkit import create_app
from fieldkit.db import connect

from .conftest import FormClient, create_issue
from .photos import jpeg_with_metadata

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")


def loose(folder: Path) -> list[str]:
    """Entries under ``folder`` (itself included) that group or others may use in any way."""
    found = []
    for entry in [folder, *folder.rglob("*")]:
        if stat.S_IMODE(entry.lstat().st_mode) & 0o077:
            found.append(f"{entry.relative_to(folder.parent)} {oct(stat.S_IMODE(entry.lstat().st_mode))}")
    return found


def use(app) -> None:
    client = FormClient(app.test_client())
    create_issue(client, files=(io.BytesIO(jpeg_with_metadata()), "pump.jpg"))


def test_a_new_data_folder_and_all_it_holds_are_owner_only(data_dir, runner, tmp_path):
    app = create_app({"DATA_DIR": data_dir, "TESTING": True})
    use(app)
    conn = connect(app.config["DATABASE"])  # the WAL and SHM files exist while one is open
    try:
        conn.execute("SELECT count(*) FROM issues").fetchone()
        names = {p.name for p in data_dir.rglob("*")}
        assert {"fieldkit.db", "fieldkit.db-wal", "fieldkit.db-shm", "secret.key", "blobs"} <= names
        assert loose(data_dir) == []
    finally:
        conn.close()
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE((data_dir / "secret.key").stat().st_mode) == 0o600
    backups = tmp_path / "usb"
    result = runner("backup", str(backups))
    assert result.exit_code == 0, result.output
    assert any(backups.rglob("fieldkit.db")) and loose(backups) == []


def test_a_folder_left_readable_by_an_older_version_is_closed_at_start(data_dir):
    use(create_app({"DATA_DIR": data_dir, "TESTING": True}))
    for entry in [data_dir, *data_dir.rglob("*")]:
        entry.chmod(0o755 if entry.is_dir() else 0o644)
    assert loose(data_dir)
    create_app({"DATA_DIR": data_dir, "TESTING": True})
    assert loose(data_dir) == []


def test_files_made_after_start_are_owner_only(data_dir):
    create_app({"DATA_DIR": data_dir, "TESTING": True})
    made = data_dir / "made-later.txt"
    made.write_text("x")
    assert stat.S_IMODE(made.stat().st_mode) == 0o600
    assert stat.S_IMODE(os.stat(data_dir).st_mode) == 0o700
