"""A photo recorded on a device with EXIF GPS and camera data reaches central without them,
by sync and by bundle (in process: the sync API over a WSGI transport, bundles through the CLI)."""

from __future__ import annotations

import io
import zipfile

from click.testing import CliRunner

from fieldkit.cli import main
from sync.blobs import BlobDir

from ..conftest import FormClient, create_issue
from ..photos import assert_clean, jpeg_with_metadata


def record_photo(device) -> str:
    client = FormClient(device.app.test_client())
    issue_id = create_issue(client, files=(io.BytesIO(jpeg_with_metadata()), "pump.jpg"))
    return device.conn.execute("SELECT sha256 FROM attachments WHERE issue_id = ?", (issue_id,)).fetchone()[0]


def central_blob(central_app, sha) -> bytes:
    return BlobDir(central_app.config["DATA_DIR"] + "/blobs").path(sha).read_bytes()


def test_a_photo_reaches_central_by_sync_without_gps_or_camera_data(make_device, central_app):
    device = make_device()
    device.enroll()
    sha = record_photo(device)
    assert device.sync().blobs_sent == 1
    assert_clean(central_blob(central_app, sha))


def test_a_photo_reaches_central_by_bundle_without_gps_or_camera_data(make_device, central_app, tmp_path):
    device = make_device()
    device.enroll()
    sha = record_photo(device)
    bundle, reply = tmp_path / "out.fkb", tmp_path / "reply.fkb"
    runner = CliRunner()
    made = runner.invoke(main, ["--data", device.app.config["DATA_DIR"], "bundle", "export", str(bundle)])
    assert made.exit_code == 0, made.output
    with zipfile.ZipFile(bundle) as archive:
        assert_clean(archive.read(f"blobs/{sha}"))
    applied = runner.invoke(
        main,
        [
            "--data",
            central_app.config["DATA_DIR"],
            "central",
            "bundle",
            "import",
            str(bundle),
            "--reply",
            str(reply),
        ],
    )
    assert applied.exit_code == 0, applied.output
    assert_clean(central_blob(central_app, sha))
